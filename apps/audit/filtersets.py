import django_filters
from django import forms
from django.db.models import Q

from apps.common.filters import MemberClientFilter, MomentFilter

from .labels import action_choices
from .models import AuditEvent


class AuditEventFilterSet(django_filters.FilterSet):
    """One filterset for the audit page, its CSV export and the API."""

    client = MemberClientFilter(empty_label="All my clients")
    action = django_filters.CharFilter(
        field_name="action",
        lookup_expr="startswith",
        label="Action",
        help_text="e.g. clients. or accounts.apitoken",
        # The page offers the actions by name, grouped by app (a whole app is its key prefix); the API and the
        # export still take any prefix.
        widget=forms.Select(choices=action_choices()),
    )
    actor = django_filters.CharFilter(field_name="actor_label", lookup_expr="icontains", label="Actor e-mail")
    object_type = django_filters.CharFilter(field_name="object_type", label="Object type")
    object_id = django_filters.CharFilter(field_name="object_id", label="Object id")
    since = MomentFilter(
        field_name="created_at",
        lookup_expr="gte",
        label="From",
        widget=forms.DateTimeInput(attrs={"type": "datetime-local"}),
    )
    until = MomentFilter(
        field_name="created_at",
        lookup_expr="lt",
        label="Until",
        widget=forms.DateTimeInput(attrs={"type": "datetime-local"}),
    )
    q = django_filters.CharFilter(
        method="search",
        label="Search",
        widget=forms.TextInput(attrs={"type": "search", "placeholder": "object, reason, person"}),
    )

    class Meta:
        model = AuditEvent
        fields = ["client", "action", "actor", "object_type", "object_id", "since", "until", "q"]

    def search(self, queryset, name, value):
        return queryset.filter(
            Q(object_repr__icontains=value) | Q(reason__icontains=value) | Q(actor_label__icontains=value)
        )
