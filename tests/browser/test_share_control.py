"""The share control on an asset's page, by keyboard: the picker offers the client's external members and the
date picker the default end; a share made is listed with its end; a member who stopped being external meanwhile
is refused where the person acted (the picker marked, the keyboard on it) and nothing is shared."""

from datetime import timedelta

import pytest
from django.utils import timezone
from playwright.sync_api import expect

from apps.accounts.models import Membership
from apps.common.roles import RoleCode
from apps.sharing import services as sharing
from apps.sharing.models import Share
from tests.factories import member
from tests.reviews.factories import licensed_asset

pytestmark = pytest.mark.django_db(transaction=True)


def test_an_asset_is_shared_from_its_page_and_a_member_no_longer_external_is_refused_in_place(
    page, sign_in, client_a, live_server
):
    asset = licensed_asset(client_a, name="Harbour at dawn")
    manager = member(client_a, RoleCode.CONTENT_MANAGER, email="cm@acme.example")
    studio = member(client_a, RoleCode.EXTERNAL, email="studio@pixel.example")
    member(client_a, RoleCode.EXTERNAL, email="print@press.example")
    until = timezone.localdate() + timedelta(days=10)

    sign_in(manager, f"/assets/{asset.pk}/")
    control = page.locator("#sharing")
    expect(control).to_contain_text("Not shared with anyone outside the client.")
    picker = control.get_by_label("Share with")
    offered = picker.locator("option").evaluate_all("options => options.map(o => o.value)")
    assert offered == ["", "print@press.example", "studio@pixel.example"]  # by e-mail, named by their names
    picker.focus()
    page.keyboard.press("ArrowDown")  # a closed select moves its choice with the arrow keys
    page.keyboard.press("ArrowDown")
    expect(picker).to_have_value("studio@pixel.example")
    default = timezone.localdate() + timedelta(days=sharing.DEFAULT_DAYS)
    expect(control.get_by_label("Until")).to_have_value(default.isoformat())  # the default shows in the picker
    control.get_by_label("Until").fill(until.isoformat())
    control.get_by_role("button", name="Share").focus()
    with page.expect_navigation():
        page.keyboard.press("Enter")
    expect(page.locator("#sharing tbody")).to_contain_text("studio@pixel.example")
    assert Share.objects.filter(user=studio, subject_id=asset.pk).count() == 1

    # the other member stops being external while the page is open
    picker = page.locator("#sharing").get_by_label("Share with")
    picker.select_option("print@press.example")
    Membership.objects.get(user__email="print@press.example").roles.clear()
    with page.expect_navigation():
        page.locator("#sharing").get_by_role("button", name="Share").click()
    expect(page.get_by_role("alert").first).to_contain_text("Nothing was shared")
    refused = page.get_by_role("combobox", name="Share with")
    expect(refused).to_have_attribute("aria-invalid", "true")
    expect(refused).to_be_focused()
    assert not Share.objects.filter(user__email="print@press.example").exists()
