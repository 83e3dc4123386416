import django_filters
from django.core.exceptions import PermissionDenied
from drf_spectacular.utils import extend_schema
from rest_framework import exceptions, mixins, viewsets
from rest_framework.decorators import action
from rest_framework.response import Response
from rest_framework.views import APIView

from apps.clients.models import Client
from apps.common.roles import Capability
from apps.outbox import services as outbox
from apps.outbox.choices import OutboxStatus
from apps.outbox.models import OutboxMessage

from ..overview import sync_overview
from .serializers import DiscardSerializer, OutboxMessageSerializer, SyncOverviewSerializer


class SyncView(APIView):
    """The sync log: each Smint.io connection's position and health, the outbox by state, and the calls that are
    retrying or failed (the clients where the caller is an agency admin; every client for a staff operator)."""

    @extend_schema(responses=SyncOverviewSerializer, operation_id="sync_retrieve")
    def get(self, request):
        return Response(SyncOverviewSerializer(sync_overview(request.user)).data)


class OutboxFilterSet(django_filters.FilterSet):
    client = django_filters.CharFilter(field_name="client__slug")
    status = django_filters.ChoiceFilter(choices=OutboxStatus.choices)
    platform = django_filters.CharFilter()
    kind = django_filters.CharFilter()

    class Meta:
        model = OutboxMessage
        fields = ["client", "status", "platform", "kind"]


class OutboxViewSet(mixins.ListModelMixin, mixins.RetrieveModelMixin, viewsets.GenericViewSet):
    """Calls to the platforms. Failed calls can be retried or discarded by the client's agency admins."""

    serializer_class = OutboxMessageSerializer
    filterset_class = OutboxFilterSet
    ordering = "-id"

    def get_queryset(self):
        clients = Client.objects.with_capability(self.request.user, Capability.VIEW_AUDIT)
        return OutboxMessage.objects.filter(client__in=clients).select_related("client")

    def _operable(self) -> OutboxMessage:
        message = self.get_object()
        if not self.request.user.has_capability(message.client, Capability.MANAGE_CLIENT):
            raise PermissionDenied("Only the client's agency admins may retry or discard calls.")
        return message

    @extend_schema(request=None, responses=OutboxMessageSerializer)
    @action(detail=True, methods=["post"])
    def retry(self, request, pk=None):
        try:
            message = outbox.retry_now(self._operable(), actor=request.user)
        except ValueError as exc:
            raise exceptions.ValidationError({"status": [str(exc)]}) from None
        return Response(OutboxMessageSerializer(message).data)

    @extend_schema(request=DiscardSerializer, responses=OutboxMessageSerializer)
    @action(detail=True, methods=["post"])
    def discard(self, request, pk=None):
        message = self._operable()  # a foreign or unknown id is a 404 before the body is even read
        body = DiscardSerializer(data=request.data)
        body.is_valid(raise_exception=True)
        try:
            message = outbox.discard(message, actor=request.user, reason=body.validated_data["reason"])
        except ValueError as exc:
            raise exceptions.ValidationError({"status": [str(exc)]}) from None
        return Response(OutboxMessageSerializer(message).data)
