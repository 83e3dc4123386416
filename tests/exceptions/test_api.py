"""``/api/v1/cases/``: visibility, the case list's filters (and ``owner``), decisions with each refusal, 409 on a stale
version, token scopes. Cases and their tasks are built directly; no platform is needed."""

from __future__ import annotations

from datetime import timedelta

import pytest
from django.utils import timezone

from apps.assets.choices import ApprovalState, RightsState
from apps.assets.models import Asset
from apps.common.roles import RoleCode
from apps.exceptions.models import Case
from apps.outbox.models import OutboxMessage
from apps.workflows.choices import RunStatus, TaskStatus
from apps.workflows.models import Decision, Task, WorkflowRun
from tests.factories import member

pytestmark = pytest.mark.django_db

OWNER_OUTCOMES = [["Renew", "renew"], ["Replace", "replace"], ["Take down", "take_down"]]
PROCUREMENT_OUTCOMES = [["Renewed", "renewed"], ["Cannot renew", "not_renewed"]]
_n = iter(range(1, 10**6))


def asset(client, name="", *, lapse_days=10, approval=ApprovalState.APPROVED):
    n = next(_n)
    return Asset.objects.create(
        client=client,
        content_element_uuid=f"el-{n}",
        name=name or f"Hero {n}",
        approval_state=approval,
        rights_state=RightsState.VALID,
        rights_until=timezone.now() + timedelta(days=lapse_days),
    )


def case(client, subject=None, *, kind="renewal", trigger="lapse", state="open", due_days=5, **extra):
    subject = subject or asset(client)
    return Case.objects.create(
        client=client,
        kind=kind,
        asset=subject,
        key=f"lapse:{next(_n)}",
        trigger=trigger,
        title=f"Renew or replace “{subject.name}”",
        state=state,
        lapse_at=subject.rights_until,
        due_at=timezone.now() + timedelta(days=due_days),
        **extra,
    )


def task(of_case, role="content_owner", *, outcomes=OWNER_OUTCOMES, assignee=None, status=TaskStatus.OPEN):
    n = next(_n)
    run = WorkflowRun.objects.filter(subject_type="exceptions.case", subject_id=of_case.pk).first()
    if run is None:
        run = WorkflowRun.objects.create(
            client=of_case.client,
            process_key="rights_renewal",
            business_key=f"{of_case.client.slug}:rights_renewal:{of_case.pk}:{n}",
            subject_type="exceptions.case",
            subject_id=of_case.pk,
            title=of_case.title,
            status=RunStatus.RUNNING,
            remote_id=f"pi-{n}",
        )
    return Task.objects.create(
        client=of_case.client,
        run=run,
        remote_id=f"task-{n}",
        task_key=role,
        name=f"{role} task",
        candidate_roles=[role],
        possible_outcomes=outcomes,
        assignee=assignee,
        assignee_email=assignee.email if assignee else "",
        status=status,
        due_at=timezone.now() + timedelta(days=2),
    )


@pytest.fixture
def owner(client_a):
    return member(client_a, RoleCode.CONTENT_OWNER, email="owner@acme.example")


@pytest.fixture
def procurement(client_a):
    return member(client_a, RoleCode.PROCUREMENT, email="procurement@acme.example")


@pytest.fixture
def key(api_token):
    return lambda user, scope="write": api_token(user, scope=scope)


def _ids(response):
    assert response.status_code == 200, response.content
    return [row["id"] for row in response.json()["results"]]


# -- visibility -------------------------------------------------------------------------------------------------------
def test_another_clients_case_is_404_in_the_api_and_on_the_pages(client_a, client_b, agency_admin, key, api, client):
    mine, theirs = case(client_a), case(client_b)
    their_task = task(theirs)
    http = api(key(agency_admin))
    assert _ids(http.get("/api/v1/cases/")) == [mine.pk]
    assert http.get(f"/api/v1/cases/{theirs.pk}/").status_code == 404
    refused = http.post(
        f"/api/v1/cases/{theirs.pk}/decision/", {"task": their_task.pk, "outcome": "take_down", "reason": "x"}
    )
    assert refused.status_code == 404 and refused["Content-Type"] == "application/problem+json"
    assert Task.objects.get(pk=their_task.pk).status == TaskStatus.OPEN
    client.force_login(agency_admin)
    assert client.get(f"/cases/{theirs.pk}/").status_code == 404
    assert client.get(f"/cases/{mine.pk}/").status_code == 200
    assert theirs.title not in client.get("/cases/?state=").content.decode()


