"""Delegation and out of office (issue 15, item 8): a reviewer names a delegate for a period in one client; during
it the tasks for the reviewer go to the delegate (the inbox shows them to the delegate, marked "for" the reviewer,
and the delegate may take over a task the reviewer holds) and are read-only for the reviewer
(``workflows.services.signing_refusal``). A must-sign role is never skipped: the delegate must hold every signing
role the reviewer holds there, and cover the reviewer's regions; otherwise the delegation is refused. Setting and
ending a delegation are audited on the membership's client."""

from __future__ import annotations

from collections.abc import Callable
from datetime import date, datetime, time, timedelta

from django.db import transaction
from django.db.models import Case, CharField, Exists, F, OuterRef, Subquery, Value, When
from django.db.models.functions import Coalesce, Concat, StrIndex
from django.utils import timezone

from apps.audit import services as audit
from apps.common import user_cache
from apps.common.roles import SIGNING_ROLES, RoleCode

from .models import Membership, User

MAX_DAYS = 92


# ``listener(membership)`` inside the transaction that set a delegation: the apps above that hold the member's tasks
# (workflows) say which of them now reach the delegate (``task.delegated``); accounts may not import them.
_SET_LISTENERS: list[Callable] = []


def on_set(listener: Callable) -> Callable:
    if listener not in _SET_LISTENERS:
        _SET_LISTENERS.append(listener)
    return listener


class DelegationRefused(Exception):
    def __init__(self, message: str, *, field: str = "delegate"):
        super().__init__(message)
        self.field = field


def _start_of(day: date) -> datetime:
    return timezone.make_aware(datetime.combine(day, time.min))


def _label(code: str) -> str:
    return RoleCode(code).label if code in RoleCode.values else code


def candidates(membership: Membership) -> list[Membership]:
    """The client's other internal members, with their roles and regions (the delegate picker)."""
    others = (
        Membership.objects.filter(client_id=membership.client_id, user__is_active=True)
        .exclude(user_id=membership.user_id)
        .exclude(roles__code=RoleCode.EXTERNAL)
        .select_related("user")
        .prefetch_related("roles", "regions")
        .order_by("user__email")
    )
    return list(others)


def refusal(reviewer: Membership, delegate: Membership | None) -> str:
    """Why ``delegate`` may not stand in for ``reviewer`` ("" when they may)."""
    if delegate is None or delegate.client_id != reviewer.client_id:
        return "Choose a member of the same client as your delegate."
    if delegate.user_id == reviewer.user_id:
        return "You cannot delegate to yourself."
    codes = set(delegate.role_codes)
    if RoleCode.EXTERNAL in codes or not delegate.user.is_active:
        return f"{delegate.user.email} cannot stand in for you: they are not an active internal member."
    missing = sorted((set(reviewer.role_codes) & SIGNING_ROLES) - codes)
    if missing:
        labels = ", ".join(_label(code) for code in missing)
        return (
            f"{delegate.user.email} does not hold the {labels} role{'s' if len(missing) > 1 else ''} you sign with "
            f"here: a role that must sign is never skipped. Choose someone who holds it."
        )
    mine = {region.code for region in reviewer.regions.all()}
    theirs = {region.code for region in delegate.regions.all()}
    if theirs and (not mine or not mine <= theirs):
        scope = ", ".join(sorted(mine)).upper() if mine else "every region"
        return f"{delegate.user.email} signs for {', '.join(sorted(theirs)).upper()} only; you sign for {scope}."
    return ""


def set_delegation(membership: Membership, *, actor: User, delegate_id, start: date, end: date) -> Membership:
    """``actor`` (the member) hands their tasks in ``membership``'s client to ``delegate_id`` from ``start`` through
    ``end`` (days in the portal's time zone); refused (``DelegationRefused`` naming the field) otherwise."""
    if membership.user_id != actor.pk:
        raise DelegationRefused("Only the member sets their own delegation.", field="form")
    today = timezone.localdate()
    if start < today:
        raise DelegationRefused("Start today or later.", field="start")
    if end < start:
        raise DelegationRefused("The last day comes on or after the first.", field="end")
    if end > today + timedelta(days=MAX_DAYS):
        raise DelegationRefused(f"A delegation lasts at most {MAX_DAYS} days from today.", field="end")
    delegate = next((m for m in candidates(membership) if str(m.user_id) == str(delegate_id)), None)
    why = refusal(membership, delegate)
    if why:
        raise DelegationRefused(why, field="delegate")
    with transaction.atomic():
        membership = Membership.objects.select_for_update().get(pk=membership.pk)
        before = _state(membership)
        membership.delegate_id = delegate.user_id
        membership.away_from = _start_of(start)
        membership.away_until = _start_of(end + timedelta(days=1))
        membership.save(update_fields=["delegate", "away_from", "away_until"])
        audit.record(
            "accounts.delegation.set",
            actor=actor,
            client=membership.client,
            obj=membership,
            before=before,
            after=_state(membership, delegate.user.email),
        )
        for listener in _SET_LISTENERS:
            listener(membership)
    return membership


