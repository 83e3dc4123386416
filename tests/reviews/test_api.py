"""The asset-approval API: assets, review cycles, tasks with their actions, and comments, over HTTP with tokens and
sessions; the same services, visibility and filtersets as the HTML."""

from __future__ import annotations

from datetime import timedelta

import pytest
from django.db import connection
from django.test.utils import CaptureQueriesContext
from django.utils import timezone

from apps.assets.choices import ApprovalState, RightsState
from apps.assets.models import Asset
from apps.common.roles import RoleCode
from apps.outbox.models import OutboxMessage
from apps.workflows.choices import RunStatus, TaskStatus
from apps.workflows.models import Comment, Decision, Task, WorkflowRun
from tests.factories import member

from .factories import approval_run, licensed_asset, review_task

pytestmark = pytest.mark.django_db

PROBLEM = "application/problem+json"


@pytest.fixture
def reviewer_api(regional_reviewer, api_token, api):
    return api(api_token(regional_reviewer, "write"))


@pytest.fixture
def legal_api(legal, api_token, api):
    return api(api_token(legal, "write"))


@pytest.fixture
def run(client_a):
    return approval_run(licensed_asset(client_a, name="Alpine hero"), region="emea")


@pytest.fixture
def legal_task(run):
    return review_task(run, "legal")


def _ids(response) -> set[int]:
    assert response.status_code == 200, response.content
    return {row["id"] for row in response.json()["results"]}


# -- assets ------------------------------------------------------------------------------------------------------------
def test_available_assets_are_only_the_approved_ones_with_rights_in_force(client_a, client_b, legal_api):
    ready = licensed_asset(client_a, name="Ready", approval=ApprovalState.APPROVED)
    lapsed = licensed_asset(client_a, name="Lapsed", approval=ApprovalState.APPROVED, rights=RightsState.EXPIRED)
    waiting = licensed_asset(client_a, name="Waiting")
    # still "valid" as last computed, but the clock has passed its end: not offered from that minute
    ended = licensed_asset(client_a, name="Ended a minute ago", approval=ApprovalState.APPROVED)
    Asset.objects.filter(pk=ended.pk).update(rights_until=timezone.now() - timedelta(minutes=1))
    licensed_asset(client_b, name="Elsewhere", approval=ApprovalState.APPROVED)

    assert _ids(legal_api.get("/api/v1/assets/", {"available": "true"})) == {ready.pk}
    assert _ids(legal_api.get("/api/v1/assets/", {"available": "false"})) == {lapsed.pk, waiting.pk, ended.pk}
    rows = {row["id"]: row for row in legal_api.get("/api/v1/assets/").json()["results"]}
    assert set(rows) == {ready.pk, lapsed.pk, waiting.pk, ended.pk}
    assert {pk for pk, row in rows.items() if row["available"]} == {ready.pk}
    assert rows[ready.pk]["client"] == "acme" and rows[ready.pk]["provider"] == "getty"
    assert "licences" not in rows[ready.pk]


def test_asset_filters_are_the_librarys(client_a, legal_api):
    ready = licensed_asset(client_a, name="Ready summit", approval=ApprovalState.APPROVED)
    lapsed = licensed_asset(client_a, name="Lapsed", approval=ApprovalState.APPROVED, rights=RightsState.EXPIRED)
    soon = licensed_asset(client_a, name="Short licence", valid_days=10)

    assert _ids(legal_api.get("/api/v1/assets/", {"status": "approved"})) == {ready.pk, lapsed.pk}
    assert _ids(legal_api.get("/api/v1/assets/", {"rights": "expired"})) == {lapsed.pk}
    assert _ids(legal_api.get("/api/v1/assets/", {"q": "summit"})) == {ready.pk}
    assert _ids(legal_api.get("/api/v1/assets/", {"q": soon.content_element_uuid})) == {soon.pk}  # an element id
    before = (timezone.localdate() + timedelta(days=30)).isoformat()
    assert _ids(legal_api.get("/api/v1/assets/", {"expiring_before": before})) == {soon.pk}
    assert _ids(legal_api.get("/api/v1/assets/", {"client": "acme", "provider": "getty"})) == {
        ready.pk,
        lapsed.pk,
        soon.pk,
    }
    foreign = legal_api.get("/api/v1/assets/", {"client": "beta"})
    assert foreign.status_code == 400 and foreign["Content-Type"] == PROBLEM
    assert "client" in foreign.json()["errors"]


