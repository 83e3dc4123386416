"""``_emulator/*`` control routes: seed tenants, users and clients, steer time and faults, act "inside OpenText".

JSON in and out, no authentication, CSRF-exempt and never faulted (they drive tests, they are not the platform).
Errors are ``{"error": "..."}`` with 400, 403, 404, 405 or 409. What they render shows everything (real end times,
outcomes), whatever the tenant's switches and history delay hide from the API.
"""

from __future__ import annotations

import functools
from collections.abc import Callable

from django.http import HttpRequest, HttpResponse, JsonResponse
from django.views.decorators.csrf import csrf_exempt

from apps.emulators.core.faults import clear, control_fault, read_json

from . import auth, contract, payloads, provisioning, services
from .errors import OtError
from .models import OtTenant


class _ControlError(Exception):
    def __init__(self, status: int, message: str) -> None:
        super().__init__(message)
        self.status = status


def control(*methods: str) -> Callable:
    """CSRF-exempt, method-checked, JSON-bodied control view; domain errors become ``{"error"}`` answers."""

    def decorator(view: Callable) -> Callable:
        @csrf_exempt
        @functools.wraps(view)
        def wrapper(request: HttpRequest, *args, **kwargs) -> HttpResponse:
            if request.method not in methods:
                return JsonResponse({"error": f"use {' or '.join(methods)}"}, status=405)
            body = read_json(request) if request.body else {}
            if not isinstance(body, dict):
                return JsonResponse({"error": "the body must be a JSON object"}, status=400)
            try:
                return view(request, body, *args, **kwargs)
            except _ControlError as exc:
                return JsonResponse({"error": str(exc)}, status=exc.status)
            except OtError as exc:
                return JsonResponse({"error": exc.exception or exc.message}, status=exc.status)
            except (ValueError, KeyError, TypeError) as exc:
                return JsonResponse({"error": str(exc)}, status=400)

        return wrapper

    return decorator


def _tenant(tenant_id: str) -> OtTenant:
    tenant = OtTenant.objects.filter(tenant_id=tenant_id).first()
    if tenant is None:
        raise _ControlError(404, f"unknown tenant {tenant_id!r}")
    return tenant


def _tenant_state(tenant: OtTenant) -> dict:
    return {
        "tenant_id": tenant.tenant_id,
        "name": tenant.name,
        "token_lifetime_seconds": tenant.token_lifetime_seconds,
        "history_delay_seconds": tenant.history_delay_seconds,
        **provisioning.switches(tenant),
        "client_ids": sorted(tenant.clients.values_list("client_id", flat=True)),
        "users": [_user_state(u) for u in tenant.users.all()],
    }


def _user_state(user) -> dict:
    return {"email": user.email, "groups": user.groups, "has_password": bool(user.password_hash)}


@control("POST")
def reset(request: HttpRequest, body: dict) -> HttpResponse:
    """``{tenant?}``: forget one tenant, or everything (tenants, faults and the request log)."""
    tenant_id = body.get("tenant") or body.get("tenant_id")
    removed = provisioning.reset(tenant_id)
    if not tenant_id:
        clear(contract.EMULATOR)
    return JsonResponse({"reset": tenant_id or "all", "tenants_removed": removed})


def _number(body: dict, name: str, kind: type) -> int | float | None:
    value = body.get(name)
    if value is None:
        return None
    if isinstance(value, bool) or not isinstance(value, int | float | str):
        raise ValueError(f"{name} must be a number")
    return kind(value)


def _switches(body: dict) -> dict[str, bool]:
    """The switches the body sets (``contract.SWITCHES``); each must be a JSON boolean."""
    given = {name: body[name] for name in contract.SWITCHES if body.get(name) is not None}
    for name, value in given.items():
        if not isinstance(value, bool):
            raise ValueError(f"{name} must be true or false")
    return given


@control("POST")
def tenants(request: HttpRequest, body: dict) -> HttpResponse:
    """``{tenant_id, name?, client_id?, client_secret?, users?, token_lifetime_seconds?, history_delay_seconds?,
    <switch>?...}``: create or update a tenant (idempotent).

    ``history_delay_seconds`` defaults to the ``EMULATOR_OPENTEXT_HISTORY_DELAY_SECONDS`` setting; switches not
    named keep their value (all off for a new tenant).
    """
    switches = _switches(body)
    tenant = provisioning.setup_tenant(
        str(body["tenant_id"]),
        name=str(body.get("name") or ""),
        client_id=str(body.get("client_id") or ""),
        client_secret=str(body.get("client_secret") or ""),
        users=body.get("users") or (),
        token_lifetime_seconds=_number(body, "token_lifetime_seconds", int) or contract.DEFAULT_TOKEN_LIFETIME_SECONDS,
        history_delay_seconds=_number(body, "history_delay_seconds", float),
    )
    if switches:
        tenant = provisioning.configure_tenant(tenant.tenant_id, **switches)
    return JsonResponse(_tenant_state(tenant))


@control("GET")
def tenant(request: HttpRequest, body: dict, tenant_id: str) -> HttpResponse:
    return JsonResponse(_tenant_state(_tenant(tenant_id)))


