"""The analytics filter: one plain form read by the page, its CSV downloads and the API (the figures are
aggregates, not a queryset of rows, so a django-filter FilterSet would have nothing to filter)."""

from __future__ import annotations

from datetime import timedelta

from django import forms
from django.core.exceptions import PermissionDenied
from django.http import Http404
from django.utils import timezone

from apps.accounts.models import Region
from apps.common.active_client import get_active_client
from apps.common.forms import DateInput
from apps.common.roles import SIGNING_ROLES, Capability, RoleCode
from apps.workflows import flows

from .figures import Scope, days_scope, stage_choices

DEFAULT_DAYS = 90
MAX_DAYS = 731  # two years: longer periods are a report, not a page


def analytics_clients(user) -> list:
    """The clients whose analytics ``user`` may read, from the membership list (no query): where a role grants
    ``view_analytics`` (agency admin, content manager), or any client an operator (staff) is an internal member
    of. Never a client they are external in or not a member of."""
    if not getattr(user, "is_authenticated", False) or not user.is_active:
        return []
    token_client = getattr(user, "token_client_id", None)
    return [
        m.client
        for m in user.membership_list
        if (token_client is None or m.client_id == token_client)
        and RoleCode.EXTERNAL not in m.role_codes
        and (user.is_staff or user.has_capability(m.client, Capability.VIEW_ANALYTICS))
    ]


class AnalyticsFilterForm(forms.Form):
    """Which client, period (dates, both ends included), flow, stage, role and region the figures are about."""

    client = forms.ChoiceField(label="Client", required=False)
    since = forms.DateField(label="From", required=False, widget=DateInput())
    until = forms.DateField(label="To", required=False, widget=DateInput())
    flow = forms.ChoiceField(label="Flow", required=False)
    stage = forms.ChoiceField(label="Stage", required=False)
    role = forms.ChoiceField(label="Role", required=False)
    region = forms.ChoiceField(label="Region", required=False)

    def __init__(self, data, *, clients: list, **kwargs):
        super().__init__(data, **kwargs)
        self.clients = clients
        self.fields["client"].choices = [(c.slug, c.name) for c in clients]
        self.fields["flow"].choices = [("", "All flows"), *((f.key, f.label) for f in flows.all_flows())]
        self.fields["stage"].choices = [("", "All stages"), *stage_choices()]
        self.fields["role"].choices = [
            ("", "All roles"),
            *sorted(((c, label) for c, label in RoleCode.choices if c in SIGNING_ROLES), key=lambda x: x[1]),
        ]
        self.fields["region"].choices = [("", "All regions"), *Region.objects.values_list("code", "name")]

    def clean(self):
        data = super().clean()
        since, until = data.get("since"), data.get("until")
        if since and until and since > until:
            raise forms.ValidationError("The period ends before it starts.")
        if since and until and (until - since).days > MAX_DAYS:
            raise forms.ValidationError(f"Choose a period of at most {MAX_DAYS} days.")
        return data


def scope_from(request, data) -> tuple[AnalyticsFilterForm, Scope | None]:
    """The form for ``data`` (a QueryDict) and the scope it names (``None`` when the form is invalid).

    No client the person may read analytics of: ``PermissionDenied``; a client named that is not one of them:
    404 (as for any row of another tenant). Defaults: the active client (else the first), the last 90 days."""
    clients = analytics_clients(request.user)
    if not clients:
        raise PermissionDenied("Analytics are for agency admins, content managers and operators of a client.")
    data = data.copy()
    slug = data.get("client")
    if slug:
        if not any(c.slug == slug for c in clients):
            raise Http404("No such client among yours.")
    else:
        active = get_active_client(request)
        chosen = active if active is not None and any(c.pk == active.pk for c in clients) else clients[0]
        data["client"] = chosen.slug
    today = timezone.localdate()
    data.setdefault("until", today.isoformat())
    data.setdefault("since", (today - timedelta(days=DEFAULT_DAYS - 1)).isoformat())
    form = AnalyticsFilterForm(data, clients=clients)
    if not form.is_valid():
        return form, None
    values = form.cleaned_data
    client = next(c for c in clients if c.slug == values["client"])
    until = values["until"] or today
    since = values["since"] or until - timedelta(days=DEFAULT_DAYS - 1)
    scope = days_scope(
        client.pk,
        since,
        until,
        flow=values["flow"],
        stage=values["stage"],
        role=values["role"],
        region=values["region"],
    )
    form.client = client
    return form, scope