def test_asset_detail_has_its_licences_and_terms(client_a, legal_api):
    asset = licensed_asset(client_a, geographies=["geography_europe"], usages=["usage_web", "usage_print"])
    body = legal_api.get(f"/api/v1/assets/{asset.pk}/").json()
    assert body["content_element_uuid"] == asset.content_element_uuid and body["available"] is False
    (licence,) = body["licences"]
    assert licence["state"] == "completed" and licence["uuid"].startswith("lpt-")
    (term,) = licence["terms"]
    assert term["allowed_geographies"] == ["geography_europe"]
    assert term["allowed_usages"] == ["usage_web", "usage_print"]
    assert term["valid_until"] and term["is_editorial_use"] is False


# -- review cycles -----------------------------------------------------------------------------------------------------
def test_review_cycles_show_intended_use_tasks_and_decisions(client_a, run, legal, legal_task, legal_api):
    legal_api.post(f"/api/v1/tasks/{legal_task.pk}/decision/", {"outcome": "approved"}, content_type="application/json")
    review_task(run, "brand")
    other = approval_run(licensed_asset(client_a, name="Other"))
    WorkflowRun.objects.filter(pk=other.pk).update(status=RunStatus.COMPLETED, outcome="approved")

    body = legal_api.get(f"/api/v1/review-cycles/{run.pk}/").json()
    assert body["asset"] == run.subject_id and body["client"] == "acme" and body["process_key"] == "asset_approval"
    assert body["title"] == "Alpine hero" and body["status"] == "running"
    assert body["intended_use"] == {
        "source": "request",
        "regions": ["emea"],
        "countries": ["DE", "FR"],
        "usages": ["usage_web"],
        "use_until": run.variables["useUntil"],
    }
    tasks = [(t["name"], t["status"]) for t in body["tasks"]]
    assert tasks == [("Legal review", "completed"), ("Brand review", "open")]
    assert body["tasks"][0]["assignee_email"] == legal.email and body["tasks"][0]["outcome"] == "approved"
    (decision,) = body["decisions"]
    assert decision == {
        "task": legal_task.pk,
        "actor": legal.email,
        "outcome": "approved",
        "reason": "",
        "decided_at": decision["decided_at"],
        "warnings": [],
        "applied": True,
        "not_applied_reason": "",
    }

    assert _ids(legal_api.get("/api/v1/review-cycles/")) == {run.pk, other.pk}
    assert _ids(legal_api.get("/api/v1/review-cycles/", {"asset": run.subject_id})) == {run.pk}
    assert _ids(legal_api.get("/api/v1/review-cycles/", {"status": "completed"})) == {other.pk}
    assert _ids(legal_api.get("/api/v1/review-cycles/", {"client": "acme", "status": "running"})) == {run.pk}


def test_review_cycles_are_only_asset_approvals(client_a, run, legal_api):
    WorkflowRun.objects.create(
        client=client_a,
        process_key="something_else",
        business_key="acme:something_else:1",
        subject_type="clients.client",
        subject_id=client_a.pk,
    )
    assert _ids(legal_api.get("/api/v1/review-cycles/")) == {run.pk}


# -- tasks: visibility -------------------------------------------------------------------------------------------------
def test_a_regional_reviewer_sees_tasks_for_their_roles_in_their_region_only(client_a, regional_reviewer, reviewer_api):
    emea_run = approval_run(licensed_asset(client_a), region="emea")
    us_run = approval_run(licensed_asset(client_a), region="us")
    anywhere_run = approval_run(licensed_asset(client_a))
    mine = review_task(emea_run, "reviewer")
    everyones = review_task(anywhere_run, "marketing")
    held = review_task(us_run, "legal", assignee=regional_reviewer)
    other_region = review_task(us_run, "reviewer")
    other_role = review_task(emea_run, "legal")

    assert _ids(reviewer_api.get("/api/v1/tasks/")) == {mine.pk, everyones.pk, held.pk}
    assert _ids(reviewer_api.get("/api/v1/tasks/", {"region": "emea"})) == {mine.pk}
    assert _ids(reviewer_api.get("/api/v1/tasks/", {"role": "marketing"})) == {everyones.pk}
    for hidden in (other_region, other_role):
        assert reviewer_api.get(f"/api/v1/tasks/{hidden.pk}/").status_code == 404
        assert reviewer_api.post(f"/api/v1/tasks/{hidden.pk}/claim/").status_code == 404
        hidden.refresh_from_db()
        assert hidden.assignee is None


