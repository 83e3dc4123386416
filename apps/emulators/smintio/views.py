"""Platform routes of the Smint.io emulator: OIDC server, CLAPI-C sync API, write-backs, downloads and previews.

Views only translate HTTP to service calls and back. Every one is wrapped in ``emulated`` (CSRF-exempt, injected
faults, request log); the token endpoints answer injected faults in RFC 6749's shape, everything else in the
platform's ``{error, message}``.
"""

from __future__ import annotations

import base64
import binascii
import functools
import hashlib
from collections.abc import Callable
from urllib.parse import unquote, urlencode, urlsplit, urlunsplit

from django.conf import settings
from django.core import signing
from django.http import HttpRequest, HttpResponse, HttpResponseRedirect, JsonResponse
from django.shortcuts import render
from django.urls import reverse

from apps.emulators.core.faults import empty, emulated, read_json

from . import contract, oauth, payloads, services
from .contract import EMULATOR
from .errors import ApiError, OAuthError, api_error_body, oauth_error_body
from .models import ContentElement, LicensePurchaseTransaction, OAuthClient, Tenant
from .previews import render_svg

# --- Helpers --------------------------------------------------------------------------------------------------


def _tenant(slug: str) -> Tenant:
    tenant = Tenant.objects.filter(slug=slug).first()
    if tenant is None:
        raise ApiError(404, contract.ERR_TENANT_NOT_FOUND, f"No tenant {slug!r}.")
    return tenant


def _method_not_allowed(methods: tuple[str, ...]) -> ApiError:
    return ApiError(405, contract.ERR_METHOD_NOT_ALLOWED, "Method not allowed.", {"Allow": ", ".join(methods)})


def api_route(*methods: str) -> Callable:
    """Method check, tenant lookup and bearer authentication; the view receives the Tenant. ApiError -> JSON."""

    def decorator(view: Callable) -> Callable:
        @functools.wraps(view)
        def wrapper(request: HttpRequest, tenant: str, **kwargs):
            try:
                if request.method not in methods:
                    raise _method_not_allowed(methods)
                tenant_obj = _tenant(tenant)
                oauth.authenticate_bearer(tenant_obj, request.headers.get("Authorization", ""))
                return view(request, tenant_obj, **kwargs)
            except ApiError as exc:
                return exc.response()

        return wrapper

    return decorator


def _absolute(request: HttpRequest, name: str, **kwargs) -> str:
    return request.build_absolute_uri(reverse(f"emulator_smintio:{name}", kwargs=kwargs))


def _preview_url(request: HttpRequest) -> Callable[[str], str]:
    """A builder of preview URLs that reverses the pattern once, not once per LPT."""
    marker = "00000000-0000-0000-0000-000000000000"
    template = _absolute(request, "preview", content_element_uuid=marker)
    return lambda element_uuid: template.replace(marker, element_uuid)


def auth_base(request: HttpRequest, tenant: Tenant) -> str:
    """``SMINTIO_AUTH_BASE`` of a tenant as this host serves it (also the OIDC issuer)."""
    discovery = _absolute(request, "openid_configuration", tenant=tenant.slug)
    return discovery.removesuffix("/.well-known/openid-configuration")


def api_base(request: HttpRequest, tenant: Tenant) -> str:
    """``SMINTIO_API_BASE`` of a tenant as this host serves it."""
    return _absolute(request, "generic_metadata", tenant=tenant.slug).removesuffix("/sync/generic-metadata")


# --- OIDC -----------------------------------------------------------------------------------------------------


@emulated(EMULATOR, error_body=api_error_body)
def openid_configuration(request: HttpRequest, tenant: str) -> JsonResponse:
    """Discovery document: where the three OAuth endpoints of this tenant are."""
    try:
        tenant_obj = _tenant(tenant)
    except ApiError as exc:
        return exc.response()
    issuer = auth_base(request, tenant_obj)
    return JsonResponse(
        {
            "issuer": issuer,
            "authorization_endpoint": _absolute(request, "authorize", tenant=tenant_obj.slug),
            "token_endpoint": _absolute(request, "token", tenant=tenant_obj.slug),
            "revocation_endpoint": _absolute(request, "revocation", tenant=tenant_obj.slug),
            "response_types_supported": ["code"],
            "grant_types_supported": list(contract.GRANT_TYPES),
            "scopes_supported": list(contract.SCOPES_SUPPORTED),
            "token_endpoint_auth_methods_supported": ["client_secret_post", "client_secret_basic"],
            "subject_types_supported": ["public"],
            "id_token_signing_alg_values_supported": [contract.ID_TOKEN_ALGORITHM],
        }
    )


def _authorize_error_page(request: HttpRequest, message: str, status: int = 400) -> HttpResponse:
    """RFC 6749 4.1.2.1: a bad client or redirect URI is shown to the user, never redirected to."""
    return render(request, "emulator_smintio/authorize.html", {"error": message}, status=status)


