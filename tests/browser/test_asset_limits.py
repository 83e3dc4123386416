"""Issue 12: an available asset's page says where, for what and until when it may be used, and a renewal
procurement recorded shows its new end date at once, marked "awaiting Smint.io", on the asset and the calendar."""

from datetime import timedelta

import pytest
from django.utils import timezone
from playwright.sync_api import expect

from apps.assets.choices import ApprovalState
from apps.assets.services import record_renewal, refresh_rights
from apps.common.roles import RoleCode
from tests.factories import member
from tests.reviews.factories import licensed_asset

pytestmark = pytest.mark.django_db(transaction=True)


def test_the_asset_page_shows_the_limits_and_a_recorded_renewal_marked_until_smintio_confirms(page, sign_in, client_a):
    asset = licensed_asset(
        client_a,
        name="Dachstein",
        approval=ApprovalState.APPROVED,
        geographies=["geography_dach"],
        usages=["usage_broadcast", "usage_packaging"],
        valid_days=20,
    )
    refresh_rights([asset.pk])
    owner = member(client_a, RoleCode.CONTENT_OWNER, email="owner@acme.example")
    sign_in(owner, f"/assets/{asset.pk}/")
    limits = page.locator(".asset-limits [data-limits]")
    expect(page.locator(".page-head")).to_contain_text("Available to creatives")
    expect(limits).to_contain_text("Germany, Austria, Switzerland")
    expect(limits).to_contain_text("Broadcast, Packaging")
    expect(limits.locator("[data-renewal-mark]")).to_have_count(0)

    renewed = timezone.now() + timedelta(days=60)
    record_renewal(asset, renewed)
    page.reload()
    expect(limits).to_contain_text(f"{timezone.localtime(renewed):%-d %b %Y}")
    expect(limits.locator("[data-renewal-mark]")).to_have_text("Renewed, awaiting Smint.io")
    page.goto("/cases/calendar/")
    row = page.locator("tr", has_text="Dachstein")
    expect(row.locator("[data-renewal-mark]")).to_be_visible()
    # at phone width the limits wrap: nothing scrolls sideways because of them
    page.set_viewport_size({"width": 390, "height": 800})
    page.goto(f"/assets/{asset.pk}/")
    box = limits.bounding_box()
    assert box is not None and box["x"] + box["width"] <= 390