def test_task_fields_and_filters(client_a, run, legal, legal_task, legal_api):
    review_task(run, "legal", due_in_hours=-2)
    done = review_task(run, "legal")
    Task.objects.filter(pk=done.pk).update(status=TaskStatus.COMPLETED, outcome="approved")

    body = legal_api.get(f"/api/v1/tasks/{legal_task.pk}/").json()
    assert body["client"] == "acme" and body["run"] == run.pk and body["title"] == "Alpine hero"
    assert body["candidate_roles"] == ["legal"] and body["regions"] == ["emea"] and body["region"] == "emea"
    assert body["version"] == 1
    assert body["possible_outcomes"] == [
        {"label": "Approve", "value": "approved"},
        {"label": "Reject", "value": "rejected"},
        {"label": "Request changes", "value": "changes_requested"},
    ]
    assert len(_ids(legal_api.get("/api/v1/tasks/", {"status": "open"}))) == 2
    assert _ids(legal_api.get("/api/v1/tasks/", {"status": "completed"})) == {done.pk}
    assert len(_ids(legal_api.get("/api/v1/tasks/", {"due": "overdue"}))) == 1
    assert _ids(legal_api.get("/api/v1/tasks/", {"q": "alpine", "assigned": "me"})) == set()

    claimed = legal_api.post(f"/api/v1/tasks/{legal_task.pk}/claim/")
    assert claimed.status_code == 200
    assert claimed.json()["assignee_email"] == legal.email and claimed.json()["version"] == 2
    assert _ids(legal_api.get("/api/v1/tasks/", {"assigned": "me"})) == {legal_task.pk}
    assert legal_task.pk not in _ids(legal_api.get("/api/v1/tasks/", {"assigned": "unassigned"}))
    assert legal_api.get("/api/v1/tasks/", {"assigned": "someone"}).status_code == 400


def test_another_clients_objects_are_404_for_every_endpoint_and_action(legal_task, run, outsider, api_token, api):
    http = api(api_token(outsider, "admin"))
    task = f"/api/v1/tasks/{legal_task.pk}/"
    for url in (task, f"/api/v1/review-cycles/{run.pk}/", f"/api/v1/assets/{run.subject_id}/"):
        response = http.get(url)
        assert response.status_code == 404 and response["Content-Type"] == PROBLEM
    for verb, body in (("claim", {}), ("unclaim", {}), ("decision", {"outcome": "approved"})):
        response = http.post(f"{task}{verb}/", body, content_type="application/json")
        assert response.status_code == 404, verb
    assert _ids(http.get("/api/v1/tasks/")) == set()
    assert _ids(http.get("/api/v1/review-cycles/")) == set()
    assert http.get("/api/v1/comments/", {"run": run.pk}).status_code == 400
    refused = http.post("/api/v1/comments/", {"run": run.pk, "body": "hi"}, content_type="application/json")
    assert refused.status_code == 400 and "run" in refused.json()["errors"]
    legal_task.refresh_from_db()
    assert legal_task.assignee is None and legal_task.status == TaskStatus.OPEN
    assert not Comment.objects.exists() and not Decision.objects.exists()


# -- tasks: claiming ---------------------------------------------------------------------------------------------------
def test_a_second_claim_by_someone_else_is_a_conflict_naming_the_holder(
    client_a, legal, legal_task, legal_api, api_token, api
):
    first = legal_api.post(f"/api/v1/tasks/{legal_task.pk}/claim/")
    assert first.status_code == 200
    colleague = member(client_a, RoleCode.LEGAL, email="other-legal@acme.example")
    second = api(api_token(colleague, "write")).post(f"/api/v1/tasks/{legal_task.pk}/claim/")
    assert second.status_code == 409 and second["Content-Type"] == PROBLEM
    body = second.json()
    assert body["type"] == "urn:greenlight:problem:conflict" and body["status"] == 409
    assert legal.email in body["detail"]
    assert body["task"]["id"] == legal_task.pk
    assert body["task"]["assignee_email"] == legal.email and body["task"]["version"] == 2
    assert OutboxMessage.objects.filter(kind="opentext.claim").count() == 1


