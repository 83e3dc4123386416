from rest_framework import mixins, viewsets

from apps.accounts.choices import TokenScope

from .. import services
from ..models import Client
from .serializers import ClientSerializer


class ClientViewSet(mixins.ListModelMixin, mixins.RetrieveModelMixin, mixins.UpdateModelMixin, viewsets.GenericViewSet):
    """The caller's clients (where they are not an external member) and their policies. Changing policies needs an
    agency admin and an `admin` token."""

    serializer_class = ClientSerializer
    lookup_field = "slug"
    required_scope = {"update": TokenScope.ADMIN, "partial_update": TokenScope.ADMIN}
    ordering = "name"
    http_method_names = ["get", "patch", "head", "options"]

    def get_queryset(self):
        # An external member of a client sees what was shared with them, never the client's policies.
        return Client.objects.internal_to(self.request.user).order_by("name")

    def perform_update(self, serializer):
        changes = {k: v for k, v in serializer.validated_data.items() if k != "reason"}
        serializer.instance = services.update_policies(
            serializer.instance,
            actor=self.request.user,
            changes=changes,
            reason=serializer.validated_data.get("reason", ""),
        )
