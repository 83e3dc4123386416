"""Flow 3 in the browser: a requester submits a request, triage accepts, a creative shortlists a ranked match and
delivers, the requester accepts, and the delivery's usage event shows on the asset's case page. The failure paths:
a form error shown at its field with the focus there, a refused action shown where the person clicked."""

# ruff: noqa: F811 - the fixtures of tests/creative/conftest.py are imported by name
from __future__ import annotations

import re
from datetime import timedelta

import pytest
from django.utils import timezone
from playwright.sync_api import expect

from apps.assets.models import UsageEvent
from apps.creative.choices import RequestStatus
from apps.creative.models import CreativeRequest, Delivery
from apps.exceptions.choices import CaseKind, Trigger
from apps.exceptions.models import Case
from tests.creative.conftest import library, opentext, people  # noqa: F401 - fixtures
from tests.platform_fixtures import settle

pytestmark = pytest.mark.django_db(transaction=True)


def _fill_request(page, *, deadline, run_from, run_until):
    page.get_by_label("Title").fill("Spring trail launch")
    page.get_by_label("Brief").fill("Families hiking on mountain trails in the morning")
    page.get_by_label("Countries").select_option(["DE"])
    page.get_by_role("checkbox", name="Web").check()
    page.get_by_label("Assets needed by").fill(deadline.isoformat())
    page.get_by_label("Campaign runs from").fill(run_from.isoformat())
    page.get_by_label("Campaign runs until").fill(run_until.isoformat())


def test_submit_triage_deliver_accept_and_the_delivery_shows_on_the_assets_case(
    page,
    sign_in,
    second_person,
    library,
    people,
):
    today = timezone.localdate()
    sign_in(people["requester"], "/")
    page.get_by_role("link", name="New request").click()
    _fill_request(
        page,
        deadline=today - timedelta(days=1),
        run_from=today + timedelta(days=9),
        run_until=today + timedelta(days=3),
    )
    page.get_by_role("button", name="Submit request").click()
    # the errors at their fields, the focus on the first one to fix
    expect(page.locator("#id_deadline_error")).to_have_text("The deadline must be in the future.")
    expect(page.locator("#id_run_until_error")).to_have_text("The campaign must end on or after the day it starts.")
    expect(page.get_by_label("Assets needed by")).to_be_focused()
    _fill_request(
        page,
        deadline=today + timedelta(days=7),
        run_from=today + timedelta(days=9),
        run_until=today + timedelta(days=30),
    )
    page.get_by_role("button", name="Submit request").click()
    expect(page.locator(".toast")).to_contain_text("is submitted")
    request = CreativeRequest.objects.get()
    assert request.status == RequestStatus.TRIAGE
    settle()

    ops = second_person(people["ops"], "/")
    ops.get_by_role("link", name=re.compile("Unassigned for my roles")).click()
    expect(ops.locator("tr", has_text="Spring trail launch")).to_be_visible()  # triage's task is in the inbox
    ops.locator("tr", has_text="Spring trail launch").get_by_role("link", name=re.compile("^Open request")).click()
    expect(ops.locator("h1")).to_have_text("Spring trail launch")
    form = ops.locator("form.decision-form")
    form.get_by_role("radio", name="Accept").check()
    form.get_by_role("button", name="Record decision").click()
    expect(ops.locator(".toast")).to_contain_text("Accept")
    settle()

    creative = second_person(people["creative"], "/")
    creative.get_by_role("link", name=re.compile("Unassigned for my roles")).click()
    creative.locator("tr", has_text="Spring trail launch").get_by_role("link", name=re.compile("^Open request")).click()
    matches = creative.locator("#matches")
    expect(matches.get_by_role("heading", name=re.compile("Cover everything"))).to_be_visible()
    first = matches.locator("ol.matches").first.locator("li.match").first
    expect(first).to_contain_text("Fits")
    chosen = first.locator("a").first.inner_text()
    first.get_by_role("button", name=re.compile("^Shortlist")).click()
    expect(creative.locator("#shortlist")).to_contain_text(chosen)
    creative.locator("#shortlist").get_by_label("Note for the requester").fill("The brightest of them")
    creative.locator("#shortlist").get_by_role("button", name="Deliver the shortlist").click()
    expect(creative.locator(".toast")).to_contain_text("Deliver")
    settle()

    page.goto(request.get_absolute_url())
    expect(page.locator("#delivery")).to_contain_text(chosen)
    expect(page.locator("#delivery .licence-summary")).to_contain_text("May be used")
    download = page.locator("#delivery").get_by_role("link", name=f"Download {chosen}")
    answer = page.request.get(download.get_attribute("href"), max_redirects=0)
    assert answer.status == 302 and answer.headers["cache-control"] == "no-store"
    assert answer.headers["location"].startswith("http")  # Smint.io's signed address, asked for at the click
    form = page.locator("form.decision-form")
    form.get_by_role("radio", name="Accept").check()
    form.get_by_role("button", name="Record decision").click()
    expect(page.locator(".toast")).to_contain_text("Accept")
    settle()
    request.refresh_from_db()
    assert request.status == RequestStatus.DELIVERED
    delivery = Delivery.objects.get(request=request)
    assert delivery.accepted_by_id == people["requester"].pk
    item = delivery.items.get()
    event = UsageEvent.objects.get(uuid=item.usage_event_uuid)

    case = Case.objects.create(
        client=library,
        asset=item.asset,
        kind=CaseKind.RENEWAL,
        trigger=Trigger.LAPSE,
        key="lapse:test",
        title="Rights lapse soon",
        due_at=timezone.now() + timedelta(days=3),
    )
    page.goto(case.get_absolute_url())
    expect(page.locator("#usage-title")).to_be_visible()
    expect(page.locator("section", has=page.locator("#usage-title"))).to_contain_text(event.user_email)
    for person in (ops, creative):
        person.watch.assert_clean()
    # the refused form is answered 400 (the browser logs that status); nothing else went wrong
    assert [e for e in page.watch.console_errors if "status of 400" not in e] == []
    assert page.watch.foreign_requests == []


def test_a_refused_shortlist_is_shown_where_the_person_clicked(page, sign_in, library, people):
    from apps.creative import services
    from tests.creative.conftest import intake

    request = services.submit(actor=people["requester"], client=library, intake=intake())
    settle()
    services.triage(request, actor=people["ops"], outcome="accept")
    settle()
    sign_in(people["creative"], request.get_absolute_url())
    first = page.locator("#matches li.match").first
    expect(first).to_be_visible()
    # meanwhile the asset stops being available (withdrawn): the creative's click is refused at that match
    from apps.assets.models import Asset

    asset_id = int(first.get_attribute("id").removeprefix("match-"))
    Asset.objects.filter(pk=asset_id).update(approval_state="rejected")
    first.get_by_role("button", name=re.compile("^Shortlist")).click()
    # no longer among the matches: the refusal is said above them, with the focus on it
    refused = page.locator("#matches #shortlist-error")
    expect(refused).to_contain_text("Only an available asset")
    expect(refused).to_be_focused()
    expect(page.locator(f"#match-{asset_id}")).to_have_count(0)
    assert [e for e in page.watch.console_errors if "status of 400" not in e] == []
