"""Sharing and revoking: who may, with whom, until when; one open share per subject and person; audited on the
subject, so its page's timeline says it."""

from __future__ import annotations

from datetime import timedelta

import pytest
from django.core.exceptions import PermissionDenied
from django.db import IntegrityError
from django.utils import timezone

from apps.audit.models import AuditEvent
from apps.common.roles import RoleCode
from apps.sharing import services as sharing
from apps.sharing.models import Share
from tests.factories import member
from tests.reviews.factories import licensed_asset

pytestmark = pytest.mark.django_db


@pytest.fixture
def asset(client_a):
    return licensed_asset(client_a, name="Harbour at night")


def _until(days=10):
    return timezone.localdate() + timedelta(days=days)


def test_an_internal_member_shares_until_the_end_of_a_day_and_the_subject_records_it(asset, legal, external):
    share = sharing.share(asset, user=external, actor=legal, until=_until(3))
    assert (share.client, share.subject_type, share.subject_id, share.user) == (
        asset.client,
        "assets.asset",
        asset.pk,
        external,
    )
    assert (share.shared_by, share.subject_label, share.state) == (legal, "Harbour at night", "active")
    assert timezone.localtime(share.expires_at) == timezone.localtime(sharing.expiry_of(_until(3)))
    assert timezone.localtime(share.expires_at).time().hour == 0  # the day after, at midnight
    event = AuditEvent.objects.get(action="sharing.share.grant")
    assert (event.object_type, event.object_id, event.actor) == ("assets.asset", str(asset.pk), legal)
    assert event.after == {"share": share.pk, "user": external.email, "expires_at": share.expires_at.isoformat()}


def test_sharing_again_moves_the_end_of_the_open_share(asset, legal, external):
    first = sharing.share(asset, user=external, actor=legal, until=_until(3))
    again = sharing.share(asset, user=external, actor=legal, until=_until(30))
    assert again.pk == first.pk and Share.objects.count() == 1
    renew = AuditEvent.objects.get(action="sharing.share.renew")
    assert renew.before == {"expires_at": first.expires_at.isoformat()}


def test_the_database_allows_one_open_share_per_subject_and_person(asset, legal, external):
    share = sharing.share(asset, user=external, actor=legal, until=_until())
    with pytest.raises(IntegrityError):
        Share.objects.create(
            client=share.client,
            subject_type=share.subject_type,
            subject_id=share.subject_id,
            user=external,
            expires_at=share.expires_at,
        )


def test_a_revoked_share_can_be_followed_by_a_new_one(asset, legal, external):
    first = sharing.share(asset, user=external, actor=legal, until=_until())
    sharing.unshare(first, actor=legal)
    second = sharing.share(asset, user=external, actor=legal, until=_until())
    assert second.pk != first.pk and [s.state for s in Share.objects.order_by("pk")] == ["revoked", "active"]


def test_an_external_member_cannot_pass_on_what_they_were_given(asset, legal, external, client_a):
    sharing.share(asset, user=external, actor=legal, until=_until())
    other = member(client_a, RoleCode.EXTERNAL, email="agency@outside.example")
    with pytest.raises(PermissionDenied):
        sharing.share(asset, user=other, actor=external, until=_until())
    with pytest.raises(PermissionDenied):
        sharing.unshare(Share.objects.get(), actor=external)


@pytest.mark.parametrize("who", ["internal", "other_client", "inactive"])
def test_only_an_active_external_member_of_the_subjects_client_can_be_given_a_share(
    asset, legal, client_b, who, client_a
):
    user = {
        "internal": lambda: member(client_a, RoleCode.BRAND, email="brand@acme.example"),
        "other_client": lambda: member(client_b, RoleCode.EXTERNAL, email="ext@beta.example"),
        "inactive": lambda: _inactive(member(client_a, RoleCode.EXTERNAL, email="gone@acme.example")),
    }[who]()
    with pytest.raises(sharing.ShareRefused) as refused:
        sharing.share(asset, user=user, actor=legal, until=_until())
    assert refused.value.field == "user"
    assert not Share.objects.exists()


@pytest.mark.parametrize("days", [-1, 366])
def test_a_share_ends_between_today_and_a_year_ahead(asset, legal, external, days):
    with pytest.raises(sharing.ShareRefused) as refused:
        sharing.share(asset, user=external, actor=legal, until=_until(days))
    assert refused.value.field == "until"


def test_a_member_of_another_client_cannot_share_or_find_the_subject(asset, external, outsider):
    with pytest.raises(PermissionDenied):
        sharing.share(asset, user=external, actor=outsider, until=_until())
    with pytest.raises(sharing.ShareRefused):
        sharing.find_subject(outsider, "assets.asset", asset.pk)


def test_revoking_is_audited_on_the_subject_and_happens_once(asset, legal, agency_admin, external):
    share = sharing.share(asset, user=external, actor=legal, until=_until())
    sharing.unshare(share, actor=agency_admin)  # any internal member may revoke
    share.refresh_from_db()
    assert (share.state, share.revoked_by) == ("revoked", agency_admin)
    event = AuditEvent.objects.get(action="sharing.share.revoke")
    assert (event.object_type, event.object_id, event.actor) == ("assets.asset", str(asset.pk), agency_admin)
    with pytest.raises(sharing.ShareRefused):
        sharing.unshare(share, actor=legal)


def test_only_assets_and_cases_can_be_shared(client_a, legal, external):
    with pytest.raises(ValueError, match="not a shareable subject type"):
        sharing.register_subject(type(client_a))
    with pytest.raises(sharing.ShareRefused):
        sharing.find_subject(legal, "clients.client", client_a.pk)


def _inactive(user):
    user.is_active = False
    user.save(update_fields=["is_active"])
    return user