def test_a_task_of_another_case_cannot_be_decided_through_this_one(client_a, agency_admin, key, api):
    first, second = case(client_a), case(client_a)
    other = task(second)
    task(first)
    response = api(key(agency_admin)).post(
        f"/api/v1/cases/{first.pk}/decision/", {"task": other.pk, "outcome": "take_down", "reason": "no"}
    )
    assert response.status_code == 400 and "task" in response.json()["errors"]
    assert Task.objects.get(pk=other.pk).status == TaskStatus.OPEN


def test_case_detail_has_tasks_decisions_asset_evidence_and_replacement(client_a, agency_admin, owner, key, api):
    new = asset(client_a, "Replacement", lapse_days=300)
    subject = case(
        client_a, asset(client_a, "Alpine hero"), evidence={"rights_until": "2030-01-01", "warning_days": 30}
    )
    Case.objects.filter(pk=subject.pk).update(replacement=new)
    done = task(subject, assignee=owner, status=TaskStatus.COMPLETED)
    Decision.objects.create(client=client_a, run=done.run, task=done, actor=owner, outcome="replace", reason="old")
    waiting = task(subject, "legal", outcomes=[["Sign off", "signed_off"], ["Refuse", "refused"]])
    body = api(key(agency_admin)).get(f"/api/v1/cases/{subject.pk}/").json()
    assert body["asset"] == {
        "id": subject.asset_id,
        "name": "Alpine hero",
        "content_element_uuid": subject.asset.content_element_uuid,
    }
    assert body["replacement"]["id"] == new.pk and body["replacement"]["name"] == "Replacement"
    assert body["evidence"] == {"rights_until": "2030-01-01", "warning_days": 30}
    assert body["state"] == "open" and body["disposition"] == "" and body["client"] == "acme"
    assert [t["id"] for t in body["tasks"]] == [done.pk, waiting.pk]
    assert body["tasks"][1]["possible_outcomes"] == [
        {"label": "Sign off", "value": "signed_off"},
        {"label": "Refuse", "value": "refused"},
    ]
    assert [(d["task"], d["actor"], d["outcome"]) for d in body["decisions"]] == [(done.pk, owner.email, "replace")]


# -- filters ----------------------------------------------------------------------------------------------------------
def test_filters_of_the_case_list_apply_to_the_api(client_a, client_b, agency_admin, owner, key, api):
    member(client_a, RoleCode.AGENCY_ADMIN, email="both@acme.example")
    both = member(client_b, RoleCode.AGENCY_ADMIN, email="both@acme.example")  # the same person, in client B too
    lapse = case(client_a, due_days=-1)  # overdue
    downloads = case(client_a, trigger="downloads", due_days=20)
    closed = case(client_a, state="closed", disposition="renewed", due_days=60)
    compliance = case(client_a, kind="compliance", trigger="", due_days=3)
    other = case(client_b, due_days=2)
    held = task(downloads, assignee=owner)
    task(lapse)  # open, held by nobody
    http = api(key(both))
    assert set(_ids(http.get("/api/v1/cases/"))) == {lapse.pk, downloads.pk, closed.pk, compliance.pk, other.pk}
    assert set(_ids(http.get("/api/v1/cases/", {"client": "acme"}))) == {
        lapse.pk,
        downloads.pk,
        closed.pk,
        compliance.pk,
    }
    assert _ids(http.get("/api/v1/cases/", {"kind": "compliance"})) == [compliance.pk]
    assert _ids(http.get("/api/v1/cases/", {"state": "closed"})) == [closed.pk]
    assert _ids(http.get("/api/v1/cases/", {"trigger": "downloads"})) == [downloads.pk]
    assert _ids(http.get("/api/v1/cases/", {"due": "overdue"})) == [lapse.pk]
    assert set(_ids(http.get("/api/v1/cases/", {"due": "week"}))) == {compliance.pk, other.pk}
    assert _ids(http.get("/api/v1/cases/", {"q": downloads.asset.content_element_uuid})) == [downloads.pk]
    assert _ids(http.get("/api/v1/cases/", {"owner": "Owner@Acme.example"})) == [downloads.pk]
    assert _ids(http.get("/api/v1/cases/", {"owner": "me"})) == []
    by_owner = api(key(owner)).get("/api/v1/cases/", {"owner": "me"}).json()["results"]
    assert [(row["id"], row["owner"]) for row in by_owner] == [(downloads.pk, owner.email)]
    assert held.assignee == owner
    assert http.get("/api/v1/cases/", {"client": "nobody"}).status_code == 400
    assert http.get("/api/v1/cases/", {"kind": "bogus"}).status_code == 400


