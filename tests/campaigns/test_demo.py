"""The demo's global campaign (issue 15, "Done when"): seed_demo makes Northwind's campaign in EMEA, Americas and
APAC; once assets are approved the worker's job adds three, starts the regional review at OpenText and decides some
cells as the regional reviewers would; the other cells stay for the demo's reviewers, who can sign them."""

from __future__ import annotations

import pytest
from django.core.management import call_command

from apps.assets.choices import ApprovalState
from apps.assets.models import Asset
from apps.campaigns import services
from apps.campaigns.choices import CellState
from apps.campaigns.models import Campaign, CampaignAssetRegion
from apps.clients.models import Client
from apps.demo import campaigns as demo
from apps.workflows import services as workflows
from apps.workflows.choices import TaskStatus
from apps.workflows.models import Task
from tests.platform_fixtures import settle

pytestmark = pytest.mark.django_db(transaction=True)


def test_the_demo_campaign_is_seeded_reviewed_in_part_and_workable_by_the_demo_reviewers(platforms, settings):
    from apps.accounts.models import User
    from apps.integrations.smintio.sync import pull

    settings.DEBUG = True
    call_command("seed_demo", "--quiet-logins")
    call_command("seed_demo", "--quiet-logins")  # idempotent: one campaign
    northwind = Client.objects.get(slug="northwind")
    campaign = Campaign.objects.get(client=northwind)
    assert sorted(r.region.code for r in campaign.regions.all()) == ["amer", "apac", "emea"]
    assert demo.advance_demo_campaign() == "waiting for approved assets"

    northwind.review_usages = []
    northwind.save()
    pull(platforms.smintio_tenant(northwind, count=8), full=True)
    Asset.objects.filter(client=northwind).update(approval_state=ApprovalState.APPROVED)
    assert demo.advance_demo_campaign() == "review started"
    settle()
    assert demo.advance_demo_campaign() == "7 regional decisions"
    settle()

    states = {
        (cell.campaign_asset.asset_id, cell.campaign_region.region.code): cell.state
        for cell in CampaignAssetRegion.objects.select_related("campaign_asset", "campaign_region__region")
    }
    first, second, _third = campaign.assets.order_by("added_at", "id").values_list("asset_id", flat=True)
    assert states[(first, "emea")] == CellState.APPROVED
    assert states[(first, "amer")] == CellState.RESTRICTED
    assert states[(second, "apac")] == CellState.REJECTED
    assert list(states.values()).count(CellState.IN_REVIEW) == 6

    # every open regional task has a demo reviewer who signs it
    signers = list(User.objects.filter(email__endswith="@northwind.example"))
    open_tasks = Task.objects.filter(run__subject_type=services.SUBJECT, status=TaskStatus.OPEN)
    assert open_tasks.count() == 18
    for task in open_tasks:
        assert any(workflows.may_sign(task, person) for person in signers), task
    apac_marketing = open_tasks.filter(regions_key=",apac,", roles_key__contains=",marketing,").first()
    assert workflows.may_sign(apac_marketing, User.objects.get(email="reviewer-apac@northwind.example"))
    assert not workflows.may_sign(apac_marketing, User.objects.get(email="reviewer@northwind.example"))
