"""The campaign pages and API: the nav link, the empty states, the new campaign form (errors in place, nothing
typed lost), adding assets and starting the review with refusals shown where the person acted, the matrix partial
the page polls, tenancy, and the API's create, add, start and matrix."""

from __future__ import annotations

from datetime import timedelta

import pytest
from django.urls import reverse
from django.utils import timezone

from apps.assets.models import Asset
from apps.campaigns import services
from apps.campaigns.choices import CellState
from apps.campaigns.models import Campaign, CampaignAssetRegion

from .conftest import plan

pytestmark = pytest.mark.django_db


def _form(**changes) -> dict:
    today = timezone.localdate()
    data = {
        "name": "Winter peaks",
        "channels": ["usage_web"],
        "run_from": (today + timedelta(days=10)).isoformat(),
        "run_until": (today + timedelta(days=40)).isoformat(),
        "regions": ["emea", "apac"],
        "countries_emea": "DE, FR",
    }
    data.update(changes)
    return data


def test_the_nav_links_campaigns_and_the_empty_list_says_what_to_do(login, planner, regional):
    page = login(planner).get(reverse("campaigns:campaign_list")).content.decode()
    assert f'href="{reverse("campaigns:campaign_list")}"' in page
    assert "No campaigns yet" in page and "New campaign" in page
    reviewer_page = login(regional[("compliance", "emea")]).get(reverse("campaigns:campaign_list")).content.decode()
    assert "review inbox" in reviewer_page and 'href="/campaigns/new/"' not in reviewer_page


def test_a_campaign_is_created_in_the_browser_and_errors_show_at_their_fields(login, client_a, regions, planner):
    http = login(planner)
    response = http.post(reverse("campaigns:campaign_new"), _form(countries_emea="DE, US", name=""))
    assert response.status_code == 400
    page = response.content.decode()
    assert "Give the campaign a name" in page and "US is not in EMEA" in page
    assert 'value="DE, US"' in page  # nothing typed is lost
    assert not Campaign.objects.exists()
    response = http.post(reverse("campaigns:campaign_new"), _form())
    campaign = Campaign.objects.get()
    assert response.status_code == 302 and response.url == campaign.get_absolute_url()
    assert sorted((r.region.code, r.countries) for r in campaign.regions.all()) == [
        ("apac", ["AU", "JP", "SG"]),
        ("emea", ["DE", "FR"]),
    ]
    page = http.get(campaign.get_absolute_url()).content.decode()
    assert "No assets on this campaign yet" in page and "<caption" not in page


def test_assets_are_added_from_the_library_and_the_review_starts_from_the_page(login, client_a, regions, planner):
    campaign = services.create(plan("emea", "apac"), client=client_a, actor=planner)
    asset = Asset.objects.create(client=client_a, content_element_uuid="el-1", name="Alpine hero")
    http = login(planner)
    response = http.post(reverse("campaigns:campaign_start", args=[campaign.pk]))
    assert response.status_code == 400 and "add assets first" in response.content.decode()
    response = http.post(
        reverse("campaigns:campaign_add_assets", args=[campaign.pk]), {"source": "library", "assets": [asset.pk]}
    )
    assert response.status_code == 302
    response = http.post(reverse("campaigns:campaign_start", args=[campaign.pk]))
    assert response.status_code == 302
    assert set(CampaignAssetRegion.objects.values_list("state", flat=True)) == {CellState.IN_REVIEW}
    page = http.get(campaign.get_absolute_url()).content.decode()
    assert 'hx-trigger="every 15s"' in page and "data-poll-visible" in page
    assert '<th scope="col">EMEA</th>' in page and '<th scope="row">' in page and "In review" in page
    matrix = http.get(reverse("campaigns:campaign_matrix", args=[campaign.pk]), headers={"HX-Request": "true"})
    assert matrix.status_code == 200 and matrix["Cache-Control"] == "no-store"
    body = matrix.content.decode()
    assert body.lstrip().startswith('<div id="matrix"') and "<html" not in body
    assert "Asia/Singapore" in body and "Europe/Berlin" in body


def test_a_refused_addition_is_shown_at_the_form(login, client_a, client_b, regions, planner):
    campaign = services.create(plan("emea"), client=client_a, actor=planner)
    foreign = Asset.objects.create(client=client_b, content_element_uuid="el-b", name="Beta asset")
    response = login(planner).post(
        reverse("campaigns:campaign_add_assets", args=[campaign.pk]), {"source": "library", "assets": [foreign.pk]}
    )
    assert response.status_code == 400
    page = response.content.decode()
    assert 'id="add-error"' in page and "not yours to add" in page
    assert not campaign.assets.exists()


def test_reviewers_cannot_plan_and_outsiders_do_not_see_the_campaign(
    login, client_a, regions, planner, regional, outsider
):
    campaign = services.create(plan("emea"), client=client_a, actor=planner)
    reviewer = login(regional[("product", "emea")])
    assert reviewer.get(campaign.get_absolute_url()).status_code == 200
    assert reviewer.post(reverse("campaigns:campaign_start", args=[campaign.pk])).status_code == 403
    assert reviewer.get(reverse("campaigns:campaign_new")).status_code == 403
    stranger = login(outsider)
    assert stranger.get(campaign.get_absolute_url()).status_code == 404
    assert stranger.get(reverse("campaigns:campaign_matrix", args=[campaign.pk])).status_code == 404
    assert "Summer trails" not in stranger.get(reverse("campaigns:campaign_list")).content.decode()


