"""Which shares are in force, and the conditions other apps' ``visible_to`` add for an external member."""

from __future__ import annotations

from typing import Self

from django.db import models
from django.db.models.functions import Now

from apps.common.querysets import ClientScopedQuerySet


class ShareQuerySet(ClientScopedQuerySet):
    def active(self) -> Self:
        """Shares in force: not revoked, not expired (by the database's clock, like availability)."""
        return self.filter(revoked_at__isnull=True, expires_at__gt=Now())

    def shared_with(self, user) -> models.Q:
        """An external member sees the shares made to them (internal members see all of their clients')."""
        return models.Q(user_id=user.pk)


def shared_ids(user, subject_type: str) -> models.QuerySet:
    """A lazy subquery of the ids of the ``subject_type`` rows shared with ``user`` now."""
    from .models import Share

    return Share.objects.active().filter(user_id=user.pk, subject_type=subject_type).values("subject_id")


def shared_subject(user, *, type_field: str = "subject_type", id_field: str = "subject_id") -> models.Exists:
    """Whether the row's subject (``type_field``/``id_field``, e.g. a run's ``subject_type``/``subject_id``) is
    shared with ``user`` now: a run is seen where its subject is."""
    from .models import Share

    return models.Exists(
        Share.objects.active().filter(
            user_id=user.pk, subject_type=models.OuterRef(type_field), subject_id=models.OuterRef(id_field)
        )
    )
