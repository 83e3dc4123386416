"""Signing in and reading the signed-in person back on each request.

Django's ``ModelBackend`` reads the user row on every request, and the navigation then reads their memberships
(clients, roles, regions: three more statements). ``ModelBackend`` here reads both from the per-person cache
(``apps.common.user_cache``) and forgets them whenever a user, a membership, its roles or regions, a client, a role or
a region is saved or deleted (``apps.accounts.signals``). The password hash comes with the row, so a changed password
still ends the other sessions (Django compares it with the session's hash on every request).
"""

from __future__ import annotations

from django.contrib.auth import backends

from apps.common import user_cache

from .models import User

PRINCIPAL = "principal"


def _principal(user_id) -> tuple[User, list] | None:
    user = User._default_manager.filter(pk=user_id).first()
    if user is None:
        return None
    return user, list(user.membership_list)


def principal(user_id) -> tuple[User, list] | None:
    """The person and all their memberships (with clients, roles, regions), from the per-person cache: what a
    signed-in page and an API token's request both start from. ``None``: no such user."""
    return principal_beside(None, user_id)[1]


def principal_beside(other: str | None, user_id) -> tuple:
    """``(the cache entry other, principal(user_id))`` in one round trip to the cache (an API token's entry)."""
    return user_cache.remember_beside(other, PRINCIPAL, user_id, lambda: _principal(user_id))


class ModelBackend(backends.ModelBackend):
    def get_user(self, user_id):
        found = principal(user_id)
        if found is None:
            return None
        user, memberships = found
        user.__dict__["membership_list"] = memberships  # the cached_property's own slot
        return user if self.user_can_authenticate(user) else None
