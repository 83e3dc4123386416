"""Issue 11, item 2: tasks carry the regions of their cycle's work, so region-scoped reviewers of a client that
reviews several regions see only the cycles for their regions (dashboard, its counts, the API, the asset page).

A cycle is for the client's review regions that the asset's licence reaches (territories read with the Smint.io
geography vocabulary); a cycle for several regions is seen by the reviewers of any of them."""

from __future__ import annotations

import pytest

from apps.accounts.models import Region
from apps.assets.choices import ApprovalState
from apps.common.roles import RoleCode
from apps.reviews import services
from apps.workflows.choices import TaskStatus
from apps.workflows.models import Task, WorkflowRun
from apps.workflows.services import RemoteTask, apply_remote_tasks, regions_of
from tests.factories import RegionFactory, member

from .factories import approval_run, licensed_asset, review_task

pytestmark = pytest.mark.django_db

EMEA_COUNTRIES = ["DE", "FR", "GB"]
AMER_COUNTRIES = ["CA", "US"]


@pytest.fixture
def two_regions(client_a):
    """Client A reviews for EMEA and AMER, as the demo's Northwind does."""
    emea = RegionFactory(code="emea", name="EMEA", countries=EMEA_COUNTRIES)
    amer = RegionFactory(code="amer", name="AMER", countries=AMER_COUNTRIES)
    client_a.review_regions = ["emea", "amer"]
    client_a.review_usages = ["usage_web"]
    client_a.save()
    return {"emea": emea, "amer": amer}


@pytest.fixture
def reviewers(client_a, two_regions):
    return {
        "emea": member(client_a, RoleCode.MARKETING, email="m-emea@acme.example", regions=[two_regions["emea"]]),
        "amer": member(client_a, RoleCode.MARKETING, email="m-amer@acme.example", regions=[two_regions["amer"]]),
        "anywhere": member(client_a, RoleCode.MARKETING, email="m-all@acme.example"),
    }


# -- which regions a cycle is for ------------------------------------------------------------------------------------
@pytest.mark.parametrize(
    ("allowed", "restricted", "regions"),
    [
        (["geography_worldwide"], [], ["amer", "emea"]),
        (["geography_north_america"], [], ["amer"]),
        (["geography_europe"], [], ["emea"]),
        (["geography_germany_de"], [], ["emea"]),  # one country's key, read from its ISO suffix
        (["geography_worldwide"], ["geography_north_america"], ["emea"]),
        (["geography_japan_jp"], [], ["amer", "emea"]),  # reaches none: every region reviews (and sees why)
        ([], [], ["amer", "emea"]),  # the licence does not say where: unknown is not false
        (["geography_atlantis"], [], ["amer", "emea"]),  # a territory nobody can read: unknown too
    ],
)
def test_a_cycle_is_for_the_review_regions_its_licence_reaches(client_a, two_regions, allowed, restricted, regions):
    asset = licensed_asset(
        client_a, geographies=allowed, restricted_geographies=restricted, approval=ApprovalState.PENDING
    )
    run = services.start_approval(asset)
    assert run.variables["intendedRegions"] == regions
    # the regions route the tasks; the licence is checked on its own terms (issue 12: no client-wide countries)
    assert "intendedCountries" not in run.variables


def test_a_single_region_client_reviews_for_its_region_whatever_the_licence(client_a, two_regions):
    client_a.review_regions = ["emea"]
    client_a.save()
    asset = licensed_asset(client_a, geographies=["geography_north_america"], approval=ApprovalState.PENDING)
    run = services.start_approval(asset)
    assert run.variables["intendedRegions"] == ["emea"]
    # a plain cycle approves the asset within its licence: no warning, the limits show with "Available"
    assert services.licence_check(asset, run).warnings == []


