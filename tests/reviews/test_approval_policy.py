"""A client's approval shape (issue 15, item 5): the policy's validation and audit, the variables a cycle starts
with, and cycles run through the OpenText emulator over HTTP with a stakeholder step and a quorum, and a cycle
started before a policy change keeping its shape."""

from __future__ import annotations

import pytest
from django.core.exceptions import PermissionDenied

from apps.assets.choices import ApprovalState
from apps.assets.models import Asset
from apps.audit.models import AuditEvent
from apps.common.roles import RoleCode
from apps.reviews import policy
from apps.workflows import bpmn
from apps.workflows.choices import RunStatus, TaskStatus
from apps.workflows.models import Task, WorkflowRun
from apps.workflows.services import NotASigner, claim_task, decide
from tests.factories import member
from tests.platform_fixtures import settle


# -- the policy ---------------------------------------------------------------------------------------------------
def test_every_signing_role_has_its_review_task_in_the_one_bpmn():
    process = bpmn.process("asset_approval")
    for role in policy.SIGNING_ROLES:
        assert process.tasks[f"{role}_review"].candidate_groups == (role,)
    assert process.tasks["stakeholder_review"].candidate_groups == ("external",)


@pytest.mark.django_db
def test_default_policy_is_todays_shape(client_a):
    assert policy.variables_for(client_a) == {
        "approvalStages": [["legal", "brand", "marketing"]],
        "approvalQuorum": {},
        "stakeholderStep": False,
    }
    assert policy.describe(policy.variables_for(client_a)) == "Legal + Brand + Marketing in parallel"
    assert policy.describe({}) == "Legal + Brand + Marketing in parallel"  # a run started before policies


@pytest.mark.django_db
def test_update_is_audited_and_gives_the_variables(client_a, agency_admin):
    member(client_a, RoleCode.BRAND)
    member(client_a, RoleCode.BRAND)
    saved = policy.update_policy(
        client_a,
        actor=agency_admin,
        changes={"roles": ["legal", "brand"], "sequential": True, "quorum": {"brand": "2"}, "stakeholder_step": True},
    )
    assert (saved.roles, saved.sequential, saved.quorum, saved.stakeholder_step) == (
        ["legal", "brand"],
        True,
        {"brand": 2},
        True,
    )
    assert policy.variables_for(client_a) == {
        "approvalStages": [["legal"], ["brand"]],
        "approvalQuorum": {"brand": 2},
        "stakeholderStep": True,
    }
    assert policy.describe(policy.variables_for(client_a)) == "Legal, then Brand (2 people), then a client stakeholder"
    event = AuditEvent.objects.get(action="reviews.approval_policy.update")
    assert event.before["sequential"] is False and event.after["quorum"] == {"brand": 2}
    # the same values again change nothing and add no event
    policy.update_policy(client_a, actor=agency_admin, changes={"sequential": True})
    assert AuditEvent.objects.filter(action="reviews.approval_policy.update").count() == 1


@pytest.mark.django_db
@pytest.mark.parametrize(
    ("changes", "field", "words"),
    [
        ({"roles": []}, "roles", "At least one role"),
        ({"roles": ["legal", "finance"]}, "roles", "“finance” has no review task"),
        ({"quorum": {"brand": 0}}, "quorum_brand", "between 1 and"),
        ({"quorum": {"brand": "two"}}, "quorum_brand", "whole number"),
        ({"quorum": {"brand": 3}}, "quorum_brand", "has 1 member with that role"),
        ({"sequential": "maybe"}, "sequential", "Yes or no"),
    ],
)
def test_invalid_values_are_refused_with_their_field(client_a, agency_admin, changes, field, words):
    member(client_a, RoleCode.BRAND)
    with pytest.raises(policy.PolicyRefused) as refused:
        policy.update_policy(client_a, actor=agency_admin, changes=changes)
    assert refused.value.field == field
    assert words in str(refused.value)
    assert policy.policy_for(client_a).roles == ["legal", "brand", "marketing"]  # nothing saved


