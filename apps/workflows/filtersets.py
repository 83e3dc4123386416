from datetime import timedelta

import django_filters
from django import forms
from django.db.models import Q
from django.utils import timezone
from drf_spectacular.types import OpenApiTypes
from drf_spectacular.utils import extend_schema_field

from apps.accounts.models import Region
from apps.assets.models import Asset
from apps.common import user_cache
from apps.common.filters import MemberClientFilter
from apps.common.roles import RoleCode

from . import flows
from .choices import TaskStatus
from .models import Comment, Task, WorkflowRun

DUE_CHOICES = [("overdue", "Overdue"), ("today", "Due today"), ("week", "Due this week")]


def region_choices() -> list[tuple[str, str]]:
    """Every region by its code, for the region filter: kept for everyone in the shared cache (a region saved or
    deleted makes everyone read them again, ``accounts.signals``)."""
    return user_cache.remember_for_everyone(
        "accounts.regions", lambda: [(region.code, str(region)) for region in Region.objects.order_by("code")]
    )


def process_choices() -> list[tuple[str, str]]:
    """Every flow of the registry (``flows.FLOWS``, filled by the apps' ``ready``), by its label."""
    return [(flow.key, flow.label) for flow in flows.all_flows()]


ASSIGNED_CHOICES = [("me", "Assigned to me"), ("unassigned", "Unassigned")]


class TaskFilterSet(django_filters.FilterSet):
    """One filterset for the review dashboard, its fragments and ``/api/v1/tasks/``."""

    client = MemberClientFilter(empty_label="All my clients")
    region = django_filters.ChoiceFilter(
        choices=region_choices,  # called per form: from the shared cache, not a query per page
        empty_label="Any region",
        method="by_region",
        label="Region",
    )
    role = django_filters.ChoiceFilter(choices=RoleCode.choices, empty_label="Any role", method="by_role", label="Role")
    process = django_filters.ChoiceFilter(
        field_name="run__process_key",
        choices=process_choices,  # called per form: the registry is complete once every app is ready
        empty_label="Any process",
        label="Process",
        help_text="A flow's key: asset_approval, rights_renewal, compliance_review, ... (docs/flows.md).",
    )
    stage = django_filters.CharFilter(
        field_name="task_key",
        label="Stage",
        max_length=100,
        help_text="A task's definition key in its BPMN (legalReview, stakeholder_review, ...); the agency overview's "
        "figures link to it.",
    )
    due = django_filters.ChoiceFilter(choices=DUE_CHOICES, empty_label="Any due date", method="by_due", label="Due")
    q = django_filters.CharFilter(
        method="search",
        label="Search",
        widget=forms.TextInput(attrs={"type": "search", "placeholder": "asset or task"}),
    )

    class Meta:
        model = Task
        fields = ["client", "region", "role", "process", "stage", "due", "q"]

    @extend_schema_field(OpenApiTypes.STR)  # a region code
    def by_region(self, queryset, name, value):
        """Tasks whose work is for the region (among others, or alone); not the tasks for no region."""
        return queryset.filter(regions_key__contains=f",{value},")

    def by_role(self, queryset, name, value):
        return queryset.filter(roles_key__contains=f",{value},")

    def by_due(self, queryset, name, value):
        now = timezone.localtime()
        end_of_today = now.replace(hour=23, minute=59, second=59, microsecond=999999)
        if value == "overdue":
            return queryset.filter(due_at__lt=now)
        if value == "today":
            return queryset.filter(due_at__gte=now, due_at__lte=end_of_today)
        return queryset.filter(due_at__gte=now, due_at__lte=end_of_today + timedelta(days=6))

    def search(self, queryset, name, value):
        return queryset.filter(Q(name__icontains=value) | Q(run__title__icontains=value))


class TaskApiFilterSet(TaskFilterSet):
    """``/api/v1/tasks/``: the dashboard's filters, plus the two choices the dashboard makes itself (it lists open
    tasks only, and its tabs split them into "mine" and "unassigned")."""

    status = django_filters.ChoiceFilter(choices=TaskStatus.choices, empty_label="Any status", label="Status")
    assigned = django_filters.ChoiceFilter(
        choices=ASSIGNED_CHOICES, empty_label="Anyone", method="by_assignee", label="Assigned"
    )

    class Meta(TaskFilterSet.Meta):
        fields = [*TaskFilterSet.Meta.fields, "status", "assigned"]

    def by_assignee(self, queryset, name, value):
        # the same conditions as the dashboard's tabs
        return queryset.filter(assignee=self.request.user) if value == "me" else queryset.filter(assignee__isnull=True)


def _visible(model):
    def queryset(request):
        return model.objects.none() if request is None else model.objects.visible_to(request.user)

    return queryset


class CommentFilterSet(django_filters.FilterSet):
    """``/api/v1/comments/``: the conversation of one run, or of every run about one asset."""

    run = django_filters.ModelChoiceFilter(queryset=_visible(WorkflowRun), label="Run id")
    asset = django_filters.ModelChoiceFilter(queryset=_visible(Asset), method="by_asset", label="Asset id")

    class Meta:
        model = Comment
        fields = ["run", "asset"]

    @extend_schema_field(OpenApiTypes.INT)
    def by_asset(self, queryset, name, value):
        return queryset.filter(run__subject_type="assets.asset", run__subject_id=value.pk)
