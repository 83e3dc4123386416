"""The review inbox, the decision form and the asset pages: visibility, refusals, races, query budgets."""

from __future__ import annotations

import pytest

from apps.assets.choices import ApprovalState
from apps.common.roles import RoleCode
from apps.workflows import services as workflows
from apps.workflows.choices import TaskStatus
from apps.workflows.models import Decision
from apps.workflows.services import decide
from tests.factories import RegionFactory, member
from tests.queries import page_queries

from .factories import approval_run, licensed_asset, review_task

pytestmark = pytest.mark.django_db


_queries = page_queries  # the second of two requests (tests/queries.py)


def test_the_inbox_shows_my_tasks_and_my_roles_unassigned_tasks_with_counts(client_a, legal, login):
    run = approval_run(licensed_asset(client_a, name="Glacier lake"))
    mine = review_task(run, "legal", assignee=legal)
    unassigned = review_task(approval_run(licensed_asset(client_a, name="Desert road")), "legal")
    review_task(run, "brand")  # not for legal
    browser = login(legal)
    page = browser.get("/").content.decode()
    assert "Glacier lake" in page and "Desert road" not in page
    assert 'My tasks <span class="count">1</span>' in page
    assert 'Unassigned for my roles <span class="count">1</span>' in page
    team = browser.get("/", {"tab": "team"}).content.decode()
    assert "Desert road" in team and "Brand review" not in team
    assert mine.pk and unassigned.pk


def test_a_regional_reviewer_never_sees_another_regions_tasks_in_pages_or_fragments(client_a, login):
    emea = RegionFactory(code="emea", name="EMEA", countries=["DE"])
    RegionFactory(code="amer", name="AMER", countries=["US"])
    reviewer = member(client_a, RoleCode.MARKETING, email="m@acme.example", regions=[emea])
    review_task(approval_run(licensed_asset(client_a, name="Berlin wall art")), "marketing", region="emea")
    amer_task = review_task(approval_run(licensed_asset(client_a, name="Route 66 diner")), "marketing", region="amer")
    browser = login(reviewer)
    for response in (
        browser.get("/", {"tab": "team"}),
        browser.get("/", {"tab": "team"}, headers={"HX-Request": "true"}),
        browser.get("/", {"tab": "team", "region": "amer"}, headers={"HX-Request": "true"}),
    ):
        assert "Route 66 diner" not in response.content.decode()
    assert "Berlin wall art" in browser.get("/", {"tab": "team"}).content.decode()
    assert browser.get(f"/tasks/{amer_task.pk}/decide/").status_code == 404
    assert browser.post(f"/tasks/{amer_task.pk}/claim/").status_code == 404


def test_the_decision_form_shows_the_licence_and_its_conflicts(client_a, legal, login):
    asset = licensed_asset(client_a, geographies=["geography_germany_de"], usages=["usage_print"])
    task = review_task(approval_run(asset, countries=("DE", "US"), usages=("usage_web",)), "legal")
    page = login(legal).get(f"/tasks/{task.pk}/decide/").content.decode()
    assert "does not clearly cover the intended use" in page
    assert "Not licensed in 1 of the 2 intended countries: US." in page
    assert "Germany" in page and "Print" in page


def test_a_refused_decision_keeps_what_was_typed(client_a, legal, login):
    task = review_task(approval_run(licensed_asset(client_a)), "legal")
    response = login(legal).post(f"/tasks/{task.pk}/decide/", {"outcome": "rejected", "reason": ""})
    assert response.status_code == 400
    assert "needs a reason" in response.content.decode()
    task.refresh_from_db()
    assert task.status == TaskStatus.OPEN


