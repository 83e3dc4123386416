"""Service errors, each carrying the HTTP status and the Flowable-style body the workflow service answers."""

from __future__ import annotations

from django.http import JsonResponse

from . import contract


class OtError(Exception):
    """A request the workflow service refuses; ``exception`` is the human-readable detail clients show."""

    status = 400
    message: str | None = None

    def __init__(self, exception: str = "", *, message: str | None = None) -> None:
        super().__init__(exception)
        self.exception = exception
        if message is not None:
            self.message = message

    def response(self) -> JsonResponse:
        return JsonResponse(contract.service_error(self.status, self.exception, self.message), status=self.status)


class BadRequest(OtError):
    status = 400


class Forbidden(OtError):
    status = 403


class NotFound(OtError):
    status = 404


class MethodNotAllowed(OtError):
    status = 405


class Conflict(OtError):
    status = 409


class UnsupportedContent(OtError):
    status = 415


class EngineFailure(OtError):
    status = 500
