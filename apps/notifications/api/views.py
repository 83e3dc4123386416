from drf_spectacular.utils import extend_schema
from rest_framework import mixins, status, viewsets
from rest_framework.decorators import action
from rest_framework.response import Response

from .. import services
from ..filtersets import NotificationFilterSet
from ..models import Notification
from .serializers import NotificationSerializer, PreferenceSerializer, ReadSerializer


class NotificationViewSet(mixins.ListModelMixin, mixins.RetrieveModelMixin, viewsets.GenericViewSet):
    """The caller's own notifications, newest first (``?unread=true`` for the unread ones)."""

    serializer_class = NotificationSerializer
    filterset_class = NotificationFilterSet
    ordering = "-id"

    def get_queryset(self):
        return Notification.objects.visible_to(self.request.user).select_related("client")

    @extend_schema(request=None, responses={200: ReadSerializer})
    @action(detail=True, methods=["post"])
    def read(self, request, pk=None):
        """Mark this notification read."""
        marked = services.mark_read(request.user, [self.get_object().pk])
        return Response({"marked": marked, "unread": services.unread_count(request.user)})

    @extend_schema(request=None, responses={200: ReadSerializer})
    @action(detail=False, methods=["post"], url_path="read-all")
    def read_all(self, request):
        """Mark all of the caller's notifications read."""
        marked = services.mark_read(request.user)
        return Response({"marked": marked, "unread": services.unread_count(request.user)})


class PreferenceViewSet(viewsets.GenericViewSet):
    """The caller's e-mail choice per kind: ``immediate``, ``digest`` (08:00 in their time zone) or ``off``."""

    serializer_class = PreferenceSerializer
    pagination_class = None

    def get_queryset(self):
        return Notification.objects.none()

    @extend_schema(responses={200: PreferenceSerializer(many=True)})
    def list(self, request):
        current = services.preferences(request.user)
        return Response([{"kind": kind, "mode": mode} for kind, mode in current.items()])

    @extend_schema(request=PreferenceSerializer, responses={200: PreferenceSerializer})
    def create(self, request):
        """Set the mode of one kind."""
        body = PreferenceSerializer(data=request.data)
        body.is_valid(raise_exception=True)
        data = body.validated_data
        services.set_preference(request.user, data["kind"], data["mode"], actor=request.user)
        return Response(body.validated_data, status=status.HTTP_200_OK)