@pytest.mark.django_db
def test_only_agency_admins_change_it(client_a):
    legal = member(client_a, RoleCode.LEGAL)
    with pytest.raises(PermissionDenied):
        policy.update_policy(client_a, actor=legal, changes={"sequential": True})
    external = member(client_a, RoleCode.EXTERNAL, RoleCode.AGENCY_ADMIN)
    with pytest.raises(PermissionDenied):
        policy.update_policy(client_a, actor=external, changes={"sequential": True})


# -- cycles at OpenText -------------------------------------------------------------------------------------------
def open_tasks(run, key) -> list[Task]:
    return list(Task.objects.filter(run=run, status=TaskStatus.OPEN, task_key=key).order_by("pk"))


@pytest.fixture
def shaped(platforms, client_a, reviewers, agency_admin):
    """Acme's policy: legal, then brand with two different people, then a client stakeholder."""
    from apps.emulators.opentext import provisioning

    platforms.opentext_tenant()
    brand2 = member(client_a, RoleCode.BRAND, email="brand2@acme.example")
    stakeholder = member(client_a, RoleCode.EXTERNAL, email="stakeholder@acme.example")
    from django.conf import settings

    provisioning.ensure_user(settings.OT_TENANT_ID, "brand2@acme.example", groups=["brand"])
    provisioning.ensure_user(settings.OT_TENANT_ID, "stakeholder@acme.example", groups=["external"])
    policy.update_policy(
        client_a,
        actor=agency_admin,
        changes={
            "roles": ["legal", "brand"],
            "sequential": True,
            "quorum": {"brand": 2},
            "stakeholder_step": True,
        },
    )
    return {**reviewers, "brand2": brand2, "stakeholder": stakeholder}


def start_cycle(platforms, client_a) -> WorkflowRun:
    from apps.integrations.smintio.sync import pull
    from apps.reviews import services

    client_a.review_usages = []
    client_a.save()
    pull(platforms.smintio_tenant(client_a, count=3), full=True)
    asset = Asset.objects.filter(client=client_a, rights_state="valid").order_by("pk").first()
    Asset.objects.filter(client=client_a).exclude(pk=asset.pk).update(approval_state=ApprovalState.APPROVED)
    assert services.start_pending_approvals(client_a) == 1
    settle()
    return WorkflowRun.objects.get(subject_id=asset.pk)


@pytest.mark.django_db(transaction=True)
def test_stakeholder_step_and_quorum_through_opentext(platforms, client_a, shaped):
    run = start_cycle(platforms, client_a)
    assert run.variables["approvalStages"] == [["legal"], ["brand"]]
    assert [t.task_key for t in Task.objects.filter(run=run, status=TaskStatus.OPEN)] == ["legal_review"]
    decide(open_tasks(run, "legal_review")[0], actor=shaped["legal"], outcome="approved", reason="Cleared")
    settle()
    first, second = open_tasks(run, "brand_review")  # two brand signatures, each OpenText's own task
    assert first.remote_id != second.remote_id
    decide(first, actor=shaped["brand"], outcome="approved", reason="On brand")
    # the same person may not give the second signature
    with pytest.raises(NotASigner, match="already signed"):
        decide(second, actor=shaped["brand"], outcome="approved", reason="Again")
    with pytest.raises(NotASigner, match="already signed"):
        claim_task(second, actor=shaped["brand"])
    settle()
    assert not open_tasks(run, "stakeholder_review")  # the quorum is not met yet
    decide(open_tasks(run, "brand_review")[0], actor=shaped["brand2"], outcome="approved", reason="Fine")
    settle()
    [stakeholder_task] = open_tasks(run, "stakeholder_review")
    assert stakeholder_task.candidate_roles == ["external"]
    assert Asset.objects.get(pk=run.subject_id).approval_state == ApprovalState.IN_REVIEW
    decide(stakeholder_task, actor=shaped["stakeholder"], outcome="approved", reason="Go")
    settle()
    run.refresh_from_db()
    assert (run.status, run.outcome) == (RunStatus.COMPLETED, "approved")
    assert Asset.objects.get(pk=run.subject_id).approval_state == ApprovalState.APPROVED