def _redirect_with(redirect_uri: str, params: dict) -> HttpResponseRedirect:
    parts = urlsplit(redirect_uri)
    query = "&".join(filter(None, [parts.query, urlencode({k: v for k, v in params.items() if v})]))
    return HttpResponseRedirect(urlunsplit(parts._replace(query=query)))


def _origin(url: str) -> str:
    parts = urlsplit(url)
    return f"{parts.scheme}://{parts.netloc}"


@emulated(EMULATOR, error_body=api_error_body)
def authorize(request: HttpRequest, tenant: str) -> HttpResponse:
    """GET shows the consent page; POST (its form) answers with a 302 to ``redirect_uri?code=..&state=..``."""
    if request.method not in ("GET", "POST"):
        return _authorize_error_page(request, "Method not allowed.", status=405)
    tenant_obj = Tenant.objects.filter(slug=tenant).first()
    if tenant_obj is None:
        return _authorize_error_page(request, "Unknown tenant.", status=404)
    if request.method == "POST":
        return _authorize_decision(request, tenant_obj)
    params = request.GET
    client = OAuthClient.objects.filter(tenant=tenant_obj, client_id=params.get("client_id", "")).first()
    redirect_uri = params.get("redirect_uri", "")
    if client is None:
        return _authorize_error_page(request, "Unknown client_id.")
    if not redirect_uri or not oauth.redirect_uri_allowed(client, redirect_uri, settings.PORTAL_URL):
        return _authorize_error_page(request, "redirect_uri is not registered for this client.")
    state = params.get("state", "")
    if params.get("response_type") != "code":
        return _redirect_with(redirect_uri, {"error": "unsupported_response_type", "state": state})
    scope = oauth.normalize_scope(params.get("scope", ""))
    if scope is None:
        return _redirect_with(redirect_uri, {"error": "invalid_scope", "state": state})
    consent = signing.dumps(
        {
            "client": client.pk,
            "redirect_uri": redirect_uri,
            "scope": scope,
            "state": state,
            "nonce": params.get("nonce", ""),
        },
        salt=contract.CONSENT_SALT,
    )
    context = {"tenant": tenant_obj, "client": client, "scopes": scope.split(), "consent": consent}
    response = render(request, "emulator_smintio/authorize.html", context)
    # Browsers apply form-action to the redirect that follows the POST, so allow the client's origin.
    response._csp_update = {"form-action": [_origin(redirect_uri)]}
    response["Cache-Control"] = "no-store"
    return response


def _authorize_decision(request: HttpRequest, tenant: Tenant) -> HttpResponse:
    """The consent form's POST: the signed ``consent`` field carries the request, so it cannot be altered."""
    try:
        consent = signing.loads(
            request.POST.get("consent", ""), salt=contract.CONSENT_SALT, max_age=contract.CONSENT_FORM_MAX_AGE
        )
    except signing.BadSignature:
        return _authorize_error_page(request, "This consent form has expired; start the sign-in again.")
    client = OAuthClient.objects.filter(pk=consent["client"], tenant=tenant).select_related("tenant").first()
    if client is None:
        return _authorize_error_page(request, "Unknown client_id.")
    if request.POST.get("decision") != "allow":
        return _redirect_with(consent["redirect_uri"], {"error": "access_denied", "state": consent["state"]})
    code = oauth.issue_code(
        client, redirect_uri=consent["redirect_uri"], scope=consent["scope"], nonce=consent["nonce"]
    )
    return _redirect_with(consent["redirect_uri"], {"code": code, "state": consent["state"]})


def _client_credentials(request: HttpRequest) -> tuple[str, str]:
    """client_id and client_secret from the form body, or from HTTP Basic (RFC 6749 2.3.1)."""
    client_id, secret = request.POST.get("client_id", ""), request.POST.get("client_secret", "")
    header = request.headers.get("Authorization", "")
    if not client_id and header.lower().startswith("basic "):
        try:
            decoded = base64.b64decode(header[6:], validate=True).decode()
        except (binascii.Error, ValueError, UnicodeDecodeError):
            return "", ""
        raw_id, _, raw_secret = decoded.partition(":")
        client_id, secret = unquote(raw_id), unquote(raw_secret)
    return client_id, secret


def _no_store(response: JsonResponse) -> JsonResponse:
    response["Cache-Control"] = "no-store"
    response["Pragma"] = "no-cache"
    return response