def test_the_pending_sweep_chooses_each_cycles_regions_from_its_own_licence(client_a, two_regions):
    america = licensed_asset(client_a, geographies=["geography_north_america"], approval=ApprovalState.PENDING)
    europe = licensed_asset(client_a, geographies=["geography_europe"], approval=ApprovalState.PENDING)
    assert services.start_pending_approvals(client_a) == 2
    regions = {run.subject_id: run.variables["intendedRegions"] for run in WorkflowRun.objects.all()}
    assert regions == {america.pk: ["amer"], europe.pk: ["emea"]}


# -- tasks take their run's regions, never a region OpenText reports -----------------------------------------------
def _remote(run, key="marketing_review", **extra) -> RemoteTask:
    return RemoteTask(
        remote_id=f"t-{run.pk}-{key}",
        process_instance_id=run.remote_id,
        task_key=key,
        name="Marketing review",
        description="",
        assignee_email="",
        candidate_roles=[],
        due_at=None,
        created_at=None,
        claimed_at=None,
        **extra,
    )


def test_mirrored_tasks_carry_every_region_of_their_run(client_a, two_regions):
    both = approval_run(licensed_asset(client_a), regions=["emea", "amer"])
    one = approval_run(licensed_asset(client_a), regions=["amer"])
    none = approval_run(licensed_asset(client_a))
    apply_remote_tasks({run.remote_id: run for run in (both, one, none)}, [_remote(both), _remote(one), _remote(none)])
    regions = {task.run_id: (task.regions, task.regions_key) for task in Task.objects.all()}
    assert regions == {both.pk: (["amer", "emea"], ",amer,emea,"), one.pk: (["amer"], ",amer,"), none.pk: ([], "")}


@pytest.mark.parametrize("value", ["emea", {"emea": True}, [None, 3, "", "emea"], None])
def test_only_a_list_of_region_codes_the_portal_set_counts(client_a, value):
    run = approval_run(licensed_asset(client_a))
    run.variables["intendedRegions"] = value
    assert regions_of(run) == (["emea"] if isinstance(value, list) else [])


# -- who sees which task ---------------------------------------------------------------------------------------------
@pytest.fixture
def tasks(client_a, two_regions):
    made = {}
    for name, regions in {"EMEA": ["emea"], "AMER": ["amer"], "BOTH": ["amer", "emea"], "NONE": []}.items():
        run = approval_run(licensed_asset(client_a, name=f"Cycle for {name}"), regions=regions)
        made[name] = review_task(run, "marketing")
    return made


SEES = {
    "emea": {"EMEA", "BOTH", "NONE"},
    "amer": {"AMER", "BOTH", "NONE"},
    "anywhere": {"EMEA", "AMER", "BOTH", "NONE"},
}


@pytest.mark.parametrize("who", sorted(SEES))
def test_region_scoped_reviewers_see_only_their_regions_tasks_in_the_api(who, reviewers, tasks, api_token, api):
    http = api(api_token(reviewers[who], "write"))
    listed = {row["id"] for row in http.get("/api/v1/tasks/").json()["results"]}
    assert listed == {tasks[name].pk for name in SEES[who]}
    for name, task in tasks.items():
        assert http.get(f"/api/v1/tasks/{task.pk}/").status_code == (200 if name in SEES[who] else 404)
        assert (http.post(f"/api/v1/tasks/{task.pk}/claim/").status_code == 404) is (name not in SEES[who])
    body = http.get(f"/api/v1/tasks/{tasks['BOTH'].pk}/").json()
    assert (body["regions"], body["region"]) == (["amer", "emea"], "")


@pytest.mark.parametrize("who", sorted(SEES))
def test_region_scoped_reviewers_see_only_their_regions_tasks_on_the_dashboard(who, reviewers, tasks, login):
    browser = login(reviewers[who])
    page = browser.get("/", {"tab": "team"}).content.decode()
    for name in tasks:
        assert (f"Cycle for {name}" in page) is (name in SEES[who]), name
    assert f'Unassigned for my roles <span class="count">{len(SEES[who])}</span>' in page
    fragment = browser.get("/", {"tab": "team", "region": "amer"}, headers={"HX-Request": "true"}).content.decode()
    for name in tasks:
        assert (f"Cycle for {name}" in fragment) is (name in SEES[who] and name in {"AMER", "BOTH"}), name
    for name, task in tasks.items():
        assert (browser.get(f"/tasks/{task.pk}/decide/").status_code == 404) is (name not in SEES[who])