def end_delegation(membership: Membership, *, actor: User) -> bool:
    """Back in office: the member's tasks are theirs again at once."""
    if membership.user_id != actor.pk:
        raise DelegationRefused("Only the member ends their own delegation.", field="form")
    with transaction.atomic():
        membership = Membership.objects.select_for_update().get(pk=membership.pk)
        if membership.delegate_id is None:
            return False
        before = _state(membership)
        membership.delegate_id, membership.away_from, membership.away_until = None, None, None
        membership.save(update_fields=["delegate", "away_from", "away_until"])
        audit.record("accounts.delegation.end", actor=actor, client=membership.client, obj=membership, before=before)
    return True


def _state(membership: Membership, email: str = "") -> dict:
    return {
        "delegate": email or (membership.delegate.email if membership.delegate_id else None),
        "from": membership.away_from.isoformat() if membership.away_from else None,
        "until": membership.away_until.isoformat() if membership.away_until else None,
    }


WINDOWS = "gl:delegations"  # {delegate id: [(away_from, away_until), ...]} of the delegations not yet over


def forget_windows() -> None:
    """A membership changed (``accounts.signals``): its delegation may have been set, moved or ended."""
    user_cache.forget_key(WINDOWS)


def may_stand_in(user, now=None) -> bool:
    """Whether a member may be away now with ``user`` as their delegate. Few people stand in for anyone at a time,
    so the inbox leaves the delegation out of its statements for the others: the periods not yet over are kept in
    the shared cache (forgotten whenever a membership changes). Without a shared cache the answer is "maybe"."""
    if not user_cache.seconds():
        return True
    if now is None and hasattr(user, "_greenlight_may_stand_in"):  # asked again in the same request
        return user._greenlight_may_stand_in
    now = now or timezone.now()
    windows = user_cache.remember_key(WINDOWS, lambda: _windows(now))
    answer = any(start <= now < end for start, end in windows.get(user.pk, ()) if start and end)
    user._greenlight_may_stand_in = answer
    return answer


def _windows(now) -> dict:
    """{delegate id: [(away_from, away_until), ...]} of the delegations not over at ``now``."""
    windows = {}
    ongoing = Membership.objects.filter(delegate__isnull=False, away_until__gt=now)
    for delegate_id, start, end in ongoing.values_list("delegate_id", "away_from", "away_until"):
        windows.setdefault(delegate_id, []).append((start, end))
    return windows


def away_with(user, now=None):
    """A lazy subquery of the ids of the members away now with ``user`` as their delegate."""
    now = now or timezone.now()
    return Membership.objects.filter(delegate_id=user.pk, away_from__lte=now, away_until__gt=now).values("user_id")


def stood_in_for(user, now=None):
    """For a task queryset's ``annotate``: the e-mail of the member away now with ``user`` as their delegate whom
    the task is for (they hold it, or it is unassigned and for one of their roles in their client), else null. In
    the same query as the tasks: the inbox marks such rows "for" them."""
    now = now or timezone.now()
    candidates = Membership.objects.filter(
        delegate_id=user.pk, away_from__lte=now, away_until__gt=now, client_id=OuterRef("client_id")
    )
    held = candidates.filter(user_id=OuterRef("assignee_id"))
    unassigned = candidates.filter(
        Exists(
            Membership.roles.through.objects.filter(membership_id=OuterRef("pk"))
            .annotate(at=StrIndex(OuterRef(OuterRef("roles_key")), Concat(Value(","), F("role__code"), Value(","))))
            .filter(at__gt=0)
        )
    )
    return Coalesce(
        Subquery(held.values("user__email")[:1]),
        Case(When(assignee__isnull=True, then=Subquery(unassigned.values("user__email")[:1]))),
        Value(""),
        output_field=CharField(),
    )


def standing_in_for(user, now=None) -> list[Membership]:
    """The memberships whose member is away now with ``user`` as their delegate (with roles and regions): one
    query plus the prefetches; the inbox marks their tasks "for" them."""
    now = now or timezone.now()
    return list(
        Membership.objects.filter(delegate_id=user.pk, away_from__lte=now, away_until__gt=now)
        .select_related("user")
        .prefetch_related("roles", "regions")
    )