@control("POST")
def clients(request: HttpRequest, body: dict, tenant_id: str) -> HttpResponse:
    """``{client_id, client_secret}``: add a service client (or change its secret)."""
    _tenant(tenant_id)
    client = provisioning.ensure_service_client(tenant_id, str(body["client_id"]), str(body["client_secret"]))
    return JsonResponse({"tenant_id": tenant_id, "client_id": client.client_id})


@control("GET", "POST")
def users(request: HttpRequest, body: dict, tenant_id: str) -> HttpResponse:
    """``GET`` lists users; ``POST {email, groups, password?}`` or ``{users: [...]}`` upserts them."""
    tenant = _tenant(tenant_id)
    if request.method == "POST":
        for item in body.get("users") or [body]:
            provisioning.ensure_user(
                tenant_id, str(item["email"]), groups=item.get("groups") or (), password=item.get("password")
            )
    return JsonResponse({"users": [_user_state(u) for u in tenant.users.all()]})


@control("POST")
def expire_tokens(request: HttpRequest, body: dict, tenant_id: str) -> HttpResponse:
    return JsonResponse({"expired": auth.expire_tokens(_tenant(tenant_id))})


@control("POST")
def tenant_settings(request: HttpRequest, body: dict, tenant_id: str) -> HttpResponse:
    """``{token_lifetime_seconds?, history_delay_seconds?, <switch>?...}``: change what the body names.

    The lifetime applies to tokens issued from now on; the switches are ``contract.SWITCHES`` (JSON booleans).
    """
    _tenant(tenant_id)
    tenant = provisioning.configure_tenant(
        tenant_id,
        token_lifetime_seconds=_number(body, "token_lifetime_seconds", int),
        history_delay_seconds=_number(body, "history_delay_seconds", float),
        **_switches(body),
    )
    return JsonResponse(_tenant_state(tenant))


@control("POST", "DELETE")
def faults(request: HttpRequest, body: dict) -> HttpResponse:
    """``POST {kind, status_code?, retry_after?, delay_seconds?, count?, path_contains?}``; ``DELETE`` clears."""
    if request.method == "DELETE":
        clear(contract.EMULATOR)
        return JsonResponse({"cleared": True})
    fault = control_fault(contract.EMULATOR, body)
    return JsonResponse({"id": fault.pk, "kind": fault.kind, "remaining": fault.remaining}, status=201)


@control("POST")
def task_claim(request: HttpRequest, body: dict, task_id: str) -> HttpResponse:
    """``{user, force?}``: the user claims the task in OpenText (``user: null`` unclaims)."""
    item = services.claim_task(None, task_id, body.get("user"), force=bool(body.get("force")))
    return JsonResponse(payloads.task(item, include_assignments=True, full=True))


@control("POST")
def task_complete(request: HttpRequest, body: dict, task_id: str) -> HttpResponse:
    """``{user, outcome?, variables?, force?}``: the user completes the task in OpenText; the engine advances.

    The user needs a right to the task (assignee or candidate, else 403) and, with the tenant's
    ``complete_requires_assignee`` switch, must hold it when someone does (else 409); ``force`` skips both.
    """
    user = str(body.get("user") or "")
    if not user:
        raise _ControlError(400, "user is required")
    item = services.complete_task(
        None,
        task_id,
        outcome=body.get("outcome") or None,
        variables=payloads.read_variables(body.get("variables")),
        user=user,
        force=bool(body.get("force")),
    )
    return JsonResponse(payloads.historic_task(item, full=True))


@control("POST")
def comment(request: HttpRequest, body: dict) -> HttpResponse:
    """``{user, message, task? | instance?}``: the user comments in OpenText, on an open task or on an instance
    (a finished or unknown task is a 404, as at the API)."""
    user = str(body.get("user") or "")
    if not user:
        raise _ControlError(400, "user is required")
    item = provisioning.comment_as_user(
        email=user,
        message=body.get("message"),
        task_id=str(body.get("task") or ""),
        instance_id=str(body.get("instance") or ""),
    )
    return JsonResponse(payloads.comment(item), status=201)


@control("GET")
def instance_state(request: HttpRequest, body: dict, instance_id: str) -> HttpResponse:
    """Everything about an instance, running or ended, history delay or not: its runtime and historic JSON, its
    variables as a dict and its open and closed task rows (with outcomes)."""
    instance = services.get_instance(None, instance_id)
    rows = instance.tasks.select_related("tenant", "process_instance").prefetch_related("candidates")
    return JsonResponse(
        {
            "instance": payloads.process_instance(instance, include_variables=True),
            "history": payloads.historic_process_instance(instance, include_variables=True),
            "variables": instance.variables,
            "openTasks": [payloads.task(t, include_assignments=True, full=True) for t in rows if t.is_open],
            "closedTasks": [payloads.historic_task(t, full=True) for t in rows if not t.is_open],
        }
    )


@control("POST")
def instance_cancel(request: HttpRequest, body: dict, instance_id: str) -> HttpResponse:
    """``{reason?}``: an administrator deletes the running instance; it and its open tasks get the reason (default
    ``process instance deleted``, Flowable's); the variables stay as they were. Renders the instance as it is."""
    instance = services.cancel_process_instance(instance_id, reason=str(body.get("reason") or ""))
    return JsonResponse(payloads.process_instance(instance, include_variables=True))
