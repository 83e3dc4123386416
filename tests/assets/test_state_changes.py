"""Every change of an asset's approval or rights state is allowed by its transition map and audited on the asset, so
its timeline tells the whole story (issue 10, item 6)."""

from __future__ import annotations

import itertools
from datetime import timedelta

import pytest
from django.utils import timezone

from apps.assets import services
from apps.assets.choices import APPROVAL_TRANSITIONS, ApprovalState, LicenseState, RightsState
from apps.assets.models import Asset, LicensePurchase, LicenseTerm
from apps.audit.models import AuditEvent
from apps.reviews.services import start_approval
from apps.workflows.services import apply_remote_end, apply_remote_start
from tests.reviews.factories import approval_run, licensed_asset
from tests.workflows.conftest import renewal_case

pytestmark = pytest.mark.django_db


def _events(obj, action):
    return list(AuditEvent.objects.filter(object_type=obj._meta.label_lower, object_id=str(obj.pk), action=action))


@pytest.fixture
def asset(client_a):
    return Asset.objects.create(client=client_a, content_element_uuid="el-1", name="Alpine hero")


def test_an_allowed_move_is_made_once_and_audited_on_the_asset(asset, legal):
    assert services.change_approval(asset, ApprovalState.IN_REVIEW, action="reviews.asset.in_review", actor=legal)
    assert not services.change_approval(asset, ApprovalState.IN_REVIEW, action="reviews.asset.in_review")  # no-op
    asset.refresh_from_db()
    assert asset.approval_state == ApprovalState.IN_REVIEW
    (event,) = _events(asset, "reviews.asset.in_review")
    assert (event.before, event.after, event.actor_label) == (
        {"approval_state": "pending"},
        {"approval_state": "in_review"},
        legal.email,
    )


def test_a_move_the_map_does_not_allow_is_refused_and_nothing_changes(asset):
    with pytest.raises(services.InvalidApprovalMove, match="pending cannot become approved"):
        services.change_approval(asset, ApprovalState.APPROVED, action="reviews.asset.approved")
    asset.refresh_from_db()
    assert asset.approval_state == ApprovalState.PENDING
    assert not AuditEvent.objects.filter(object_id=str(asset.pk)).exists()


def test_every_state_can_be_taken_out_of_circulation_and_nothing_is_a_dead_end():
    for state in ApprovalState.values:
        targets = APPROVAL_TRANSITIONS[state]
        assert targets, state
        assert state == ApprovalState.WITHDRAWN or ApprovalState.WITHDRAWN in targets


def test_a_rights_change_is_audited_but_not_the_first_reading_of_a_new_asset(asset, client_a):
    now = timezone.now()
    lpt = LicensePurchase.objects.create(
        client=client_a, asset=asset, uuid="lpt-1", state=LicenseState.COMPLETED, version=1
    )
    LicenseTerm.objects.create(license_purchase=lpt, sequence_number=1, valid_until=now + timedelta(days=2))
    services.refresh_rights([asset.pk], now)
    asset.refresh_from_db()
    assert asset.rights_state == RightsState.VALID
    assert not _events(asset, "assets.asset.rights_change")  # unknown -> valid is the first reading
    services.refresh_rights([asset.pk], now + timedelta(days=3))
    (event,) = _events(asset, "assets.asset.rights_change")
    assert (event.before, event.after, event.actor_label) == (
        {"rights_state": "valid"},
        {"rights_state": "expired"},
        "system",
    )


MOVES = [(a, b) for a, b in itertools.product(ApprovalState.values, repeat=2) if a != b]


@pytest.mark.parametrize(("start", "target"), MOVES)
def test_an_asset_moves_only_as_its_approval_map_allows(asset, start, target):
    Asset.objects.filter(pk=asset.pk).update(approval_state=start)
    asset.refresh_from_db()
    allowed = target in APPROVAL_TRANSITIONS[start]
    if allowed:
        assert services.change_approval(asset, target, action="assets.asset.test_move")
    else:
        with pytest.raises(services.InvalidApprovalMove, match=f"{start} cannot become {target}"):
            services.change_approval(asset, target, action="assets.asset.test_move")
    asset.refresh_from_db()
    assert asset.approval_state == (target if allowed else start)
    assert [(e.before, e.after) for e in _events(asset, "assets.asset.test_move")] == (
        [({"approval_state": start}, {"approval_state": target})] if allowed else []
    )


# -- the asset state changes issue 10 found unaudited, each now on the asset's trail -------------------------------
def test_starting_a_review_puts_in_review_on_the_asset(client_a, legal):
    asset = licensed_asset(client_a, approval=ApprovalState.PENDING)
    run = start_approval(asset, actor=legal)
    (event,) = _events(asset, "reviews.asset.in_review")
    assert (event.before, event.after, event.actor_label) == (
        {"approval_state": "pending"},
        {"approval_state": "in_review", "run": run.pk},
        legal.email,
    )


def test_a_cancelled_cycle_puts_the_asset_back_to_review_on_its_trail(client_a):
    asset = licensed_asset(client_a, approval=ApprovalState.IN_REVIEW)
    run = approval_run(asset)
    assert apply_remote_end(run, outcome="approved", cancelled=True, reason="deleted by an administrator")
    (event,) = _events(asset, "reviews.asset.cycle_cancelled")
    assert (event.before, event.after) == (
        {"approval_state": "in_review"},
        {"approval_state": "pending", "outcome": "", "run": run.pk},
    )


@pytest.mark.parametrize("outcome", ["taken_down", "replaced"])
def test_a_renewal_that_takes_the_asset_out_of_circulation_says_so_on_the_asset(client_a, outcome):
    asset = licensed_asset(client_a, approval=ApprovalState.APPROVED)
    case, run = renewal_case(client_a, asset)
    assert apply_remote_end(run, outcome=outcome)
    (event,) = _events(asset, f"exceptions.asset.{outcome}")
    assert (event.before, event.after) == (
        {"approval_state": "approved"},
        {"approval_state": "withdrawn", "case": case.pk},
    )
    closed = AuditEvent.objects.get(
        object_type="exceptions.case", object_id=str(case.pk), action="exceptions.case.close"
    )
    assert (closed.before, closed.after["state"], closed.after["disposition"]) == ({"state": "open"}, "closed", outcome)


def test_a_runs_start_and_end_at_opentext_are_on_the_runs_trail(client_a):
    asset = licensed_asset(client_a, approval=ApprovalState.PENDING)
    run = start_approval(asset)
    apply_remote_start(run, remote_id="pi-42", started_at=None)
    apply_remote_start(run, remote_id="pi-42", started_at=None)  # a second report changes nothing
    run.refresh_from_db()
    (event,) = _events(run, "workflows.run.running")
    assert (run.status, event.before, event.after) == (
        "running",
        {"status": "starting"},
        {"status": "running", "remote_id": "pi-42"},
    )
