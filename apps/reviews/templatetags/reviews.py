"""Small presentation helpers for review pages: due-date badges and licence vocabulary in plain words."""

from __future__ import annotations

from datetime import datetime

from django import template
from django.utils import timezone

from apps.assets import vocabulary
from apps.common.roles import RoleCode
from apps.workflows import flows
from apps.workflows import services as workflows

register = template.Library()


@register.simple_tag
def due_badge(due: datetime | None, now: datetime | None = None) -> dict:
    """``{css, label}``: overdue / due today / due soon / later, always in words (never colour alone)."""
    if due is None:
        return {"css": "later", "label": "No due date"}
    now = now or timezone.now()
    local_due, local_now = timezone.localtime(due), timezone.localtime(now)
    days = (local_due.date() - local_now.date()).days
    if due < now:
        late = (local_now.date() - local_due.date()).days
        return {"css": "overdue", "label": "Overdue" + (f" by {late} day{'s' if late != 1 else ''}" if late else "")}
    if days == 0:
        return {"css": "today", "label": f"Due today {local_due:%H:%M}"}
    if days <= 7:
        return {"css": "soon", "label": f"Due in {days} day{'s' if days != 1 else ''}"}
    return {"css": "later", "label": f"Due {local_due:%d %b}"}


@register.filter
def plain(keys) -> str:
    """``["usage_web", "geography_germany_de"]`` → "Web, Germany"."""
    return ", ".join(vocabulary.readable(key) for key in keys or []) or ""


@register.filter
def outcome_css(outcome: str) -> str:
    """How an outcome (or a case's disposition) is shown, as its flow declares it (``workflows.flows``)."""
    return flows.tone(outcome)


@register.filter
def words(value: str) -> str:
    """``in_house`` → "In house"."""
    return str(value or "").replace("_", " ").capitalize()


@register.filter
def may_sign(task, user) -> bool:
    """``{% if task|may_sign:user %}``: whether to offer claiming and deciding (``workflows.services.may_sign``, from
    the memberships the user already holds: no query per row). Seeing a task is not signing it."""
    return workflows.may_sign(task, user)


@register.filter
def role_labels(codes) -> str:
    """``["legal", "content_owner"]`` → "Legal or Content owner" (the roles' names, never their codes)."""
    return " or ".join(RoleCode(code).label if code in RoleCode.values else str(code) for code in codes or [])


@register.filter
def role_label(code: str) -> str:
    """``"content_owner"`` → "Content owner": a role's name, never its code."""
    return RoleCode(code).label if code in RoleCode.values else words(code)


@register.filter
def outcome_label(item) -> str:
    """A task's or a run's outcome as its flow names it (``changes_requested`` → "Request changes"), never the key."""
    run = getattr(item, "run", item)
    flow = flows.get(getattr(run, "process_key", ""))
    return flow.label_of(item.outcome) if flow else words(item.outcome)
