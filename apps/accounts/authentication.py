"""``Authorization: Token <key>`` for the REST API, against hashed, scoped, expiring, revocable keys."""

from __future__ import annotations

from datetime import timedelta

from django.conf import settings
from django.core.cache import cache
from django.utils import timezone
from drf_spectacular.extensions import OpenApiAuthenticationExtension
from rest_framework import authentication, exceptions

from .backends import principal, principal_beside
from .models import ApiToken

# last_used_at is informational; writing it at most once a minute keeps a busy integration from turning every
# read into a write.
LAST_USED_RESOLUTION = timedelta(minutes=1)


# key hash -> user id of the tokens this process has served (at most TOKEN_USERS_KEPT): what a token's person is
# cached under, known before the token's own entry is read.
_TOKEN_USERS: dict[str, int] = {}
TOKEN_USERS_KEPT = 10_000


def token_cache_key(key_hash: str) -> str:
    """The cache entry of a token's lookup, named by the key's SHA-256 (the plain key is never stored anywhere)."""
    # "2": the entry holds the token row only (the person is the per-person cache's). Another shape, another name:
    # during a rolling deploy, workers of the version before read their own entries, never these.
    return f"apitoken2:{key_hash}"


def forget_tokens(key_hashes) -> None:
    """Drop the cached lookups of these tokens (revoked, changed, their client changed): the next request reads the
    database. A shared cache (Redis) forgets for every worker at once; a local-memory cache only
    in this process, the others within ``API_TOKEN_CACHE_SECONDS``."""
    keys = [token_cache_key(key_hash) for key_hash in key_hashes]
    if keys:
        cache.delete_many(keys)


class ApiTokenAuthentication(authentication.BaseAuthentication):
    keyword = "Token"

    def authenticate(self, request):
        header = authentication.get_authorization_header(request).split()
        if not header or header[0].lower() != self.keyword.lower().encode():
            return None
        if len(header) != 2:
            raise exceptions.AuthenticationFailed("Invalid token header: expected 'Token <key>'.")
        try:
            key = header[1].decode("ascii")
        except UnicodeError:
            raise exceptions.AuthenticationFailed("Invalid token header: the key must be ASCII.") from None
        return self.authenticate_key(key)

    def authenticate_key(self, key: str):
        key_hash = ApiToken.hash_key(key)
        seconds = settings.API_TOKEN_CACHE_SECONDS
        # The token row (with its client) is cached for a short while under the key's hash: an integrator polling a
        # list pays no query for it. Expiry is checked on every request; revoking or changing the token forgets the
        # entry (``signals``). The person behind it (their row and memberships with roles and regions) comes from
        # the per-person cache, as for a signed-in page, and is forgotten by the same changes.
        # A token never changes hands, so once this process has seen its user both entries come in one round trip.
        user_id = _TOKEN_USERS.get(key_hash) if seconds else None
        token, found = principal_beside(token_cache_key(key_hash), user_id) if user_id else (None, None)
        if token is None and seconds:
            token = cache.get(token_cache_key(key_hash))
        if token is None:
            token = ApiToken.objects.select_related("client").filter(key_hash=key_hash).first()
            if token is not None and seconds:
                cache.set(token_cache_key(key_hash), token, seconds)
        if token is not None and token.user_id != user_id:  # first seen here (or a stale map: checked, never trusted)
            found = principal(token.user_id)
            if seconds and len(_TOKEN_USERS) < TOKEN_USERS_KEPT:
                _TOKEN_USERS[key_hash] = token.user_id
        # One message for every refusal, so a caller learns nothing about which keys exist.
        if token is None or found is None or not token.is_active or not found[0].is_active:
            raise exceptions.AuthenticationFailed("Invalid, expired or revoked token.")
        now = timezone.now()
        if token.last_used_at is None or now - token.last_used_at > LAST_USED_RESOLUTION:
            ApiToken.objects.filter(pk=token.pk).update(last_used_at=now)
            if seconds:
                token.last_used_at = now
                cache.set(token_cache_key(key_hash), token, seconds)
        user, memberships = found
        user.token_client_id = token.client_id
        if token.client_id is not None:  # a token bound to one client acts in that client only
            memberships = [m for m in memberships if m.client_id == token.client_id]
        user.__dict__["membership_list"] = memberships  # the cached_property's own slot
        token.user = user
        return user, token

    def authenticate_header(self, request) -> str:
        return self.keyword


class ApiTokenScheme(OpenApiAuthenticationExtension):
    target_class = "apps.accounts.authentication.ApiTokenAuthentication"
    name = "tokenAuth"

    def get_security_definition(self, auto_schema):
        return {
            "type": "apiKey",
            "in": "header",
            "name": "Authorization",
            "description": "`Token <key>`; create a key on your profile page or with `manage.py create_api_token`.",
        }
