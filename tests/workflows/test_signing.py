"""Only the role signs (DESIGN invariant 7; issue 11, item 1): a task is claimed and decided only by a person holding
one of its candidate roles, in its region when they are region-scoped. An agency admin sees every task of the client
and signs none without the role, through the service, the API (403 problem document), the HTML pages (the message
where they acted) and bulk approve; the inbox offers them no Claim, Decide or Approve."""

from __future__ import annotations

import pytest

from apps.common.roles import RoleCode
from apps.outbox.models import OutboxMessage
from apps.workflows import services
from apps.workflows.choices import TaskStatus
from apps.workflows.models import Decision, Task
from tests.factories import RegionFactory, member
from tests.reviews.factories import approval_run, licensed_asset, review_task

from .conftest import compliance_case, mirror

pytestmark = pytest.mark.django_db

REFUSAL = "Only Legal may sign “Legal review”, and you do not hold that role here. You can still see it."


@pytest.fixture
def regions(db):
    return {
        "emea": RegionFactory(code="emea", name="EMEA", countries=["DE"]),
        "amer": RegionFactory(code="amer", name="AMER", countries=["US"]),
    }


@pytest.fixture
def people(client_a, agency_admin, legal, regions):
    return {
        "agency admin": agency_admin,
        "legal": legal,
        "agency admin and legal": member(client_a, RoleCode.AGENCY_ADMIN, RoleCode.LEGAL, email="both@acme.example"),
        "legal in EMEA": member(client_a, RoleCode.LEGAL, email="emea-legal@acme.example", regions=[regions["emea"]]),
        "brand": member(client_a, RoleCode.BRAND, email="brand@acme.example"),
        "external": member(client_a, RoleCode.EXTERNAL, email="ext@acme.example"),
    }


# person -> (legal task without a region, legal task in EMEA, legal task in AMER)
MATRIX = {
    "agency admin": (False, False, False),
    "legal": (True, True, True),
    "agency admin and legal": (True, True, True),
    "legal in EMEA": (True, True, False),
    "brand": (False, False, False),
    "external": (False, False, False),
}


@pytest.mark.parametrize("who", MATRIX)
def test_who_may_claim_and_decide_a_legal_review(client_a, people, who):
    person = people[who]
    for region, allowed in zip(("", "emea", "amer"), MATRIX[who], strict=True):
        task = review_task(approval_run(licensed_asset(client_a), region=region), "legal")
        assert services.may_sign(task, person) is allowed, (who, region)
        if allowed:
            services.claim_task(task, actor=person)
            assert services.decide(task, actor=person, outcome="approved").actor == person
            continue
        with pytest.raises(services.NotASigner):
            services.claim_task(task, actor=person)
        with pytest.raises(services.NotASigner):
            services.decide(task, actor=person, outcome="approved")
        task.refresh_from_db()
        assert (task.status, task.assignee_id) == (TaskStatus.OPEN, None)
        assert not Decision.objects.filter(task=task).exists()
        assert not OutboxMessage.objects.filter(payload__task=task.pk).exists()


def test_the_refusal_says_which_role_and_which_region(client_a, people):
    task = review_task(approval_run(licensed_asset(client_a), region="amer"), "legal")
    assert services.signing_refusal(task, people["agency admin"]) == REFUSAL
    assert services.signing_refusal(task, people["legal in EMEA"]) == (
        "“Legal review” is for AMER; you sign for EMEA only."
    )
    assert services.signing_refusal(task, people["legal"]) == ""


def test_a_task_without_candidate_roles_is_its_assignees_alone(client_a, legal, agency_admin):
    task = review_task(approval_run(licensed_asset(client_a)), "legal", assignee=legal)
    Task.objects.filter(pk=task.pk).update(candidate_roles=[])
    task.refresh_from_db()
    assert services.may_sign(task, legal) and not services.may_sign(task, agency_admin)


def test_a_case_task_is_signed_by_its_team_only(client_a, agency_admin, legal):
    _case, run = compliance_case(client_a, route_to="legal")
    task = mirror(run, "investigate_legal")
    with pytest.raises(services.NotASigner, match="Only Legal may sign"):
        services.decide(task, actor=agency_admin, outcome="no_issue")
    assert services.decide(task, actor=legal, outcome="no_issue").actor == legal


# -- the API: 403 problem documents ---------------------------------------------------------------------------------
def test_an_agency_admin_cannot_decide_or_claim_a_legal_review_through_the_api(
    client_a, agency_admin, legal, api_token, api
):
    task = review_task(approval_run(licensed_asset(client_a)), "legal")
    admin = api(api_token(agency_admin, scope="write"))
    assert admin.get(f"/api/v1/tasks/{task.pk}/").status_code == 200  # admins see it
    for path, body in (
        (f"/api/v1/tasks/{task.pk}/decision/", {"outcome": "approved"}),
        (f"/api/v1/tasks/{task.pk}/claim/", {}),
    ):
        response = admin.post(path, body, content_type="application/json")
        assert response.status_code == 403, response.content
        assert response["Content-Type"] == "application/problem+json"
        problem = response.json()
        assert (problem["type"], problem["detail"]) == ("urn:greenlight:problem:permission-denied", REFUSAL)
    task.refresh_from_db()
    assert (task.status, task.assignee_id) == (TaskStatus.OPEN, None) and not Decision.objects.exists()

    response = api(api_token(legal, scope="write")).post(
        f"/api/v1/tasks/{task.pk}/decision/", {"outcome": "approved"}, content_type="application/json"
    )
    assert response.status_code == 201, response.content
    assert Decision.objects.get(task=task).actor == legal