@emulated(EMULATOR, error_body=oauth_error_body)
def token(request: HttpRequest, tenant: str) -> JsonResponse:
    """POST form: authorization_code or refresh_token grant; RFC 6749 errors."""
    try:
        if request.method != "POST":
            raise OAuthError("invalid_request", "Use POST.", status=405)
        tenant_obj = Tenant.objects.filter(slug=tenant).first()
        if tenant_obj is None:
            raise OAuthError("invalid_request", "Unknown tenant.", status=404)
        grant_type = request.POST.get("grant_type", "")
        if not grant_type:
            raise OAuthError("invalid_request", "grant_type is required.")
        if grant_type not in contract.GRANT_TYPES:
            raise OAuthError("unsupported_grant_type", f"Supported: {', '.join(contract.GRANT_TYPES)}.")
        client = oauth.authenticate_client(tenant_obj, *_client_credentials(request))
        issuer = auth_base(request, tenant_obj)
        if grant_type == "authorization_code":
            pair = oauth.exchange_code(
                client,
                code=request.POST.get("code", ""),
                redirect_uri=request.POST.get("redirect_uri", ""),
                issuer=issuer,
            )
        else:
            pair = oauth.refresh(client, refresh_token=request.POST.get("refresh_token", ""), issuer=issuer)
    except OAuthError as exc:
        return exc.response()
    return _no_store(JsonResponse(pair.as_response()))


@emulated(EMULATOR, error_body=oauth_error_body)
def revocation(request: HttpRequest, tenant: str) -> HttpResponse:
    """RFC 7009: POST form ``token`` with client credentials; 200 with an empty body, known token or not."""
    try:
        if request.method != "POST":
            raise OAuthError("invalid_request", "Use POST.", status=405)
        tenant_obj = Tenant.objects.filter(slug=tenant).first()
        if tenant_obj is None:
            raise OAuthError("invalid_request", "Unknown tenant.", status=404)
        client = oauth.authenticate_client(tenant_obj, *_client_credentials(request))
        raw = request.POST.get("token", "")
        if not raw:
            raise OAuthError("invalid_request", "token is required.")
    except OAuthError as exc:
        return exc.response()
    oauth.revoke(client, raw)
    return empty(200)


# --- Sync API -------------------------------------------------------------------------------------------------


@emulated(EMULATOR, error_body=api_error_body)
@api_route("GET")
def generic_metadata(request: HttpRequest, tenant: Tenant) -> JsonResponse:
    return JsonResponse(payloads.generic_metadata())


def _cursor_param(request: HttpRequest) -> str | None:
    for name in contract.CURSOR_PARAMS:
        if request.GET.get(name):
            return request.GET[name]
    return None


@emulated(EMULATOR, error_body=api_error_body)
@api_route("GET")
def license_purchase_transactions(request: HttpRequest, tenant: Tenant) -> JsonResponse:
    """The change feed: ``{count, continuation_uuid, license_purchase_transactions}``."""
    limit = services.parse_limit(request.GET.get("limit"))
    snapshots, cursor = services.lpt_page(tenant, _cursor_param(request), limit)
    preview_url = _preview_url(request)
    return JsonResponse(
        {
            "count": len(snapshots),
            "continuation_uuid": cursor,
            "license_purchase_transactions": [payloads.render_lpt(snapshot, preview_url) for snapshot in snapshots],
        }
    )


@emulated(EMULATOR, error_body=api_error_body)
@api_route("GET")
def binaries(request: HttpRequest, tenant: Tenant, cart_uuid: str, lpt_uuid: str) -> JsonResponse:
    """The LPT's binaries with signed download URLs; none for cancelled or not-syncable LPTs."""
    lpt = LicensePurchaseTransaction.objects.filter(
        tenant=tenant, uuid=lpt_uuid, cart_purchase_transaction_uuid=cart_uuid
    ).first()
    if lpt is None:
        raise ApiError(404, contract.ERR_NOT_FOUND, "No such licence purchase transaction.")
    if lpt.state != "completed" or lpt.data.get("can_be_synced") is False:
        return JsonResponse([], safe=False)
    documents = [
        payloads.binary_document(
            binary,
            _absolute(request, "file", token=services.download_token(binary, tenant.download_url_lifetime)),
        )
        for binary in lpt.binaries.all()
    ]
    return JsonResponse(documents, safe=False)


@emulated(EMULATOR, error_body=api_error_body)
@api_route("GET")
def usage_events(request: HttpRequest, tenant: Tenant) -> JsonResponse:
    """The usage feed of platforms.md 5.1, same cursor rules as the LPT feed."""
    limit = services.parse_limit(request.GET.get("limit"))
    events, cursor = services.usage_page(tenant, _cursor_param(request), limit)
    return JsonResponse(
        {
            "count": len(events),
            "continuation_uuid": cursor,
            "usage_events": [payloads.usage_event_document(event) for event in events],
        }
    )


