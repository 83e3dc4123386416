"""Tenant scoping shared by every domain model.

Every read of tenant data starts from ``Model.objects.visible_to(user)``. The user object decides which clients
it may see (``User.visible_client_ids``, which also honours an API token bound to one client); this module only
applies that decision to a queryset, so HTML views, API viewsets, filtersets, exports and partials cannot drift.
"""

from __future__ import annotations

from typing import Self

from django.db import models


class ClientScopedQuerySet(models.QuerySet):
    """A queryset of rows that belong to one agency client through ``client_field``."""

    client_field = "client"

    def visible_to(self, user) -> Self:
        """Rows of the clients ``user`` is a member of; nothing for anonymous or inactive users."""
        if not getattr(user, "is_authenticated", False) or not user.is_active:
            return self.none()
        return self.filter(**{f"{self.client_field}__in": user.visible_client_ids()})

    def for_client(self, client) -> Self:
        """Narrow to one client (the active client of the UI, or an API ``client`` filter)."""
        if client is None:
            return self
        return self.filter(**{self.client_field: client})
