"""Issue 17, "Tests and proof": every list page and API list costs the same queries at 5 and at 50 rows, and that
number is pinned.

One person of client A with the rights to see every list (agency admin, compliance, requester, legal, content
manager, marketing) signs in (pages) or sends a read token (API). For each list, 5 rows are made, the list is asked
for twice (the second request, counted, is warm: session, token use and caches are steady), then 45 more rows and
the same again. Both counts must equal the number pinned in ``PINNED``; when a change lowers one, lower it here.
The counts are the same on SQLite and PostgreSQL (run with ``DATABASE_URL`` for the latter).
"""

from __future__ import annotations

import itertools
from collections.abc import Callable
from dataclasses import dataclass, field
from datetime import timedelta

import pytest
from django.db import connection
from django.test.utils import CaptureQueriesContext
from django.utils import timezone

from apps.assets.models import Asset, UsageEvent
from apps.audit import services as audit
from apps.clients.models import ConnectionStatus, SmintioConnection
from apps.common.roles import RoleCode
from apps.emulators.smintio import payloads as smintio_payloads
from tests.factories import ClientFactory, MembershipFactory, RegionFactory, member

pytestmark = pytest.mark.django_db

_n = itertools.count(1)

# Queries per request, the same at 5 and at 50 rows (measured 2026-12-07 on SQLite and PostgreSQL). The pages' counts
# are a warm request's: the session, the person, their memberships (3), notices, the unread badge and the onboarding
# count come from the per-person cache (apps/common/user_cache.py), 8 queries fewer than a cold one; the top bar's
# Smint.io state from the shared cache too (apps/clients/topbar.py: one query fewer on every page since 2026-12-07).
PINNED = {
    # pages
    # the client filter reads the cached membership list (apps.common.filters), not the clients; the page's 50 task
    # ids are taken before their runs are joined (apps.reviews.views._page): one statement more, a fifth of the time;
    # the region filter's options come from the shared cache (workflows.filtersets.region_choices)
    "inbox, team": 6,
    "inbox, mine": 6,
    "assets": 4,
    "cases": 2,
    "rights calendar": 6,
    "creative requests": 1,
    "campaigns": 3,
    "onboarding": 1,
    "audit": 1,
    "notifications": 1,
    "mailbox": 1,
    "webhooks": 2,
    "sync log": 10,
    "clients": 1,
    "review links": 3,
    "agency overview": 7,
    "delegation": 3,
    "profile (tokens)": 1,
    # API (a warm token: its lookup, with the user's memberships, comes from the cache, apps/accounts/authentication.py)
    "api clients": 1,
    "api audit events": 1,
    "api outbox": 1,
    "api assets": 3,  # keys, rows, terms: the vocabulary comes by its version with the rows (assets.vocabulary)
    "api usage events": 1,
    "api tasks": 2,
    "api comments": 2,
    "api review cycles": 3,
    "api cases": 1,
    "api shares": 1,
    "api creative requests": 1,
    "api campaign types": 1,
    "api formats": 1,
    "api onboardings": 1,
    "api campaigns": 3,
    "api notifications": 1,
    "api webhooks": 1,
}


@dataclass
class World:
    client: object
    person: object
    other: object  # a colleague: the author of what the person did not write
    extra: dict = field(default_factory=dict)


# -- rows -------------------------------------------------------------------------------------------------------
def _asset(w: World, **fields) -> Asset:
    from tests.reviews.factories import licensed_asset

    return licensed_asset(w.client, name=f"Fjord {next(_n)}", **fields)


def _tasks(w: World, count: int, *, mine: bool = False) -> None:
    from tests.reviews.factories import approval_run, review_task

    for _ in range(count):
        run = approval_run(_asset(w, geographies=["geography_germany_de"]), countries=("US",))
        review_task(run, "legal", assignee=w.person if mine else None)
        review_task(run, "brand")


def _assets(w: World, count: int) -> None:
    for _ in range(count):
        _asset(w)


def _cases(w: World, count: int) -> None:
    from apps.exceptions.models import Case

    for _ in range(count):
        number = next(_n)
        Case.objects.create(
            client=w.client,
            kind="renewal",
            asset=_asset(w, valid_days=20),
            key=f"lapse:{number}",
            title=f"Renew {number}",
            due_at=timezone.now() + timedelta(days=5),
        )


def _lapsing(w: World, count: int) -> None:
    for _ in range(count):
        _asset(w, valid_days=20)


def _requests(w: World, count: int) -> None:
    from apps.creative.models import CreativeRequest

    for _ in range(count):
        CreativeRequest.objects.create(
            client=w.client,
            requester=w.person,
            requester_email=w.person.email,
            title=f"Spring visuals {next(_n)}",
            status="draft",
        )


