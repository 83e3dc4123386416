"""Control routes (``{root}/_emulator/...``): how tests and the demo set up and inspect the emulator.

A test double's back door, not part of Smint.io: JSON in and out, CSRF-exempt, no authentication, never faulted
and never written to the request log (so call counts in tests are the client's calls only).
"""

from __future__ import annotations

import functools
from collections import Counter
from collections.abc import Callable

from django.http import HttpRequest, JsonResponse
from django.views.decorators.csrf import csrf_exempt

from apps.emulators.core.faults import control_fault, read_json
from apps.emulators.core.models import Fault, RequestLog

from . import contract, demo, oauth, payloads, services
from .errors import ApiError
from .models import ContentElement, LicensePurchaseTransaction, OAuthClient, Tenant
from .views import api_base, auth_base


def control(*methods: str) -> Callable:
    """CSRF-exempt, method check, JSON body as ``body`` (``{}`` when empty); ApiError and ValueError -> JSON."""

    def decorator(view: Callable) -> Callable:
        @csrf_exempt
        @functools.wraps(view)
        def wrapper(request: HttpRequest, **kwargs):
            try:
                if request.method not in methods:
                    raise ApiError(
                        405, contract.ERR_METHOD_NOT_ALLOWED, "Method not allowed.", {"Allow": ", ".join(methods)}
                    )
                body = read_json(request) if request.body else {}
                if body is None:
                    raise ApiError(400, contract.ERR_INVALID_JSON, "The body must be JSON.")
                return view(request, body=body, **kwargs)
            except ApiError as exc:
                return exc.response()
            except ValueError as exc:
                return ApiError(400, contract.ERR_INVALID_REQUEST, str(exc)).response()

        return wrapper

    return decorator


def _tenant(slug: str) -> Tenant:
    tenant = Tenant.objects.filter(slug=slug).first()
    if tenant is None:
        raise ApiError(404, contract.ERR_TENANT_NOT_FOUND, f"No tenant {slug!r}.")
    return tenant


def _lpt(tenant: Tenant, lpt_uuid: str) -> LicensePurchaseTransaction:
    lpt = (
        LicensePurchaseTransaction.objects.filter(tenant=tenant, uuid=lpt_uuid)
        .select_related("content_element")
        .first()
    )
    if lpt is None:
        raise ApiError(404, contract.ERR_NOT_FOUND, f"No LPT {lpt_uuid!r}.")
    return lpt


def _element(tenant: Tenant, element_uuid: str) -> ContentElement:
    element = ContentElement.objects.filter(tenant=tenant, uuid=element_uuid).first()
    if element is None:
        raise ApiError(404, contract.ERR_NOT_FOUND, f"No content element {element_uuid!r}.")
    return element


def _dict(body, name: str = "body") -> dict:
    if not isinstance(body, dict):
        raise ApiError(400, contract.ERR_INVALID_REQUEST, f"The {name} must be a JSON object.")
    return body


def _tenant_document(request: HttpRequest, tenant: Tenant, client: OAuthClient | None = None) -> dict:
    client = client or tenant.clients.first()
    return {
        "slug": tenant.slug,
        "name": tenant.name,
        "channel_id": tenant.channel_id,
        "channel": tenant.channel,
        "pusher_key": contract.PUSHER_APP_KEY,
        "client_id": client.client_id if client else None,
        "client_secret": client.client_secret if client else None,
        "redirect_uris": client.redirect_uris if client else [],
        "auth_base": auth_base(request, tenant),
        "api_base": api_base(request, tenant),
        "access_token_lifetime": tenant.access_token_lifetime,
        "download_url_lifetime": tenant.download_url_lifetime,
        "content_elements": tenant.content_elements.count(),
        "lpts": tenant.lpts.count(),
        "log_entries": tenant.change_log.count(),
        "usage_events": tenant.usage_events.count(),
    }


def _lpt_state(lpt: LicensePurchaseTransaction) -> dict:
    return {
        **payloads.lpt_document(lpt),
        "binaries": [{"uuid": b.uuid, "version": b.version, **b.data} for b in lpt.binaries.all()],
    }


# --- Tenants --------------------------------------------------------------------------------------------------


@control("POST")
def reset(request: HttpRequest, body) -> JsonResponse:
    """``{tenant?}``: forget one tenant, or everything (all tenants, faults and the request log)."""
    slug = _dict(body).get("tenant")
    return JsonResponse({"tenants_removed": services.reset(slug)})


@control("POST")
def tenants(request: HttpRequest, body) -> JsonResponse:
    """``{slug, name?, client_id?, client_secret?, client_name?, redirect_uris?}``: create or update (idempotent)."""
    body = _dict(body)
    if not isinstance(body.get("slug"), str):
        raise ApiError(400, contract.ERR_INVALID_REQUEST, "slug is required.")
    tenant, client = services.ensure_tenant(
        body["slug"],
        name=body.get("name") or "",
        client_id=body.get("client_id"),
        client_secret=body.get("client_secret"),
        client_name=body.get("client_name") or "",
        redirect_uris=body.get("redirect_uris"),
    )
    return JsonResponse(_tenant_document(request, tenant, client))