def test_claiming_with_an_old_version_is_a_conflict(legal_task, legal_api):
    assert legal_api.post(f"/api/v1/tasks/{legal_task.pk}/claim/", {"version": 1}).status_code == 200
    assert legal_api.post(f"/api/v1/tasks/{legal_task.pk}/unclaim/", {"version": 2}).status_code == 200
    stale = legal_api.post(f"/api/v1/tasks/{legal_task.pk}/claim/", {"version": 2}, content_type="application/json")
    assert stale.status_code == 409
    assert stale.json()["task"]["version"] == 3 and stale.json()["task"]["assignee_email"] == ""
    bad = legal_api.post(f"/api/v1/tasks/{legal_task.pk}/claim/", {"version": "x"}, content_type="application/json")
    assert bad.status_code == 400 and "version" in bad.json()["errors"]


def test_releasing_a_task_one_does_not_hold_is_refused(legal_task, legal_api):
    response = legal_api.post(f"/api/v1/tasks/{legal_task.pk}/unclaim/")
    assert response.status_code == 400
    assert response.json()["errors"]["status"] == ["Only an open task you hold can be released."]


# -- tasks: deciding ---------------------------------------------------------------------------------------------------
def _decide(http, task, **body):
    return http.post(f"/api/v1/tasks/{task.pk}/decision/", body, content_type="application/json")


@pytest.mark.parametrize("outcome", ["rejected", "changes_requested"])
def test_rejecting_without_a_reason_is_a_validation_problem(legal_task, legal_api, outcome):
    response = _decide(legal_api, legal_task, outcome=outcome, reason="  ")
    assert response.status_code == 400 and response["Content-Type"] == PROBLEM
    body = response.json()
    assert body["type"] == "urn:greenlight:problem:validation-error"
    assert "reason" in body["errors"]["reason"][0]
    assert not Decision.objects.exists()


def test_an_outcome_the_task_does_not_offer_is_refused_on_outcome(legal_task, legal_api):
    response = _decide(legal_api, legal_task, outcome="teleported")
    assert response.status_code == 400
    assert "not an outcome" in response.json()["errors"]["outcome"][0]
    assert _decide(legal_api, legal_task).json()["errors"]["outcome"]  # missing altogether


def test_approving_over_licence_warnings_needs_a_reason(client_a, legal_api):
    asset = licensed_asset(client_a, geographies=["geography_usa"])
    task = review_task(approval_run(asset), "legal")
    refused = _decide(legal_api, task, outcome="approved")
    assert refused.status_code == 400 and "reason" in refused.json()["errors"]
    approved = _decide(legal_api, task, outcome="approved", reason="Campaign runs in the US only.")
    assert approved.status_code == 201
    assert approved.json()["warnings"]


def test_a_plain_cycle_approves_within_the_licence_unless_the_caller_names_a_use(client_a, legal_api):
    asset = licensed_asset(client_a, geographies=["geography_dach"], usages=["usage_print"])
    task = review_task(approval_run(asset, source="licence"), "legal")
    refused = _decide(legal_api, task, outcome="approved", use_countries=["DE", "US"], use_usages=["usage_web"])
    assert refused.status_code == 400
    assert "Not licensed for: Web." in refused.json()["errors"]["reason"][0]
    approved = _decide(legal_api, task, outcome="approved")  # the licence on its own terms: nothing to warn about
    assert approved.status_code == 201 and approved.json()["warnings"] == []


def test_an_approval_records_one_decision_and_one_completion_for_opentext(legal, legal_task, legal_api):
    response = _decide(legal_api, legal_task, outcome="approved", version=1)
    assert response.status_code == 201
    body = response.json()
    decision = Decision.objects.get()
    assert body["id"] == decision.pk and body["task"] == legal_task.pk
    assert body["actor"] == legal.email and body["outcome"] == "approved" and body["warnings"] == []
    (completion,) = OutboxMessage.objects.filter(kind="opentext.complete")
    assert completion.payload["outcome"] == "approved" and completion.payload["task"] == legal_task.pk
    legal_task.refresh_from_db()
    assert legal_task.status == TaskStatus.COMPLETED and legal_task.assignee == legal


