from datetime import timedelta

import django_filters
from django import forms
from django.db.models import Q
from django.utils import timezone

from apps.accounts.models import normalize_email
from apps.common.filters import MemberClientFilter
from apps.workflows.choices import TaskStatus
from apps.workflows.models import Task

from .choices import CaseKind, CaseState, Trigger
from .models import Case

DUE_CHOICES = [("overdue", "Overdue"), ("week", "Due within a week"), ("month", "Due within a month")]


class CaseFilterSet(django_filters.FilterSet):
    """The case list's filters (and later ``/api/v1/cases/``)."""

    client = MemberClientFilter(empty_label="All my clients")
    kind = django_filters.ChoiceFilter(choices=CaseKind.choices, empty_label="Any kind")
    state = django_filters.ChoiceFilter(choices=CaseState.choices, empty_label="Open and closed")
    trigger = django_filters.ChoiceFilter(choices=Trigger.choices, empty_label="Any cause", label="Cause")
    due = django_filters.ChoiceFilter(choices=DUE_CHOICES, method="by_due", empty_label="Any time", label="Due")
    owner = django_filters.CharFilter(
        method="by_owner",
        label="Owner",
        help_text="Who holds the case's open task: an e-mail address, or `me`.",
        widget=forms.TextInput(attrs={"placeholder": "me or e-mail", "autocomplete": "off"}),
    )
    q = django_filters.CharFilter(
        method="search", label="Search", widget=forms.TextInput(attrs={"type": "search", "placeholder": "asset"})
    )

    class Meta:
        model = Case
        fields = ["client", "kind", "state", "trigger", "due", "owner", "q"]

    def by_due(self, queryset, name, value):
        now = timezone.now()
        if value == "overdue":
            return queryset.filter(due_at__lt=now)
        days = 7 if value == "week" else 31
        return queryset.filter(due_at__gte=now, due_at__lt=now + timedelta(days=days))

    def by_owner(self, queryset, name, value):
        """Cases whose open task is held by the person named (``me``: the caller). A case's tasks are those of the
        runs whose subject is the case; the subquery stays inside the cases already visible."""
        value = value.strip()
        if value.lower() == "me":
            user = getattr(self.request, "user", None)
            if user is None or not user.is_authenticated:
                return queryset.none()
            holder = Q(assignee=user)
        else:
            holder = Q(assignee__email=normalize_email(value))
        held = Task.objects.filter(holder, run__subject_type="exceptions.case", status=TaskStatus.OPEN)
        return queryset.filter(pk__in=held.values("run__subject_id"))

    def search(self, queryset, name, value):
        return queryset.filter(Q(title__icontains=value) | Q(asset__content_element_uuid=value))
