"""A client's exception policy (``ExceptionPolicy``, flow 4), edited by its agency admins on
``/clients/<slug>/exception-policy/`` and in ``/api/v1/clients/<slug>/exception-policy/``: the providers and licence
types it accepts (empty: any), the Smint.io content flags it refuses, and the hours each family of cause is due in
(empty: the client's exception SLA). One validation for both (``clean``); every change audited with its before and
after. A change applies from the next detection run (every hour, after every pull, or "Run the checks now")."""

from __future__ import annotations

import re

from django.core.exceptions import PermissionDenied
from django.db import transaction

from apps.assets.models import Asset, LicensePurchase
from apps.audit import services as audit
from apps.clients.models import Client
from apps.common.http import whole_number

from .choices import Trigger
from .compliance import can_edit_rules
from .detection import policy_for
from .models import ExceptionPolicy

KEY = re.compile(r"^[A-Za-z0-9][A-Za-z0-9_.:-]{0,99}$")
FLAG = re.compile(r"^[a-z][a-z0-9_]{0,99}$")
MAX_ITEMS = 100
MAX_SLA_HOURS = 24 * 365
SLA_FAMILIES = [Trigger.METADATA, Trigger.RIGHTS, Trigger.POLICY, Trigger.FLAGGED, Trigger.REPORT]
LISTS = {
    "accepted_providers": ("provider", KEY),
    "accepted_license_types": ("licence type", KEY),
    "refused_flags": ("flag", FLAG),
}
FIELDS = [*LISTS, "sla_hours"]


class PolicyRefused(ValueError):
    def __init__(self, message: str, *, field: str):
        super().__init__(message)
        self.field = field


def may_edit(user, client: Client) -> bool:
    return can_edit_rules(user, client)


def _items(value) -> list[str]:
    if isinstance(value, list | tuple):
        return [str(v).strip() for v in value if str(v).strip()]
    return [w.strip() for w in str(value or "").replace("\r", "").replace("\n", ",").split(",") if w.strip()]


def clean_list(name: str, value) -> list[str]:
    what, pattern = LISTS[name]
    items = list(dict.fromkeys(_items(value)))
    if len(items) > MAX_ITEMS:
        raise PolicyRefused(f"At most {MAX_ITEMS} entries.", field=name)
    for item in items:
        if not pattern.match(item):
            rule = "lower-case letters, digits and _" if pattern is FLAG else "letters, digits and _ . : -"
            raise PolicyRefused(f"“{item[:60]}” is not a {what} key ({rule}, up to 100).", field=name)
    return items


def clean_sla(value) -> dict[str, int]:
    if value in (None, ""):
        return {}
    if not isinstance(value, dict):
        raise PolicyRefused('Hours per cause, e.g. {"metadata": 48}.', field="sla_hours")
    hours: dict[str, int] = {}
    for family, raw in value.items():
        if family not in SLA_FAMILIES:
            known = ", ".join(SLA_FAMILIES)
            raise PolicyRefused(f"“{str(family)[:40]}” is not a cause (one of {known}).", field="sla_hours")
        if raw in (None, ""):
            continue
        number = None if isinstance(raw, bool) or not isinstance(raw, int | str) else whole_number(str(raw).strip())
        if number is None:
            raise PolicyRefused(f"{Trigger(family).label}: a whole number of hours.", field=f"sla_{family}")
        if not 1 <= number <= MAX_SLA_HOURS:
            raise PolicyRefused(f"{Trigger(family).label}: between 1 and {MAX_SLA_HOURS} hours.", field=f"sla_{family}")
        hours[str(family)] = number
    return hours


def clean(data: dict) -> dict:
    """The policy fields present in ``data``, validated (``PolicyRefused`` names the field)."""
    cleaned: dict = {}
    for name in LISTS:
        if name in data:
            cleaned[name] = clean_list(name, data[name])
    if "sla_hours" in data:
        cleaned["sla_hours"] = clean_sla(data["sla_hours"])
    return cleaned


def as_dict(policy: ExceptionPolicy) -> dict:
    return {name: getattr(policy, name) for name in FIELDS}


def update_policy(client: Client, *, actor, changes: dict, reason: str = "") -> ExceptionPolicy:
    """Validate and save ``changes`` to the client's policy, audited (before, after). Agency admins only."""
    if not may_edit(actor, client):
        raise PermissionDenied("Only the client's agency admins may change its exception policy.")
    cleaned = clean(changes)
    with transaction.atomic():
        policy = ExceptionPolicy.objects.select_for_update().get(pk=policy_for(client).pk)
        before = {name: getattr(policy, name) for name in cleaned if getattr(policy, name) != cleaned[name]}
        if not before:
            return policy
        for name in before:
            setattr(policy, name, cleaned[name])
        policy.save(update_fields=[*before, "updated_at"])
        audit.record(
            "exceptions.policy.update",
            actor=actor,
            client=client,
            obj=policy,
            before=before,
            after={name: cleaned[name] for name in before},
            reason=reason,
        )
    return policy


def seen_in_library(client: Client, limit: int = 30) -> dict[str, list[str]]:
    """The providers and licence types the client's library holds: hints for the form."""
    providers = Asset.objects.filter(client=client).exclude(provider="").values_list("provider", flat=True)
    kinds = LicensePurchase.objects.filter(client=client).exclude(license_type="")
    return {
        "providers": sorted(set(providers.distinct().order_by()[: limit * 4]))[:limit],
        "license_types": sorted(set(kinds.values_list("license_type", flat=True).distinct().order_by()[: limit * 4]))[
            :limit
        ],
    }