def test_the_asset_page_offers_a_decision_only_on_the_reviewers_regions_tasks(reviewers, tasks, login):
    browser = login(reviewers["emea"])
    for name, task in tasks.items():
        page = browser.get(f"/assets/{task.run.subject_id}/").content.decode()
        assert (f"/tasks/{task.pk}/decide/" in page) is (name in SEES["emea"]), name


def test_the_row_shows_every_region_of_the_task(reviewers, tasks, login):
    page = login(reviewers["anywhere"]).get("/", {"tab": "team"}).content.decode()
    assert page.count('<span class="tag tag-region" title="Region">AMER</span>') == 2  # AMER and BOTH
    assert page.count('<span class="tag tag-region" title="Region">EMEA</span>') == 2  # EMEA and BOTH


# -- end to end: the cycles of a multi-region client at OpenText ---------------------------------------------------
@pytest.mark.django_db(transaction=True)
def test_a_multi_region_clients_cycles_reach_only_their_regions_reviewers(platforms, client_a, api_token, api):
    """The demo's Northwind case over HTTP: cycles started at the OpenText emulator, their tasks mirrored back; the
    EMEA-only reviewer no longer sees the North-America-only asset's reviews."""
    from tests.platform_fixtures import settle

    platforms.opentext_tenant()
    emea = RegionFactory(code="emea", name="EMEA", countries=EMEA_COUNTRIES)
    amer = RegionFactory(code="amer", name="AMER", countries=AMER_COUNTRIES)
    client_a.review_regions = ["emea", "amer"]
    client_a.save()
    america = licensed_asset(client_a, name="Route 66 diner", geographies=["geography_north_america"])
    anywhere = licensed_asset(client_a, name="Ocean at noon", geographies=["geography_worldwide"])
    for asset in (america, anywhere):
        services.start_approval(asset)
    settle()
    assert Task.objects.filter(status=TaskStatus.OPEN).count() == 6
    emea_reviewer = member(client_a, RoleCode.MARKETING, email="m-emea@acme.example", regions=[emea])
    amer_reviewer = member(client_a, RoleCode.MARKETING, email="m-amer@acme.example", regions=[amer])
    titles = {}
    for who, person in {"emea": emea_reviewer, "amer": amer_reviewer}.items():
        rows = api(api_token(person)).get("/api/v1/tasks/").json()["results"]
        titles[who] = sorted(row["title"] for row in rows)
    assert titles == {"emea": ["Ocean at noon"], "amer": ["Ocean at noon", "Route 66 diner"]}
    assert {tuple(t.regions) for t in Task.objects.filter(run__subject_id=america.pk)} == {("amer",)}
    assert Region.objects.count() == 2


@pytest.mark.django_db(transaction=True)
def test_the_demo_library_gives_a_multi_region_client_cycles_for_each_region_and_for_both(platforms, client_a):
    """What ``seed_demo`` shows: Northwind's regions and policy on the emulator's demo library (its licences are
    worldwide, European, DACH, North American, or a few countries), synced over HTTP."""
    from apps.demo.management.commands.seed_demo import CLIENTS, REGIONS
    from apps.integrations.smintio.sync import pull

    for code, (name, countries) in REGIONS.items():
        RegionFactory(code=code, name=name, countries=countries.split())
    northwind = next(spec for spec in CLIENTS if spec["slug"] == "northwind")
    client_a.review_regions = northwind["review_regions"]
    client_a.save()
    pull(platforms.smintio_tenant(client_a, count=40), full=True)
    services.start_pending_approvals(client_a)
    seen = {tuple(run.variables["intendedRegions"]) for run in WorkflowRun.objects.filter(client=client_a)}
    assert seen == {("amer",), ("emea",), ("amer", "emea")}