@pytest.mark.django_db(transaction=True)
def test_a_stakeholder_rejection_rejects_the_asset(platforms, client_a, shaped, agency_admin):
    policy.update_policy(client_a, actor=agency_admin, changes={"roles": ["legal"], "quorum": {}})
    run = start_cycle(platforms, client_a)
    decide(open_tasks(run, "legal_review")[0], actor=shaped["legal"], outcome="approved", reason="Cleared")
    settle()
    decide(open_tasks(run, "stakeholder_review")[0], actor=shaped["stakeholder"], outcome="rejected", reason="No")
    settle()
    run.refresh_from_db()
    assert (run.status, run.outcome) == (RunStatus.COMPLETED, "rejected")
    assert Asset.objects.get(pk=run.subject_id).approval_state == ApprovalState.REJECTED


@pytest.mark.django_db(transaction=True)
def test_a_cycle_started_before_a_policy_change_keeps_its_shape(platforms, client_a, reviewers, agency_admin):
    platforms.opentext_tenant()
    run = start_cycle(platforms, client_a)  # the default shape: three reviews at once, no stakeholder
    member(client_a, RoleCode.LEGAL)
    policy.update_policy(
        client_a,
        actor=agency_admin,
        changes={"roles": ["legal"], "quorum": {"legal": 2}, "stakeholder_step": True},
    )
    run.refresh_from_db()
    assert policy.describe(run.variables) == "Legal + Brand + Marketing in parallel"
    for role in ("legal", "brand", "marketing"):
        decide(open_tasks(run, f"{role}_review")[0], actor=reviewers[role], outcome="approved", reason="Cleared")
    settle()
    run.refresh_from_db()
    assert (run.status, run.outcome) == (RunStatus.COMPLETED, "approved")  # no stakeholder, no second legal
    assert not Task.objects.filter(run=run, task_key="stakeholder_review").exists()
    assert Task.objects.filter(run=run, task_key="legal_review").count() == 1


# -- the page and the API -----------------------------------------------------------------------------------------
URL = "/clients/{}/approval-policy/"
API = "/api/v1/clients/{}/approval-policy/"


def form(**changes) -> dict:
    data = {
        "signs_legal": "on",
        "order_legal": "1",
        "quorum_legal": "1",
        "signs_brand": "on",
        "order_brand": "2",
        "quorum_brand": "1",
        "signs_marketing": "on",
        "order_marketing": "3",
        "quorum_marketing": "1",
        "mode": "parallel",
    }
    data.update(changes)
    return {k: v for k, v in data.items() if v is not None}


@pytest.mark.django_db
def test_the_page_says_running_cycles_keep_their_shape_and_saves_a_new_one(client, client_a, agency_admin):
    member(client_a, RoleCode.BRAND)
    member(client_a, RoleCode.BRAND)
    client.force_login(agency_admin)
    page = client.get(URL.format(client_a.slug)).content.decode()
    assert "A change affects only approval cycles started afterwards." in page
    assert "Legal + Brand + Marketing in parallel" in page
    answer = client.post(
        URL.format(client_a.slug),
        form(
            mode="sequential",
            order_legal="2",
            order_brand="1",
            signs_marketing=None,
            quorum_brand="2",
            stakeholder="on",
        ),
    )
    assert answer.status_code == 302
    saved = policy.policy_for(client_a)
    assert (saved.roles, saved.sequential, saved.quorum, saved.stakeholder_step) == (
        ["brand", "legal"],
        True,
        {"brand": 2},
        True,
    )
    page = client.get(URL.format(client_a.slug)).content.decode()
    assert "Brand (2 people), then Legal, then a client stakeholder" in page
    assert AuditEvent.objects.get(action="reviews.approval_policy.update").reason == "Approval policy page"