def test_a_member_cannot_filter_into_another_client(client_a, client_b, agency_admin, key, api):
    case(client_b)
    response = api(key(agency_admin)).get("/api/v1/cases/", {"client": "beta"})
    assert response.status_code == 400 and "client" in response.json()["errors"]


def test_owner_filter_on_the_html_case_list(client_a, owner, agency_admin, client):
    mine, free = case(client_a), case(client_a)
    task(mine, assignee=owner)
    task(free)
    client.force_login(owner)
    page = client.get("/cases/", {"owner": "me"}).content.decode()
    assert mine.title in page and free.title not in page
    assert 'name="owner"' in page
    client.force_login(agency_admin)
    page = client.get("/cases/", {"owner": owner.email}).content.decode()
    assert mine.title in page and free.title not in page
    assert 'href="/cases/calendar/"' in page


def test_case_list_queries_do_not_grow_with_rows(
    client_a, agency_admin, owner, key, api, django_assert_max_num_queries
):
    for _ in range(12):
        task(case(client_a), assignee=owner)
    http = api(key(agency_admin))
    with django_assert_max_num_queries(8):
        response = http.get("/api/v1/cases/")
    assert len(response.json()["results"]) == 12
    assert {row["owner"] for row in response.json()["results"]} == {owner.email}


# -- deciding ---------------------------------------------------------------------------------------------------------
def _decide(http, of_case, **body):
    return http.post(f"/api/v1/cases/{of_case.pk}/decision/", body, content_type="application/json")


def test_procurement_records_the_renewal_through_the_api(client_a, procurement, key, api):
    subject = case(client_a)
    renew = task(subject, "procurement", outcomes=PROCUREMENT_OUTCOMES)
    until = timezone.localdate() + timedelta(days=365)
    response = _decide(
        api(key(procurement)),
        subject,
        task=renew.pk,
        outcome="renewed",
        renewed_until=until.isoformat(),
        version=renew.version,
    )
    assert response.status_code == 201, response.content
    body = response.json()
    assert body["id"] == subject.pk and body["decisions"][0]["outcome"] == "renewed"
    assert body["tasks"][0]["status"] == TaskStatus.COMPLETED
    subject.refresh_from_db()
    assert timezone.localtime(subject.renewed_until).date() == until
    decision = Decision.objects.get(task=renew)
    assert decision.actor == procurement
    assert OutboxMessage.objects.filter(platform="opentext").exists()  # OpenText is told by the worker, later


def test_the_owner_chooses_a_replacement_through_the_api(client_a, owner, key, api):
    subject = case(client_a)
    new = asset(client_a, "Fresh hero", lapse_days=400)
    decide = task(subject)
    response = _decide(api(key(owner)), subject, task=decide.pk, outcome="replace", replacement=new.pk)
    assert response.status_code == 201, response.content
    assert response.json()["replacement"]["id"] == new.pk
    assert Case.objects.get(pk=subject.pk).replacement == new


@pytest.mark.parametrize(
    ("body", "field"),
    [
        ({"outcome": "take_down"}, "reason"),
        ({"outcome": "take_down", "reason": "   "}, "reason"),
        ({"outcome": "replace"}, "replacement"),
        ({"outcome": "replace", "replacement": "foreign"}, "replacement"),
        ({"outcome": "replace", "replacement": "withdrawn"}, "replacement"),
        ({"outcome": "replace", "replacement": "self"}, "replacement"),
        ({"outcome": "shrug", "reason": "why not"}, "outcome"),
        ({"outcome": "renew", "renewed_until": "not a date"}, "renewed_until"),
        ({"outcome": "take_down", "reason": "x", "task": "unknown"}, "task"),
        ({"outcome": "take_down", "reason": "x", "task": None}, "task"),
        ({"reason": "x"}, "outcome"),
    ],
)
def test_each_refusal_is_a_400_naming_the_field(client_a, client_b, owner, key, api, body, field):
    subject = case(client_a)
    decide = task(subject)
    choices = {
        "foreign": asset(client_b).pk,
        "withdrawn": asset(client_a, approval=ApprovalState.WITHDRAWN).pk,
        "self": subject.asset_id,
    }
    body = {"task": decide.pk, **body}
    if "replacement" in body:
        body["replacement"] = choices[body["replacement"]]
    if body["task"] == "unknown":
        body["task"] = 999999
    response = _decide(api(key(owner)), subject, **{k: v for k, v in body.items() if v is not None})
    assert response.status_code == 400, response.content
    problem = response.json()
    assert response["Content-Type"] == "application/problem+json"
    assert list(problem["errors"]) == [field], problem
    assert Task.objects.get(pk=decide.pk).status == TaskStatus.OPEN
    assert not Decision.objects.exists()


