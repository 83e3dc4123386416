"""The emulator's tiny OIDC server: codes, token pairs with rotation, revocation and bearer checks.

Only digests of codes and tokens are stored. Rotation and single use are enforced with conditional UPDATEs, so two
concurrent refreshes with the same token cannot both succeed (the second sees ``invalid_grant``), which is the
lock-out hazard platforms.md 1.4 warns the portal about.
"""

from __future__ import annotations

import base64
import datetime as dt
import hashlib
import hmac
import json
import secrets
from dataclasses import dataclass

from django.db import transaction
from django.utils import timezone

from . import contract
from .errors import ApiError, OAuthError
from .models import AuthorizationCode, OAuthClient, Tenant, Token


@dataclass(frozen=True)
class TokenPair:
    """What the token endpoint answers (the raw values exist only here, never in the database)."""

    access_token: str
    refresh_token: str
    expires_in: int
    scope: str
    id_token: str

    def as_response(self) -> dict:
        return {
            "access_token": self.access_token,
            "token_type": contract.TOKEN_TYPE,
            "expires_in": self.expires_in,
            "refresh_token": self.refresh_token,
            "id_token": self.id_token,
            "scope": self.scope,
        }


def digest(raw: str) -> str:
    return hashlib.sha256(raw.encode()).hexdigest()


def authenticate_client(tenant: Tenant, client_id: str, client_secret: str) -> OAuthClient:
    """The tenant's client with these credentials; 401 ``invalid_client`` otherwise (constant-time compare)."""
    client = OAuthClient.objects.filter(tenant=tenant, client_id=client_id).select_related("tenant").first()
    if client is None or not hmac.compare_digest(client.client_secret.encode(), client_secret.encode()):
        raise OAuthError("invalid_client", "Unknown client or wrong client secret.", status=401)
    return client


def redirect_uri_allowed(client: OAuthClient, redirect_uri: str, portal_url: str) -> bool:
    """Exact match against the whitelist; a client without one accepts any URI under the portal's URL."""
    if client.redirect_uris:
        return redirect_uri in client.redirect_uris
    return redirect_uri.startswith(f"{portal_url.rstrip('/')}/")


def normalize_scope(requested: str) -> str | None:
    """The requested scopes in canonical order, the full set when none is asked for, None for an unknown one."""
    scopes = requested.split() or list(contract.SCOPES_SUPPORTED)
    if any(scope not in contract.SCOPES_SUPPORTED for scope in scopes):
        return None
    return " ".join(scope for scope in contract.SCOPES_SUPPORTED if scope in scopes)


def issue_code(client: OAuthClient, *, redirect_uri: str, scope: str, nonce: str = "") -> str:
    raw = secrets.token_urlsafe(32)
    AuthorizationCode.objects.create(
        oauth_client=client,
        code_hash=digest(raw),
        redirect_uri=redirect_uri,
        scope=scope,
        nonce=nonce,
        expires_at=timezone.now() + dt.timedelta(seconds=contract.AUTH_CODE_LIFETIME),
    )
    return raw


def _new_token(client: OAuthClient, kind: str, scope: str, lifetime: int, **links) -> tuple[str, Token]:
    raw = secrets.token_urlsafe(32)
    token = Token.objects.create(
        oauth_client=client,
        kind=kind,
        token_hash=digest(raw),
        scope=scope,
        expires_at=timezone.now() + dt.timedelta(seconds=lifetime),
        **links,
    )
    return raw, token


def issue_refresh_token(client: OAuthClient, *, scope: str = contract.DEFAULT_SCOPE) -> str:
    """A refresh token without a browser, like the pre-issued ``SMINTIO_REFRESH_TOKEN`` of platforms.md 1.1."""
    raw, _ = _new_token(client, Token.Kind.REFRESH, scope, contract.REFRESH_TOKEN_LIFETIME)
    return raw


def _issue_pair(client: OAuthClient, scope: str, issuer: str, *, code=None, nonce: str = "") -> TokenPair:
    raw_refresh, refresh = _new_token(
        client, Token.Kind.REFRESH, scope, contract.REFRESH_TOKEN_LIFETIME, authorization_code=code
    )
    lifetime = client.tenant.access_token_lifetime
    raw_access, _ = _new_token(client, Token.Kind.ACCESS, scope, lifetime, refresh=refresh, authorization_code=code)
    return TokenPair(
        access_token=raw_access,
        refresh_token=raw_refresh,
        expires_in=lifetime,
        scope=scope,
        id_token=id_token(client, issuer=issuer, nonce=nonce),
    )


def exchange_code(client: OAuthClient, *, code: str, redirect_uri: str, issuer: str) -> TokenPair:
    """authorization_code grant. A replayed code is refused and the tokens it produced are revoked."""
    if not code or not redirect_uri:
        raise OAuthError("invalid_request", "code and redirect_uri are required.")
    now = timezone.now()
    record = AuthorizationCode.objects.filter(code_hash=digest(code), oauth_client=client).first()
    if record is None:
        raise OAuthError("invalid_grant", "Unknown authorization code.")
    if record.used_at is not None:
        # Outside any transaction: the revocation must survive the error answer.
        Token.objects.filter(authorization_code=record, revoked_at__isnull=True).update(revoked_at=now)
        raise OAuthError("invalid_grant", "The authorization code was already used.")
    if record.expires_at <= now:
        raise OAuthError("invalid_grant", "The authorization code has expired.")
    if record.redirect_uri != redirect_uri:
        raise OAuthError("invalid_grant", "redirect_uri differs from the one of the authorization request.")
    with transaction.atomic():
        if not AuthorizationCode.objects.filter(pk=record.pk, used_at__isnull=True).update(used_at=now):
            raise OAuthError("invalid_grant", "The authorization code was already used.")
        return _issue_pair(client, record.scope, issuer, code=record, nonce=record.nonce)