def test_the_api_creates_adds_starts_and_shows_the_matrix(api, api_token, client_a, regions, planner):
    asset = Asset.objects.create(client=client_a, content_element_uuid="el-1", name="Alpine hero")
    http = api(api_token(planner, scope="write"))
    today = timezone.localdate()
    body = {
        "client": "acme",
        "name": "API campaign",
        "channels": ["usage_web"],
        "run_from": str(today + timedelta(days=5)),
        "run_until": str(today + timedelta(days=50)),
        "regions": [{"code": "emea", "countries": ["DE"]}, {"code": "amer"}],
    }
    refused = http.post("/api/v1/campaigns/", {**body, "channels": ["usage_tv"]}, content_type="application/json")
    assert refused.status_code == 400 and "channels" in refused.json()["errors"]
    created = http.post("/api/v1/campaigns/", body, content_type="application/json")
    assert created.status_code == 201, created.content
    pk = created.json()["id"]
    assert [r["code"] for r in created.json()["regions"]] == ["amer", "emea"]
    added = http.post(f"/api/v1/campaigns/{pk}/assets/", {"assets": [asset.pk]}, content_type="application/json")
    assert added.status_code == 200 and added.json()["matrix"][0]["asset"] == asset.pk
    started = http.post(f"/api/v1/campaigns/{pk}/start/", {"regions": ["emea"]}, content_type="application/json")
    assert started.status_code == 200
    cells = {c["region"]: c["state"] for c in started.json()["matrix"][0]["cells"]}
    assert cells == {"amer": "pending", "emea": "in_review"}
    listed = http.get("/api/v1/campaigns/").json()
    assert [c["name"] for c in listed["results"]] == ["API campaign"]


def test_the_asset_page_lists_its_campaigns_with_the_state_per_region(login, client_a, regions, planner, outsider):
    campaign = services.create(plan("emea", "apac"), client=client_a, actor=planner)
    asset = Asset.objects.create(client=client_a, content_element_uuid="el-1", name="Alpine hero")
    services.add_assets(campaign, [asset], actor=planner)
    services.start_review(campaign, actor=planner, regions=["emea"])
    page = login(planner).get(reverse("assets:asset_detail", args=[asset.pk])).content.decode()
    assert "In campaign “Summer trails”" in page and "APAC: not started · EMEA: in review" in page
    assert f'href="{campaign.get_absolute_url()}"' in page


def test_the_matrix_shows_the_due_date_in_the_viewers_time_zone_and_the_regions_own(login, client_a, regions, planner):
    from datetime import datetime, time
    from zoneinfo import ZoneInfo

    planner.time_zone = "America/New_York"
    planner.save(update_fields=["time_zone"])
    due = timezone.localdate() + timedelta(days=3)
    given = plan(regions=[services.RegionPlan(code="apac", review_due=due)])
    campaign = services.create(given, client=client_a, actor=planner)
    services.add_assets(
        campaign, [Asset.objects.create(client=client_a, content_element_uuid="el-1", name="Hero")], actor=planner
    )
    body = login(planner).get(reverse("campaigns:campaign_matrix", args=[campaign.pk])).content.decode()
    deadline = datetime.combine(due, time(18), tzinfo=ZoneInfo("Asia/Singapore"))
    seen = deadline.astimezone(ZoneInfo("America/New_York"))
    assert f"({due.day} {due:%b}, 18:00 in Asia/Singapore)" in body  # the region's own deadline
    assert f"{seen.day} {seen:%b}, {seen:%H:%M}" in body and "America/New_York" in body  # in the viewer's zone


def test_a_planner_adds_an_asset_from_its_page_and_a_reviewer_is_not_offered_it(
    login, client_a, regions, planner, regional
):
    campaign = services.create(plan("emea"), client=client_a, actor=planner)
    asset = Asset.objects.create(client=client_a, content_element_uuid="el-1", name="Alpine hero")
    http = login(planner)
    page = http.get(reverse("assets:asset_detail", args=[asset.pk])).content.decode()
    assert "Add to “Summer trails”" in page
    add = reverse("campaigns:campaign_add_assets", args=[campaign.pk])
    assert http.post(add, {"source": "library", "assets": [asset.pk]}).status_code == 302
    assert list(campaign.assets.values_list("asset_id", flat=True)) == [asset.pk]
    assert "Add to “Summer trails”" not in http.get(reverse("assets:asset_detail", args=[asset.pk])).content.decode()
    reviewer = login(regional[("compliance", "emea")])
    other = Asset.objects.create(client=client_a, content_element_uuid="el-2", name="Lake")
    assert "Add to a campaign" not in reviewer.get(reverse("assets:asset_detail", args=[other.pk])).content.decode()
