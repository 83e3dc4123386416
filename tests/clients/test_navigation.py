"""Issue 12 item 8: the navigation and the operator pages by role; an honest Smint.io state for everyone; an
external member kept off the client's own pages."""

from datetime import timedelta

import pytest
from django.utils import timezone

from apps.clients.models import ConnectionStatus, SmintioConnection
from apps.common.roles import RoleCode
from tests.factories import MembershipFactory, UserFactory, member

pytestmark = pytest.mark.django_db


def _nav(http) -> str:
    page = http.get("/").content.decode()
    return page.split('aria-label="Main"', 1)[1].split("</nav>", 1)[0]


@pytest.mark.parametrize(
    ("roles", "staff", "shown", "hidden"),
    [
        ([RoleCode.REVIEWER], False, [], ["Sync", "Audit", "Admin", "API docs", "Operator admin"]),
        ([RoleCode.LEGAL], False, ["Audit"], ["Sync", "Admin", "API docs"]),
        ([RoleCode.AGENCY_ADMIN], False, ["Sync", "Audit", "Admin", "API docs"], ["Operator admin"]),
        ([RoleCode.INTEGRATOR], False, ["API docs"], ["Sync", "Audit", "Admin"]),
        ([RoleCode.EXTERNAL, RoleCode.AGENCY_ADMIN], False, [], ["Sync", "Audit", "Admin", "API docs", "Requests"]),
        ([RoleCode.REVIEWER], True, ["Sync", "Audit", "API docs", "Operator admin"], ["Admin<"]),
    ],
)
def test_the_navigation_offers_each_person_what_they_may_use(client_a, login, roles, staff, shown, hidden):
    user = member(client_a, *roles, email="person@acme.example")
    if staff:
        user.is_staff = True
        user.save(update_fields=["is_staff"])
    nav = _nav(login(user))
    assert "Review inbox" in nav and "Cases" in nav
    for label in shown:
        assert f">{label}<" in nav, label
    for label in hidden:
        assert (label if label.endswith("<") else f">{label}<") not in nav, label


def test_the_sync_log_is_refused_to_a_reviewer_and_shows_a_staff_operator_every_connection(client_a, client_b, login):
    SmintioConnection.objects.create(client=client_b, tenant="beta", status=ConnectionStatus.CONNECTED)
    reviewer = member(client_a, RoleCode.REVIEWER, RoleCode.LEGAL, email="r@acme.example")
    assert login(reviewer).get("/sync/").status_code == 403
    operator = UserFactory(email="operator@agency.example", is_staff=True)
    page = login(operator).get("/sync/").content.decode()
    assert "Beta Brands" in page and "No client is connected" not in page


def test_everyone_of_the_client_is_told_the_connection_is_connected(client_a, login):
    SmintioConnection.objects.create(client=client_a, tenant="acme", status=ConnectionStatus.CONNECTED)
    page = login(member(client_a, RoleCode.REVIEWER, email="r@acme.example")).get("/").content.decode()
    assert "Smint.io connected" in page and "not connected" not in page.lower()


def test_the_dashboard_says_the_first_sync_is_running_and_how_far_it_got(client_a, login):
    from tests.reviews.factories import licensed_asset

    connection = SmintioConnection.objects.create(
        client=client_a,
        tenant="acme",
        status=ConnectionStatus.CONNECTED,
        lease_until=timezone.now() + timedelta(minutes=1),
    )
    licensed_asset(client_a)
    licensed_asset(client_a)
    http = login(member(client_a, RoleCode.REVIEWER, email="r@acme.example"))
    assert "Syncing with Smint.io: 2 assets so far." in http.get("/").content.decode()
    # Once a pull has succeeded, later pulls are routine: no banner.
    SmintioConnection.objects.filter(pk=connection.pk).update(last_pull_ok=True)
    assert "Syncing with Smint.io" not in http.get("/").content.decode()


def test_an_external_member_cannot_reach_the_clients_own_pages(client_a, external, login, api_token, api):
    http = login(external)
    for url in ["/clients/acme/", "/clients/acme/policies/", "/clients/acme/compliance-rules/"]:
        assert http.get(url).status_code == 404, url
    assert "Acme Outdoor" not in http.get("/clients/").content.decode().split("<main", 1)[1]
    token = api(api_token(external))
    assert token.get("/api/v1/clients/acme/").status_code == 404
    assert token.get("/api/v1/clients/").json()["results"] == []


def _connection_reads(http, url="/"):
    from django.db import connection as db
    from django.test.utils import CaptureQueriesContext

    with CaptureQueriesContext(db) as captured:
        page = http.get(url).content.decode()
    # statements that read the connections themselves (the inbox joins a task's connection for its vocabulary)
    return page, sum('FROM "clients_smintioconnection"' in query["sql"] for query in captured)


def test_the_top_bar_reads_the_connection_once_and_again_after_each_write_that_moves_it(client_a, login):
    """Every page shows the Smint.io state: it is kept in the shared cache (apps/clients/topbar.py) and read again
    after the sync's lease and pull writes, a save, or a renamed client."""
    from apps.integrations.smintio import sync

    connection = SmintioConnection.objects.create(client=client_a, tenant="acme", status=ConnectionStatus.CONNECTED)
    http = login(member(client_a, RoleCode.REVIEWER, email="r@acme.example"))
    assert _connection_reads(http)[1] == 1
    page, reads = _connection_reads(http, "/assets/")
    assert reads == 0 and "Smint.io connected" in page

    assert sync.acquire_lease(connection, "worker-1")  # a first pull starts: the banner
    page, reads = _connection_reads(http)
    assert reads == 1 and "Syncing with Smint.io: 0 assets so far." in page
    # a write the top bar does not show keeps the entry
    SmintioConnection.objects.filter(pk=connection.pk).update(last_pull_started_at=timezone.now())
    assert _connection_reads(http)[1] == 0

    SmintioConnection.objects.filter(pk=connection.pk).update(last_pull_ok=True)
    sync.release_lease(connection, "worker-1")
    page, reads = _connection_reads(http)
    assert reads == 1 and "Syncing with Smint.io" not in page and "Smint.io connected" in page

    connection.refresh_from_db()
    connection.status = ConnectionStatus.BROKEN
    connection.save()
    page, reads = _connection_reads(http)
    assert reads == 1 and "Smint.io broken" in page


def test_a_renamed_client_is_named_in_the_top_bar(client_a, client_b, login):
    for tenant_client in (client_a, client_b):
        SmintioConnection.objects.create(client=tenant_client, tenant=tenant_client.slug, status="connected")
    user = member(client_a, RoleCode.REVIEWER, email="r@acme.example")
    MembershipFactory(user=user, client=client_b, roles=[RoleCode.REVIEWER])
    http = login(user)
    assert "Acme Outdoor: Smint.io connected" in http.get("/").content.decode()
    client_a.name = "Acme Renamed"
    client_a.save()
    page, reads = _connection_reads(http)
    assert reads == 1 and "Acme Renamed: Smint.io connected" in page