@control("GET")
def tenant_detail(request: HttpRequest, body, tenant: str) -> JsonResponse:
    return JsonResponse(_tenant_document(request, _tenant(tenant)))


@control("POST")
def tenant_settings(request: HttpRequest, body, tenant: str) -> JsonResponse:
    """``{access_token_lifetime?, download_url_lifetime?}`` in seconds."""
    body = _dict(body)
    tenant_obj = services.configure(
        _tenant(tenant),
        access_token_lifetime=body.get("access_token_lifetime"),
        download_url_lifetime=body.get("download_url_lifetime"),
    )
    return JsonResponse(_tenant_document(request, tenant_obj))


@control("POST")
def seed(request: HttpRequest, body, tenant: str) -> JsonResponse:
    """``{seed?, count?, replace?}``: write the demo library (skipped when the tenant has content, unless replace)."""
    body = _dict(body)
    count = body.get("count", demo.DEFAULT_COUNT)
    if not isinstance(count, int) or isinstance(count, bool) or not 1 <= count <= 2000:
        raise ApiError(400, contract.ERR_INVALID_REQUEST, "count must be an integer from 1 to 2000.")
    summary = demo.seed_library(_tenant(tenant), seed=body.get("seed"), count=count, replace=bool(body.get("replace")))
    return JsonResponse(summary.as_dict(), status=201 if summary.created else 200)


@control("POST")
def refresh_token(request: HttpRequest, body, tenant: str) -> JsonResponse:
    """``{client_id?, scope?}``: a refresh token issued directly, as a pre-issued SMINTIO_REFRESH_TOKEN."""
    body = _dict(body)
    tenant_obj = _tenant(tenant)
    clients = tenant_obj.clients.all()
    client = clients.filter(client_id=body["client_id"]).first() if body.get("client_id") else clients.first()
    if client is None:
        raise ApiError(404, contract.ERR_NOT_FOUND, "No such OAuth client.")
    scope = oauth.normalize_scope(body.get("scope") or "")
    if scope is None:
        raise ApiError(400, contract.ERR_INVALID_REQUEST, f"scope must be among {' '.join(contract.SCOPES_SUPPORTED)}.")
    raw = oauth.issue_refresh_token(client, scope=scope)
    return JsonResponse({"refresh_token": raw, "client_id": client.client_id, "scope": scope}, status=201)


@control("POST")
def expire_tokens(request: HttpRequest, body, tenant: str) -> JsonResponse:
    """``{refresh?: bool}``: expire the tenant's access tokens now (and its refresh tokens when asked)."""
    changed = oauth.expire_tokens(_tenant(tenant), include_refresh=bool(_dict(body).get("refresh")))
    return JsonResponse({"expired": changed})


# --- Licence purchase transactions ----------------------------------------------------------------------------


@control("POST")
def lpts(request: HttpRequest, body, tenant: str) -> JsonResponse:
    """An LPT document, or ``{license_purchase_transactions: [...]}``: create (v1) or change (v+1) each."""
    tenant_obj = _tenant(tenant)
    documents = body.get("license_purchase_transactions") if isinstance(body, dict) else None
    if documents is None:
        documents = [_dict(body)]
    if not isinstance(documents, list):
        raise ApiError(400, contract.ERR_INVALID_REQUEST, "license_purchase_transactions must be a list.")
    results = [services.upsert_lpt(tenant_obj, _dict(document, "LPT")) for document in documents]
    created = any(was_created for _, was_created in results)
    return JsonResponse(
        {"license_purchase_transactions": [_lpt_state(lpt) for lpt, _ in results]}, status=201 if created else 200
    )


@control("GET")
def lpt_detail(request: HttpRequest, body, tenant: str, lpt_uuid: str) -> JsonResponse:
    return JsonResponse(_lpt_state(_lpt(_tenant(tenant), lpt_uuid)))


@control("POST")
def lpt_bump(request: HttpRequest, body, tenant: str, lpt_uuid: str) -> JsonResponse:
    """Any LPT fields to change (may be ``{}``): version + 1, appended to the change log."""
    tenant_obj = _tenant(tenant)
    _lpt(tenant_obj, lpt_uuid)
    lpt, _ = services.upsert_lpt(tenant_obj, {**_dict(body), "uuid": lpt_uuid})
    return JsonResponse(_lpt_state(lpt))


@control("POST")
def lpt_cancel(request: HttpRequest, body, tenant: str, lpt_uuid: str) -> JsonResponse:
    return JsonResponse(_lpt_state(services.cancel_lpt(_lpt(_tenant(tenant), lpt_uuid))))


