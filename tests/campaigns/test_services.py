"""Campaigns without the platforms: the one validator (form and API say the same), who plans, adding assets from
the library and a request's delivery, starting the regional review (one run per cell, the region on the run), and
tenancy (another client's campaign is invisible)."""

from __future__ import annotations

from datetime import timedelta

import pytest
from django.utils import timezone

from apps.assets.models import Asset
from apps.audit.models import AuditEvent
from apps.campaigns import services
from apps.campaigns.choices import AssetSource, CellState
from apps.campaigns.models import Campaign, CampaignAssetRegion
from apps.common.roles import RoleCode
from apps.workflows import services as workflows
from apps.workflows.models import WorkflowRun
from tests.factories import member

from .conftest import plan

pytestmark = pytest.mark.django_db


def _asset(client, uuid="el-1", name="Alpine hero"):
    return Asset.objects.create(client=client, content_element_uuid=uuid, name=name)


def test_a_campaign_is_created_with_its_regions_countries_and_local_deadlines(client_a, regions, planner):
    due = timezone.localdate() + timedelta(days=5)
    given = plan(
        regions=[
            services.RegionPlan(code="emea", countries=["de", "FR"], review_due=due),
            services.RegionPlan(code="apac"),
        ]
    )
    campaign = services.create(given, client=client_a, actor=planner)
    emea, apac = campaign.regions.order_by("region__code")[1], campaign.regions.order_by("region__code")[0]
    assert emea.countries == ["DE", "FR"] and apac.countries == ["AU", "JP", "SG"]
    assert emea.time_zone == "Europe/Berlin" and apac.time_zone == "Asia/Singapore"
    local = timezone.localtime(emea.review_due, __import__("zoneinfo").ZoneInfo("Europe/Berlin"))
    assert (local.date(), local.hour) == (due, services.DEADLINE_HOUR)
    assert campaign.owner == planner and campaign.channels == ["usage_social_media", "usage_web"]
    assert AuditEvent.objects.filter(action="campaigns.campaign.create", object_id=str(campaign.pk)).exists()


@pytest.mark.parametrize(
    ("changes", "field", "words"),
    [
        ({"name": " "}, "name", "Give the campaign a name"),
        ({"channels": ["usage_tv"]}, "channels", "Not channels Smint.io knows"),
        ({"channels": []}, "channels", "at least one channel"),
        ({"regions": []}, "regions", "at least one region"),
        ({"regions": [services.RegionPlan(code="mars")]}, "regions", "No region"),
        ({"regions": [services.RegionPlan(code="emea", countries=["US"])]}, "regions", "US is not in EMEA"),
        ({"run_until": timezone.localdate() - timedelta(days=1)}, "run_until", "ended already"),
    ],
)
def test_a_campaign_that_is_wrong_is_refused_at_its_field(client_a, regions, planner, changes, field, words):
    with pytest.raises(services.CampaignErrors) as refused:
        services.create(plan(**changes), client=client_a, actor=planner)
    assert any(words in message for message in refused.value.errors[field])
    assert not Campaign.objects.exists()


def test_only_planners_create_campaigns_and_add_assets(client_a, regions, planner, regional):
    reviewer = regional[("compliance", "emea")]
    with pytest.raises(workflows.NotASigner):
        services.create(plan(), client=client_a, actor=reviewer)
    campaign = services.create(plan(), client=client_a, actor=planner)
    with pytest.raises(workflows.NotASigner):
        services.add_assets(campaign, [_asset(client_a)], actor=reviewer)
    with pytest.raises(workflows.NotASigner):
        services.start_review(campaign, actor=reviewer)


def test_assets_are_added_once_with_a_cell_per_region_and_another_clients_asset_is_refused(
    client_a, client_b, regions, planner
):
    campaign = services.create(plan(), client=client_a, actor=planner)
    mine = _asset(client_a)
    added = services.add_assets(campaign, [mine, mine], actor=planner, source=AssetSource.MATCHING)
    assert [e.asset for e in added] == [mine] and added[0].source == AssetSource.MATCHING
    assert services.add_assets(campaign, [mine], actor=planner) == []
    cells = CampaignAssetRegion.objects.filter(campaign_asset__campaign=campaign)
    assert sorted(cells.values_list("campaign_region__region__code", "state")) == [
        ("amer", CellState.PENDING),
        ("apac", CellState.PENDING),
        ("emea", CellState.PENDING),
    ]
    with pytest.raises(workflows.DecisionRefused, match="client's assets") as refused:
        services.add_assets(campaign, [_asset(client_b, uuid="el-b")], actor=planner)
    assert refused.value.field == "assets"
    with pytest.raises(workflows.DecisionRefused, match="Choose at least one asset"):
        services.add_assets(campaign, [], actor=planner)


def test_a_requests_delivery_adds_its_assets(client_a, regions, planner):
    from apps.creative.models import CreativeRequest, Delivery, DeliveryItem

    campaign = services.create(plan(), client=client_a, actor=planner)
    request = CreativeRequest.objects.create(client=client_a, title="Trail shots", status="in_review")
    delivery = Delivery.objects.create(request=request, client=client_a, delivered_by=planner)
    asset = _asset(client_a)
    DeliveryItem.objects.create(delivery=delivery, asset=asset, client=client_a)
    assets = services.delivered_assets(campaign, request.pk, planner)
    added = services.add_assets(campaign, assets, actor=planner, source=AssetSource.DELIVERY)
    assert [(e.asset, e.source) for e in added] == [(asset, AssetSource.DELIVERY)]
    empty = CreativeRequest.objects.create(client=client_a, title="Nothing yet", status="in_creation")
    with pytest.raises(workflows.DecisionRefused, match="Nothing was delivered"):
        services.delivered_assets(campaign, empty.pk, planner)


def test_starting_the_review_opens_one_run_per_asset_and_region_with_the_region_on_it(client_a, regions, planner):
    campaign = services.create(plan("emea", "apac"), client=client_a, actor=planner)
    services.add_assets(campaign, [_asset(client_a), _asset(client_a, uuid="el-2", name="Lake")], actor=planner)
    runs = services.start_review(campaign, actor=planner)
    assert len(runs) == 4
    assert sorted(r.variables["intendedRegions"][0] for r in runs) == ["apac", "apac", "emea", "emea"]
    emea_run = next(r for r in runs if r.variables["region"] == "emea")
    assert emea_run.variables["intendedCountries"] == ["DE", "FR", "GB"]
    assert emea_run.variables["intendedUsages"] == ["usage_social_media", "usage_web"]
    assert set(CampaignAssetRegion.objects.values_list("state", flat=True)) == {CellState.IN_REVIEW}
    assert WorkflowRun.objects.filter(process_key=services.PROCESS).count() == 4


def test_another_clients_campaign_is_invisible(client_a, client_b, regions, planner, outsider):
    campaign = services.create(plan(), client=client_a, actor=planner)
    services.add_assets(campaign, [_asset(client_a)], actor=planner)
    assert not Campaign.objects.visible_to(outsider).exists()
    assert not CampaignAssetRegion.objects.visible_to(outsider).exists()
    assert CampaignAssetRegion.objects.visible_to(planner).count() == 3
    external = member(client_a, RoleCode.EXTERNAL, email="ext@acme.example")
    assert not Campaign.objects.visible_to(external).exists()
