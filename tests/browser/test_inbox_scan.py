"""The inbox can be scanned: each row shows the asset's preview and how far its cycle is (2 of 3 signed), and a
column that says the same on every row (one client) is left out."""

import re

import pytest
from playwright.sync_api import expect

from apps.assets.models import Asset
from apps.common.roles import RoleCode
from apps.workflows.choices import TaskStatus
from apps.workflows.models import Task
from tests.factories import MembershipFactory
from tests.reviews.factories import approval_run, licensed_asset, review_task

pytestmark = pytest.mark.django_db(transaction=True)


@pytest.fixture
def cycle(client_a):
    asset = licensed_asset(client_a, name="Glacier lake")
    # a preview on the live server itself (the page must not reach out; any same-origin URL will do)
    Asset.objects.filter(pk=asset.pk).update(preview_url="/static/img/favicon.svg")
    run = approval_run(asset)
    for role in ("brand", "content_owner"):  # signed already
        Task.objects.filter(pk=review_task(run, role).pk).update(status=TaskStatus.COMPLETED)
    return review_task(run, "legal")


def test_a_row_shows_the_preview_and_the_cycle_s_progress_and_no_column_that_never_changes(page, sign_in, cycle, legal):
    sign_in(legal, "/?tab=team")
    row = page.locator(f"#task-{cycle.pk}")
    thumb = row.get_by_role("img", name="Preview of Glacier lake")
    expect(thumb).to_have_attribute("loading", "lazy")
    expect(row).to_contain_text("2 of 3 signed")
    expect(page.get_by_role("columnheader", name="Client")).to_be_hidden()  # one client: said at the top
    page.watch.assert_clean()


def test_the_client_column_is_shown_when_the_rows_belong_to_different_clients(page, sign_in, client_a, client_b, legal):
    MembershipFactory(user=legal, client=client_b, roles=[RoleCode.LEGAL])
    review_task(approval_run(licensed_asset(client_a, name="Acme asset")), "legal")
    review_task(approval_run(licensed_asset(client_b, name="Other asset")), "legal")
    sign_in(legal, "/?tab=team")
    expect(page.get_by_role("columnheader", name="Client")).to_be_visible()
    expect(page.locator("tr", has_text="Other asset")).to_contain_text(re.compile(client_b.name))
    page.watch.assert_clean()


def test_columns_the_same_on_every_row_are_said_once_above_the_table(page, sign_in, client_a, legal):
    review_task(approval_run(licensed_asset(client_a, name="Fjord")), "legal")
    review_task(approval_run(licensed_asset(client_a, name="Harbour")), "legal")
    review_task(approval_run(licensed_asset(client_a, name="Meadow")), "legal", assignee=legal)
    sign_in(legal, "/?tab=team")
    expect(page.locator("#inbox table.tasks tbody tr")).to_have_count(2)
    for column in ("Client", "Held by"):
        expect(page.get_by_role("columnheader", name=column)).to_be_hidden()
    for row in page.locator("#inbox table.tasks tbody tr").all():
        expect(row.locator("td.col-holder")).to_be_hidden()  # no "nobody" on every row
    common = page.locator("#inbox-common")
    expect(common).to_have_text("Every task here: client Acme Outdoor · held by nobody")
    expect(page.get_by_role("table")).to_have_accessible_description(common.text_content())
    page.get_by_role("link", name=re.compile("^My tasks")).click()
    expect(page.locator("#inbox table.tasks tbody tr")).to_have_count(1)
    expect(page.locator("#inbox-common")).to_have_text("Every task here: client Acme Outdoor · held by you")
    expect(page.get_by_role("columnheader", name="Held by")).to_be_hidden()
    page.watch.assert_clean()


def test_the_holder_column_is_shown_when_the_rows_differ(client_a, legal):
    """Both tabs now hold one kind of holder each; a list mixing them keeps the column."""
    from apps.reviews.views import _columns

    mine = review_task(approval_run(licensed_asset(client_a, name="Mine")), "legal", assignee=legal)
    free = review_task(approval_run(licensed_asset(client_a, name="Free")), "legal")
    assert _columns([mine, free], legal) == {
        "show_client": False,
        "show_holder": True,
        "common": [("Client", "Acme Outdoor")],
    }
