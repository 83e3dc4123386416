"""Error pages: RFC 7807 problem documents under /api/, the portal's own templates elsewhere."""

from __future__ import annotations

from django.http import JsonResponse
from django.views import defaults
from django_guid import get_guid

from apps.common.api import PROBLEM_CONTENT_TYPE


def _is_api(request) -> bool:
    return request.path.startswith("/api/")


def _problem(request, status: int, code: str, title: str) -> JsonResponse:
    return JsonResponse(
        {
            "type": f"urn:greenlight:problem:{code}",
            "title": title,
            "status": status,
            "detail": title,
            "instance": request.path,
            "request_id": get_guid() or "",
        },
        status=status,
        content_type=PROBLEM_CONTENT_TYPE,
    )


def bad_request(request, exception):
    if _is_api(request):
        return _problem(request, 400, "bad-request", "Bad request.")
    return defaults.bad_request(request, exception)


def permission_denied(request, exception):
    if _is_api(request):
        return _problem(request, 403, "permission-denied", "Not allowed.")
    return defaults.permission_denied(request, exception)


def page_not_found(request, exception):
    if _is_api(request):
        return _problem(request, 404, "not-found", "Not found.")
    return defaults.page_not_found(request, exception)


def server_error(request):
    if _is_api(request):
        return _problem(request, 500, "server-error", "Something went wrong on our side; it has been logged.")
    return defaults.server_error(request)
