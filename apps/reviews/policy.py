"""A client's approval shape (``ApprovalPolicy``, issue 15 item 5), edited by its agency admins on
``/clients/<slug>/approval-policy/`` and in ``/api/v1/clients/<slug>/approval-policy/``. One validation for both
(``clean``); every change audited with its before and after.

``asset_approval.bpmn`` reads the shape as process variables the portal sets when it starts a cycle
(``variables_for``): ``approvalStages`` (the roles' stages: one stage of every role when parallel, one stage per role
when sequential), ``approvalQuorum`` (role -> how many different people of it approve) and ``stakeholderStep``. One
BPMN for every client; a policy changed later reaches only the cycles started afterwards (the variables are the
run's, captured at its start), which ``shape_of(run)`` describes on the asset page.
"""

from __future__ import annotations

from django.core.exceptions import PermissionDenied
from django.db import transaction

from apps.accounts.models import Membership
from apps.audit import services as audit
from apps.clients.models import Client
from apps.common.http import whole_number
from apps.common.roles import Capability, RoleCode

from .models import ApprovalPolicy, default_roles

# The roles asset_approval.bpmn has a review task for (``<role>_review``, candidate group ``<role>``), in the order
# the page offers them; a test checks the BPMN against this list.
SIGNING_ROLES = ["legal", "brand", "marketing"]
MAX_QUORUM = 10
FIELDS = ["roles", "sequential", "quorum", "stakeholder_step"]
STAGES, QUORUM, STAKEHOLDER = "approvalStages", "approvalQuorum", "stakeholderStep"
DEFAULT_VARIABLES = {STAGES: [default_roles()], QUORUM: {}, STAKEHOLDER: False}


class PolicyRefused(ValueError):
    def __init__(self, message: str, *, field: str):
        super().__init__(message)
        self.field = field


def label(role: str) -> str:
    return RoleCode(role).label if role in RoleCode.values else role


def may_edit(user, client: Client) -> bool:
    return user.has_capability(client, Capability.MANAGE_CLIENT)


def policy_for(client: Client) -> ApprovalPolicy:
    return ApprovalPolicy.objects.get_or_create(client=client)[0]


def members_per_role(client: Client) -> dict[str, int]:
    """How many internal members of ``client`` hold each signing role (external members never sign a review)."""
    counts = dict.fromkeys(SIGNING_ROLES, 0)
    rows = (
        Membership.objects.filter(client=client, roles__code__in=SIGNING_ROLES)
        .exclude(roles__code=RoleCode.EXTERNAL)
        .values_list("roles__code", flat=True)
    )
    for code in rows:
        counts[code] += 1
    return counts


def _flag(value, field: str) -> bool:
    if isinstance(value, bool):
        return value
    if str(value).strip().lower() in ("1", "true", "on", "yes"):
        return True
    if str(value).strip().lower() in ("", "0", "false", "off", "no"):
        return False
    raise PolicyRefused("Yes or no.", field=field)


