import re
from datetime import datetime, time

import django_filters
from django import forms
from django.db.models import Q
from django.utils import timezone

from apps.common.filters import MemberClientFilter, MomentFilter
from apps.common.forms import DateInput

from .choices import ApprovalState, RightsState, UsageKind
from .models import Asset, UsageEvent
from .querysets import available_condition

ELEMENT_ID = re.compile(r"(?=.*\d)[\w:.-]+")  # no spaces, at least one digit


def _visible_assets(request):
    return Asset.objects.none() if request is None else Asset.objects.visible_to(request.user)


class AssetFilterSet(django_filters.FilterSet):
    """One filterset for the asset library and ``/api/v1/assets/``."""

    client = MemberClientFilter(empty_label="All my clients")
    status = django_filters.ChoiceFilter(
        field_name="approval_state", choices=ApprovalState.choices, empty_label="Any approval state"
    )
    rights = django_filters.ChoiceFilter(
        field_name="rights_state", choices=RightsState.choices, empty_label="Any rights"
    )
    provider = django_filters.CharFilter(field_name="provider", label="Provider")
    available = django_filters.BooleanFilter(
        method="by_available",
        label="Available to creatives",
        widget=forms.Select(choices=[("", "Any"), ("true", "Available"), ("false", "Not available")]),
    )
    expiring_before = django_filters.DateFilter(
        method="by_expiry",
        label="Rights end before",
        help_text="Assets whose rights in force end before this day.",
        widget=DateInput(),
    )
    q = django_filters.CharFilter(
        method="search", label="Search", widget=forms.TextInput(attrs={"type": "search", "placeholder": "name"})
    )

    class Meta:
        model = Asset
        fields = ["client", "status", "rights", "provider", "available", "expiring_before", "q"]

    def by_available(self, queryset, name, value):
        available = available_condition()
        return queryset.filter(available) if value else queryset.exclude(available)

    def by_expiry(self, queryset, name, value):
        # Rights in force that end before the start of that day (in the viewer's time zone): ``rights_until``, the
        # latest end of a term in force, kept by the sync; lapsed rights are ``rights=expired``.
        start = timezone.make_aware(datetime.combine(value, time.min))
        return queryset.filter(rights_state=RightsState.VALID, rights_until__lt=start)

    def search(self, queryset, name, value):
        # A name (trigram index per client) or, when it could be one, a Smint.io element id such as ``2:0:61019726``;
        # a plain word never probes the id index, which costs a whole index scan at a million assets.
        condition = Q(name__icontains=value)
        if ELEMENT_ID.fullmatch(value):
            condition |= Q(content_element_uuid=value)
        return queryset.filter(condition)


class UsageEventFilterSet(django_filters.FilterSet):
    """``/api/v1/usage-events/``: download history per asset (``asset``) and per person (``user_email``)."""

    client = MemberClientFilter()
    asset = django_filters.ModelChoiceFilter(queryset=_visible_assets, label="Asset id")
    user_email = django_filters.CharFilter(field_name="user_email", lookup_expr="iexact", label="User e-mail")
    event = django_filters.ChoiceFilter(choices=UsageKind.choices)
    occurred_after = MomentFilter(
        field_name="occurred_at",
        lookup_expr="gte",
        label="Occurred at or after",
        widget=forms.DateTimeInput(attrs={"type": "datetime-local"}),
    )
    occurred_before = MomentFilter(
        field_name="occurred_at",
        lookup_expr="lt",
        label="Occurred before",
        widget=forms.DateTimeInput(attrs={"type": "datetime-local"}),
    )

    class Meta:
        model = UsageEvent
        fields = ["client", "asset", "user_email", "event", "occurred_after", "occurred_before"]
