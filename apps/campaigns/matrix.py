"""The asset x region matrix of a campaign: each cell's state, restrictions, due date (the viewer's time zone and
the region's own) and who acts next (the open tasks' roles and assignees), in a constant number of queries."""

from __future__ import annotations

import zoneinfo
from dataclasses import dataclass, field
from urllib.parse import urlencode

from django.db.models import Prefetch
from django.urls import reverse
from django.utils import timezone

from apps.common.roles import RoleCode
from apps.common.smintio_vocabulary import USAGES
from apps.workflows import services as workflows
from apps.workflows.choices import OPEN_RUN_STATUSES, TaskStatus
from apps.workflows.models import Task, WorkflowRun

from . import services
from .models import Campaign, CampaignAsset, CampaignAssetRegion


@dataclass
class NextStep:
    role: str
    task: str
    assignee: str
    decide_url: str = ""


@dataclass
class Cell:
    pk: int
    region: str
    state: str
    state_label: str
    restrictions: dict
    restrictions_words: str
    due_at: object
    local_due: object
    time_zone: str
    next_steps: list[NextStep] = field(default_factory=list)


@dataclass
class Row:
    entry: CampaignAsset
    cells: list[Cell]


def _role_label(code: str) -> str:
    return RoleCode(code).label if code in RoleCode.values else code


def _decide_url(task, campaign, cell) -> str:
    """The decision page, coming back to the cell in the matrix once decided."""
    back = f"{campaign.get_absolute_url()}#cell-{cell.pk}"
    return f"{reverse('reviews:task_decide', args=[task.pk])}?{urlencode({'next': back})}"


def restrictions_words(kept: dict) -> str:
    if not kept:
        return ""
    channels = ", ".join(USAGES.get(c, c) for c in kept.get("channels", []))
    return f"Only {', '.join(kept.get('countries', []))}; {channels}; until {kept.get('until', '')}"


def build(campaign: Campaign, user) -> tuple[list, list[Row]]:
    """The regions (columns) and the rows (one per asset) of ``campaign`` as ``user`` sees them."""
    regions = list(campaign.regions.select_related("region").order_by("region__code"))
    entries = list(
        CampaignAsset.objects.filter(campaign=campaign)
        .select_related("asset", "added_by")
        .prefetch_related(
            Prefetch("cells", queryset=CampaignAssetRegion.objects.select_related("campaign_region__region"))
        )
        .order_by("added_at", "id")
    )
    cell_ids = [cell.pk for entry in entries for cell in entry.cells.all()]
    runs = (
        WorkflowRun.objects.filter(
            subject_type=services.SUBJECT, subject_id__in=cell_ids, status__in=OPEN_RUN_STATUSES
        ).prefetch_related(
            Prefetch(
                "tasks",
                queryset=Task.objects.filter(status=TaskStatus.OPEN).select_related("assignee").order_by("name"),
                to_attr="open_tasks",
            )
        )
        if cell_ids
        else []
    )
    tasks_by_cell = {run.subject_id: run.open_tasks for run in runs}
    rows = []
    for entry in entries:
        by_region = {cell.campaign_region_id: cell for cell in entry.cells.all()}
        cells = []
        for campaign_region in regions:
            cell = by_region.get(campaign_region.pk)
            if cell is None:
                continue
            steps = []
            for task in tasks_by_cell.get(cell.pk, []):
                signs = workflows.may_sign(task, user)
                steps.append(
                    NextStep(
                        role=", ".join(_role_label(r) for r in task.candidate_roles) or "Assignee",
                        task=task.name,
                        assignee=task.assignee_email or "",
                        decide_url=_decide_url(task, campaign, cell) if signs else "",
                    )
                )
            due = min((t.due_at for t in tasks_by_cell.get(cell.pk, []) if t.due_at), default=None)
            due = due or campaign_region.review_due
            cells.append(
                Cell(
                    pk=cell.pk,
                    region=campaign_region.region.code,
                    state=cell.state,
                    state_label=cell.get_state_display(),
                    restrictions=cell.restrictions,
                    restrictions_words=restrictions_words(cell.restrictions),
                    due_at=due,
                    local_due=timezone.localtime(due, zoneinfo.ZoneInfo(campaign_region.time_zone)),
                    time_zone=campaign_region.time_zone,
                    next_steps=steps,
                )
            )
        rows.append(Row(entry=entry, cells=cells))
    return regions, rows