def clean(data: dict, client: Client, *, current: ApprovalPolicy | None = None) -> dict:
    """The policy fields present in ``data``, validated together with the current ones they depend on
    (``PolicyRefused`` names the field; a quorum's field is ``quorum_<role>``)."""
    cleaned: dict = {}
    roles = current.roles if current is not None else default_roles()
    if "roles" in data:
        raw = data["roles"]
        items = raw if isinstance(raw, list | tuple) else str(raw or "").split(",")
        roles = list(dict.fromkeys(str(r).strip() for r in items if str(r).strip()))
        unknown = [r for r in roles if r not in SIGNING_ROLES]
        if unknown:
            known = ", ".join(SIGNING_ROLES)
            raise PolicyRefused(f"“{unknown[0][:40]}” has no review task (one of {known}).", field="roles")
        if not roles:
            raise PolicyRefused("At least one role must sign.", field="roles")
        cleaned["roles"] = roles
    for name in ("sequential", "stakeholder_step"):
        if name in data:
            cleaned[name] = _flag(data[name], name)
    if "quorum" in data:
        raw = data["quorum"] or {}
        if not isinstance(raw, dict):
            raise PolicyRefused('People per role, e.g. {"brand": 2}.', field="quorum")
        members = members_per_role(client)
        quorum: dict[str, int] = {}
        for role, value in raw.items():
            field = f"quorum_{role}"
            if role not in SIGNING_ROLES:
                raise PolicyRefused(f"“{str(role)[:40]}” has no review task.", field="quorum")
            if value in (None, ""):
                continue
            number = None if isinstance(value, bool) else whole_number(str(value).strip())
            if number is None:
                raise PolicyRefused(f"{label(role)}: a whole number of people, at least 1.", field=field)
            if not 1 <= number <= MAX_QUORUM:
                raise PolicyRefused(f"{label(role)}: between 1 and {MAX_QUORUM} people.", field=field)
            if number > 1 and number > members[role]:
                raise PolicyRefused(
                    f"{label(role)}: {number} people must approve, but {client.name} has {members[role]} member"
                    f"{'' if members[role] == 1 else 's'} with that role; the reviews could never finish.",
                    field=field,
                )
            if number > 1:
                quorum[role] = number
        cleaned["quorum"] = quorum
    if "quorum" in cleaned or "roles" in cleaned:
        # a quorum of a role that no longer signs means nothing: dropped rather than kept as a silent leftover
        quorum = cleaned.get("quorum", current.quorum if current is not None else {})
        cleaned["quorum"] = {role: n for role, n in quorum.items() if role in roles}
    return cleaned


def as_dict(policy: ApprovalPolicy) -> dict:
    return {name: getattr(policy, name) for name in FIELDS}


def update_policy(client: Client, *, actor, changes: dict, reason: str = "") -> ApprovalPolicy:
    """Validate and save ``changes`` to the client's approval policy, audited (before, after). Agency admins only.
    Cycles already running keep the shape they started with."""
    if not may_edit(actor, client):
        raise PermissionDenied("Only the client's agency admins may change its approval policy.")
    with transaction.atomic():
        policy = ApprovalPolicy.objects.select_for_update().get(pk=policy_for(client).pk)
        cleaned = clean(changes, client, current=policy)
        before = {name: getattr(policy, name) for name in cleaned if getattr(policy, name) != cleaned[name]}
        if not before:
            return policy
        for name in before:
            setattr(policy, name, cleaned[name])
        policy.updated_by = actor
        policy.save(update_fields=[*before, "updated_by", "updated_at"])
        audit.record(
            "reviews.approval_policy.update",
            actor=actor,
            client=client,
            obj=policy,
            before=before,
            after={name: cleaned[name] for name in before},
            reason=reason,
        )
    return policy


def variables_for(client: Client) -> dict:
    """The process variables a cycle of ``client`` starts with (the shape it keeps until it ends)."""
    policy = ApprovalPolicy.objects.filter(client=client).first()
    if policy is None:
        return {key: (list(value) if isinstance(value, list) else value) for key, value in DEFAULT_VARIABLES.items()}
    stages = [[role] for role in policy.roles] if policy.sequential else [list(policy.roles)]
    quorum = {role: n for role, n in (policy.quorum or {}).items() if role in policy.roles and n > 1}
    return {STAGES: stages, QUORUM: quorum, STAKEHOLDER: bool(policy.stakeholder_step)}


def describe(variables: dict | None) -> str:
    """A run's shape in words, from the variables it started with ("Legal, then Brand (2 people), then a client
    stakeholder"); a run started before policies existed followed the default shape."""
    variables = variables or {}
    stages = variables.get(STAGES) or DEFAULT_VARIABLES[STAGES]
    quorum = variables.get(QUORUM) or {}

    def one(role: str) -> str:
        n = quorum.get(role, 1)
        return f"{label(role)} ({n} people)" if isinstance(n, int) and n > 1 else label(role)

    parts = [" + ".join(one(r) for r in stage) if len(stage) > 1 else one(stage[0]) for stage in stages if stage]
    text = ", then ".join(parts)
    if len(stages) == 1 and len(stages[0]) > 1:
        text += " in parallel"
    if variables.get(STAKEHOLDER):
        text += ", then a client stakeholder"
    return text
