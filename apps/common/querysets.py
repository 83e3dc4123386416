"""Tenant scoping shared by every domain model.

Every read of tenant data starts from ``Model.objects.visible_to(user)``. The user object decides which clients
it may see (``User.internal_client_ids``, which also honours an API token bound to one client); this module only
applies that decision to a queryset, so HTML views, API viewsets, filtersets, exports and partials cannot drift.

An external member of a client (the ``external`` role) sees none of that client's rows but the ones explicitly
shared with them (``apps.sharing``): a model whose rows can be shared says which through ``shared_with(user)``; the
rest stay out of their sight.
"""

from __future__ import annotations

from typing import Self

from django.db import models


class ClientScopedQuerySet(models.QuerySet):
    """A queryset of rows that belong to one agency client through ``client_field``."""

    client_field = "client"

    def visible_to(self, user) -> Self:
        """Rows of the clients ``user`` is an internal member of, plus, in the clients where they are an external
        member, the rows shared with them; nothing for anonymous or inactive users."""
        if not getattr(user, "is_authenticated", False) or not user.is_active:
            return self.none()
        external = user.external_client_id_list
        if not external:
            return self.filter(**{f"{self.client_field}__in": user.visible_client_ids()})
        condition = models.Q(**{f"{self.client_field}__in": user.internal_client_ids()})
        shared = self.shared_with(user)
        if shared is not None:
            condition |= models.Q(**{f"{self.client_field}__in": external}) & shared
        return self.filter(condition)

    def shared_with(self, user) -> models.Q | None:
        """The condition for rows shared with ``user`` as an external member (applied inside the clients where they
        are one); ``None``: rows of this kind are never shared, an external member sees none."""
        return None

    def for_client(self, client) -> Self:
        """Narrow to one client (the active client of the UI, or an API ``client`` filter)."""
        if client is None:
            return self
        return self.filter(**{self.client_field: client})