def test_a_second_decision_on_the_same_task_is_a_conflict(client_a, legal, legal_task, legal_api, api_token, api):
    assert _decide(legal_api, legal_task, outcome="approved").status_code == 201
    colleague = member(client_a, RoleCode.LEGAL, email="other-legal@acme.example")
    for http in (legal_api, api(api_token(colleague, "write"))):
        second = _decide(http, legal_task, outcome="rejected", reason="Too late?")
        assert second.status_code == 409
        body = second.json()
        assert body["type"] == "urn:greenlight:problem:conflict"
        assert legal.email in body["detail"]
        assert body["task"]["status"] == "completed" and body["task"]["outcome"] == "approved"
    assert Decision.objects.count() == 1
    assert OutboxMessage.objects.filter(kind="opentext.complete").count() == 1


def test_a_decision_on_a_stale_version_is_a_conflict(legal_task, legal_api):
    legal_api.post(f"/api/v1/tasks/{legal_task.pk}/claim/")
    response = _decide(legal_api, legal_task, outcome="approved", version=1)
    assert response.status_code == 409 and response.json()["task"]["version"] == 2
    assert not Decision.objects.exists()


def test_a_read_token_cannot_claim_release_or_decide(legal, legal_task, api_token, api):
    http = api(api_token(legal, "read"))
    assert http.get(f"/api/v1/tasks/{legal_task.pk}/").status_code == 200
    for verb, body in (("claim", {}), ("unclaim", {}), ("decision", {"outcome": "approved"})):
        response = http.post(f"/api/v1/tasks/{legal_task.pk}/{verb}/", body, content_type="application/json")
        assert response.status_code == 403, verb
        assert response.json()["type"] == "urn:greenlight:problem:permission-denied"
    assert http.post("/api/v1/comments/", {"run": legal_task.run_id, "body": "hi"}).status_code == 403
    legal_task.refresh_from_db()
    assert legal_task.assignee is None and not Decision.objects.exists() and not Comment.objects.exists()


@pytest.mark.parametrize("verb", ["claim", "unclaim", "decision"])
def test_task_actions_reject_get(verb, legal_task, legal_api):
    response = legal_api.get(f"/api/v1/tasks/{legal_task.pk}/{verb}/")
    assert response.status_code == 405 and "POST" in response["Allow"]


def test_a_session_decision_needs_csrf(legal, legal_task, login):
    browser = login(legal, enforce_csrf_checks=True)
    response = browser.post(
        f"/api/v1/tasks/{legal_task.pk}/decision/", {"outcome": "approved"}, content_type="application/json"
    )
    assert response.status_code == 403
    assert not Decision.objects.exists()


# -- query counts ------------------------------------------------------------------------------------------------------
def _queries(http, url) -> int:
    with CaptureQueriesContext(connection) as queries:
        response = http.get(url)
    assert response.status_code == 200
    return len(queries)


def _grow(client, count, reviewer):
    for n in range(count):
        asset = licensed_asset(client, approval=ApprovalState.APPROVED)
        cycle = approval_run(asset, region="emea")
        task = review_task(cycle, "reviewer", assignee=reviewer if n % 2 else None)
        Comment.objects.create(client=client, run=cycle, task=task, author_label="x@acme.example", body="hi")


@pytest.mark.parametrize("url", ["/api/v1/assets/", "/api/v1/tasks/", "/api/v1/review-cycles/", "/api/v1/comments/"])
def test_api_lists_do_not_grow_with_rows(url, client_a, regional_reviewer, reviewer_api):
    reviewer_api.get("/api/v1/me/")  # the token's first use records last_used_at
    _grow(client_a, 5, regional_reviewer)
    five = _queries(reviewer_api, url)
    _grow(client_a, 45, regional_reviewer)
    fifty = _queries(reviewer_api, url)
    assert len(reviewer_api.get(url).json()["results"]) == 50
    assert five == fifty <= 10, (five, fifty)
