from rest_framework import viewsets

from ..filtersets import AuditEventFilterSet
from ..models import AuditEvent
from .serializers import AuditEventSerializer


class AuditEventViewSet(viewsets.ReadOnlyModelViewSet):
    """The audit trail of the clients where the caller may read it (agency admin, legal, compliance, content
    manager), newest first."""

    serializer_class = AuditEventSerializer
    filterset_class = AuditEventFilterSet
    ordering = "-id"

    def get_queryset(self):
        return AuditEvent.objects.visible_to(self.request.user).select_related("client")
