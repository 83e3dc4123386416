"""The approval policy page (``/clients/<slug>/approval-policy/``): agency admins change the client's approval
shape, its other internal members read it; an external member or another client's person gets a 404. A refusal
is shown at its field with everything typed kept; nothing is saved."""

from __future__ import annotations

from django.contrib import messages
from django.contrib.auth.decorators import login_required
from django.core.exceptions import PermissionDenied
from django.shortcuts import get_object_or_404, redirect, render
from django.views.decorators.http import require_http_methods

from apps.clients.choices import TaskKind
from apps.clients.models import Client
from apps.common.http import whole_number

from . import policy


def _rows(values: dict, members: dict[str, int]) -> list[dict]:
    return [
        {
            "code": role,
            "label": policy.label(role),
            "signs": values[f"signs_{role}"],
            "order": values[f"order_{role}"],
            "quorum": values[f"quorum_{role}"],
            "members": members[role],
        }
        for role in policy.SIGNING_ROLES
    ]


def _values_of(current) -> dict:
    values: dict = {"mode": "sequential" if current.sequential else "parallel", "stakeholder": current.stakeholder_step}
    for role in policy.SIGNING_ROLES:
        values[f"signs_{role}"] = role in current.roles
        values[f"order_{role}"] = str(current.roles.index(role) + 1) if role in current.roles else ""
        values[f"quorum_{role}"] = str((current.quorum or {}).get(role, 1))
    return values


def _changes_of(values: dict) -> dict:
    """The posted rows as policy changes: the ticked roles, ordered by their order field (refused when not a whole
    number), the quorum of each ticked role."""
    picked = []
    for position, role in enumerate(policy.SIGNING_ROLES):
        if not values[f"signs_{role}"]:
            continue
        order = values[f"order_{role}"].strip()
        if order and whole_number(order) is None:
            raise policy.PolicyRefused(f"{policy.label(role)}: the order is a whole number.", field=f"order_{role}")
        picked.append((whole_number(order) if order else 100 + position, position, role))
    roles = [role for _order, _position, role in sorted(picked)]
    return {
        "roles": roles,
        "sequential": values["mode"] == "sequential",
        "quorum": {role: values[f"quorum_{role}"] for role in roles},
        "stakeholder_step": values["stakeholder"],
    }


@login_required
@require_http_methods(["GET", "POST"])
def approval_policy(request, slug: str):
    client = get_object_or_404(Client.objects.internal_to(request.user), slug=slug)
    current = policy.policy_for(client)
    can_edit = policy.may_edit(request.user, client)
    values = _values_of(current)
    context = {"client": client, "policy": current, "can_edit": can_edit, "error": None, "error_field": None}
    status = 200
    if request.method == "POST":
        if not can_edit:
            raise PermissionDenied("Only the client's agency admins may change its approval policy.")
        values = {"mode": str(request.POST.get("mode", "parallel")), "stakeholder": "stakeholder" in request.POST}
        for role in policy.SIGNING_ROLES:
            values[f"signs_{role}"] = f"signs_{role}" in request.POST
            values[f"order_{role}"] = str(request.POST.get(f"order_{role}", ""))[:10]
            values[f"quorum_{role}"] = str(request.POST.get(f"quorum_{role}", ""))[:10]
        try:
            changes = _changes_of(values)
            before = current.updated_at
            saved = policy.update_policy(client, actor=request.user, changes=changes, reason="Approval policy page")
        except policy.PolicyRefused as refused:
            context.update(error=str(refused), error_field=refused.field)
            status = 400
        else:
            messages.success(
                request,
                f"The approval policy of {client.name} is saved; approval cycles started from now on follow it."
                if saved.updated_at != before
                else "Nothing changed.",
            )
            return redirect("reviews:approval_policy", slug=client.slug)
    context.update(
        values=values,
        rows=_rows(values, policy.members_per_role(client)),
        shape=policy.describe(policy.variables_for(client)),
        sla_hours=client.sla_hours_for(TaskKind.APPROVAL),
    )
    return render(request, "reviews/approval_policy.html", context, status=status)
