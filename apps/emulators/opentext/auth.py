"""OAuth2 token endpoint logic and bearer-token checks of the OpenText emulator.

Tokens are opaque random strings; only their SHA-256 is stored. A token belongs to one tenant, and that tenant
scopes everything the token can read or change.
"""

from __future__ import annotations

import hashlib
import hmac
import secrets
from dataclasses import dataclass
from datetime import timedelta

from django.contrib.auth.hashers import check_password
from django.db import transaction
from django.utils import timezone

from . import contract
from .models import OtServiceClient, OtTenant, OtToken, OtUser


def digest(value: str) -> str:
    return hashlib.sha256(value.encode()).hexdigest()


class OAuthError(Exception):
    """A refused token request, with the status and body the token endpoint answers."""

    def __init__(self, status: int, body: dict) -> None:
        super().__init__(body)
        self.status = status
        self.body = body


class TokenRejected(Exception):
    """A workflow call without a usable bearer token; ``fault`` is the gateway's (faultstring, errorcode)."""

    def __init__(self, fault: tuple[str, str]) -> None:
        super().__init__(fault[0])
        self.fault = fault


@dataclass(frozen=True)
class Principal:
    """Who a bearer token speaks for: a service client, or a tenant user signed in through that client."""

    tenant: OtTenant
    client_id: str
    user_email: str = ""

    @property
    def actor(self) -> str:
        """The name written as comment author or start user: the user's e-mail, else the client id."""
        return self.user_email or self.client_id


@dataclass(frozen=True)
class ClientCredentials:
    client_id: str
    client_secret: str


def _oauth_error(error: str, description: str, status: int = 400) -> OAuthError:
    return OAuthError(status, {"error": error, "error_description": description})


def _invalid_client() -> OAuthError:
    return OAuthError(401, contract.gateway_fault(*contract.FAULT_INVALID_CLIENT))


def check_client(tenant_id: str, credentials: ClientCredentials) -> OtTenant:
    """The tenant whose service client these credentials are; an unknown client is the gateway's 401."""
    client = (
        OtServiceClient.objects.select_related("tenant")
        .filter(tenant__tenant_id=tenant_id, client_id=credentials.client_id)
        .first()
    )
    if client is None or not hmac.compare_digest(client.secret_hash, digest(credentials.client_secret)):
        raise _invalid_client()
    return client.tenant


def _issue(tenant: OtTenant, kind: str, client_id: str, user_email: str, lifetime: int) -> str:
    token = secrets.token_urlsafe(32)
    OtToken.objects.create(
        tenant=tenant,
        kind=kind,
        token_hash=digest(token),
        client_id=client_id,
        user_email=user_email,
        expires_at=timezone.now() + timedelta(seconds=lifetime),
    )
    return token


def _token_response(tenant: OtTenant, client_id: str, user_email: str = "", *, refresh: bool = False) -> dict:
    lifetime = tenant.token_lifetime_seconds
    body = {
        "access_token": _issue(tenant, OtToken.Kind.ACCESS, client_id, user_email, lifetime),
        "token_type": contract.TOKEN_TYPE,
        "expires_in": lifetime,
    }
    if refresh:
        body["refresh_token"] = _issue(
            tenant, OtToken.Kind.REFRESH, client_id, user_email, contract.REFRESH_TOKEN_LIFETIME_SECONDS
        )
    return body


def grant(tenant_id: str, params: dict, credentials: ClientCredentials | None) -> dict:
    """Answer a token request (client_credentials, password or refresh_token grant) or raise ``OAuthError``."""
    if credentials is None or not credentials.client_id:
        raise _invalid_client()
    tenant = check_client(tenant_id, credentials)
    grant_type = str(params.get("grant_type") or "")
    if not grant_type:
        raise _oauth_error("invalid_request", "grant_type is required")
    if grant_type == contract.GRANT_CLIENT_CREDENTIALS:
        return _token_response(tenant, credentials.client_id)
    if grant_type == contract.GRANT_PASSWORD:
        user = _check_user(tenant, str(params.get("username") or ""), str(params.get("password") or ""))
        return _token_response(tenant, credentials.client_id, user.email, refresh=True)
    if grant_type == contract.GRANT_REFRESH_TOKEN:
        return _refresh(tenant, credentials.client_id, str(params.get("refresh_token") or ""))
    raise _oauth_error("unsupported_grant_type", f"grant_type must be one of {', '.join(contract.GRANTS)}")


def _check_user(tenant: OtTenant, username: str, password: str) -> OtUser:
    if not username or not password:
        raise _oauth_error("invalid_request", "username and password are required")
    user = OtUser.objects.filter(tenant=tenant, email__iexact=username).first()
    if user is None or not user.password_hash or not check_password(password, user.password_hash):
        raise _oauth_error("invalid_grant", "Invalid user credentials", status=401)
    return user


def _refresh(tenant: OtTenant, client_id: str, refresh_token: str) -> dict:
    """Rotate: the presented refresh token is spent and a new pair issued."""
    with transaction.atomic():
        spent = OtToken.objects.filter(
            tenant=tenant,
            kind=OtToken.Kind.REFRESH,
            token_hash=digest(refresh_token),
            client_id=client_id,
            expires_at__gt=timezone.now(),
        ).first()
        if spent is None or not OtToken.objects.filter(pk=spent.pk).delete()[0]:
            raise _oauth_error("invalid_grant", "Invalid or expired refresh token", status=401)
        return _token_response(tenant, client_id, spent.user_email, refresh=True)


def authenticate(authorization: str) -> Principal:
    """The principal of an ``Authorization: Bearer`` header, or ``TokenRejected`` with the gateway's fault."""
    scheme, _, token = authorization.partition(" ")
    if scheme.lower() != "bearer" or not token.strip():
        raise TokenRejected(contract.FAULT_MISSING_TOKEN)
    row = (
        OtToken.objects.select_related("tenant")
        .filter(kind=OtToken.Kind.ACCESS, token_hash=digest(token.strip()))
        .first()
    )
    if row is None:
        raise TokenRejected(contract.FAULT_INVALID_TOKEN)
    if row.expires_at <= timezone.now():
        raise TokenRejected(contract.FAULT_EXPIRED_TOKEN)
    return Principal(tenant=row.tenant, client_id=row.client_id, user_email=row.user_email)


def expire_tokens(tenant: OtTenant) -> int:
    """Expire every token of a tenant now (what an operator revoking sessions, or plain time, does)."""
    return OtToken.objects.filter(tenant=tenant, expires_at__gt=timezone.now()).update(expires_at=timezone.now())