def _campaigns(w: World, count: int) -> None:
    from apps.campaigns import services as campaigns

    if not w.extra.get("region"):
        w.extra["region"] = RegionFactory(code="emea", name="EMEA", countries=["DE", "FR"])
    today = timezone.localdate()
    for _ in range(count):
        plan = campaigns.Plan(
            name=f"Campaign {next(_n)}",
            channels=["usage_web"],
            run_from=today + timedelta(days=10),
            run_until=today + timedelta(days=40),
            regions=[campaigns.RegionPlan(code="emea")],
        )
        campaign = campaigns.create(plan, client=w.client, actor=w.person)
        campaigns.add_assets(campaign, [_asset(w)], actor=w.person)


def _onboardings(w: World, count: int) -> None:
    from apps.onboarding.models import Onboarding

    for _ in range(count):
        Onboarding.objects.create(client=w.client, asset=_asset(w), source="bynder")


def _audit(w: World, count: int) -> None:
    for _ in range(count):
        audit.record("clients.client.update_policies", actor=w.other, client=w.client, obj=w.client)


def _notifications(w: World, count: int) -> None:
    from apps.notifications.models import Notification

    for _ in range(count):
        number = next(_n)
        Notification.objects.create(
            user=w.person, client=w.client, kind="task.assigned", event_key=f"k:{number}", title=f"Task {number}"
        )


def _mail(w: World, count: int) -> None:
    from apps.notifications.models import MailboxMessage

    for _ in range(count):
        MailboxMessage.objects.create(sender="greenlight@localhost", to=[w.person.email], subject=f"Mail {next(_n)}")


def _webhooks(w: World, count: int) -> None:
    from apps.webhooks import services as webhooks

    for _ in range(count):
        webhooks.create_endpoint(
            client=w.client,
            url=f"https://93.184.215.14/hook/{next(_n)}",
            event_types=["asset.approved"],
            description="DAM",
            actor=w.person,
        )


def _sync_rows(w: World, count: int) -> None:
    from apps.integrations.models import InboundEvent
    from apps.outbox.models import OutboxMessage

    for _ in range(count):
        number = next(_n)
        OutboxMessage.objects.create(
            client=w.client,
            platform="smintio",
            kind="smintio.workflow_status",
            ordering_key=f"acme:{number}",
            payload={},
            idempotency_key=f"call-{number}",
            status="failed",
            last_error="Smint.io answered 500",
            next_attempt_at=timezone.now(),
            give_up_at=timezone.now(),
        )
        InboundEvent.objects.create(
            source="smintio",
            event_id=f"evt-{number}",
            event="global-transaction-history-update",
            payload={},
            target="smintio:acme",
            client=w.client,
            processed_at=timezone.now(),
        )


def _clients(w: World, count: int) -> None:
    for _ in range(count):
        MembershipFactory(user=w.person, client=ClientFactory(), roles=[RoleCode.AGENCY_ADMIN])


def _review_links(w: World, count: int) -> None:
    from apps.reviews.models import ReviewLink

    for _ in range(count):
        number = next(_n)
        link = ReviewLink.objects.create(
            client=w.client,
            holder_name=f"Stakeholder {number}",
            holder_email=f"holder{number}@partner.example",
            nonce=f"nonce-{number}",
            created_by=w.person,
            expires_at=timezone.now() + timedelta(days=3),
        )
        link.assets.set([_asset(w)])


def _colleagues(w: World, count: int) -> None:
    for _ in range(count):
        member(w.client, RoleCode.LEGAL)


def _tokens(w: World, count: int) -> None:
    from apps.accounts.services import create_api_token

    for _ in range(count):
        create_api_token(w.person, actor=w.person, name=f"key {next(_n)}", scope="read", expires_days=30)


def _usage(w: World, count: int) -> None:
    asset = w.extra.get("used") or w.extra.setdefault("used", _asset(w))
    for _ in range(count):
        UsageEvent.objects.create(
            client=w.client,
            asset=asset,
            uuid=f"use-{next(_n)}",
            content_element_uuid=asset.content_element_uuid,
            event="download",
            user_email=w.person.email,
            occurred_at=timezone.now() - timedelta(hours=1),
        )


def _comments(w: World, count: int) -> None:
    from apps.workflows.models import Comment
    from tests.reviews.factories import approval_run

    run = w.extra.get("run") or w.extra.setdefault("run", approval_run(_asset(w)))
    for _ in range(count):
        Comment.objects.create(client=w.client, run=run, author=w.other, author_label=w.other.email, body="Seen.")


def _runs(w: World, count: int) -> None:
    from tests.reviews.factories import approval_run

    for _ in range(count):
        approval_run(_asset(w))


def _shares(w: World, count: int) -> None:
    from apps.sharing.models import Share

    external = w.extra.get("external") or w.extra.setdefault(
        "external", member(w.client, RoleCode.EXTERNAL, email="external@acme.example")
    )
    for _ in range(count):
        asset = _asset(w)
        Share.objects.create(
            client=w.client,
            subject_type="assets.asset",
            subject_id=asset.pk,
            subject_label=asset.name,
            user=external,
            shared_by=w.person,
            expires_at=timezone.now() + timedelta(days=10),
        )


def _campaign_types(w: World, count: int) -> None:
    from apps.creative.models import CampaignType

    for _ in range(count):
        CampaignType.objects.create(client=w.client, name=f"Launch {next(_n)}")


