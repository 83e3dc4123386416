"""What makes the caches of the signed-in forget.

- Cached token lookups (``authentication.authenticate_key``): the token, its user, the user's memberships (roles,
  regions, delegate) and the clients and regions those name (``connect``).
- The per-person cache (``apps.common.user_cache``): the signed-in person's row and memberships
  (``backends.PRINCIPAL``), and whatever else is kept per person and moves with them (the receivers below).
"""

from __future__ import annotations

from django.db.models.signals import m2m_changed, post_delete, post_save, pre_delete
from django.dispatch import receiver

from apps.common import user_cache

from .authentication import forget_tokens
from .backends import PRINCIPAL
from .models import ApiToken, Membership, Notice, Region, Role, User


def _forget_token(sender, instance: ApiToken, **kwargs) -> None:
    forget_tokens([instance.key_hash])


def _forget_user_tokens(user_id) -> None:
    forget_tokens(ApiToken.objects.filter(user_id=user_id).values_list("key_hash", flat=True))


def _forget_members_tokens(memberships) -> None:
    forget_tokens(ApiToken.objects.filter(user__in=memberships.values("user_id")).values_list("key_hash", flat=True))


def _user_saved(sender, instance: User, update_fields=None, **kwargs) -> None:
    if update_fields is not None and set(update_fields) <= {"last_login"}:
        return  # a sign-in: nothing a token's lookup holds
    _forget_user_tokens(instance.pk)
    _forget_members_tokens(Membership.objects.filter(delegate=instance))  # they stand in for someone


def _client_saved(sender, instance, **kwargs) -> None:
    _forget_members_tokens(Membership.objects.filter(client_id=instance.pk))


def _region_changed(sender, instance: Region, **kwargs) -> None:
    _forget_members_tokens(Membership.objects.filter(regions=instance))


def _membership_changed(sender, instance: Membership, **kwargs) -> None:
    _forget_user_tokens(instance.user_id)


def _membership_m2m_changed(sender, instance, action: str, reverse: bool, pk_set=None, **kwargs) -> None:
    if not action.startswith("post_"):
        return
    if reverse:  # role.memberships.add(...): the memberships are in pk_set (None on clear: every holder's)
        _forget_members_tokens(Membership.objects.all() if pk_set is None else Membership.objects.filter(pk__in=pk_set))
    else:
        _forget_user_tokens(instance.user_id)


def connect() -> None:
    post_save.connect(_forget_token, sender=ApiToken, dispatch_uid="apitoken-cache-save")
    post_delete.connect(_forget_token, sender=ApiToken, dispatch_uid="apitoken-cache-delete")
    post_save.connect(_user_saved, sender=User, dispatch_uid="apitoken-cache-user")
    post_save.connect(_membership_changed, sender=Membership, dispatch_uid="apitoken-cache-membership-save")
    post_delete.connect(_membership_changed, sender=Membership, dispatch_uid="apitoken-cache-membership-delete")
    for through, name in [(Membership.roles.through, "roles"), (Membership.regions.through, "regions")]:
        m2m_changed.connect(_membership_m2m_changed, sender=through, dispatch_uid=f"apitoken-cache-membership-{name}")
    post_save.connect(_client_saved, sender="clients.Client", dispatch_uid="apitoken-cache-client")
    post_save.connect(_region_changed, sender=Region, dispatch_uid="apitoken-cache-region-save")
    pre_delete.connect(_region_changed, sender=Region, dispatch_uid="apitoken-cache-region-delete")


# -- the per-person cache ----------------------------------------------------------------------------------------


NOTICES = "accounts.notices"  # a person's unread notices (accounts.middleware.NoticeMiddleware)

# kept per person and read through their memberships: forgotten with them
WITH_MEMBERSHIPS = (PRINCIPAL, "notifications.unread", "onboarding.open")


def forget_person(user_id) -> None:
    for name in WITH_MEMBERSHIPS:
        user_cache.forget(name, [user_id])


@receiver([post_save, post_delete], sender=User, dispatch_uid="user_cache_user")
def _person_changed(sender, instance, **kwargs):
    forget_person(instance.pk)


@receiver([post_save, post_delete], sender=Membership, dispatch_uid="user_cache_membership")
def _person_membership_changed(sender, instance, **kwargs):
    forget_person(instance.user_id)


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
