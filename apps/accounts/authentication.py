"""``Authorization: Token <key>`` for the REST API, against hashed, scoped, expiring, revocable keys."""

from __future__ import annotations

from datetime import timedelta

from django.db.models import Exists, OuterRef
from django.utils import timezone
from drf_spectacular.extensions import OpenApiAuthenticationExtension
from rest_framework import authentication, exceptions

from apps.common.roles import RoleCode

from .models import ApiToken, Membership

# last_used_at is informational; writing it at most once a minute keeps a busy integration from turning every
# read into a write.
LAST_USED_RESOLUTION = timedelta(minutes=1)


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
        external = Membership.objects.filter(user=OuterRef("user"), roles__code=RoleCode.EXTERNAL)
        token = (
            ApiToken.objects.select_related("user", "client")
            .annotate(user_is_external=Exists(external))
            .filter(key_hash=ApiToken.hash_key(key))
            .first()
        )
        # One message for every refusal, so a caller learns nothing about which keys exist.
        if token is None or not token.is_active or not token.user.is_active:
            raise exceptions.AuthenticationFailed("Invalid, expired or revoked token.")
        now = timezone.now()
        if token.last_used_at is None or now - token.last_used_at > LAST_USED_RESOLUTION:
            ApiToken.objects.filter(pk=token.pk).update(last_used_at=now)
        user = token.user
        user.token_client_id = token.client_id
        if not token.user_is_external:
            # known from the same query: every client of theirs is seen whole, no membership list to read for it
            user.__dict__["external_client_id_list"] = []
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
