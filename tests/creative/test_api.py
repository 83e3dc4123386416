"""``/api/v1/creative-requests/`` and the vocabularies: the same intake and decisions as the pages, problem
documents with the field named, cursor pages, tenancy and the token's scope."""

from __future__ import annotations

import json
from datetime import timedelta

import pytest
from django.utils import timezone

from apps.common.roles import RoleCode
from apps.creative import services
from apps.creative.choices import RequestStatus, Source
from apps.creative.models import CampaignType, CreativeRequest, Format
from apps.workflows.models import WorkflowRun
from tests.factories import ClientFactory, member

from .conftest import intake
from .helpers import asset, task

pytestmark = pytest.mark.django_db


def _body(**changes):
    today = timezone.localdate()
    body = {
        "client": "acme",
        "title": "Autumn trail",
        "brief": "Leaves and boots",
        "countries": ["de", "FR"],
        "usages": ["usage_web"],
        "deadline": str(today + timedelta(days=7)),
        "run_from": str(today + timedelta(days=10)),
        "run_until": str(today + timedelta(days=40)),
    }
    body.update(changes)
    return body


def _post(http, url, body):
    return http.post(url, json.dumps(body), content_type="application/json")


def _patch(http, url, body):
    return http.patch(url, json.dumps(body), content_type="application/json")


@pytest.fixture
def as_requester(people, api, api_token):
    return api(api_token(people["requester"], scope="write"))


def test_a_request_is_created_and_submitted_through_the_api(client_a, people, as_requester):
    launch = CampaignType.objects.create(client=client_a, name="Launch")
    answer = _post(as_requester, "/api/v1/creative-requests/", _body(campaign_type=launch.pk, submit=True))
    assert answer.status_code == 201, answer.content
    data = answer.json()
    assert data["status"] == RequestStatus.TRIAGE and data["source"] == Source.API
    assert data["countries"] == ["DE", "FR"] and data["campaign_type"] == launch.pk
    assert data["requester"] == "asker@acme.example"
    assert WorkflowRun.objects.filter(subject_type=services.SUBJECT, subject_id=data["id"]).exists()


def test_field_errors_come_back_as_a_problem_naming_each_field(client_a, as_requester):
    yesterday = str(timezone.localdate() - timedelta(days=1))
    answer = _post(
        as_requester, "/api/v1/creative-requests/", _body(deadline=yesterday, usages=["usage_nonsense"], submit=True)
    )
    assert answer.status_code == 400 and answer["Content-Type"] == "application/problem+json"
    errors = answer.json()["errors"]
    assert set(errors) >= {"deadline", "usages"}
    assert not CreativeRequest.objects.exists()
    theirs = CampaignType.objects.create(client=ClientFactory(name="Other", slug="other"), name="Theirs")
    answer = _post(as_requester, "/api/v1/creative-requests/", _body(campaign_type=theirs.pk))
    assert answer.status_code == 400 and "campaign_type" in answer.json()["errors"]
    assert _post(as_requester, "/api/v1/creative-requests/", _body(client="other")).status_code == 400


def test_a_draft_is_changed_then_submitted(client_a, people, as_requester, api, api_token):
    created = _post(as_requester, "/api/v1/creative-requests/", _body(usages=[])).json()
    assert created["status"] == RequestStatus.DRAFT
    url = f"/api/v1/creative-requests/{created['id']}/"
    refused = as_requester.post(url + "submit/")
    assert refused.status_code == 400 and "usages" in refused.json()["errors"]
    changed = _patch(as_requester, url, {"usages": ["usage_print"]})
    assert changed.status_code == 200 and changed.json()["usages"] == ["usage_print"]
    assert changed.json()["title"] == "Autumn trail"  # what PATCH leaves out stays
    colleague = api(api_token(people["other_requester"], scope="write"))
    assert colleague.get(url).status_code == 404  # a draft is its requester's alone
    assert as_requester.post(url + "submit/").json()["status"] == RequestStatus.TRIAGE
    assert _patch(as_requester, url, {"title": "Later"}).status_code == 409


def test_a_read_token_cannot_create(people, api, api_token):
    reader = api(api_token(people["requester"], scope="read"))
    assert _post(reader, "/api/v1/creative-requests/", _body()).status_code == 403
    assert reader.get("/api/v1/creative-requests/").status_code == 200


