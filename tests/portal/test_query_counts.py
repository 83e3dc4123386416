"""P1: list pages and API lists cost the same number of queries for 5 rows as for 50."""

import pytest

from apps.common.roles import RoleCode
from tests.factories import AuditEventFactory, ClientFactory, MembershipFactory, member
from tests.queries import page_queries

pytestmark = pytest.mark.django_db
# 10, plus the navigation's count of open onboarding runs for those who work them (content managers, legal, agency
# admins: one query), plus the top bar's unread notifications count (one COUNT on its index); the top bar's Smint.io
# state comes from the shared cache (apps/clients/topbar.py)
BUDGET = 12


_queries = page_queries  # the second of two requests (tests/queries.py)


def _grow_clients(user, count):
    for _ in range(count):
        MembershipFactory(user=user, client=ClientFactory(), roles=[RoleCode.LEGAL])


@pytest.mark.parametrize("url", ["/clients/", "/api/v1/clients/", "/"])
def test_client_lists_do_not_grow_with_memberships(url, client_a, login):
    user = member(client_a, RoleCode.AGENCY_ADMIN, email="many@example.com")
    http = login(user)
    _grow_clients(user, 4)
    five = _queries(http, url)
    _grow_clients(user, 45)
    fifty = _queries(http, url)
    assert five == fifty <= BUDGET, (five, fifty)


def test_api_audit_list_does_not_grow_with_rows(client_a, legal, api_token, api):
    http = api(api_token(legal))
    http.get("/api/v1/me/")  # the token's first use records last_used_at; later ones within a minute do not
    AuditEventFactory.create_batch(5, client=client_a)
    five = _queries(http, "/api/v1/audit-events/", client="acme")
    AuditEventFactory.create_batch(45, client=client_a)
    fifty = _queries(http, "/api/v1/audit-events/", client="acme")
    assert five == fifty <= BUDGET, (five, fifty)


def test_client_detail_does_not_grow_with_members(client_a, agency_admin, login):
    http = login(agency_admin)
    for _ in range(4):
        member(client_a, RoleCode.REVIEWER)
    five = _queries(http, "/clients/acme/")
    for _ in range(45):
        member(client_a, RoleCode.REVIEWER)
    fifty = _queries(http, "/clients/acme/")
    assert five == fifty <= BUDGET + 1, (five, fifty)  # one more: the latest Smint.io connect attempt


def test_the_approval_policy_page_does_not_grow_with_members(client_a, agency_admin, login):
    """The members per signing role are counted in one query, whatever their number."""
    http = login(agency_admin)
    http.get("/clients/acme/approval-policy/")  # the first visit makes the client's policy row (the default shape)
    for role in (RoleCode.LEGAL, RoleCode.BRAND, RoleCode.MARKETING, RoleCode.BRAND):
        member(client_a, role)
    five = _queries(http, "/clients/acme/approval-policy/")
    for _ in range(15):
        for role in (RoleCode.LEGAL, RoleCode.BRAND, RoleCode.MARKETING):
            member(client_a, role)
    fifty = _queries(http, "/clients/acme/approval-policy/")
    assert five == fifty <= BUDGET, (five, fifty)


def test_the_asset_page_does_not_grow_with_runs_comments_and_decisions(client_a, legal, login):
    """Each cycle adds a run, a task, a comment with a reply, a decision and their audit events to the page (its
    review table, conversation and timeline, built by ``workflows.subject_pages``). 19 queries before the page was
    built through ``apps.assets.pages`` (and 24 with six cycles: a decision's task was read one by one)."""
    from apps.workflows import services as workflows
    from apps.workflows.models import WorkflowRun
    from tests.reviews.factories import approval_run, licensed_asset, review_task

    asset = licensed_asset(client_a)

    def cycles(count):
        for _ in range(count):
            run = approval_run(asset)
            task = review_task(run, "legal")
            top = workflows.comment(run, actor=legal, body="@legal@acme.example see this", task=task)
            workflows.comment(run, actor=legal, body="Seen.", parent=top)
            workflows.decide(task, actor=legal, outcome="rejected", reason="No model release")
            WorkflowRun.objects.filter(pk=run.pk).update(status="completed", outcome="rejected")

    http = login(legal)
    cycles(1)
    one = _queries(http, f"/assets/{asset.pk}/")
    cycles(5)
    six = _queries(http, f"/assets/{asset.pk}/")
    # the asset (with its client's vocabulary), its licences and terms; runs, tasks (each with whether I may act
    # on it), decisions, the audit trail, comments, cases; the share control (2), the
    # deliveries to creative requests that hold the asset, the campaigns that hold it (issue 15). The session, the
    # person, memberships (and so their roles for "Report a problem"), notices, badge, onboarding count and the top
    # bar's Smint.io state are cached (warm). Each of the 13 reads another table the page shows.
    assert one == six <= 13, (one, six)


def test_the_inbox_does_not_grow_with_rows(client_a, legal, login):
    """Each row shows its preview, whether approving needs a reason (the licence checked against the cycle) and the
    cycle's progress: read for the page at once, not per row."""
    from tests.reviews.factories import approval_run, licensed_asset, review_task

    def add(count):
        for _ in range(count):
            run = approval_run(licensed_asset(client_a, geographies=["geography_germany_de"]), countries=("US",))
            review_task(run, "legal")
            review_task(run, "brand")

    http = login(legal)
    add(5)
    five = _queries(http, "/", tab="team")
    add(45)
    fifty = _queries(http, "/", tab="team")
    assert five == fifty <= 8, (five, fifty)  # issue 17's aim: at most 8 (the rows' assets, licences, terms once)


def test_the_campaign_matrix_and_list_do_not_grow_with_assets_and_regional_tasks(client_a, login):
    """The matrix the campaign page polls every 15 s: one query for the regions, the assets with their cells, the
    open runs and their open tasks, however many assets, regions and tasks."""
    from apps.assets.models import Asset
    from apps.campaigns import services as campaigns
    from tests.campaigns.conftest import plan
    from tests.factories import RegionFactory
    from tests.reviews.factories import review_task

    for code, name, countries in (("emea", "EMEA", ["DE"]), ("apac", "APAC", ["JP"])):
        RegionFactory(code=code, name=name, countries=countries)
    planner = member(client_a, RoleCode.CONTENT_MANAGER, RoleCode.MARKETING, email="planner@acme.example")
    http = login(planner)

    def grow(campaign, start, count):
        assets = [
            Asset.objects.create(client=client_a, content_element_uuid=f"el-{n}", name=f"Asset {n}")
            for n in range(start, start + count)
        ]
        campaigns.add_assets(campaign, assets, actor=planner)
        for run in campaigns.start_review(campaign, actor=planner):
            for role in ("marketing", "compliance", "product"):
                review_task(run, role)

    campaign = campaigns.create(plan("emea", "apac"), client=client_a, actor=planner)
    grow(campaign, 0, 2)
    matrix = f"/campaigns/{campaign.pk}/matrix/"
    few = (_queries(http, matrix), _queries(http, "/campaigns/"))
    grow(campaign, 2, 12)
    for n in range(5):
        campaigns.create(plan("emea", name=f"Campaign {n}"), client=client_a, actor=planner)
    many = (_queries(http, matrix), _queries(http, "/campaigns/"))
    assert few == many, (few, many)
    assert many[0] <= BUDGET + 2 and many[1] <= BUDGET, many  # the matrix: runs and their tasks, once each