def test_a_reason_over_the_limit_is_refused_at_the_field_with_what_was_typed(client_a, legal, login):
    task = review_task(approval_run(licensed_asset(client_a)), "legal")
    browser = login(legal)
    assert f'maxlength="{workflows.TEXT_LIMIT}"' in browser.get(f"/tasks/{task.pk}/decide/").content.decode()
    typed = "r" * (workflows.TEXT_LIMIT + 1)
    response = browser.post(f"/tasks/{task.pk}/decide/", {"outcome": "rejected", "reason": typed})
    page = response.content.decode()
    assert response.status_code == 400
    assert "A reason can be at most 10,000 characters; this one has 10,001." in page
    assert 'aria-invalid="true" autofocus' in page and typed in page
    task.refresh_from_db()
    assert task.status == TaskStatus.OPEN and not Decision.objects.exists()


def test_a_decision_someone_else_made_first_answers_409_with_the_fresh_state(client_a, legal, login):
    task = review_task(approval_run(licensed_asset(client_a)), "legal")
    other = member(client_a, RoleCode.LEGAL, email="quick@acme.example")
    browser = login(legal)
    form_version = task.version

    decide(task, actor=other, outcome="approved")
    response = browser.post(
        f"/tasks/{task.pk}/decide/",
        {"outcome": "rejected", "reason": "no", "version": form_version},
        headers={"HX-Request": "true"},
    )
    assert response.status_code == 409
    page = response.content.decode()
    assert "quick@acme.example" in page and "Here is the task as it is now" in page
    assert Decision.objects.get(task=task).actor == other


def test_claim_in_the_inbox_returns_the_fresh_row_and_a_lost_race_says_who(client_a, legal, login):
    task = review_task(approval_run(licensed_asset(client_a)), "legal")
    browser = login(legal)
    response = browser.post(f"/tasks/{task.pk}/claim/", {"version": task.version}, headers={"HX-Request": "true"})
    assert response.status_code == 200 and "<strong>You</strong>" in response.content.decode()
    rival = member(client_a, RoleCode.LEGAL, email="rival@acme.example")
    second = review_task(approval_run(licensed_asset(client_a)), "legal")
    workflows.claim_task(second, actor=rival)
    response = browser.post(f"/tasks/{second.pk}/claim/", {"version": 1}, headers={"HX-Request": "true"})
    assert response.status_code == 409
    assert "rival@acme.example" in response.content.decode()


def test_bulk_approve_checks_each_task_and_leaves_those_needing_a_reason(client_a, legal, login):
    clean = review_task(approval_run(licensed_asset(client_a, name="Clean")), "legal")
    risky_asset = licensed_asset(client_a, name="Risky", geographies=["geography_germany_de"])
    risky = review_task(approval_run(risky_asset, countries=("US",)), "legal")
    response = login(legal).post("/tasks/approve/", {"task": [clean.pk, risky.pk]}, follow=True)
    clean.refresh_from_db()
    risky.refresh_from_db()
    assert (clean.status, risky.status) == (TaskStatus.COMPLETED, TaskStatus.OPEN)
    page = response.content.decode()
    assert "1 approved, 1 needs a reason: “Risky”" in page  # one message for the selection
    assert page.count('class="toast ') == 1


def test_bulk_approve_with_one_reason_approves_those_that_need_one_and_keeps_it(client_a, legal, login):
    clean = review_task(approval_run(licensed_asset(client_a, name="Clean")), "legal")
    risky_asset = licensed_asset(client_a, name="Risky", geographies=["geography_germany_de"])
    risky = review_task(approval_run(risky_asset, countries=("US",)), "legal")
    response = login(legal).post(
        "/tasks/approve/", {"task": [clean.pk, risky.pk], "reason": "US use cleared by the agency"}, follow=True
    )
    assert "2 approved." in response.content.decode()
    decisions = dict(Decision.objects.values_list("task", "reason"))
    assert decisions == {clean.pk: "US use cleared by the agency", risky.pk: "US use cleared by the agency"}
    assert Decision.objects.get(task=risky).warnings


