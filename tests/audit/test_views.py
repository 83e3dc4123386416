import csv
import io

import pytest
from django.db import connection
from django.test.utils import CaptureQueriesContext

from apps.common.roles import RoleCode
from tests.factories import AuditEventFactory, member

pytestmark = pytest.mark.django_db


def _csv(response):
    return list(csv.reader(io.StringIO(b"".join(response.streaming_content).decode())))


def test_members_without_the_audit_role_see_no_client_events(client_a, requester, login):
    AuditEventFactory(client=client_a, object_repr="secret-ish")
    page = login(requester).get("/audit/").content.decode()
    assert "secret-ish" not in page
    assert "accounts.user.login" in page  # their own sign-in is the only event they see
    assert "No events match" in login(requester).get("/audit/", {"client": "acme"}).content.decode()


def test_filters_narrow_the_trail(client_a, legal, login):
    AuditEventFactory(client=client_a, action="clients.client.update_policies", object_repr="policy change")
    AuditEventFactory(client=client_a, action="accounts.apitoken.create", object_repr="token made")
    browser = login(legal)
    page = browser.get("/audit/", {"action": "clients."}).content.decode()
    assert "policy change" in page and "token made" not in page
    page = browser.get("/audit/", {"q": "token"}).content.decode()
    assert "token made" in page and "policy change" not in page


def test_htmx_filter_request_gets_only_the_results_fragment(client_a, legal, login):
    AuditEventFactory(client=client_a, object_repr="fragment row")
    response = login(legal).get("/audit/", {"q": "fragment"}, headers={"HX-Request": "true"})
    page = response.content.decode()
    assert 'id="results"' in page and "fragment row" in page
    assert "<html" not in page and 'role="search"' not in page
    assert "HX-Request" in response["Vary"]


def test_invalid_filters_say_so_instead_of_erroring(client_a, legal, login):
    response = login(legal).get("/audit/", {"since": "yesterday-ish"})
    assert response.status_code == 200
    assert "Some filters are not valid" in response.content.decode()


def test_keyset_pages_walk_the_whole_trail_without_overlap(client_a, legal, login):
    events = AuditEventFactory.create_batch(120, client=client_a)
    browser = login(legal)
    seen, before = [], None
    for _ in range(5):
        response = browser.get("/audit/", {"client": "acme", **({"before": before} if before else {})})
        page = response.context["page"]
        seen.extend(e.pk for e in page.items)
        before = page.next_before
        if before is None:
            break
    assert seen == sorted((e.pk for e in events), reverse=True)


def test_export_streams_every_matching_event_as_csv(client_a, legal, login):
    AuditEventFactory.create_batch(3, client=client_a, action="clients.client.update_policies")
    AuditEventFactory(client=client_a, action="accounts.apitoken.create")
    response = login(legal).get("/audit/export.csv", {"action": "clients."})
    assert response.streaming
    assert response["Content-Type"].startswith("text/csv")
    rows = _csv(response)
    assert rows[0][:5] == ["id", "created_at", "actor_label", "client_slug", "action"]
    assert len(rows) == 4
    assert {row[4] for row in rows[1:]} == {"clients.client.update_policies"}


def test_export_neutralises_spreadsheet_formulas(client_a, legal, login):
    AuditEventFactory(client=client_a, object_repr='=HYPERLINK("http://evil")', reason="+1")
    rows = _csv(login(legal).get("/audit/export.csv", {"client": "acme"}))
    assert rows[1][7].startswith("'=") and rows[1][8] == "'+1"


def test_export_of_another_clients_events_is_empty(client_a, client_b, legal, login):
    AuditEventFactory(client=client_b, object_repr="beta only")
    rows = _csv(login(legal).get("/audit/export.csv"))
    assert [row[4] for row in rows[1:]] == ["accounts.user.login"]
    assert "beta" not in str(rows)


def test_audit_list_query_count_does_not_grow_with_rows(client_a, login):
    """P1: the same number of queries for 5 and for 50 rows, within the page budget."""
    user = member(client_a, RoleCode.COMPLIANCE, email="counting@example.com")
    browser = login(user)

    def queries_for_page(expected_rows):
        browser.get("/audit/", {"client": "acme"})  # warm: the second click's cost (tests/queries.py)
        with CaptureQueriesContext(connection) as queries:
            response = browser.get("/audit/", {"client": "acme"})
        assert len(response.context["page"].items) == expected_rows
        return len(queries)

    AuditEventFactory.create_batch(5, client=client_a)
    five = queries_for_page(5)
    AuditEventFactory.create_batch(45, client=client_a)
    fifty = queries_for_page(50)
    assert five == fifty <= 11, (five, fifty)  # 10, and the top bar's unread notifications (one COUNT)
