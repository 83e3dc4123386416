from django.http import HttpResponse
from django.urls import include, path
from rest_framework.response import Response
from rest_framework.views import APIView


def bare(request):
    """The baseline: the whole middleware stack, no database, no template."""
    return HttpResponse("ok", content_type="text/plain")


class ApiFloor(APIView):
    """What any API answer costs before it reads a row: the middleware stack, then DRF with the project's own
    authentication (a cached token lookup), permissions (scope), throttle and renderer; it answers 304, as a
    poller's unchanged page does. No API view can answer for less (bench/api.py, issue 17)."""

    def get(self, request):
        return Response(status=304)


urlpatterns = [
    path("bench/bare/", bare),
    path("bench/api-floor/", ApiFloor.as_view()),
    path("", include("portal.urls")),
]
handler404 = "portal.errors.page_not_found"
handler500 = "portal.errors.server_error"