@pytest.mark.django_db
def test_a_refused_value_is_shown_at_its_field_with_what_was_typed(client, client_a, agency_admin):
    client.force_login(agency_admin)
    answer = client.post(URL.format(client_a.slug), form(quorum_brand="3", mode="sequential"))
    assert answer.status_code == 400
    page = answer.content.decode()
    assert "Nothing was saved" in page and "could never finish" in page
    assert 'id="quorum_brand-error"' in page
    assert 'value="3"' in page and 'value="sequential" checked' in page  # what was typed is kept
    assert policy.policy_for(client_a).sequential is False
    zero = client.post(URL.format(client_a.slug), form(quorum_legal="0"))
    assert zero.status_code == 400 and 'id="quorum_legal-error"' in zero.content.decode()
    none = client.post(URL.format(client_a.slug), form(signs_legal=None, signs_brand=None, signs_marketing=None))
    assert none.status_code == 400 and "At least one role must sign" in none.content.decode()


@pytest.mark.django_db
def test_who_may_read_and_change_the_page(client, client_a, client_b, external):
    legal = member(client_a, RoleCode.LEGAL)
    client.force_login(legal)
    page = client.get(URL.format(client_a.slug))
    assert page.status_code == 200 and "Only the client's agency admins can change it" in page.content.decode()
    assert client.post(URL.format(client_a.slug), form(mode="sequential")).status_code == 403
    assert client.get(URL.format(client_b.slug)).status_code == 404
    client.force_login(external)
    assert client.get(URL.format(client_a.slug)).status_code == 404
    assert policy.policy_for(client_a).sequential is False


@pytest.mark.django_db
def test_the_api_reads_and_changes_the_policy_with_an_admin_token(client_a, client_b, agency_admin, api_token, api):
    import json

    reader = api(api_token(agency_admin, scope="read"))
    body = reader.get(API.format(client_a.slug)).json()
    assert body["roles"] == ["legal", "brand", "marketing"] and body["shape"] == "Legal + Brand + Marketing in parallel"
    assert reader.get(API.format(client_b.slug)).status_code == 404
    change = json.dumps({"roles": ["legal"], "stakeholder_step": True, "reason": "Contoso asked"})
    assert reader.patch(API.format(client_a.slug), change, content_type="application/json").status_code == 403
    admin = api(api_token(agency_admin, scope="admin"))
    answer = admin.patch(API.format(client_a.slug), change, content_type="application/json")
    assert answer.status_code == 200, answer.content
    assert answer.json()["shape"] == "Legal, then a client stakeholder"
    assert AuditEvent.objects.get(action="reviews.approval_policy.update").reason == "Contoso asked"
    wrong = admin.patch(
        API.format(client_a.slug), json.dumps({"quorum": {"legal": 4}}), content_type="application/json"
    )
    assert wrong.status_code == 400 and "quorum" in wrong.json()["errors"]
    unknown = admin.patch(
        API.format(client_a.slug), json.dumps({"roles": ["finance"]}), content_type="application/json"
    )
    assert unknown.status_code == 400 and "roles" in unknown.json()["errors"]
    legal = member(client_a, RoleCode.LEGAL)
    denied = api(api_token(legal, scope="admin")).patch(
        API.format(client_a.slug), json.dumps({"sequential": True}), content_type="application/json"
    )
    assert denied.status_code == 403
    assert policy.policy_for(client_a).roles == ["legal"]


@pytest.mark.django_db
def test_the_asset_page_says_which_shape_the_current_cycle_follows(client, client_a, agency_admin):
    from tests.reviews.factories import approval_run, licensed_asset

    asset = licensed_asset(client_a)
    run = approval_run(asset)
    run.variables = {**run.variables, **{"approvalStages": [["legal"], ["brand"]], "stakeholderStep": True}}
    run.save()
    client.force_login(agency_admin)
    page = client.get(f"/assets/{asset.pk}/").content.decode()
    assert "Follows: Legal, then Brand, then a client stakeholder" in page
