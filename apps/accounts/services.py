"""State changes of accounts: API tokens and profiles. Each runs in one transaction and is audited."""

from __future__ import annotations

import secrets
from dataclasses import dataclass
from datetime import timedelta

from django.conf import settings
from django.db import transaction
from django.utils import timezone

from apps.audit import services as audit

from .choices import TokenScope
from .models import ApiToken, Membership, User

TOKEN_PREFIX = "glt_"  # noqa: S105 - a public marker, not a secret
MAX_TOKEN_DAYS = 730


class TokenError(ValueError):
    """The token cannot be created as asked (bad scope, expiry or client)."""


@dataclass(frozen=True)
class IssuedToken:
    token: ApiToken
    key: str  # shown once; only its hash is stored


def create_api_token(
    user: User,
    *,
    actor: User,
    name: str,
    scope: str = TokenScope.READ,
    expires_days: int | None = None,
    client=None,
) -> IssuedToken:
    """Issue a key for ``user``. The returned ``key`` is the only time the secret exists outside the caller."""
    if scope not in TokenScope.values:
        raise TokenError(f"Unknown scope {scope!r}; choose one of {', '.join(TokenScope.values)}.")
    days = settings.API_TOKEN_DEFAULT_DAYS if expires_days is None else expires_days
    if not 1 <= days <= MAX_TOKEN_DAYS:
        raise TokenError(f"A token must expire within 1 to {MAX_TOKEN_DAYS} days.")
    if client is not None and not Membership.objects.filter(user=user, client=client).exists():
        raise TokenError(f"{user.email} is not a member of {client}.")
    prefix = secrets.token_hex(4)
    key = f"{TOKEN_PREFIX}{prefix}_{secrets.token_urlsafe(32)}"
    now = timezone.now()
    with transaction.atomic():
        token = ApiToken.objects.create(
            user=user,
            client=client,
            name=name.strip() or "API token",
            prefix=f"{TOKEN_PREFIX}{prefix}",
            key_hash=ApiToken.hash_key(key),
            scope=scope,
            created_at=now,
            expires_at=now + timedelta(days=days),
        )
        audit.record(
            "accounts.apitoken.create",
            actor=actor,
            client=client,
            obj=token,
            after={"name": token.name, "scope": scope, "expires_at": token.expires_at, "user": user.email},
        )
    return IssuedToken(token=token, key=key)


def revoke_api_token(token: ApiToken, *, actor: User) -> ApiToken:
    """Revoke at once; a revoked token is refused from the next request on. Revoking twice is a no-op."""
    with transaction.atomic():
        token = ApiToken.objects.select_for_update().get(pk=token.pk)
        if token.revoked_at is not None:
            return token
        token.revoked_at = timezone.now()
        token.save(update_fields=["revoked_at"])
        audit.record("accounts.apitoken.revoke", actor=actor, client=token.client, obj=token)
    return token


def update_profile(user: User, *, actor: User, full_name: str, time_zone: str) -> User:
    """Change the display name and the time zone dates are shown in."""
    with transaction.atomic():
        user = User.objects.select_for_update().get(pk=user.pk)
        before = {"full_name": user.full_name, "time_zone": user.time_zone}
        user.full_name, user.time_zone = full_name.strip(), time_zone
        user.full_clean(exclude=["password", "email"])
        user.save(update_fields=["full_name", "time_zone"])
        after = {"full_name": user.full_name, "time_zone": user.time_zone}
        if before != after:
            audit.record("accounts.user.update_profile", actor=actor, obj=user, before=before, after=after)
    return user