def test_tasks_are_decided_through_the_request_and_only_by_who_signs_them(client_a, people, api, api_token):
    request = services.submit(actor=people["requester"], client=client_a, intake=intake())
    triage = task(request, services.TRIAGE)
    url = f"/api/v1/creative-requests/{request.pk}/decision/"
    as_creative = api(api_token(people["creative"], scope="write"))
    assert _post(as_creative, url, {"task": triage.pk, "outcome": "accept"}).status_code in (400, 403)
    as_ops = api(api_token(people["ops"], scope="write"))
    detail = as_ops.get(f"/api/v1/creative-requests/{request.pk}/").json()
    assert [t["task_key"] for t in detail["tasks"]] == [services.TRIAGE]
    refused = _post(as_ops, url, {"task": triage.pk, "outcome": "decline"})
    assert refused.status_code == 400 and "reason" in refused.json()["errors"]
    decided = _post(as_ops, url, {"task": triage.pk, "outcome": "accept"})
    assert decided.status_code == 201 and decided.json()["status"] == RequestStatus.IN_CREATION

    pick = task(request, services.PICK)
    mine, theirs = asset(client_a), asset(ClientFactory(name="Other", slug="other"))
    shortlisted = _post(as_creative, f"/api/v1/creative-requests/{request.pk}/shortlist/", {"asset": mine.pk})
    assert shortlisted.status_code == 200 and [s["asset"] for s in shortlisted.json()["shortlist"]] == [mine.pk]
    assert (
        _post(as_creative, f"/api/v1/creative-requests/{request.pk}/shortlist/", {"asset": theirs.pk}).status_code
        == 400
    )
    refused = _post(as_creative, url, {"task": pick.pk, "outcome": "delivered", "assets": [theirs.pk]})
    assert refused.status_code == 400 and "assets" in refused.json()["errors"]
    delivered = _post(as_creative, url, {"task": pick.pk, "outcome": "delivered"})
    assert delivered.status_code == 201
    assert [i["asset"] for i in delivered.json()["deliveries"][0]["items"]] == [mine.pk]
    manifest = as_creative.get(f"/api/v1/creative-requests/{request.pk}/manifest/")
    assert manifest.status_code == 200 and manifest.json()[0]["asset_id"] == mine.pk

    review = task(request, services.REVIEW)
    as_other = api(api_token(people["other_requester"], scope="write"))
    assert _post(as_other, url, {"task": review.pk, "outcome": "accepted"}).status_code == 400  # not theirs to see
    as_requester = api(api_token(people["requester"], scope="write"))
    accepted = _post(as_requester, url, {"task": review.pk, "outcome": "accepted"})
    assert accepted.status_code == 201 and accepted.json()["status"] == RequestStatus.DELIVERED


def test_lists_are_cursor_pages_of_the_callers_clients_only(client_a, client_b, people, api, api_token):
    for n in range(3):
        services.submit(actor=people["requester"], client=client_a, intake=intake(title=f"Ours {n}"))
    services.submit(actor=member(client_b, RoleCode.REQUESTER), client=client_b, intake=intake(title="Theirs"))
    http = api(api_token(people["ops"]))
    first = http.get("/api/v1/creative-requests/?page_size=2").json()
    assert [r["title"] for r in first["results"]] == ["Ours 2", "Ours 1"] and first["next"]
    rest = http.get(first["next"]).json()
    assert [r["title"] for r in rest["results"]] == ["Ours 0"]
    theirs = CreativeRequest.objects.get(title="Theirs")
    assert http.get(f"/api/v1/creative-requests/{theirs.pk}/").status_code == 404


def test_agency_admins_edit_the_vocabularies(client_a, people, api, api_token):
    admin = member(client_a, RoleCode.AGENCY_ADMIN)
    as_admin = api(api_token(admin, scope="write"))
    made = _post(
        as_admin,
        "/api/v1/formats/",
        {
            "client": "acme",
            "name": "Social square",
            "content_type": "image",
            "orientation": "square",
            "min_width": 1080,
        },
    )
    assert made.status_code == 201, made.content
    assert _post(as_admin, "/api/v1/formats/", {"client": "acme", "name": "social square"}).status_code == 400
    as_requester = api(api_token(people["requester"], scope="write"))
    assert _post(as_requester, "/api/v1/campaign-types/", {"client": "acme", "name": "Launch"}).status_code == 403
    assert [f["name"] for f in as_requester.get("/api/v1/formats/").json()["results"]] == ["Social square"]
    archived = as_admin.post(f"/api/v1/formats/{made.json()['id']}/archive/")
    assert archived.status_code == 200 and archived.json()["archived_at"]
    assert as_requester.get("/api/v1/formats/").json()["results"] == []
    assert Format.objects.get().archived_at is not None


def test_matches_are_served_when_matching_is_there(client_a, people, api, api_token):
    pytest.importorskip("apps.creative.matching")
    request = services.submit(actor=people["requester"], client=client_a, intake=intake())
    asset(client_a, "Mountain trail")
    answer = api(api_token(people["creative"])).get(f"/api/v1/creative-requests/{request.pk}/matches/")
    assert answer.status_code == 200
    assert set(answer.json()) == {"full", "partial", "facets", "bounded"}
