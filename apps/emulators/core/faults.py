"""Fault injection and call logging shared by both emulators."""

from __future__ import annotations

import contextlib
import functools
import json
import threading
import time

from django.db import transaction
from django.db.models import F
from django.http import HttpResponse, JsonResponse
from django.views.decorators.csrf import csrf_exempt

from .models import Fault, RequestLog

DROP_HEADER = "X-Emulator-Drop"


def drop_response() -> HttpResponse:
    """An answer the standalone server never sends: it closes the socket instead (a dropped connection).

    Mounted inside the portal there is no socket to drop, so the same response reaches the client as a 502, which
    is what a proxy in front of a vanished upstream answers.
    """
    response = HttpResponse(status=502)
    response[DROP_HEADER] = "1"
    return response


# Calls held by a delay fault and not yet answered, in this process: a test waits for them before it looks at what
# they did or ends (a held call answered after the test would write into the next test's rows).
_held_calls = 0
_held_changed = threading.Condition()


def wait_for_held_calls(timeout: float = 15.0) -> bool:
    """Wait until every call a delay fault holds in this process has been answered; False if some still are."""
    with _held_changed:
        return _held_changed.wait_for(lambda: _held_calls == 0, timeout)


@contextlib.contextmanager
def _held(seconds: float):
    """Hold the call ``seconds`` (a delay fault), then let the caller answer it; counted until it has."""
    global _held_calls
    with _held_changed:
        _held_calls += 1
    try:
        time.sleep(seconds)
        yield
    finally:
        with _held_changed:
            _held_calls -= 1
            _held_changed.notify_all()


def take_fault(emulator: str, path: str, method: str = "") -> Fault | None:
    """Consume one matching fault atomically (two concurrent calls never both take the last one)."""
    with transaction.atomic():
        for fault in Fault.objects.filter(emulator=emulator, remaining__gt=0).order_by("id"):
            if fault.path_contains and fault.path_contains not in path:
                continue
            if fault.method and fault.method.upper() != method.upper():
                continue
            if Fault.objects.filter(pk=fault.pk, remaining__gt=0).update(remaining=F("remaining") - 1):
                return fault
    return None


def emulated(emulator: str, *, error_body=None):
    """Decorate an emulator view: CSRF-exempt (it is an API), faults applied first, every answer logged.

    ``error_body(status)`` builds the platform's error JSON for an injected status.
    """

    def decorator(view):
        @csrf_exempt
        @functools.wraps(view)
        def wrapper(request, *args, **kwargs):
            fault = take_fault(emulator, request.path, request.method)
            fault_kind = fault.kind if fault is not None else ""
            if fault_kind == Fault.Kind.DROP:
                _log(emulator, request, 0, fault_kind)
                return drop_response()
            if fault_kind == Fault.Kind.STATUS:
                body = error_body(fault.status_code) if error_body else {"error": "injected"}
                response = JsonResponse(body, status=fault.status_code)
                if fault.retry_after is not None:
                    response["Retry-After"] = str(fault.retry_after)
                _log(emulator, request, response.status_code, fault_kind)
                return response
            with _held(fault.delay_seconds) if fault_kind == Fault.Kind.DELAY else contextlib.nullcontext():
                response = view(request, *args, **kwargs)
                _log(emulator, request, response.status_code, fault_kind)
            return response

        return wrapper

    return decorator


def _log(emulator: str, request, status: int, fault: str) -> None:
    RequestLog.objects.create(
        emulator=emulator,
        method=request.method,
        path=request.path[:500],
        status_code=status,
        idempotency_key=request.headers.get("Idempotency-Key", "")[:255],
        fault=fault,
    )


def read_json(request) -> dict | list | None:
    """The request's JSON body, or None when it is not valid JSON."""
    try:
        return json.loads(request.body or b"null")
    except (ValueError, UnicodeDecodeError):
        return None


def control_fault(emulator: str, data: dict) -> Fault:
    """Create a fault from a control-route body: ``{kind, status_code?, retry_after?, delay_seconds?, count?,
    path_contains?, method?}``."""
    kind = data.get("kind", "status")
    if kind not in Fault.Kind.values:
        raise ValueError(f"kind must be one of {Fault.Kind.values}")
    if kind == Fault.Kind.STATUS and not data.get("status_code"):
        raise ValueError("status_code is required for kind=status")
    return Fault.objects.create(
        emulator=emulator,
        kind=kind,
        status_code=data.get("status_code"),
        retry_after=data.get("retry_after"),
        delay_seconds=float(data.get("delay_seconds") or 0),
        remaining=int(data.get("count") or 1),
        path_contains=data.get("path_contains") or "",
        method=str(data.get("method") or "").upper()[:10],
    )


def clear(emulator: str) -> None:
    Fault.objects.filter(emulator=emulator).delete()
    RequestLog.objects.filter(emulator=emulator).delete()


def empty(status: int = 204) -> HttpResponse:
    return HttpResponse(status=status)
