"""Changing a client's policies, audited field by field."""

from __future__ import annotations

from typing import Any

from django.core.exceptions import PermissionDenied
from django.db import transaction

from apps.audit import services as audit
from apps.common.roles import Capability

from .models import Client

POLICY_FIELDS = [
    "name",
    "required_metadata_fields",
    "rights_warning_days",
    "usage_threshold_percent",
    "sla_hours",
    "escalation_contacts",
    "review_regions",
    "review_usages",
    "review_horizon_days",
]


def update_policies(client: Client, *, actor, changes: dict[str, Any], reason: str = "") -> Client:
    """Apply validated ``changes`` (a subset of ``POLICY_FIELDS``) and record what changed.

    The caller validates values (``ClientPolicyForm`` or the API serializer); this function checks that the
    actor may manage the client, so every entry point enforces the same rule.
    """
    unknown = set(changes) - set(POLICY_FIELDS)
    if unknown:
        raise ValueError(f"Not a policy field: {', '.join(sorted(unknown))}")
    if not actor.has_capability(client, Capability.MANAGE_CLIENT):
        raise PermissionDenied("Only the client's agency admins may change its policies.")
    with transaction.atomic():
        client = Client.objects.select_for_update().get(pk=client.pk)
        before = audit.snapshot(client, list(changes))
        changed = [field for field, value in changes.items() if before[field] != value]
        if not changed:
            return client
        for field in changed:
            setattr(client, field, changes[field])
        client.full_clean()
        client.save(update_fields=[*changed, "updated_at"])
        audit.record(
            "clients.client.update_policies",
            actor=actor,
            client=client,
            obj=client,
            before={field: before[field] for field in changed},
            after={field: changes[field] for field in changed},
            reason=reason,
        )
    return client
