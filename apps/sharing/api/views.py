from django.core.exceptions import PermissionDenied
from drf_spectacular.utils import OpenApiResponse, extend_schema
from rest_framework import exceptions, mixins, status, viewsets
from rest_framework.decorators import action
from rest_framework.response import Response

from apps.accounts.models import User, normalize_email

from .. import services
from ..choices import SUBJECT_BY_CODE
from ..filtersets import ShareFilterSet
from ..models import Share
from .serializers import ShareCreateSerializer, ShareSerializer

REFUSED = OpenApiResponse(description="The share cannot be made or revoked as asked; see `errors`.")
FORBIDDEN = OpenApiResponse(description="The caller is an external member of the client: they cannot share.")


class ShareViewSet(mixins.ListModelMixin, mixins.RetrieveModelMixin, viewsets.GenericViewSet):
    """Assets and cases shared with external members, newest first. Internal members see their clients' shares and
    make or revoke them (write scope); an external member sees the shares made to them."""

    serializer_class = ShareSerializer
    filterset_class = ShareFilterSet
    ordering = "-id"

    def get_queryset(self):
        return Share.objects.visible_to(self.request.user).select_related("client", "user", "shared_by", "revoked_by")

    @extend_schema(request=ShareCreateSerializer, responses={201: ShareSerializer, 400: REFUSED, 403: FORBIDDEN})
    def create(self, request):
        body = ShareCreateSerializer(data=request.data)
        body.is_valid(raise_exception=True)
        data = body.validated_data
        try:
            subject = services.find_subject(request.user, SUBJECT_BY_CODE[data["subject_type"]], data["subject"])
            user = User.objects.filter(email=normalize_email(data["user"])).first()
            if user is None:
                raise services.ShareRefused(f"{data['user']} is not an external member of the client.", field="user")
            share = services.share(subject, user=user, actor=request.user, until=data["until"])
        except services.ShareRefused as exc:
            raise exceptions.ValidationError({exc.field: [str(exc)]}) from None
        except PermissionDenied as exc:
            raise exceptions.PermissionDenied(str(exc)) from None
        return Response(ShareSerializer(self.get_queryset().get(pk=share.pk)).data, status=status.HTTP_201_CREATED)

    @extend_schema(request=None, responses={200: ShareSerializer, 400: REFUSED, 403: FORBIDDEN})
    @action(detail=True, methods=["post"])
    def revoke(self, request, pk=None):
        """Revoke the share: the external member stops seeing the subject at once."""
        share = self.get_object()
        try:
            services.unshare(share, actor=request.user)
        except services.ShareRefused as exc:
            raise exceptions.ValidationError({"status": [str(exc)]}) from None
        except PermissionDenied as exc:
            raise exceptions.PermissionDenied(str(exc)) from None
        return Response(ShareSerializer(self.get_queryset().get(pk=share.pk)).data)
