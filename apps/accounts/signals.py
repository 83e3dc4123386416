"""What makes the per-person cache forget (``apps.common.user_cache``): the signed-in person's row and memberships
(``backends.PRINCIPAL``), and whatever else is kept per person and moves with them."""

from __future__ import annotations

from django.db.models.signals import m2m_changed, post_delete, post_save
from django.dispatch import receiver

from apps.common import user_cache

from .backends import PRINCIPAL
from .models import Membership, Notice, Region, Role, User

NOTICES = "accounts.notices"  # a person's unread notices (accounts.middleware.NoticeMiddleware)

# kept per person and read through their memberships: forgotten with them
WITH_MEMBERSHIPS = (PRINCIPAL, "notifications.unread", "onboarding.open")


def forget_person(user_id) -> None:
    for name in WITH_MEMBERSHIPS:
        user_cache.forget(name, [user_id])


@receiver([post_save, post_delete], sender=User, dispatch_uid="user_cache_user")
def _user_changed(sender, instance, **kwargs):
    forget_person(instance.pk)


@receiver([post_save, post_delete], sender=Membership, dispatch_uid="user_cache_membership")
def _membership_changed(sender, instance, **kwargs):
    forget_person(instance.user_id)


@receiver(m2m_changed, sender=Membership.roles.through, dispatch_uid="user_cache_membership_roles")
@receiver(m2m_changed, sender=Membership.regions.through, dispatch_uid="user_cache_membership_regions")
def _membership_grants_changed(sender, instance, action, reverse, **kwargs):
    if not action.startswith("post_"):
        return
    if isinstance(instance, Membership):
        forget_person(instance.user_id)
    else:  # a role's or region's memberships changed from its side
        user_cache.forget_everyone()


@receiver([post_save, post_delete], sender=Role, dispatch_uid="user_cache_role")
@receiver([post_save, post_delete], sender=Region, dispatch_uid="user_cache_region")
def _shared_changed(sender, **kwargs):
    user_cache.forget_everyone()


@receiver(post_save, sender=Notice, dispatch_uid="user_cache_notice")
def _notice_written(sender, instance, **kwargs):
    user_cache.forget(NOTICES, [instance.user_id])
