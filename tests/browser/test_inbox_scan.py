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
