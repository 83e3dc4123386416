from __future__ import annotations

from typing import Self

from django.db import models


class InboundEventQuerySet(models.QuerySet):
    def visible_to(self, user) -> Self:
        """The hints about the clients where ``user`` may read the audit trail (the sync log shows them beside each
        client's connection). Staff operators see every hint, also those no client could be found for (a mistyped
        tenant), unless their API token is bound to one client."""
        from apps.common.roles import Capability

        if not getattr(user, "is_authenticated", False) or not user.is_active:
            return self.none()
        if user.is_staff and getattr(user, "token_client_id", None) is None:
            return self
        return self.filter(client__in=user.client_ids_with(Capability.VIEW_AUDIT))