def test_the_inbox_marks_the_rows_whose_approval_needs_a_reason(client_a, legal, login):
    review_task(approval_run(licensed_asset(client_a, name="Clean")), "legal")
    risky_asset = licensed_asset(client_a, name="Risky", geographies=["geography_germany_de"])
    risky = review_task(approval_run(risky_asset, countries=("US",)), "legal")
    page = login(legal).get("/?tab=team").content.decode()
    assert page.count("Needs a reason:") == 1
    assert f'id="task-{risky.pk}-reason"' in page
    assert "1 on this page needs a reason (marked)" in page


def test_bulk_approve_ignores_tasks_the_reviewer_cannot_see(client_a, client_b, legal, login):
    foreign = review_task(approval_run(licensed_asset(client_b)), "legal")
    login(legal).post("/tasks/approve/", {"task": [foreign.pk]})
    foreign.refresh_from_db()
    assert foreign.status == TaskStatus.OPEN


def test_the_asset_page_shows_licence_tasks_timeline_and_comments(client_a, legal, login):
    asset = licensed_asset(client_a, name="Fjord at dawn")
    run = approval_run(asset)
    task = review_task(run, "legal")
    workflows.comment(run, actor=legal, body="Looks fine to me", task=task)
    decide(task, actor=legal, outcome="rejected", reason="Watermark visible")
    browser = login(legal)
    page = browser.get(f"/assets/{asset.pk}/").content.decode()
    assert "Fjord at dawn" in page and "Looks fine to me" in page
    assert "“Watermark visible”" in page
    fragment = browser.get(f"/assets/{asset.pk}/comments/", headers={"HX-Request": "true"}).content.decode()
    assert "Looks fine to me" in fragment and "<html" not in fragment
    response = browser.post(f"/assets/{asset.pk}/comment/", {"body": "Second look?"}, headers={"HX-Request": "true"})
    assert "Second look?" in response.content.decode()


def test_the_asset_library_filters_available_assets(client_a, legal, login):
    licensed_asset(client_a, name="Approved one", approval=ApprovalState.APPROVED)
    licensed_asset(client_a, name="Pending one", approval=ApprovalState.PENDING)
    page = login(legal).get("/assets/", {"available": "true"}).content.decode()
    assert "Approved one" in page and "Pending one" not in page


def test_inbox_and_asset_list_cost_the_same_queries_for_5_and_50_rows(client_a, legal, login):
    browser = login(legal)
    assets = [licensed_asset(client_a) for _ in range(5)]
    for asset in assets:
        review_task(approval_run(asset), "legal")
    counts = {url: [_queries(browser, url, tab="team")] for url in ("/", "/assets/")}
    for _ in range(45):
        review_task(approval_run(licensed_asset(client_a)), "legal")
    for url in counts:
        counts[url].append(_queries(browser, url, tab="team"))
    # the inbox reads three more, once for the page: the assets (previews), their licences and terms (which rows
    # need a reason to approve); the library reads each available asset's limits: licences, terms and the client's
    # vocabulary (issue 12); none per row; each page one more for the top bar's Smint.io state, and one for the
    # navigation's count of open onboarding runs (legal works them), and one for the top bar's unread notifications
    budgets = {"/": 16, "/assets/": 14}
    for url, (five, fifty) in counts.items():
        assert five == fifty <= budgets[url], (url, five, fifty)


def test_the_asset_timeline_tells_what_happened_to_its_runs_and_tasks_once(client_a, legal, login):
    asset = licensed_asset(client_a, name="Fjord at noon")
    run = approval_run(asset)
    signed, left_open = review_task(run, "legal"), review_task(run, "brand")
    workflows.claim_task(signed, actor=legal)
    decide(signed, actor=legal, outcome="rejected", reason="Watermark visible")
    workflows.apply_remote_end(run, outcome="rejected")
    page = login(legal).get(f"/assets/{asset.pk}/").content.decode()
    timeline = page[page.index('id="timeline-title"') :]
    assert "workflows.task.claim</span> legal@acme.example" in timeline
    assert f'workflows.task.cancel</span> system <span class="muted">({left_open.name})</span>' in timeline
    assert "workflows.run.complete</span> system" in timeline
    assert "reviews.asset.rejected</span> system" in timeline
    # the decision is shown once, as the decision with its reason (not again as the task's completion)
    assert timeline.count("“Watermark visible”") == 1 and "workflows.task.rejected" not in timeline


