"""An onboarding run from ingest to published, worked from the asset page in the browser with the keyboard: DAM
content pulled from the Smint.io emulator is hidden on its asset page; a content manager enriches it (an enrichment
without the required keywords is refused at the form where it was made, what was typed kept, focus on the field),
legal validates the rights, the content manager categorises it, and the asset is published: available, with one
metadata PATCH and one status at Smint.io."""

import pytest
from playwright.sync_api import expect

from apps.assets.models import Asset
from apps.common.roles import RoleCode
from apps.integrations.smintio.sync import pull
from apps.onboarding.models import Onboarding, OnboardingPolicy
from tests.factories import member
from tests.platform_fixtures import metadata_patches, settle
from tests.reviews.test_flow import statuses_at_smintio

pytestmark = pytest.mark.django_db(transaction=True)


@pytest.fixture
def ingested(platforms, client_a):
    from apps.assets import events

    OnboardingPolicy.objects.create(client=client_a, sources=["bynder", "brandfolder"], approval_after=False)
    client_a.required_metadata_fields = ["keywords"]
    client_a.save()
    platforms.opentext_tenant()
    pull(platforms.smintio_tenant(client_a, count=20), full=True)
    events.pulled(client_a)  # as the worker does after a pull
    settle()
    return Onboarding.objects.filter(client=client_a).order_by("pk").first()


def task_form(page, asset, task_name):
    """The open task's form in the asset page's onboarding section, reached from the Review section's Decide link
    with the keyboard (the link stays on the page: the form is below it)."""
    page.goto(f"/assets/{asset.pk}/")
    link = page.locator("tr", has_text=task_name).get_by_role("link", name="Decide")
    link.focus()
    page.keyboard.press("Enter")
    form = page.locator("#onboarding form.decision-form", has_text=task_name)
    expect(form).to_be_visible()
    return form


def press_radio(form, name):
    form.get_by_role("radio", name=name).focus()
    form.page.keyboard.press("Space")
    expect(form.get_by_role("radio", name=name)).to_be_checked()


def test_an_onboarding_from_ingest_to_published(page, sign_in, ingested, client_a):
    assert ingested is not None, "the demo library has DAM assets"
    asset = Asset.objects.get(pk=ingested.asset_id)
    assert asset.on_hold and not asset.is_available
    person = member(client_a, RoleCode.CONTENT_MANAGER, RoleCode.LEGAL, email="cm@acme.example")
    sign_in(person, f"/assets/{asset.pk}/")
    expect(page.locator("#onboarding")).to_contain_text("Hidden until it is published")
    expect(page.locator("#onboarding")).to_contain_text("File present and downloadable")
    expect(page.locator(".page-head")).to_contain_text("Not available")

    form = task_form(page, asset, "Enrich the metadata")
    name = form.get_by_label("Name")
    name.focus()
    page.keyboard.press("ControlOrMeta+a")
    page.keyboard.type("Spring launch hero")
    form.get_by_label("Keywords").fill("")
    press_radio(form, "Enriched")
    form.get_by_role("button", name="Record decision").focus()
    page.keyboard.press("Enter")  # no keywords: refused at this form
    form = page.locator("#onboarding form.decision-form", has_text="Enrich the metadata")
    expect(form.locator("[role=alert]")).to_contain_text("The client requires: keywords")
    keywords = form.get_by_label("Keywords")
    expect(keywords).to_be_focused()
    expect(keywords).to_have_attribute("aria-invalid", "true")
    expect(form.get_by_label("Name")).to_have_value("Spring launch hero")  # nothing typed is lost
    expect(form.get_by_role("radio", name="Enriched")).to_be_checked()
    page.keyboard.type("brand, spring launch")
    form.get_by_role("button", name="Record decision").focus()
    page.keyboard.press("Enter")
    expect(page.locator(".toast")).to_contain_text("Enriched")
    expect(page).to_have_url(f"{page.url.split('/assets/')[0]}/assets/{asset.pk}/")  # back on the asset page
    settle()

    form = task_form(page, asset, "Validate the rights")
    form.get_by_label("Owned by the client").check()
    form.get_by_label("Territories").fill("DE, geography_europe")
    form.get_by_label("Web").check()
    form.get_by_label("Print").check()
    press_radio(form, "Rights valid")
    form.get_by_role("button", name="Record decision").click()
    expect(page.locator(".toast")).to_contain_text("Rights valid")
    settle()

    form = task_form(page, asset, "Categorise and set the access")
    form.get_by_label("Categories").fill("Brand")
    form.get_by_label("Who may see it").select_option("internal")
    press_radio(form, "Ready to publish")
    form.get_by_role("button", name="Record decision").click()
    expect(page.locator(".toast")).to_contain_text("Ready to publish")
    settle()

    page.goto(f"/assets/{asset.pk}/")
    expect(page.locator("#on-hold")).to_have_count(0)
    expect(page.locator("#onboarding")).to_contain_text("Published")
    expect(page.locator(".page-head")).to_contain_text("Available to creatives")
    asset.refresh_from_db()
    assert asset.keywords == ["brand", "spring launch"] and asset.is_available
    assert asset.name == "Spring launch hero"
    assert len(metadata_patches(asset)) == 1 and statuses_at_smintio(asset) == ["cleared"]
    refused = "status of 400"  # the refused enrichment: the browser logs the 400 the page was answered with
    assert [e for e in page.watch.console_errors if refused not in e] == []
    assert page.watch.foreign_requests == []