def test_renewing_needs_a_future_date(client_a, procurement, key, api):
    subject = case(client_a)
    renew = task(subject, "procurement", outcomes=PROCUREMENT_OUTCOMES)
    http = api(key(procurement))
    for body in ({}, {"renewed_until": (timezone.localdate() - timedelta(days=1)).isoformat()}):
        response = _decide(http, subject, task=renew.pk, outcome="renewed", **body)
        assert response.status_code == 400
        assert response.json()["errors"] == {
            "renewed_until": ["Give the date the renewed licence runs until (in the future)."]
        }
    assert Task.objects.get(pk=renew.pk).status == TaskStatus.OPEN


def test_a_stale_version_is_a_409_with_the_fresh_case(client_a, owner, key, api):
    subject = case(client_a)
    decide = task(subject)
    Task.objects.filter(pk=decide.pk).update(version=3)  # someone claimed and released it meanwhile
    response = _decide(api(key(owner)), subject, task=decide.pk, outcome="take_down", reason="gone", version=2)
    assert response.status_code == 409
    problem = response.json()
    assert problem["type"] == "urn:greenlight:problem:conflict"
    assert problem["case"]["id"] == subject.pk
    assert problem["case"]["tasks"][0]["version"] == 3 and problem["case"]["tasks"][0]["status"] == "open"
    assert Task.objects.get(pk=decide.pk).status == TaskStatus.OPEN


def test_a_task_someone_already_decided_is_a_409(client_a, owner, procurement, key, api):
    subject = case(client_a)
    decide = task(subject)
    http = api(key(owner))
    assert _decide(http, subject, task=decide.pk, outcome="renew").status_code == 201
    again = _decide(http, subject, task=decide.pk, outcome="take_down", reason="changed my mind")
    assert again.status_code == 409
    assert "already completed" in again.json()["detail"]
    assert [d["outcome"] for d in again.json()["case"]["decisions"]] == ["renew"]


def test_a_task_held_by_someone_else_is_a_409(client_a, owner, key, api):
    colleague = member(client_a, RoleCode.CONTENT_OWNER, email="colleague@acme.example")
    subject = case(client_a)
    decide = task(subject, assignee=colleague)
    response = _decide(api(key(owner)), subject, task=decide.pk, outcome="renew")
    assert response.status_code == 409 and colleague.email in response.json()["detail"]


def test_deciding_needs_the_write_scope_and_refuses_get(client_a, owner, key, api):
    subject = case(client_a)
    decide = task(subject)
    reader = api(key(owner, scope="read"))
    response = _decide(reader, subject, task=decide.pk, outcome="renew")
    assert response.status_code == 403
    assert reader.get(f"/api/v1/cases/{subject.pk}/").status_code == 200
    assert reader.get(f"/api/v1/cases/{subject.pk}/decision/").status_code == 405
    assert Task.objects.get(pk=decide.pk).status == TaskStatus.OPEN


def test_a_person_without_the_tasks_role_cannot_decide_it(client_a, requester, key, api):
    subject = case(client_a)
    decide = task(subject)
    response = _decide(api(key(requester)), subject, task=decide.pk, outcome="renew")
    assert response.status_code == 400 and "task" in response.json()["errors"]
    assert Task.objects.get(pk=decide.pk).status == TaskStatus.OPEN


@pytest.mark.parametrize(
    "body",
    [
        {"outcome": "renewed", "renewed_until": "2026-02-30"},
        {"outcome": "renewed", "renewed_until": "²"},
        {"outcome": "replace", "replacement": "²"},
        {"outcome": "replace", "replacement": "abc"},
        {"outcome": "replace", "replacement": "9" * 400},
    ],
)
def test_an_impossible_date_or_asset_typed_into_the_case_form_is_refused_in_place(
    client_a, procurement, owner, login, body
):
    subject = case(client_a)
    if body["outcome"] == "renewed":
        renew, person = task(subject, "procurement", outcomes=PROCUREMENT_OUTCOMES), procurement
    else:
        renew, person = task(subject), owner
    response = login(person).post(f"/tasks/{renew.pk}/decide/", {**body, "reason": "because"})
    assert response.status_code == 400
    expected = "Give the date the renewed licence runs until" if "renewed_until" in body else "Choose the asset"
    assert expected in response.content.decode()
    assert Task.objects.get(pk=renew.pk).status == TaskStatus.OPEN