def test_people_read_role_and_outcome_names_never_their_keys(client_a, login):
    from apps.workflows.models import WorkflowRun

    owner = member(client_a, RoleCode.CONTENT_OWNER, email="owner@acme.example")
    asset = licensed_asset(client_a, name="Harbour lights")
    run = approval_run(asset)
    review_task(run, "content_owner")
    browser = login(owner)
    inbox = browser.get("/", {"tab": "team"}).content.decode()
    assert '<span class="tag">Content owner</span>' in inbox and '<span class="tag">Content_owner' not in inbox
    WorkflowRun.objects.filter(pk=run.pk).update(status="completed", outcome="changes_requested")
    page = browser.get(f"/assets/{asset.pk}/").content.decode()
    assert "changes_requested" not in page


def test_inbox_rows_are_drawn_once_per_content_and_each_page_signs_its_forms(client_a, legal, login, monkeypatch):
    """``apps.reviews.rows.html`` keeps a drawn row by its content: the next load draws none again, a task whose
    row changed is drawn anew, and the rows' forms carry the page's own CSRF token (a claim posted from the second
    page goes through with CSRF checks on)."""
    import re

    from apps.reviews import rows

    first = review_task(approval_run(licensed_asset(client_a, name="Glacier lake")), "legal")
    second = review_task(approval_run(licensed_asset(client_a, name="Desert road")), "legal")
    http = login(legal, enforce_csrf_checks=True)
    drawn = []
    draw = rows.render_to_string

    def counting(name, context, *args, **kwargs):
        drawn.append(context["row"]["pk"])
        return draw(name, context, *args, **kwargs)

    monkeypatch.setattr(rows, "render_to_string", counting)
    http.get("/", {"tab": "team"})
    assert sorted(drawn) == sorted([first.pk, second.pk])
    drawn.clear()
    page = http.get("/", {"tab": "team"}).content.decode()
    assert drawn == []  # both rows as they were
    workflows.claim_task(second, actor=legal)
    mine = http.get("/").content.decode()
    assert drawn == [second.pk] and "Release" in mine  # held by me now: another row

    assert rows.CSRF_SLOT not in page and rows.CSRF_SLOT not in mine
    token = re.search(r'name="csrfmiddlewaretoken" value="([^"]+)"', page).group(1)
    version = re.search(rf'action="/tasks/{first.pk}/claim/".*?name="version" value="(\d+)"', page, re.S).group(1)
    response = http.post(f"/tasks/{first.pk}/claim/", {"csrfmiddlewaretoken": token, "version": version})
    assert response.status_code == 302
    first.refresh_from_db()
    assert first.assignee == legal


def test_the_region_filter_offers_the_regions_as_they_are_now_and_refuses_an_unknown_one(client_a, legal, login):
    """Its options come from the shared cache (``workflows.filtersets.region_choices``): a region added is offered
    on the next page, and the filter narrows by code as before."""
    RegionFactory(code="emea", name="EMEA", countries=["DE"])
    review_task(approval_run(licensed_asset(client_a, name="Berlin wall art")), "legal", region="emea")
    review_task(approval_run(licensed_asset(client_a, name="Sydney bridge")), "legal")
    http = login(legal)
    page = http.get("/", {"tab": "team"}).content.decode()
    assert '<option value="emea">EMEA</option>' in page and "APAC" not in page
    RegionFactory(code="apac", name="APAC", countries=["JP"])
    page = http.get("/", {"tab": "team", "region": "emea"}).content.decode()
    assert '<option value="apac">APAC</option>' in page
    assert "Berlin wall art" in page and "Sydney bridge" not in page
    refused = http.get("/", {"tab": "team", "region": "nowhere"}).content.decode()
    assert "not one of the available choices" in refused and "Berlin wall art" not in refused
