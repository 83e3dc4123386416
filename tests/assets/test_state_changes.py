"""Every change of an asset's approval or rights state is allowed by its transition map and audited on the asset, so
its timeline tells the whole story (issue 10, item 6)."""

from __future__ import annotations

from datetime import timedelta

import pytest
from django.utils import timezone

from apps.assets import services
from apps.assets.choices import APPROVAL_TRANSITIONS, ApprovalState, LicenseState, RightsState
from apps.assets.models import Asset, LicensePurchase, LicenseTerm
from apps.audit.models import AuditEvent

pytestmark = pytest.mark.django_db


def _events(asset, action):
    return list(AuditEvent.objects.filter(object_type="assets.asset", object_id=str(asset.pk), action=action))


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
