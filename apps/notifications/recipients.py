"""Who hears of an event: computed from the event's data and the client's memberships, never from the publisher
(which cannot import this app). Everyone returned is an active member of the event's client (operators, for a
broken connection, are the one exception: they run the platform), and never the person who caused the event."""

from __future__ import annotations

from dataclasses import dataclass

from django.utils import timezone

from apps.accounts.models import Membership, User
from apps.common.roles import RoleCode


@dataclass(frozen=True)
class Recipient:
    user: User
    why: str


def _members(client, user_ids=None):
    memberships = Membership.objects.filter(client=client, user__is_active=True).select_related("user", "delegate")
    if user_ids is not None:
        memberships = memberships.filter(user_id__in=[int(u) for u in user_ids if u])
    return memberships.prefetch_related("roles", "regions")


def _or_delegate(membership: Membership, why: str, now) -> Recipient | None:
    """An away member's work goes to their delegate (``accounts.delegation``); the delegate hears why."""
    if membership.away(now) and membership.delegate is not None and membership.delegate.is_active:
        delegate = Membership.objects.filter(client_id=membership.client_id, user=membership.delegate).exists()
        if delegate:
            person = membership.user.get_full_name()
            return Recipient(membership.delegate, f"{why[:-1]} for {person}, who is away and named you their delegate.")
    return Recipient(membership.user, why)


def task_available(client, data: dict) -> list[Recipient]:
    """The internal members holding one of the task's roles in one of its regions (a member with no regions is not
    region-scoped; a task for no region is everyone's with the role): who the inbox shows the task to."""
    roles, regions = set(data.get("roles") or []), set(data.get("regions") or [])
    now = timezone.now()
    found: list[Recipient] = []
    for membership in _members(client).filter(roles__code__in=roles).distinct():
        codes = set(membership.role_codes)
        if RoleCode.EXTERNAL in codes:
            continue
        mine = {region.code for region in membership.regions.all()}
        if regions and mine and not regions & mine:
            continue
        role_labels = ", ".join(RoleCode(code).label for code in sorted(codes & roles))
        why = f"You hold the {role_labels} role in {client.name} and this task is open to it."
        found.append(_or_delegate(membership, why, now))
    return found


def addressed(client, user_ids, why: str, *, delegate: bool = False) -> list[Recipient]:
    """The named people, if they are active members of the client (an id from another tenant reaches no one)."""
    now = timezone.now()
    return [_or_delegate(m, why, now) if delegate else Recipient(m.user, why) for m in _members(client, user_ids)]


def admins(client, why: str) -> list[Recipient]:
    """The client's agency admins (internal)."""
    return [
        Recipient(m.user, why)
        for m in _members(client).filter(roles__code=RoleCode.AGENCY_ADMIN).exclude(roles__code=RoleCode.EXTERNAL)
    ]


def content_owners(client, why: str) -> list[Recipient]:
    """The client's content owners (internal): they hear of an asset whose approval nobody asked for by hand (a
    cycle the sync started on its own)."""
    return [
        Recipient(m.user, why)
        for m in _members(client).filter(roles__code=RoleCode.CONTENT_OWNER).exclude(roles__code=RoleCode.EXTERNAL)
    ]


def operators(why: str) -> list[Recipient]:
    """Staff operators (who run the connections for every client)."""
    return [Recipient(u, why) for u in User.objects.filter(is_active=True, is_staff=True)]


def asset_owner(client, asset_id) -> int | None:
    """Who started the asset's latest approval run (the person who asked for it to be approved)."""
    from apps.workflows.models import WorkflowRun

    if not asset_id:
        return None
    return (
        WorkflowRun.objects.filter(client=client, subject_type="assets.asset", subject_id=int(asset_id))
        .exclude(started_by__isnull=True)
        .order_by("-created_at", "-id")
        .values_list("started_by_id", flat=True)
        .first()
    )


def unique(recipients: list[Recipient], actor) -> list[Recipient]:
    """One entry per person (the first reason wins), never the actor."""
    seen: set[int] = set()
    actor_id = getattr(actor, "pk", None)
    result = []
    for recipient in recipients:
        if recipient.user.pk in seen or recipient.user.pk == actor_id:
            continue
        seen.add(recipient.user.pk)
        result.append(recipient)
    return result
