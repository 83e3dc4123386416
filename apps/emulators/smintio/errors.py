"""The two error shapes of the emulator: Smint.io API errors and RFC 6749 OAuth errors."""

from __future__ import annotations

from http import HTTPStatus

from django.http import JsonResponse

from .contract import ERR_RATE_LIMITED


class ApiError(Exception):
    """An answer ``{error, message}`` with ``status`` (contract.py lists the codes)."""

    def __init__(self, status: int, error: str, message: str, headers: dict[str, str] | None = None):
        super().__init__(message)
        self.status = status
        self.error = error
        self.message = message
        self.headers = headers or {}

    def response(self) -> JsonResponse:
        response = JsonResponse({"error": self.error, "message": self.message}, status=self.status)
        for name, value in self.headers.items():
            response[name] = value
        return response


class OAuthError(Exception):
    """An RFC 6749 section 5.2 answer ``{error, error_description}`` of the token and revocation endpoints."""

    def __init__(self, error: str, description: str, status: int = 400):
        super().__init__(description)
        self.error = error
        self.description = description
        self.status = status

    def response(self) -> JsonResponse:
        response = JsonResponse({"error": self.error, "error_description": self.description}, status=self.status)
        response["Cache-Control"] = "no-store"
        if self.status == 401:
            response["WWW-Authenticate"] = 'Basic realm="smintio"'
        return response


def _snake(status: int) -> str:
    try:
        phrase = HTTPStatus(status).phrase
    except ValueError:
        return "error"
    return phrase.lower().replace(" ", "_").replace("-", "_").replace("'", "")


def api_error_body(status: int) -> dict:
    """The body of an injected fault on an API route, in the platform's ``{error, message}`` shape."""
    error = ERR_RATE_LIMITED if status == 429 else _snake(status)
    return {"error": error, "message": f"Injected fault: HTTP {status}."}


def oauth_error_body(status: int) -> dict:
    """The body of an injected fault on the token endpoints, in RFC 6749's shape."""
    error = {400: "invalid_request", 401: "invalid_client", 429: "temporarily_unavailable"}.get(status)
    if error is None:
        error = "temporarily_unavailable" if status == 503 else "server_error"
    return {"error": error, "error_description": f"Injected fault: HTTP {status}."}