@emulated(EMULATOR, error_body=api_error_body)
@api_route("POST")
def pusher_auth(request: HttpRequest, tenant: Tenant) -> JsonResponse:
    """Standard Pusher private-channel auth: ``{auth: "<key>:<HMAC-SHA256(secret, socket_id:channel)>"}``."""
    data = request.POST if request.POST else (read_json(request) or {})
    socket_id, channel = str(data.get("socket_id", "")), str(data.get("channel_name", ""))
    left, _, right = socket_id.partition(".")
    if not (left.isdigit() and right.isdigit()) or not channel:
        raise ApiError(400, contract.ERR_INVALID_REQUEST, "socket_id (digits.digits) and channel_name are required.")
    if channel != tenant.channel:
        raise ApiError(403, contract.ERR_CHANNEL_FORBIDDEN, "This token may not subscribe to that channel.")
    signature = services.pusher_signature(tenant.pusher_secret, socket_id, channel)
    return JsonResponse({"auth": f"{contract.PUSHER_APP_KEY}:{signature}"})


# --- Write-back (platforms.md 5.1) ----------------------------------------------------------------------------


def _write_back(request: HttpRequest, tenant: Tenant, element_uuid: str, clean, apply) -> JsonResponse:
    """Shared path of both write-backs: key required, replay or refuse by key, 404, validate, apply."""
    key = request.headers.get(contract.IDEMPOTENCY_HEADER, "").strip()
    if not key:
        raise ApiError(
            400, contract.ERR_MISSING_IDEMPOTENCY_KEY, f"The {contract.IDEMPOTENCY_HEADER} header is required."
        )
    if len(key) > contract.IDEMPOTENCY_KEY_MAX_LENGTH:
        raise ApiError(400, contract.ERR_INVALID_REQUEST, "Idempotency-Key is longer than 255 characters.")
    body = read_json(request)
    if body is None:
        raise ApiError(400, contract.ERR_INVALID_JSON, "The body must be JSON.")
    request_hash = services.request_digest(request.method, request.path, body)

    def action() -> dict:
        element = ContentElement.objects.filter(tenant=tenant, uuid=element_uuid).first()
        if element is None:
            raise ApiError(404, contract.ERR_NOT_FOUND, f"No content element {element_uuid!r}.")
        return apply(element, clean(body), key)

    document, replayed = services.run_idempotent(tenant, key, request_hash, action)
    response = JsonResponse(document)
    if replayed:
        response[contract.REPLAYED_HEADER] = "true"
    return response


@emulated(EMULATOR, error_body=api_error_body)
@api_route("PUT")
def workflow_status(request: HttpRequest, tenant: Tenant, element_uuid: str) -> JsonResponse:
    return _write_back(request, tenant, element_uuid, payloads.clean_workflow_status, services.record_workflow_status)


@emulated(EMULATOR, error_body=api_error_body)
@api_route("PATCH")
def metadata(request: HttpRequest, tenant: Tenant, element_uuid: str) -> JsonResponse:
    return _write_back(request, tenant, element_uuid, payloads.clean_metadata_patch, services.apply_metadata)


# --- Files and previews ---------------------------------------------------------------------------------------


def _etag(content: bytes) -> str:
    return f'"{hashlib.sha256(content).hexdigest()[:32]}"'


@emulated(EMULATOR, error_body=api_error_body)
def file(request: HttpRequest, token: str) -> HttpResponse:
    """A binary's bytes (a generated SVG) behind a signed, expiring URL; 403 once expired."""
    if request.method not in ("GET", "HEAD"):
        return _method_not_allowed(("GET", "HEAD")).response()
    try:
        binary = services.binary_for_download(token)
    except ApiError as exc:
        return exc.response()
    element = binary.lpt.content_element
    name = binary.data.get("recommended_file_name") or f"{binary.uuid}.svg"
    content = render_svg(element.uuid, element.name_en, f"{binary.uuid} v{binary.version}").encode()
    response = HttpResponse(content, content_type="image/svg+xml")
    response["Content-Disposition"] = f'attachment; filename="{name}"'
    response["ETag"] = _etag(content)
    return response


@emulated(EMULATOR, error_body=api_error_body)
def preview(request: HttpRequest, content_element_uuid: str) -> HttpResponse:
    """The element's generated preview; public, like a CDN thumbnail."""
    if request.method not in ("GET", "HEAD"):
        return _method_not_allowed(("GET", "HEAD")).response()
    element = ContentElement.objects.filter(uuid=content_element_uuid).first()
    if element is None:
        return ApiError(404, contract.ERR_NOT_FOUND, "No such content element.").response()
    provider = contract.PROVIDERS.get(element.provider, (element.provider,))[0]
    content = render_svg(element.uuid, element.name_en, provider).encode()
    response = HttpResponse(content, content_type="image/svg+xml")
    response["Cache-Control"] = "public, max-age=86400"
    response["ETag"] = _etag(content)
    return response