def refresh(client: OAuthClient, *, refresh_token: str, issuer: str) -> TokenPair:
    """refresh_token grant with rotation: the presented token stops working the moment this succeeds."""
    if not refresh_token:
        raise OAuthError("invalid_request", "refresh_token is required.")
    now = timezone.now()
    with transaction.atomic():
        token = Token.objects.filter(
            token_hash=digest(refresh_token), kind=Token.Kind.REFRESH, oauth_client=client
        ).first()
        if token is None:
            raise OAuthError("invalid_grant", "Unknown refresh token.")
        if token.revoked_at is not None:
            raise OAuthError("invalid_grant", "The refresh token was revoked.")
        if token.used_at is not None:
            raise OAuthError("invalid_grant", "The refresh token was already used (tokens rotate on every refresh).")
        if token.expires_at <= now:
            raise OAuthError("invalid_grant", "The refresh token has expired.")
        if not Token.objects.filter(pk=token.pk, used_at__isnull=True).update(used_at=now):
            raise OAuthError("invalid_grant", "The refresh token was already used (tokens rotate on every refresh).")
        return _issue_pair(client, token.scope, issuer)


def revoke(client: OAuthClient, raw: str) -> None:
    """RFC 7009: revoke a token of this client (unknown tokens are ignored); a refresh token takes its access
    tokens with it."""
    now = timezone.now()
    token = Token.objects.filter(token_hash=digest(raw), oauth_client=client).first()
    if token is None:
        return
    Token.objects.filter(pk=token.pk, revoked_at__isnull=True).update(revoked_at=now)
    if token.kind == Token.Kind.REFRESH:
        token.access_tokens.filter(revoked_at__isnull=True).update(revoked_at=now)


def expire_tokens(tenant: Tenant, *, include_refresh: bool = False) -> int:
    """Make the tenant's tokens expired now, as if their lifetime had passed; returns how many changed."""
    kinds = [Token.Kind.ACCESS, Token.Kind.REFRESH] if include_refresh else [Token.Kind.ACCESS]
    past = timezone.now() - dt.timedelta(seconds=1)
    return Token.objects.filter(oauth_client__tenant=tenant, kind__in=kinds, expires_at__gt=past).update(
        expires_at=past
    )


def authenticate_bearer(tenant: Tenant, header: str) -> Token:
    """The access token of an ``Authorization: Bearer`` header, or the API error platforms.md 1.3 prescribes."""
    challenge = {"WWW-Authenticate": 'Bearer realm="smintio"'}
    scheme, _, raw = header.partition(" ")
    if scheme.lower() != "bearer" or not raw.strip():
        raise ApiError(401, contract.ERR_UNAUTHORIZED, "Send Authorization: Bearer <access token>.", challenge)
    token = (
        Token.objects.filter(token_hash=digest(raw.strip()), kind=Token.Kind.ACCESS)
        .select_related("oauth_client__tenant")
        .first()
    )
    if token is None:
        raise ApiError(401, contract.ERR_INVALID_TOKEN, "Unknown access token.", challenge)
    if token.revoked_at is not None:
        raise ApiError(403, contract.ERR_TOKEN_REVOKED, "The access token was revoked.")
    if token.oauth_client.tenant_id != tenant.pk:
        raise ApiError(403, contract.ERR_WRONG_TENANT, "The access token belongs to another tenant.")
    if token.expires_at <= timezone.now():
        raise ApiError(401, contract.ERR_TOKEN_EXPIRED, "The access token has expired.", challenge)
    if contract.API_SCOPE not in token.scope.split():
        raise ApiError(403, contract.ERR_INSUFFICIENT_SCOPE, f"The token lacks the {contract.API_SCOPE} scope.")
    return token


def _b64(data: bytes) -> str:
    return base64.urlsafe_b64encode(data).rstrip(b"=").decode()


def id_token(client: OAuthClient, *, issuer: str, nonce: str = "") -> str:
    """An OIDC id_token signed HS256 with the client secret (OIDC Core 10.1), enough for a client to decode."""
    now = int(timezone.now().timestamp())
    claims = {
        "iss": issuer,
        "sub": str(client.tenant.user_uuid),
        "aud": client.client_id,
        "iat": now,
        "exp": now + client.tenant.access_token_lifetime,
        "name": f"{client.tenant.name} user",
        "tenant": client.tenant.slug,
    }
    if nonce:
        claims["nonce"] = nonce
    header = _b64(json.dumps({"alg": contract.ID_TOKEN_ALGORITHM, "typ": "JWT"}, separators=(",", ":")).encode())
    payload = _b64(json.dumps(claims, separators=(",", ":")).encode())
    signature = hmac.new(client.client_secret.encode(), f"{header}.{payload}".encode(), hashlib.sha256).digest()
    return f"{header}.{payload}.{_b64(signature)}"
