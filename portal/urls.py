from django.conf import settings
from django.contrib import admin
from django.contrib.auth.views import redirect_to_login
from django.core.exceptions import PermissionDenied
from django.urls import include, path, reverse
from django.views.generic import RedirectView

from apps.integrations.views.health import healthz
from apps.reviews.views import dashboard

from . import errors


def admin_login(request, extra_context=None):
    """The admin signs in through the portal's login page, so the same attempt limits apply."""
    if request.user.is_authenticated:
        raise PermissionDenied("The admin site is for operators (staff accounts).")
    return redirect_to_login(request.GET.get("next", reverse("admin:index")), login_url=reverse("accounts:login"))


admin.site.login = admin_login
admin.site.site_header = "Greenlight operations"
admin.site.site_title = "Greenlight admin"

urlpatterns = [
    path("", dashboard, name="dashboard"),
    path("accounts/", include("apps.accounts.urls")),
    path("clients/", include("apps.clients.urls")),
    path("audit/", include("apps.audit.urls")),
    path("analytics/", include("apps.analytics.urls")),
    path("", include("apps.integrations.urls")),
    path("", include("apps.assets.urls")),
    path("", include("apps.workflows.urls")),
    path("", include("apps.reviews.urls")),
    path("", include("apps.exceptions.urls")),
    path("", include("apps.sharing.urls")),
    path("", include("apps.creative.urls")),
    path("", include("apps.onboarding.urls")),
    path("", include("apps.campaigns.urls")),
    path("", include("apps.notifications.urls")),
    path("", include("apps.webhooks.urls")),
    path("api/v1/", include("portal.api_urls")),
    path("healthz", healthz, name="healthz"),
    path("admin/", admin.site.urls),
    # Browsers ask for /favicon.ico on pages that name no icon (the emulators' consent page, JSON responses).
    path("favicon.ico", RedirectView.as_view(url=f"{settings.STATIC_URL}img/favicon.svg", permanent=True)),
]
if settings.EMULATORS:
    urlpatterns += [
        path("emulators/smintio/", include("apps.emulators.smintio.urls")),
        path("emulators/opentext/", include("apps.emulators.opentext.urls")),
        path("emulators/receiver/", include("apps.emulators.receiver.urls")),  # an integrator's webhook receiver
    ]

handler400 = errors.bad_request
handler403 = errors.permission_denied
handler404 = errors.page_not_found
handler500 = errors.server_error
