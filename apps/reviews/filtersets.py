import django_filters
from drf_spectacular.types import OpenApiTypes
from drf_spectacular.utils import extend_schema_field

from apps.assets.models import Asset
from apps.common.filters import MemberClientFilter
from apps.workflows.choices import RunStatus
from apps.workflows.models import WorkflowRun


def _visible(model):
    def queryset(request):
        return model.objects.none() if request is None else model.objects.visible_to(request.user)

    return queryset


class ReviewCycleFilterSet(django_filters.FilterSet):
    """``/api/v1/review-cycles/``: by client, status and asset."""

    client = MemberClientFilter()
    status = django_filters.ChoiceFilter(choices=RunStatus.choices)
    asset = django_filters.ModelChoiceFilter(queryset=_visible(Asset), method="by_asset", label="Asset id")

    class Meta:
        model = WorkflowRun
        fields = ["client", "status", "asset"]

    @extend_schema_field(OpenApiTypes.INT)
    def by_asset(self, queryset, name, value):
        return queryset.filter(subject_type="assets.asset", subject_id=value.pk)
