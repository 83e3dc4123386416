"""A renewal case over the emulators (the sweep over Smint.io's library, the process in OpenText) publishes
``case.opened`` once per case, and its end ``case.decided`` once, with the asset's owner; a take-down withdraws the
approved asset once (``asset.withdrawn``). Sweeping and settling again says nothing more (docs/events.md)."""

from __future__ import annotations

from datetime import timedelta

import pytest
from django.utils import timezone

from apps.assets.choices import ApprovalState, RightsState
from apps.assets.models import Asset
from apps.common.roles import RoleCode
from apps.exceptions import services
from apps.exceptions.choices import Disposition, Trigger
from apps.exceptions.models import Case
from apps.integrations.smintio.sync import pull
from apps.workflows.models import Task, WorkflowRun
from apps.workflows.services import decide
from tests.factories import member
from tests.reviews.factories import approval_run
from tests.reviews.test_flow import settle

pytestmark = pytest.mark.django_db(transaction=True)


@pytest.fixture
def people(client_a):
    return {
        "owner": member(client_a, RoleCode.CONTENT_OWNER, email="owner@acme.example"),
        "legal": member(client_a, RoleCode.LEGAL, email="legal@acme.example"),
        "requester": member(client_a, RoleCode.MARKETING, email="requester@acme.example"),
    }


@pytest.fixture
def lapsing(platforms, client_a, people):
    """The emulator's demo library synced and approved; the asset whose rights lapse first was asked for (its
    approval cycle started) by the requester."""
    platforms.opentext_tenant()
    pull(platforms.smintio_tenant(client_a, count=40), full=True)
    Asset.objects.filter(client=client_a).update(approval_state=ApprovalState.APPROVED)
    window = timezone.now() + timedelta(days=client_a.rights_warning_days)
    asset = (
        Asset.objects.filter(client=client_a, rights_state=RightsState.VALID, rights_until__gt=timezone.now())
        .filter(rights_until__lte=window)
        .order_by("rights_until", "pk")
        .first()
    )
    run = approval_run(asset)
    WorkflowRun.objects.filter(pk=run.pk).update(started_by=people["requester"], status="completed")
    return asset


def _task(case, key) -> Task:
    return Task.objects.get(run__subject_type="exceptions.case", run__subject_id=case.pk, task_key=key, status="open")


def test_a_case_is_opened_once_and_decided_once_with_the_assets_owner(client_a, lapsing, people, published):
    services.sweep_rights()
    services.sweep_rights()  # the next sweep finds the case open: nothing new

    case = Case.objects.get(client=client_a, asset=lapsing, trigger=Trigger.LAPSE)
    opened = [e for e in published.named("case.opened") if e.data["case"] == case.pk]
    assert len(opened) == 1
    assert len(published.keys("case.opened")) == len(set(published.keys("case.opened")))  # each case once
    [event] = opened
    assert (event.key, event.client) == (f"case.opened:case-{case.pk}", client_a)
    assert event.data == {
        "url": f"/cases/{case.pk}/",
        "title": case.title,
        "case": case.pk,
        "asset": lapsing.pk,
        "kind": case.get_kind_display(),
        "asset_owner": people["requester"].pk,
    }

    settle()
    decide(_task(case, "owner_decision"), actor=people["owner"], outcome="take_down", reason="Campaign ended")
    settle()
    decide(_task(case, "legal_signoff"), actor=people["legal"], outcome="signed_off")
    settle()
    settle()  # another round of the worker: the case is closed, nothing more is said

    case.refresh_from_db()
    assert case.disposition == Disposition.TAKEN_DOWN
    [decided] = published.named("case.decided")
    assert (decided.key, decided.actor) == (f"case.decided:case-{case.pk}", people["legal"])
    assert decided.data == {
        "url": f"/cases/{case.pk}/",
        "title": case.title,
        "case": case.pk,
        "asset": lapsing.pk,
        "outcome": "taken_down",
        "reason": "Campaign ended",
        "requested_by": None,  # the sweep opened it, no person
        "asset_owner": people["requester"].pk,
    }
    [withdrawn] = published.named("asset.withdrawn")
    assert withdrawn.data["asset"] == lapsing.pk and "Taken down" in withdrawn.data["reason"]
