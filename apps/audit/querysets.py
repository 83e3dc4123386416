from __future__ import annotations

from typing import Self

from django.db import models

from apps.common.querysets import ClientScopedQuerySet
from apps.common.roles import Capability


class AuditEventQuerySet(ClientScopedQuerySet):
    def visible_to(self, user) -> Self:
        """Events of clients where the user may read the audit trail, plus the user's own client-less events.

        A member without the audit capability still sees nothing of a client's trail; nobody ever sees an
        event of a client they are not a member of.
        """
        if not getattr(user, "is_authenticated", False) or not user.is_active:
            return self.none()
        return self.filter(
            models.Q(client_id__in=user.client_ids_with(Capability.VIEW_AUDIT))
            | models.Q(client__isnull=True, actor=user)
        )

    def about(self, *objects: models.Model) -> Self:
        """Events recorded on any of ``objects`` (one query, on the ``audit_object_idx`` index)."""
        ids: dict[str, set[str]] = {}
        for obj in objects:
            ids.setdefault(obj._meta.label_lower, set()).add(str(obj.pk))
        condition = models.Q(pk__in=[])
        for object_type, object_ids in ids.items():
            condition |= models.Q(object_type=object_type, object_id__in=sorted(object_ids))
        return self.filter(condition)
