"""Flow 5 over HTTP: a campaign's regional review runs regional_review.bpmn in the OpenText emulator, one run per
asset and region; the tasks carry the region (reviewers sign their regions only); one region rejects, one restricts,
one approves; the matrix's cells keep it and Smint.io receives each regional status exactly once, redelivered or not."""

from __future__ import annotations

from datetime import timedelta

import pytest
from django.db import IntegrityError, transaction

from apps.assets.models import Asset
from apps.campaigns import services
from apps.campaigns.choices import CellState
from apps.campaigns.models import CampaignAssetRegion
from apps.outbox.choices import OutboxStatus
from apps.outbox.models import OutboxMessage
from apps.workflows import flows as registry
from apps.workflows import services as workflows
from apps.workflows.choices import RunStatus, TaskStatus
from apps.workflows.models import Task, WorkflowRun
from tests.platform_fixtures import settle

from .conftest import plan

pytestmark = pytest.mark.django_db(transaction=True)


def _statuses(asset) -> list[tuple]:
    from apps.emulators.smintio.models import WorkflowStatusRecord

    return list(
        WorkflowStatusRecord.objects.filter(content_element__uuid=asset.content_element_uuid)
        .order_by("version")
        .values_list("status", "workflow_reference", "restrictions")
    )


def _tasks(cell) -> dict[str, Task]:
    return {
        t.candidate_roles[0]: t
        for t in Task.objects.filter(
            run__subject_type=services.SUBJECT, run__subject_id=cell.pk, status=TaskStatus.OPEN
        )
    }


def _cell(campaign, code) -> CampaignAssetRegion:
    return CampaignAssetRegion.objects.get(campaign_asset__campaign=campaign, campaign_region__region__code=code)


def test_three_regions_one_rejects_one_restricts_and_smintio_hears_each_region_once(
    library, regions, planner, regional
):
    campaign = services.create(plan(), client=library, actor=planner)
    asset = Asset.objects.filter(client=library).order_by("pk").first()
    services.add_assets(campaign, [asset], actor=planner)
    runs = services.start_review(campaign, actor=planner)
    assert len(runs) == 3
    settle()
    for code in ("emea", "amer", "apac"):
        cell = _cell(campaign, code)
        assert cell.state == CellState.IN_REVIEW
        tasks = _tasks(cell)
        assert sorted(tasks) == ["compliance", "marketing", "product"]
        assert all(t.regions == [code] for t in tasks.values())
        assert all(t.due_at == cell.campaign_region.review_due for t in tasks.values())

    # a reviewer of another region neither signs nor sees this region's task
    emea_marketing = _tasks(_cell(campaign, "emea"))["marketing"]
    amer_marketer = regional[("marketing", "amer")]
    with pytest.raises(workflows.NotASigner, match="EMEA"):
        workflows.decide(emea_marketing, actor=amer_marketer, outcome="approved")
    assert not Task.objects.visible_to(amer_marketer).filter(pk=emea_marketing.pk).exists()
    assert Task.objects.visible_to(regional[("marketing", "emea")]).filter(pk=emea_marketing.pk).exists()

    for role, task in _tasks(_cell(campaign, "emea")).items():
        workflows.decide(task, actor=regional[(role, "emea")], outcome="approved")
    amer = _tasks(_cell(campaign, "amer"))
    workflows.decide(amer["marketing"], actor=regional[("marketing", "amer")], outcome="approved")
    workflows.decide(
        amer["compliance"],
        actor=regional[("compliance", "amer")],
        outcome="rejected",
        reason="Claims not allowed in US",
    )
    apac = _tasks(_cell(campaign, "apac"))
    until = campaign.run_until - timedelta(days=30)
    workflows.decide(
        apac["marketing"],
        actor=regional[("marketing", "apac")],
        outcome="restricted",
        reason="Not for Australia",
        inputs={"countries": ["JP", "SG"], "channels": [], "until": None},
    )
    workflows.decide(
        apac["compliance"],
        actor=regional[("compliance", "apac")],
        outcome="restricted",
        reason="Web only, shorter",
        inputs={"countries": ["JP", "SG", "AU"], "channels": ["usage_web"], "until": until},
    )
    workflows.decide(apac["product"], actor=regional[("product", "apac")], outcome="approved")
    settle()

    emea, amer_cell, apac_cell = (_cell(campaign, code) for code in ("emea", "amer", "apac"))
    assert (emea.state, amer_cell.state, apac_cell.state) == (
        CellState.APPROVED,
        CellState.REJECTED,
        CellState.RESTRICTED,
    )
    assert apac_cell.restrictions == {"countries": ["JP", "SG"], "channels": ["usage_web"], "until": until.isoformat()}
    assert amer_cell.restrictions == {} and emea.restrictions == {}
    open_amer_tasks = Task.objects.filter(run__subject_id=amer_cell.pk, run__subject_type=services.SUBJECT)
    assert open_amer_tasks.filter(status=TaskStatus.OPEN).count() == 0  # the rejection ended the region's review

    received = _statuses(asset)
    keys = {run.subject_id: run.business_key for run in WorkflowRun.objects.filter(subject_type=services.SUBJECT)}
    assert sorted(received, key=lambda r: r[1]) == sorted(
        [
            ("approved", keys[emea.pk], None),
            ("rejected", keys[amer_cell.pk], None),
            (
                "restricted",
                keys[apac_cell.pk],
                {"geographies": ["JP", "SG"], "usages": ["usage_web"], "valid_until": received_until(received)},
            ),
        ],
        key=lambda r: r[1],
    )
    assert received_until(received).startswith(until.isoformat())

    # a redelivery (the outbox sends again, the end is applied again) writes nothing new at Smint.io
    OutboxMessage.objects.filter(kind="smintio.workflow_status").update(status=OutboxStatus.PENDING, sent_at=None)
    for run in WorkflowRun.objects.filter(subject_type=services.SUBJECT):
        registry.apply_outcome(run)
    settle()
    assert _statuses(asset) == received
    assert OutboxMessage.objects.filter(kind="smintio.workflow_status").count() == 3


