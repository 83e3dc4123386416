"""The navigation's Onboarding link (``components/nav.html``): shown to the people who work onboarding runs (content
managers, legal, agency admins; never external members), with the number of open runs of their clients. The count
is one query, run only when a page that shows the link is rendered for such a person."""

from __future__ import annotations

from functools import cached_property

from apps.common import user_cache
from apps.common.roles import RoleCode

from .choices import OnboardingState
from .models import Onboarding

OPEN_COUNT = "onboarding.open"  # forgotten with the person's memberships too (apps.accounts.signals)
WORKERS = frozenset({RoleCode.CONTENT_MANAGER, RoleCode.LEGAL, RoleCode.AGENCY_ADMIN})


def working_clients(user) -> list[int]:
    """The clients where ``user`` works onboarding runs (no query: the membership list is the user's)."""
    if not getattr(user, "is_authenticated", False):
        return []
    return [
        m.client_id
        for m in user.membership_list
        if RoleCode.EXTERNAL not in m.role_codes and WORKERS & set(m.role_codes)
    ]


class OnboardingLink:
    def __init__(self, user, clients: list[int]):
        self.user, self.clients = user, clients

    @cached_property
    def open(self) -> int:
        return user_cache.remember(
            OPEN_COUNT,
            self.user.pk,
            lambda: (
                Onboarding.objects.visible_to(self.user)
                .filter(client_id__in=self.clients, state=OnboardingState.OPEN)
                .count()
            ),
        )


def forget_open_counts(sender, instance, **kwargs) -> None:
    """An onboarding opened or finished: its client's members count again (one query, on a rare write)."""
    from apps.accounts.models import Membership

    members = Membership.objects.filter(client_id=instance.client_id).values_list("user_id", flat=True)
    user_cache.forget(OPEN_COUNT, list(members))


def onboarding_nav(request) -> dict:
    clients = working_clients(getattr(request, "user", None))
    return {"onboarding_nav": OnboardingLink(request.user, clients) if clients else None}
