from django.http import HttpResponse
from django.urls import include, path


def bare(request):
    """The baseline: the whole middleware stack, no database, no template."""
    return HttpResponse("ok", content_type="text/plain")


urlpatterns = [path("bench/bare/", bare), path("", include("portal.urls"))]
handler404 = "portal.errors.page_not_found"
handler500 = "portal.errors.server_error"