def received_until(received) -> str:
    return next(r[2]["valid_until"] for r in received if r[0] == "restricted")


def test_regional_runs_do_not_collide_with_each_other_nor_with_the_assets_approval(library, regions, planner, regional):
    """One open run per subject and process: a regional run's subject is the cell, so an asset has one per region
    and an approval cycle of its own at once; a second run for the same cell is refused by the database."""
    campaign = services.create(plan("emea", "apac"), client=library, actor=planner)
    asset = Asset.objects.filter(client=library).order_by("pk").first()
    services.add_assets(campaign, [asset], actor=planner)
    approval = workflows.start_run(client=library, process_key="asset_approval", subject=asset, variables={})
    runs = services.start_review(campaign, actor=planner)
    assert len({(r.subject_type, r.subject_id) for r in runs}) == 2
    assert all(r.status != RunStatus.CANCELLED for r in [approval, *runs])
    assert WorkflowRun.objects.filter(status__in=[RunStatus.STARTING, RunStatus.RUNNING]).count() == 3
    with pytest.raises(IntegrityError), transaction.atomic():
        WorkflowRun.objects.create(
            client=library,
            process_key=services.PROCESS,
            business_key="dup",
            subject_type=services.SUBJECT,
            subject_id=runs[0].subject_id,
        )
    with pytest.raises(workflows.InvalidTransition, match="Nothing is waiting"):
        services.start_review(campaign, actor=planner)  # every cell is in review: nothing starts twice


def test_a_restriction_outside_the_campaign_is_refused_and_nothing_is_decided(library, regions, planner, regional):
    campaign = services.create(plan("apac"), client=library, actor=planner)
    asset = Asset.objects.filter(client=library).order_by("pk").first()
    services.add_assets(campaign, [asset], actor=planner)
    services.start_review(campaign, actor=planner)
    settle()
    task = _tasks(_cell(campaign, "apac"))["marketing"]
    actor = regional[("marketing", "apac")]
    refusals = [
        ({"countries": ["DE"]}, "restrict_countries", "outside the campaign"),
        ({"channels": ["usage_print"]}, "restrict_channels", "not a channel of the campaign"),
        ({"until": campaign.run_until + timedelta(days=1)}, "restrict_until", "within the campaign"),
        ({}, "restrict_countries", "needs fewer countries"),
    ]
    for given, field, words in refusals:
        inputs = {"countries": [], "channels": [], "until": None, **given}
        with pytest.raises(workflows.DecisionRefused, match=words) as refused:
            workflows.decide(task, actor=actor, outcome="restricted", reason="Why", inputs=inputs)
        assert refused.value.field == field
    with pytest.raises(workflows.DecisionRefused, match="needs a reason"):
        workflows.decide(task, actor=actor, outcome="restricted", inputs={"countries": ["JP"]})
    task.refresh_from_db()
    assert task.status == TaskStatus.OPEN and not task.decisions.exists()
    assert _cell(campaign, "apac").restrictions == {}


def test_a_regional_run_cancelled_in_opentext_puts_the_cell_back(library, regions, planner, regional, opentext):
    campaign = services.create(plan("emea"), client=library, actor=planner)
    asset = Asset.objects.filter(client=library).order_by("pk").first()
    services.add_assets(campaign, [asset], actor=planner)
    (run,) = services.start_review(campaign, actor=planner)
    settle()
    run.refresh_from_db()
    workflows.apply_remote_end(run, outcome="", cancelled=True, reason="withdrawn")
    assert _cell(campaign, "emea").state == CellState.PENDING
    assert not OutboxMessage.objects.filter(kind="smintio.workflow_status").exists()


def test_a_region_decided_in_opentext_alone_ends_the_cell_and_a_restriction_there_keeps_the_campaigns_scope(
    library, regions, planner, regional, opentext
):
    """The reviewers complete their tasks in OpenText (the emulator's control, as a person there would): the cell
    follows at the sync, and Smint.io hears ``restricted`` with the scope the portal knows, the campaign's own."""
    campaign = services.create(plan("apac"), client=library, actor=planner)
    asset = Asset.objects.filter(client=library).order_by("pk").first()
    services.add_assets(campaign, [asset], actor=planner)
    services.start_review(campaign, actor=planner)
    settle()
    cell = _cell(campaign, "apac")
    for role, task in _tasks(cell).items():
        outcome = "restricted" if role == "compliance" else "approved"
        opentext.control(
            "opentext", f"tasks/{task.remote_id}/complete", {"user": f"{role}-apac@acme.example", "outcome": outcome}
        )
    settle()
    cell.refresh_from_db()
    assert cell.state == CellState.RESTRICTED and cell.restrictions == {}
    (status,) = _statuses(asset)
    assert status[0] == "restricted"
    assert status[2]["geographies"] == ["AU", "JP", "SG"]
    assert status[2]["usages"] == ["usage_social_media", "usage_web"]
    assert status[2]["valid_until"].startswith(campaign.run_until.isoformat())
    from apps.emulators.smintio.models import WorkflowStatusRecord

    record = WorkflowStatusRecord.objects.get(content_element__uuid=asset.content_element_uuid)
    assert record.decided_by in {f"{role}-apac@acme.example" for role in ("marketing", "compliance", "product")}
