"""Issue 15, item 7 against the platforms over HTTP: Acme's approval policy has a client stakeholder step
(``stakeholder_review``, candidate group ``external``, from the per-client approval shape); legal approves, the
stakeholder approves through their review link, without an account. Their decision is the task's completion at
OpenText in their e-mail, the cycle ends approved, and Smint.io receives one ``approved`` status decided by them."""

from __future__ import annotations

import re

import pytest
from django.test import Client as HttpClient

from apps.assets.choices import ApprovalState
from apps.assets.models import Asset
from apps.audit.models import AuditEvent
from apps.reviews import links, policy
from apps.workflows.choices import RunStatus, TaskStatus
from apps.workflows.models import Decision
from apps.workflows.services import decide
from tests.platform_fixtures import settle
from tests.reviews.test_approval_policy import open_tasks, start_cycle
from tests.reviews.test_flow import statuses_at_smintio

pytestmark = pytest.mark.django_db(transaction=True)

HOLDER = "dana@partner.example"


def test_a_stakeholder_approves_through_the_link_and_the_platforms_hear_it_once(
    platforms, client_a, reviewers, agency_admin
):
    platforms.opentext_tenant()
    policy.update_policy(client_a, actor=agency_admin, changes={"roles": ["legal"], "stakeholder_step": True})
    run = start_cycle(platforms, client_a)
    decide(open_tasks(run, "legal_review")[0], actor=reviewers["legal"], outcome="approved", reason="Cleared")
    settle()
    [step] = open_tasks(run, "stakeholder_review")
    assert step.candidate_roles == ["external"]
    asset = Asset.objects.get(pk=run.subject_id)
    link = links.create_link(actor=reviewers["legal"], name="Dana Partner", email=HOLDER, assets=[asset.pk])
    browser = HttpClient()
    url = f"/review/{links.token_for(link)}/"
    assert asset.name in browser.get(url).content.decode()
    refused = browser.post(url, {"asset": asset.pk, "action": "decide", "outcome": "rejected"})
    assert refused.status_code == 400  # a reject needs a reason; nothing reached OpenText
    decision = {"asset": asset.pk, "action": "decide", "outcome": "approved", "version": step.version}
    over_warning = browser.post(url, decision)  # the flow's own check: the licence does not clearly cover the use
    assert over_warning.status_code == 400 and "approving needs a reason" in over_warning.content.decode()
    answer = browser.post(url, {**decision, "reason": "Fine for the partner campaign"})
    assert answer.status_code == 200, re.findall(r'role="alert"[^>]*><p>([^<]*)', answer.content.decode())
    settle()
    run.refresh_from_db()
    step.refresh_from_db()
    assert (run.status, run.outcome) == (RunStatus.COMPLETED, "approved")
    assert (step.status, step.assignee_email) == (TaskStatus.COMPLETED, HOLDER)
    assert Asset.objects.get(pk=asset.pk).approval_state == ApprovalState.APPROVED
    assert statuses_at_smintio(asset) == ["approved"]
    decision = Decision.objects.get(task=step)
    assert decision.actor_id is None and decision.by == HOLDER
    from apps.emulators.smintio.models import WorkflowStatusRecord

    [record] = WorkflowStatusRecord.objects.filter(content_element__uuid=asset.content_element_uuid)
    assert record.decided_by == HOLDER
    assert AuditEvent.objects.filter(action="reviews.link.decide", object_id=str(asset.pk)).count() == 1
