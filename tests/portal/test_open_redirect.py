"""Issue 11 item 4: every ``next`` a form carries stays on this site (an open redirect sends a signed-in person to a
look-alike page from a link on ours)."""

from __future__ import annotations

import pytest

from tests.reviews.factories import approval_run, licensed_asset, review_task

pytestmark = pytest.mark.django_db

ELSEWHERE = [
    "https://evil.example/",
    "//evil.example/",
    "/\\evil.example/",
    "https:evil.example",
    " https://evil.example",
    "²",  # not a path: Django's redirect() would reverse it as a URL name
]


def _actions(client_a, legal):
    def task():
        return review_task(approval_run(licensed_asset(client_a)), "legal")

    return {
        "claim": lambda: (f"/tasks/{task().pk}/claim/", {}),
        "unclaim": lambda: (
            f"/tasks/{review_task(approval_run(licensed_asset(client_a)), 'legal', assignee=legal).pk}/unclaim/",
            {},
        ),
        "decide": lambda: (f"/tasks/{task().pk}/decide/", {"outcome": "rejected", "reason": "Off brand"}),
        "bulk approve": lambda: ("/tasks/approve/", {"task": [task().pk]}),
        "client switch": lambda: ("/clients/switch/", {"client": client_a.slug}),
    }


@pytest.mark.parametrize("target", ELSEWHERE)
@pytest.mark.parametrize("action", ["claim", "unclaim", "decide", "bulk approve", "client switch"])
def test_a_next_pointing_elsewhere_lands_on_the_dashboard(client_a, legal, login, action, target):
    url, data = _actions(client_a, legal)[action]()
    browser = login(legal)
    response = browser.post(url, {**data, "next": target})
    assert response.status_code == 302, response.content[:300]
    assert response["Location"] == "/"
    htmx = browser.post(*_actions(client_a, legal)[action](), headers={"HX-Request": "true"}, QUERY_STRING="")
    assert "evil.example" not in htmx.headers.get("HX-Redirect", "") + htmx.headers.get("Location", "")


@pytest.mark.parametrize("action", ["claim", "decide", "bulk approve", "client switch"])
def test_a_next_on_this_site_is_followed(client_a, legal, login, action):
    url, data = _actions(client_a, legal)[action]()
    response = login(legal).post(url, {**data, "next": "/assets/?q=lake"})
    assert response.status_code == 302
    assert response["Location"] == "/assets/?q=lake"


def test_the_decision_form_does_not_carry_a_foreign_next_into_its_page(client_a, legal, login):
    task = review_task(approval_run(licensed_asset(client_a)), "legal")
    page = login(legal).get(f"/tasks/{task.pk}/decide/", {"next": "https://evil.example/"}).content.decode()
    assert "evil.example" not in page


@pytest.mark.parametrize("version", ["²", "١٢", "9" * 400, "-1", "1e3"])
def test_a_malformed_version_is_no_500(client_a, legal, login, version):
    task = review_task(approval_run(licensed_asset(client_a)), "legal")
    response = login(legal).post(f"/tasks/{task.pk}/claim/", {"version": version})
    assert response.status_code < 500


def test_malformed_task_ids_in_a_bulk_approve_are_ignored(client_a, legal, login):
    response = login(legal).post("/tasks/approve/", {"task": ["²", "abc", "9" * 400]})
    assert response.status_code == 302


@pytest.mark.parametrize("target", ELSEWHERE)
def test_sync_now_stays_on_this_site(client_a, agency_admin, login, target):
    from apps.clients.models import SmintioConnection

    SmintioConnection.objects.create(client=client_a, tenant="acme")
    response = login(agency_admin).post(f"/integrations/smintio/{client_a.slug}/sync/", {"next": target})
    assert response.status_code == 302
    assert response["Location"] == "/sync/"
