"""Cached token lookups (``authentication.authenticate_key``) are forgotten when what they hold changes."""

from __future__ import annotations

from django.db.models.signals import m2m_changed, post_delete, post_save

from .authentication import forget_tokens
from .models import ApiToken, Membership, User


def _forget_token(sender, instance: ApiToken, **kwargs) -> None:
    forget_tokens([instance.key_hash])


def _forget_user_tokens(user_id) -> None:
    forget_tokens(ApiToken.objects.filter(user_id=user_id).values_list("key_hash", flat=True))


def _user_saved(sender, instance: User, update_fields=None, **kwargs) -> None:
    if update_fields is not None and set(update_fields) <= {"last_login"}:
        return  # a sign-in: nothing a token's lookup holds
    _forget_user_tokens(instance.pk)


def _membership_changed(sender, instance: Membership, **kwargs) -> None:
    _forget_user_tokens(instance.user_id)


def _membership_roles_changed(sender, instance, action: str, reverse: bool, pk_set=None, **kwargs) -> None:
    if not action.startswith("post_"):
        return
    if reverse:  # role.memberships.add(...): the memberships are in pk_set (None on clear: every holder's)
        memberships = Membership.objects.all() if pk_set is None else Membership.objects.filter(pk__in=pk_set)
        for user_id in set(memberships.values_list("user_id", flat=True)):
            _forget_user_tokens(user_id)
    else:
        _forget_user_tokens(instance.user_id)


def connect() -> None:
    post_save.connect(_forget_token, sender=ApiToken, dispatch_uid="apitoken-cache-save")
    post_delete.connect(_forget_token, sender=ApiToken, dispatch_uid="apitoken-cache-delete")
    post_save.connect(_user_saved, sender=User, dispatch_uid="apitoken-cache-user")
    post_save.connect(_membership_changed, sender=Membership, dispatch_uid="apitoken-cache-membership-save")
    post_delete.connect(_membership_changed, sender=Membership, dispatch_uid="apitoken-cache-membership-delete")
    m2m_changed.connect(
        _membership_roles_changed, sender=Membership.roles.through, dispatch_uid="apitoken-cache-membership-roles"
    )
