""" "Available" always shows its limits (issue 12): where, for what and until when, from the licences in force, in
the library, on the asset page and in the API."""

from __future__ import annotations

from datetime import timedelta

import pytest
from django.utils import timezone

from apps.assets import rights
from apps.assets.choices import ApprovalState, LicenseState
from apps.assets.models import Asset, LicenseTerm
from apps.assets.services import refresh_rights
from tests.reviews.factories import licensed_asset

pytestmark = pytest.mark.django_db


def _limited(client, **kwargs):
    asset = licensed_asset(
        client,
        name="Dachstein",
        approval=ApprovalState.APPROVED,
        geographies=["geography_dach"],
        usages=["usage_broadcast", "usage_packaging"],
        **kwargs,
    )
    refresh_rights([asset.pk])
    return Asset.objects.prefetch_related("license_purchases__terms").get(pk=asset.pk)


def test_limits_say_where_for_what_and_until_when(client_a):
    asset = _limited(client_a, valid_days=100)
    limits = rights.limits_of(asset)
    assert limits.countries == ("AT", "CH", "DE")
    assert limits.usages == ("usage_broadcast", "usage_packaging")
    assert limits.until == asset.rights_until and not limits.until_awaits_smintio
    text = str(limits)
    assert "Broadcast" in text and "Packaging" in text and f"{asset.rights_until:%d %b %Y}" in text


def test_a_wider_term_widens_and_a_cancelled_or_ended_licence_does_not_count(client_a):
    asset = _limited(client_a)
    lpt = asset.license_purchases.get()
    LicenseTerm.objects.create(
        license_purchase=lpt,
        sequence_number=2,
        name="US web",
        allowed_geographies=["geography_united_states_us"],
        allowed_usages=["usage_web"],
        is_editorial_use=False,
    )
    ended = LicenseTerm.objects.create(
        license_purchase=lpt,
        sequence_number=3,
        name="Ended",
        allowed_geographies=["geography_worldwide"],
        allowed_usages=["usage_print"],
        valid_until=timezone.now() - timedelta(days=1),
    )
    limits = rights.limits_of(Asset.objects.prefetch_related("license_purchases__terms").get(pk=asset.pk))
    assert limits.countries == ("AT", "CH", "DE", "US") and "usage_web" in limits.usages
    assert "usage_print" not in limits.usages and ended.pk
    lpt.state = LicenseState.CANCELLED
    lpt.save(update_fields=["state"])
    gone = rights.limits_of(Asset.objects.prefetch_related("license_purchases__terms").get(pk=asset.pk))
    assert gone.where == "where: not stated" and gone.usages == ()


def test_the_library_and_the_asset_page_show_an_available_assets_limits(client_a, legal, login):
    asset = _limited(client_a)
    http = login(legal)
    library = http.get("/assets/").content.decode()
    card = library[library.index("Dachstein") :]
    card = card[: card.index("</li>")]
    assert "Available" in card and "data-limits" in card and "Broadcast" in card and "Packaging" in card
    assert f"{asset.rights_until:%-d %b %Y}" in card
    page = http.get(f"/assets/{asset.pk}/").content.decode()
    assert "Available to creatives" in page and "data-limits" in page and "Broadcast, Packaging" in page


@pytest.fixture
def legal_api(legal, api_token, api):
    return api(api_token(legal))


def test_the_api_gives_every_assets_limits_in_a_constant_number_of_queries(
    client_a, legal_api, django_assert_max_num_queries
):
    asset = _limited(client_a)
    for _ in range(5):
        _limited(client_a)
    with django_assert_max_num_queries(12):
        listing = legal_api.get("/api/v1/assets/")
    row = next(item for item in listing.json()["results"] if item["id"] == asset.pk)
    assert row["available"] is True
    assert row["limits"]["countries"] == ["AT", "CH", "DE"]
    assert row["limits"]["usages"] == ["usage_broadcast", "usage_packaging"]
    assert row["limits"]["until"][:10] == asset.rights_until.isoformat()[:10]
    assert row["limits"]["until_awaits_smintio"] is False
    detail = legal_api.get(f"/api/v1/assets/{asset.pk}/").json()
    assert detail["limits"] == row["limits"]
