"""An approval cycle's end is published once (docs/events.md): ``asset.approved``, ``asset.rejected``, or
``asset.restricted`` when approved over licence warnings; an escalation is ``task.escalated``
(tests/reviews/test_escalation.py). A second report of the same end says nothing more."""

from __future__ import annotations

from datetime import timedelta

import pytest
from django.utils import timezone

from apps.assets import holds
from apps.assets import services as assets
from apps.assets.choices import ApprovalState, HoldKind
from apps.assets.services import refresh_rights
from apps.workflows import services as workflows
from apps.workflows.models import WorkflowRun
from apps.workflows.services import decide

from .factories import approval_run, licensed_asset, review_task

pytestmark = pytest.mark.django_db


def _ended(run, legal, *, outcome, decided, reason=""):
    WorkflowRun.objects.filter(pk=run.pk).update(started_by=legal)
    run.refresh_from_db()
    decide(review_task(run), actor=legal, outcome=decided, reason=reason)
    assert workflows.apply_remote_end(run, outcome=outcome) is True
    assert workflows.apply_remote_end(run, outcome=outcome) is False  # reported again: nothing more


@pytest.mark.parametrize(("outcome", "reason"), [("approved", ""), ("rejected", "Logo is outdated")])
def test_the_cycles_end_is_published_once_with_who_asked_and_who_decided(client_a, legal, published, outcome, reason):
    asset = licensed_asset(client_a, name="Fjord at dawn")
    run = approval_run(asset)

    _ended(run, legal, outcome=outcome, decided=outcome, reason=reason)

    [event] = [e for e in published if e.name.startswith("asset.")]
    assert (event.name, event.key, event.client) == (f"asset.{outcome}", f"asset.{outcome}:run-{run.pk}", client_a)
    assert event.data == {
        "url": f"/assets/{asset.pk}/",
        "title": "Fjord at dawn",
        "asset": asset.pk,
        "run": run.pk,
        "outcome": outcome,
        "reason": reason,
        "restrictions": None,
        "requested_by": legal.pk,
        "decided_by": legal.email,
    }


def test_approved_over_licence_warnings_is_published_as_restricted_with_them(client_a, legal, published):
    asset = licensed_asset(client_a, geographies=["geography_germany_de"], usages=["usage_print"])
    run = approval_run(asset, countries=("DE", "US"), usages=("usage_web",))

    _ended(run, legal, outcome="approved", decided="approved", reason="US use cleared with the agency")

    [event] = [e for e in published if e.name.startswith("asset.")]
    assert (event.name, event.key) == ("asset.restricted", f"asset.restricted:run-{run.pk}")
    assert event.data["outcome"] == "approved"
    warnings = run.decisions.get().warnings
    assert warnings and event.data["restrictions"] == warnings
    assert any("US" in w for w in event.data["restrictions"])


def test_a_cancelled_cycle_publishes_no_outcome(client_a, legal, published):
    run = approval_run(licensed_asset(client_a))
    assert workflows.apply_remote_end(run, outcome="", cancelled=True) is True
    assert not [e for e in published if e.name.startswith("asset.")]


def test_an_approved_asset_taken_out_of_circulation_is_withdrawn_once(client_a, legal, published):
    asset = licensed_asset(client_a, name="Fjord at dawn")
    _ended(approval_run(asset), legal, outcome="approved", decided="approved")
    why = "Taken down before its rights lapse."

    assert assets.change_approval(asset, ApprovalState.WITHDRAWN, action="exceptions.asset.taken_down", reason=why)
    assert not assets.change_approval(asset, ApprovalState.WITHDRAWN, action="exceptions.asset.taken_down")

    [event] = published.named("asset.withdrawn")
    assert event.key.startswith(f"asset.withdrawn:asset-{asset.pk}:audit-")
    assert event.data == {"url": f"/assets/{asset.pk}/", "title": "Fjord at dawn", "asset": asset.pk, "reason": why}


def test_an_asset_withdrawn_while_in_review_was_never_approved_so_is_not_withdrawn(client_a, legal, published):
    asset = licensed_asset(client_a)
    _ended(approval_run(asset), legal, outcome="withdrawn", decided="rejected", reason="Not ours")
    asset.refresh_from_db()
    assert asset.approval_state == ApprovalState.WITHDRAWN
    assert not published.named("asset.withdrawn")


def test_an_approved_asset_whose_rights_expire_is_withdrawn_once(client_a, published):
    approved = licensed_asset(client_a, name="Fjord at dawn", approval=ApprovalState.APPROVED, valid_days=1)
    pending = licensed_asset(client_a, approval=ApprovalState.PENDING, valid_days=1)
    refresh_rights([approved.pk, pending.pk])  # valid: in force
    later = timezone.now() + timedelta(days=2)

    refresh_rights([approved.pk, pending.pk], later)  # the sweep after the end
    refresh_rights([approved.pk, pending.pk], later + timedelta(minutes=15))  # and the next one

    [event] = published.named("asset.withdrawn")  # not the pending one: it was never in circulation
    assert event.key.startswith(f"asset.withdrawn:asset-{approved.pk}:rights-expired-")
    assert event.data == {
        "url": f"/assets/{approved.pk}/",
        "title": "Fjord at dawn",
        "asset": approved.pk,
        "reason": "Its licence expired.",
    }


def test_a_hold_on_an_approved_asset_withdraws_it_once_and_removing_it_later_says_nothing_more(client_a, published):
    asset = licensed_asset(client_a, name="Fjord at dawn", approval=ApprovalState.APPROVED)
    why = "Required metadata missing: keywords."

    assert holds.place(asset, kind=HoldKind.EXCEPTION, reference="exceptions.case:1", reason=why)
    assert not holds.place(asset, kind=HoldKind.EXCEPTION, reference="exceptions.case:1", reason=why)  # again
    assert holds.place(asset, kind=HoldKind.EXCEPTION, reference="exceptions.case:2", reason="Another cause")
    # the exception's removal: out of circulation already, so no second withdrawal
    assets.change_approval(asset, ApprovalState.WITHDRAWN, action="exceptions.asset.removed", reason="Removed")

    [event] = published.named("asset.withdrawn")
    assert event.key.startswith(f"asset.withdrawn:asset-{asset.pk}:audit-")
    assert event.data == {"url": f"/assets/{asset.pk}/", "title": "Fjord at dawn", "asset": asset.pk, "reason": why}
