from datetime import timedelta

from django.utils import timezone
from drf_spectacular.types import OpenApiTypes
from drf_spectacular.utils import OpenApiParameter, OpenApiResponse, extend_schema
from rest_framework.exceptions import ValidationError
from rest_framework.response import Response
from rest_framework.views import APIView

from .. import figures
from ..forms import scope_from
from .serializers import AnalyticsSerializer

_PARAMETERS = [
    OpenApiParameter("client", str, description="Client slug; default: the first client whose analytics you read."),
    OpenApiParameter("since", OpenApiTypes.DATE, description="First day of the period; default: 90 days ago."),
    OpenApiParameter("until", OpenApiTypes.DATE, description="Last day of the period (included); default: today."),
    OpenApiParameter("flow", str, description="Process key, e.g. asset_approval."),
    OpenApiParameter("stage", str, description="Task definition key."),
    OpenApiParameter("role", str, description="Candidate role code."),
    OpenApiParameter("region", str, description="Region code."),
]


class AnalyticsView(APIView):
    """Where one client's reviews wait: the figures of the analytics page, with its filters."""

    @extend_schema(
        parameters=_PARAMETERS,
        responses={
            200: AnalyticsSerializer,
            400: OpenApiResponse(
                description="A filter that cannot be read (a malformed date, a period backwards or longer than two "
                "years, an unknown flow, stage, role or region); `errors` names it."
            ),
            404: OpenApiResponse(description="No client of that slug among those whose analytics you read."),
        },
        operation_id="analytics_retrieve",
    )
    def get(self, request):
        form, scope = scope_from(request, request.query_params)
        if scope is None:
            raise ValidationError(form.errors)
        data = figures.all_figures(scope)
        zone = timezone.get_current_timezone()
        data.update(
            client=form.client.slug,
            since=scope.since.astimezone(zone).date(),
            until=(scope.until.astimezone(zone) - timedelta(days=1)).date(),
        )
        return Response(AnalyticsSerializer(data).data)