def _formats(w: World, count: int) -> None:
    from apps.creative.models import Format

    for _ in range(count):
        Format.objects.create(client=w.client, name=f"Banner {next(_n)}")


@dataclass(frozen=True)
class List:
    url: str
    grow: Callable[[World, int], None]
    params: dict = field(default_factory=dict)
    api: bool = False
    scope: str = "read"  # the API token's


LISTS = {
    "inbox, team": List("/", _tasks, {"tab": "team"}),
    "inbox, mine": List("/", lambda w, n: _tasks(w, n, mine=True), {"tab": "mine"}),
    "assets": List("/assets/", _assets),
    "cases": List("/cases/", _cases),
    "rights calendar": List("/cases/calendar/", _lapsing),
    "creative requests": List("/requests/", _requests),
    "campaigns": List("/campaigns/", _campaigns),
    "onboarding": List("/onboarding/", _onboardings),
    "audit": List("/audit/", _audit),
    "notifications": List("/notifications/", _notifications),
    "mailbox": List("/mailbox/", _mail),
    "webhooks": List("/webhooks/", _webhooks),
    "sync log": List("/sync/", _sync_rows),
    "clients": List("/clients/", _clients),
    "review links": List("/review-links/", _review_links),
    "agency overview": List("/agency/", _clients),
    "delegation": List("/accounts/delegation/", _colleagues),
    "profile (tokens)": List("/accounts/profile/", _tokens),
    "api clients": List("/api/v1/clients/", _clients, api=True),
    "api audit events": List("/api/v1/audit-events/", _audit, {"client": "acme"}, api=True),
    "api outbox": List("/api/v1/sync/outbox/", _sync_rows, api=True),
    "api assets": List("/api/v1/assets/", _assets, api=True),
    "api usage events": List("/api/v1/usage-events/", _usage, api=True),
    "api tasks": List("/api/v1/tasks/", _tasks, {"status": "open"}, api=True),
    "api comments": List("/api/v1/comments/", _comments, api=True),
    "api review cycles": List("/api/v1/review-cycles/", _runs, api=True),
    "api cases": List("/api/v1/cases/", _cases, api=True),
    "api shares": List("/api/v1/shares/", _shares, api=True),
    "api creative requests": List("/api/v1/creative-requests/", _requests, api=True),
    "api campaign types": List("/api/v1/campaign-types/", _campaign_types, api=True),
    "api formats": List("/api/v1/formats/", _formats, api=True),
    "api onboardings": List("/api/v1/onboardings/", _onboardings, api=True),
    "api campaigns": List("/api/v1/campaigns/", _campaigns, api=True),
    "api notifications": List("/api/v1/notifications/", _notifications, api=True),
    "api webhooks": List("/api/v1/webhooks/", _webhooks, api=True, scope="admin"),
}


def test_every_list_has_a_pinned_count():
    assert set(LISTS) == set(PINNED)


@pytest.fixture
def world(client_a, settings) -> World:
    settings.EMAIL_BACKEND = "apps.notifications.mailbox.MailboxBackend"  # /mailbox/ exists only with it
    # connected, with Smint.io's vocabularies, as a client in production is: reading them is part of a list's cost
    SmintioConnection.objects.create(
        client=client_a,
        tenant="acme",
        status=ConnectionStatus.CONNECTED,
        last_pull_ok=True,
        generic_metadata=smintio_payloads.generic_metadata(),
    )
    person = member(
        client_a,
        RoleCode.AGENCY_ADMIN,
        RoleCode.COMPLIANCE,
        RoleCode.REQUESTER,
        RoleCode.LEGAL,
        RoleCode.CONTENT_MANAGER,
        RoleCode.MARKETING,
        email="lists@acme.example",
    )
    return World(client=client_a, person=person, other=member(client_a, RoleCode.LEGAL, email="colleague@acme.example"))


def _count(http, spec: List) -> tuple[int, int]:
    """Queries of a warm request (one request first), and how much it listed: the rows on the API's page, the
    page's length for HTML."""
    assert http.get(spec.url, spec.params).status_code == 200
    with CaptureQueriesContext(connection) as queries:
        response = http.get(spec.url, spec.params)
    assert response.status_code == 200, (spec.url, response.status_code)
    return len(queries), len(response.json()["results"]) if spec.api else len(response.content)


@pytest.mark.parametrize("name", list(LISTS))
def test_a_list_costs_the_same_pinned_queries_at_5_and_50_rows(name, world, login, api_token, api):
    spec = LISTS[name]
    http = api(api_token(world.person, scope=spec.scope)) if spec.api else login(world.person)
    spec.grow(world, 5)
    five, rows_five = _count(http, spec)
    spec.grow(world, 45)
    fifty, rows_fifty = _count(http, spec)
    # the rows are really listed (a page may hold fewer than 50)
    assert rows_fifty > rows_five >= (5 if spec.api else 0), (name, rows_five, rows_fifty)
    assert (five, fifty) == (PINNED[name], PINNED[name]), (name, five, fifty)
