"""REST API plumbing shared by every app: cursor pagination, per-principal throttling, RFC 7807 errors."""

from __future__ import annotations

import orjson
from django.core.exceptions import PermissionDenied
from django.core.exceptions import ValidationError as DjangoValidationError
from django.http import Http404
from django_guid import get_guid
from rest_framework import exceptions, pagination, parsers, renderers, status, throttling
from rest_framework.response import Response
from rest_framework.utils.encoders import JSONEncoder

PROBLEM_CONTENT_TYPE = "application/problem+json"


class CursorPagination(pagination.CursorPagination):
    """Keyset pagination: page 10,000 costs what page 1 costs. Ordering must be unique and indexed."""

    ordering = "-id"
    page_size_query_param = "page_size"
    max_page_size = 500

    def get_ordering(self, request, queryset, view):
        """A viewset names its keyset with ``ordering`` (unique and indexed); otherwise newest id first."""
        ordering = getattr(view, "ordering", None) or self.ordering
        return (ordering,) if isinstance(ordering, str) else tuple(ordering)

    def paginate_queryset(self, queryset, request, view=None):
        """As DRF's, but a cursor or page size that this API never handed out is a 400 naming the parameter, not a
        404 (DRF's "Invalid cursor") nor a 500 (a position that does not fit the ordering column reaches the
        database: ``p=abc`` on an id, a number beyond bigint)."""
        self._check_page_size(request)
        try:
            cursor = self.decode_cursor(request)
        except exceptions.NotFound:
            raise exceptions.ValidationError({self.cursor_query_param: [self.invalid_cursor_message]}) from None
        if cursor is not None and cursor.position is not None:
            name = self.get_ordering(request, queryset, view)[0].lstrip("-")
            try:
                queryset.model._meta.get_field(name).clean(cursor.position, None)
            except DjangoValidationError:
                raise exceptions.ValidationError({self.cursor_query_param: [self.invalid_cursor_message]}) from None
        return super().paginate_queryset(queryset, request, view)

    def _check_page_size(self, request) -> None:
        raw = request.query_params.get(self.page_size_query_param)
        if raw is None:
            return
        if not (raw.isascii() and raw.isdigit() and len(raw) <= 6 and 1 <= int(raw) <= self.max_page_size):
            raise exceptions.ValidationError(
                {self.page_size_query_param: [f"A whole number from 1 to {self.max_page_size}."]}
            )

    def get_schema_operation_parameters(self, view):
        parameters = super().get_schema_operation_parameters(view)
        for parameter in parameters:
            if parameter["name"] == self.page_size_query_param:
                parameter["schema"].update(minimum=1, maximum=self.max_page_size)
        return parameters


class JSONParser(parsers.JSONParser):
    """DRF's, with a body nested deeper than Python's recursion limit (``[`` x 200,000) refused as malformed JSON
    (a 400) instead of escaping as a RecursionError (a 500)."""

    def parse(self, stream, media_type=None, parser_context=None):
        try:
            return super().parse(stream, media_type, parser_context)
        except RecursionError:
            raise exceptions.ParseError("JSON parse error - the document is nested too deeply.") from None


class JSONRenderer(renderers.JSONRenderer):
    """DRF's JSON documents (compact, UTF-8), encoded by orjson. Dates and times, and whatever orjson does not
    know (lazy translations, decimals, ...), go through DRF's own encoder, so values are spelt as before; an
    ``indent`` asked for in ``Accept`` is DRF's."""

    _default = JSONEncoder().default
    _options = orjson.OPT_NON_STR_KEYS | orjson.OPT_PASSTHROUGH_DATETIME

    def render(self, data, accepted_media_type=None, renderer_context=None):
        if data is None:
            return b""
        if self.get_indent(accepted_media_type or "", renderer_context or {}):
            return super().render(data, accepted_media_type, renderer_context)
        return orjson.dumps(data, default=self._default, option=self._options)


