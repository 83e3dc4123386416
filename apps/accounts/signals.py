"""What makes the caches of the signed-in forget.

- Cached token lookups (``authentication.authenticate_key``): the token row and its client (``connect``). The person
  behind a token is not in that entry: it comes from the per-person cache, like a signed-in page's.
- The per-person cache (``apps.common.user_cache``): the person's row and memberships (``backends.PRINCIPAL``), and
  whatever else is kept per person and moves with them (the receivers below).
"""

from __future__ import annotations

from django.db.models.signals import m2m_changed, post_delete, post_save
from django.dispatch import receiver

from apps.common import user_cache

from . import delegation
from .authentication import forget_tokens
from .backends import PRINCIPAL
from .models import ApiToken, Membership, Notice, Region, Role, User


def _forget_token(sender, instance: ApiToken, **kwargs) -> None:
    forget_tokens([instance.key_hash])


def _client_saved(sender, instance, **kwargs) -> None:
    """The tokens bound to a client carry it (its name and slug)."""
    forget_tokens(ApiToken.objects.filter(client_id=instance.pk).values_list("key_hash", flat=True))


def connect() -> None:
    post_save.connect(_forget_token, sender=ApiToken, dispatch_uid="apitoken-cache-save")
    post_delete.connect(_forget_token, sender=ApiToken, dispatch_uid="apitoken-cache-delete")
    post_save.connect(_client_saved, sender="clients.Client", dispatch_uid="apitoken-cache-client")


# -- the per-person cache ----------------------------------------------------------------------------------------


NOTICES = "accounts.notices"  # a person's unread notices (accounts.middleware.NoticeMiddleware)

# kept per person and read through their memberships: forgotten with them
WITH_MEMBERSHIPS = (PRINCIPAL, "notifications.unread", "onboarding.open")


def forget_person(user_id) -> None:
    for name in WITH_MEMBERSHIPS:
        user_cache.forget(name, [user_id])


@receiver([post_save, post_delete], sender=User, dispatch_uid="user_cache_user")
def _person_changed(sender, instance, update_fields=None, **kwargs):
    forget_person(instance.pk)
    if update_fields is not None and set(update_fields) <= {"last_login"}:
        return  # a sign-in: nothing another person's entry holds of them
    # the people they stand in for hold them in their memberships (``delegate``)
    for user_id in Membership.objects.filter(delegate=instance).values_list("user_id", flat=True):
        forget_person(user_id)


@receiver([post_save, post_delete], sender=Membership, dispatch_uid="user_cache_membership")
def _person_membership_changed(sender, instance, **kwargs):
    forget_person(instance.user_id)
    delegation.forget_windows()  # who stands in for whom, and when (``delegation.may_stand_in``)


@receiver(m2m_changed, sender=Membership.roles.through, dispatch_uid="user_cache_membership_roles")
@receiver(m2m_changed, sender=Membership.regions.through, dispatch_uid="user_cache_membership_regions")
def _person_grants_changed(sender, instance, action, reverse, **kwargs):
    if not action.startswith("post_"):
        return
    if isinstance(instance, Membership):
        forget_person(instance.user_id)
    else:  # a role's or region's memberships changed from its side
        user_cache.forget_everyone()


@receiver([post_save, post_delete], sender=Role, dispatch_uid="user_cache_role")
@receiver([post_save, post_delete], sender=Region, dispatch_uid="user_cache_region")
def _everyones_changed(sender, **kwargs):
    user_cache.forget_everyone()


@receiver(post_save, sender=Notice, dispatch_uid="user_cache_notice")
def _notice_written(sender, instance, **kwargs):
    user_cache.forget(NOTICES, [instance.user_id])
