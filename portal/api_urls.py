"""The REST API, version 1. Each app contributes its routes; the schema and its docs are served locally."""

from django.urls import include, path
from drf_spectacular.views import SpectacularAPIView, SpectacularSwaggerSplitView
from rest_framework.permissions import AllowAny

app_name = "api"


class SchemaView(SpectacularAPIView):
    """The OpenAPI document is public: it is committed to the repository (docs/api/openapi.json) anyway."""

    permission_classes = [AllowAny]


class DocsView(SpectacularSwaggerSplitView):
    permission_classes = [AllowAny]


urlpatterns = [
    path("", include("apps.accounts.api.urls")),
    path("", include("apps.clients.api.urls")),
    path("", include("apps.audit.api.urls")),
    path("", include("apps.integrations.api.urls")),
    path("", include("apps.assets.api.urls")),
    path("", include("apps.workflows.api.urls")),
    path("", include("apps.reviews.api.urls")),
    path("", include("apps.exceptions.api.urls")),
    path("", include("apps.sharing.api.urls")),
    path("", include("apps.creative.api.urls")),
    path("", include("apps.onboarding.api.urls")),
    path("", include("apps.campaigns.api.urls")),
    path("", include("apps.notifications.api.urls")),
    path("", include("apps.analytics.api.urls")),
    path("", include("apps.webhooks.api.urls")),
    path("schema/", SchemaView.as_view(api_version="v1"), name="schema"),
    path("docs/", DocsView.as_view(url_name="api:schema"), name="docs"),
]
