from __future__ import annotations

from typing import Self

from django.db import models

from apps.common.querysets import ClientScopedQuerySet


class ClientQuerySet(models.QuerySet):
    """Clients are the tenants themselves: a user sees the clients they are a member of."""

    def visible_to(self, user) -> Self:
        if not getattr(user, "is_authenticated", False) or not user.is_active:
            return self.none()
        return self.filter(pk__in=user.visible_client_ids())

    def internal_to(self, user) -> Self:
        """The clients whose own pages (policies, connection, members) ``user`` may open: those where they are a
        member but not an external one. An external member sees only what was shared with them, never the client."""
        if not getattr(user, "is_authenticated", False) or not user.is_active:
            return self.none()
        return self.filter(pk__in=user.internal_client_ids())

    def with_capability(self, user, capability: str) -> Self:
        """The visible clients in which ``user`` holds a role granting ``capability``."""
        if not getattr(user, "is_authenticated", False) or not user.is_active:
            return self.none()
        return self.filter(pk__in=user.client_ids_with(capability))


class ConnectionQuerySet(ClientScopedQuerySet):
    """Smint.io connections: an ``update()`` of a column the top bar shows makes every page read it again
    (``topbar.forget``); the sync moves them with ``update()`` (lease, start and end of a pull)."""

    def update(self, **kwargs) -> int:
        from . import topbar

        updated = super().update(**kwargs)
        if updated and kwargs.keys() & set(topbar.FIELDS):
            topbar.forget()
        return updated