class PrincipalRateThrottle(throttling.SimpleRateThrottle):
    """One budget per API token (so two integrations of one user do not starve each other), else per user.

    Counted with two cache counters, this period's and the last one's (a clock minute each for ``/min``), weighted
    by how much of the last period still lies within the sliding one (the "sliding window counter"): O(1) per
    request, where DRF's own keeps every request's time of the last period in one cache entry and rewrites it on
    each request (at 6,000/min, 6,000 floats pickled per request: ~0.3 ms). A refused request is not counted. It
    smooths load; it is not a security control (login attempts are limited atomically elsewhere).
    """

    scope = "principal"
    _wait = None

    def allow_request(self, request, view):
        if self.rate is None:
            return True
        self.key = self.get_cache_key(request, view)
        if self.key is None:
            return True
        now = self.timer()
        window, elapsed = divmod(now, self.duration)
        current, previous = f"{self.key}:{int(window)}", f"{self.key}:{int(window) - 1}"
        self.cache.add(current, 0, 2 * self.duration + 1)
        try:
            count = self.cache.incr(current)
        except ValueError:  # the counter expired between add and incr
            self.cache.set(current, 1, 2 * self.duration + 1)
            count = 1
        before = self.cache.get(previous, 0)
        share = 1 - elapsed / self.duration  # of the last period, still within the sliding one
        if before * share + count <= self.num_requests:
            return True
        self.cache.decr(current)
        if count > self.num_requests or not before:
            self._wait = self.duration - elapsed
        else:  # until enough of the last period has slid out
            self._wait = (before * share + count - self.num_requests) / before * self.duration
        return False

    def wait(self):
        return self._wait

    def get_cache_key(self, request, view):
        token = getattr(request, "auth", None)
        if token is not None and getattr(token, "pk", None) is not None:
            ident = f"token:{token.pk}"
        elif request.user and request.user.is_authenticated:
            ident = f"user:{request.user.pk}"
        else:
            ident = f"ip:{self.get_ident(request)}"
        return self.cache_format % {"scope": self.scope, "ident": ident}


def problem(status_code: int, *, code: str, title: str, detail: str = "", instance: str = "", **extra) -> Response:
    """An RFC 7807 problem document. ``type`` is a URN naming the problem; docs/api/errors.md lists them."""
    body = {
        "type": f"urn:greenlight:problem:{code.replace('_', '-')}",
        "title": title,
        "status": status_code,
        "detail": detail or title,
        "instance": instance,
        "request_id": get_guid() or "",
        **extra,
    }
    return Response(body, status=status_code, content_type=PROBLEM_CONTENT_TYPE)


def problem_exception_handler(exc, context):
    """Turn DRF and Django exceptions into problem documents, keeping DRF's status codes and headers."""
    # Imported here: rest_framework.views reads DEFAULT_THROTTLE_CLASSES, which names a class of this module.
    from rest_framework.views import exception_handler as drf_exception_handler

    if isinstance(exc, Http404):
        exc = exceptions.NotFound()
    elif isinstance(exc, PermissionDenied):
        exc = exceptions.PermissionDenied()
    response = drf_exception_handler(exc, context)
    if response is None:
        return None  # an unexpected error: Django's 500 handling and logging take over
    request = context.get("request")
    instance = request.path if request is not None else ""
    code = getattr(exc, "default_code", "error")
    if isinstance(exc, exceptions.ValidationError):
        errors = exc.detail if isinstance(exc.detail, dict) else {"non_field_errors": exc.detail}
        result = problem(
            status.HTTP_400_BAD_REQUEST,
            code="validation_error",
            title="The request is not valid.",
            detail="One or more fields are invalid; see errors.",
            instance=instance,
            errors=errors,
        )
    else:
        detail = exc.detail if isinstance(exc.detail, str) else str(exc.detail)
        result = problem(
            response.status_code,
            code=code,
            title=_TITLES.get(response.status_code, "Request failed."),
            detail=detail,
            instance=instance,
        )
    for header, value in response.items():
        if header.lower() in {"www-authenticate", "retry-after", "allow"}:
            result[header] = value
    return result


_TITLES = {
    400: "Bad request.",
    401: "Authentication required.",
    403: "Not allowed.",
    404: "Not found.",
    405: "Method not allowed.",
    406: "Not acceptable.",
    409: "Conflict.",
    415: "Unsupported media type.",
    429: "Too many requests.",
}