def test_an_agency_admin_cannot_decide_a_case_task_through_the_cases_api(client_a, agency_admin, api_token, api):
    case, run = compliance_case(client_a, route_to="legal")
    task = mirror(run, "investigate_legal")
    response = api(api_token(agency_admin, scope="write")).post(
        f"/api/v1/cases/{case.pk}/decision/",
        {"task": task.pk, "outcome": "no_issue"},
        content_type="application/json",
    )
    assert response.status_code == 403 and "Only Legal may sign" in response.json()["detail"]
    assert not Decision.objects.exists()


# -- the HTML pages: the message where the person acted ------------------------------------------------------------
def test_an_agency_admin_sees_the_decision_page_without_a_form_and_a_post_is_refused(
    client_a, agency_admin, legal, login
):
    task = review_task(approval_run(licensed_asset(client_a, name="Glacier lake")), "legal")
    browser = login(agency_admin)
    page = browser.get(f"/tasks/{task.pk}/decide/").content.decode()
    assert REFUSAL in page
    assert "Record decision" not in page
    response = browser.post(f"/tasks/{task.pk}/decide/", {"outcome": "approved", "version": task.version})
    assert response.status_code == 403
    assert REFUSAL in response.content.decode() and 'role="alert"' in response.content.decode()
    response = browser.post(f"/tasks/{task.pk}/claim/", {"version": task.version}, follow=True)
    assert REFUSAL in response.content.decode()
    task.refresh_from_db()
    assert (task.status, task.assignee_id) == (TaskStatus.OPEN, None)

    assert login(legal).post(f"/tasks/{task.pk}/decide/", {"outcome": "approved"}).status_code == 302
    assert Decision.objects.get(task=task).actor == legal


def test_a_case_decision_by_an_admin_is_refused_on_the_case_page(client_a, agency_admin, login):
    case, run = compliance_case(client_a, route_to="legal")
    task = mirror(run, "investigate_legal")
    browser = login(agency_admin)
    page = browser.get(f"/cases/{case.pk}/").content.decode()
    assert "Signed by Legal" in page and f'id="task-{task.pk}-decide"' not in page
    response = browser.post(f"/tasks/{task.pk}/decide/", {"outcome": "no_issue", "version": task.version})
    assert response.status_code == 403
    page = response.content.decode()
    assert case.title in page and "Only Legal may sign" in page  # the case page, the message at the task
    assert not Decision.objects.exists()


def test_bulk_approve_approves_what_the_person_signs_and_names_the_rest(client_a, people, login):
    signs = review_task(approval_run(licensed_asset(client_a, name="Harbour")), "legal")
    does_not = review_task(approval_run(licensed_asset(client_a, name="Skyline")), "brand")
    response = login(people["agency admin and legal"]).post(
        "/tasks/approve/", {"task": [signs.pk, does_not.pk]}, follow=True
    )
    page = response.content.decode()
    assert "1 approved, 1 not approved: “Skyline”: Only Brand may sign" in page
    assert list(Decision.objects.values_list("task", flat=True)) == [signs.pk]
    does_not.refresh_from_db()
    assert does_not.status == TaskStatus.OPEN

    only_admin = login(people["agency admin"]).post("/tasks/approve/", {"task": [does_not.pk]}, follow=True)
    assert "0 approved, 1 not approved: “Skyline”: Only Brand may sign" in only_admin.content.decode()
    assert Decision.objects.count() == 1


def test_the_inbox_shows_an_admin_the_task_but_offers_no_claim_decide_or_approve(client_a, agency_admin, legal, login):
    task = review_task(approval_run(licensed_asset(client_a, name="Glacier lake")), "legal")
    admin_page = login(agency_admin).get("/", {"tab": "team"}).content.decode()
    row = admin_page[admin_page.index(f'id="task-{task.pk}"') :]
    row = row[: row.index("</tr>")]
    assert "Glacier lake" in row and "Signed by Legal" in row
    assert 'name="task"' not in row and "Claim" not in row and "Decide" not in row
    assert "Approve selected" not in admin_page  # nothing on the page they sign
    legal_page = login(legal).get("/", {"tab": "team"}).content.decode()
    row = legal_page[legal_page.index(f'id="task-{task.pk}"') :]
    row = row[: row.index("</tr>")]
    assert 'name="task"' in row and "Claim" in row and "Decide" in row
    assert "Approve selected" in legal_page
