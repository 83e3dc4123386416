from __future__ import annotations

from typing import Self

from django.db import models


class InboundEventQuerySet(models.QuerySet):
    def visible_to(self, user) -> Self:
        """Hints carry no client data (an id and an event name); they are shown to operators with the audit
        capability in any client. The sync log shows them beside each client's connection."""
        from apps.common.roles import Capability

        if not getattr(user, "is_authenticated", False) or not user.is_active:
            return self.none()
        if not user.client_ids_with(Capability.VIEW_AUDIT).exists():
            return self.none()
        return self