@control("POST")
def lpt_redeliver(request: HttpRequest, body, tenant: str, lpt_uuid: str) -> JsonResponse:
    """Append the same version again (a duplicate delivery)."""
    entry = services.redeliver(_lpt(_tenant(tenant), lpt_uuid))
    return JsonResponse({"sequence": entry.sequence, "version": entry.version})


@control("POST")
def lpt_usage(request: HttpRequest, body, tenant: str, lpt_uuid: str) -> JsonResponse:
    """``{current_downloads?, current_users?, current_reuses?}``: new counters, version + 1."""
    lpt = services.set_usage_counters(_lpt(_tenant(tenant), lpt_uuid), _dict(body))
    return JsonResponse(_lpt_state(lpt))


@control("POST")
def binary_bump(request: HttpRequest, body, tenant: str, lpt_uuid: str, binary_uuid: str) -> JsonResponse:
    """A replaced file: the binary's version + 1 and the LPT's version + 1."""
    lpt = _lpt(_tenant(tenant), lpt_uuid)
    binary = services.bump_binary(lpt, binary_uuid)
    return JsonResponse({"uuid": binary.uuid, "version": binary.version, "lpt_version": lpt.version})


# --- Usage, write-backs, notifications ------------------------------------------------------------------------


@control("POST")
def usage_events(request: HttpRequest, body, tenant: str) -> JsonResponse:
    """``{events: [{content_element_uuid, user_email, event?, license_purchase_transaction_uuid?, user_uuid?,
    occurred_at?, country?, channel?}]}``: appended to the usage feed in order."""
    events = services.add_usage_events(_tenant(tenant), _dict(body).get("events"))
    return JsonResponse({"usage_events": [payloads.usage_event_document(event) for event in events]}, status=201)


@control("GET")
def workflow_history(request: HttpRequest, body, tenant: str, element_uuid: str) -> JsonResponse:
    element = _element(_tenant(tenant), element_uuid)
    records = element.workflow_statuses.select_related("content_element")
    return JsonResponse({"workflow_statuses": [payloads.workflow_history_document(record) for record in records]})


@control("GET")
def metadata_updates(request: HttpRequest, body, tenant: str, element_uuid: str) -> JsonResponse:
    element = _element(_tenant(tenant), element_uuid)
    updates = [
        {
            "version": update.version,
            "changes": update.changes,
            "idempotency_key": update.idempotency_key,
            "at": payloads.iso(update.created_at),
        }
        for update in element.metadata_updates.all()
    ]
    return JsonResponse({"metadata": payloads.metadata_document(element), "updates": updates})


@control("POST")
def notify(request: HttpRequest, body, tenant: str) -> JsonResponse:
    """``{url?, event_id?}``: POST a signed change hint to the portal; 409 without NOTIFY_SECRETS."""
    body = _dict(body)
    result = services.fire_notification(_tenant(tenant), url=body.get("url"), event_id=body.get("event_id"))
    return JsonResponse(result)


# --- Faults and the request log -------------------------------------------------------------------------------


@control("POST")
def faults(request: HttpRequest, body) -> JsonResponse:
    """``{kind: status|delay|drop, status_code?, retry_after?, delay_seconds?, count?, path_contains?}``."""
    fault = control_fault(contract.EMULATOR, _dict(body))
    return JsonResponse(
        {
            "id": fault.pk,
            "kind": fault.kind,
            "status_code": fault.status_code,
            "retry_after": fault.retry_after,
            "delay_seconds": fault.delay_seconds,
            "remaining": fault.remaining,
            "path_contains": fault.path_contains,
        },
        status=201,
    )


@control("POST")
def faults_clear(request: HttpRequest, body) -> JsonResponse:
    deleted, _ = Fault.objects.filter(emulator=contract.EMULATOR).delete()
    return JsonResponse({"deleted": deleted})


@control("GET")
def requests_log(request: HttpRequest, body) -> JsonResponse:
    """Calls the emulator answered: ``?path_contains=&method=&idempotency_key=&limit=`` (newest last)."""
    calls = RequestLog.objects.filter(emulator=contract.EMULATOR)
    if request.GET.get("path_contains"):
        calls = calls.filter(path__contains=request.GET["path_contains"])
    if request.GET.get("method"):
        calls = calls.filter(method=request.GET["method"].upper())
    if request.GET.get("idempotency_key"):
        calls = calls.filter(idempotency_key=request.GET["idempotency_key"])
    limit = int(request.GET["limit"]) if request.GET.get("limit", "").isdigit() else 100
    rows = list(calls.values("method", "path", "status_code", "idempotency_key", "fault", "at"))
    by_status = Counter(str(row["status_code"]) for row in rows)
    recent = [{**row, "at": payloads.iso(row["at"])} for row in rows[-limit:]] if limit else []
    return JsonResponse({"total": len(rows), "by_status": dict(by_status), "requests": recent})
