"""The ``regional_review`` flow, declared once (registered by ``CampaignsConfig.ready``): one run per asset and
region of a campaign (its subject is the ``CampaignAssetRegion``), regional marketing, compliance and product in
parallel; each approves, rejects or approves with restrictions (fewer countries, fewer channels, an earlier end,
validated within the campaign's). The run's end decides the cell and tells Smint.io the region's status once.
"""

from __future__ import annotations

from django.utils import timezone
from django.utils.dateparse import parse_date

from apps.clients.choices import TaskKind
from apps.common.smintio_vocabulary import USAGES
from apps.workflows import flows as registry
from apps.workflows import services as workflows
from apps.workflows.models import Decision, Task, WorkflowRun

from . import services
from .choices import CellState

RESTRICTED = "restricted"


def _list(data, name: str) -> list[str]:
    if hasattr(data, "getlist"):
        values = data.getlist(name)
    else:
        values = data.get(name) or []
        values = values if isinstance(values, list | tuple) else [values]
    parts: list[str] = []
    for value in values:
        parts.extend(p for p in str(value).replace("\n", ",").split(",") if p.strip())
    return [p.strip() for p in parts]


def read_inputs(data, user) -> dict:
    """The restrictions of "approve with restrictions": ``restrict_countries`` (ISO codes, a list or
    comma-separated), ``restrict_channels`` (usage keys), ``restrict_until`` (a date)."""
    raw_until = str(data.get("restrict_until") or "").strip()
    inputs = {
        "countries": _list(data, "restrict_countries"),
        "channels": _list(data, "restrict_channels"),
        "until": None,
        "until_raw": raw_until,
    }
    if raw_until:
        try:
            inputs["until"] = parse_date(raw_until)
        except ValueError:
            inputs["until"] = None
    return inputs


def prepare(task: Task, *, actor, outcome: str, reason: str, inputs: dict) -> registry.Prepared:
    cell = services.cell_of(task.run)
    if cell is None:
        raise services.CampaignRefused("This task does not belong to a campaign.", field="task")
    extra: dict = {"cell": cell}
    if outcome == RESTRICTED:
        if inputs.get("until_raw") and inputs.get("until") is None:
            raise services.CampaignRefused("Give the earlier end as a date (YYYY-MM-DD).", field="restrict_until")
        extra["restrictions"] = services.check_restrictions(
            cell, countries=inputs.get("countries"), channels=inputs.get("channels"), until=inputs.get("until")
        )
    return registry.Prepared(values={}, extra=extra)


def follow_decision(task: Task, decision: Decision, prepared: registry.Prepared) -> None:
    if decision.outcome == RESTRICTED:
        services.record_restrictions(
            prepared.extra["cell"], prepared.extra["restrictions"], actor=decision.actor, reason=decision.reason
        )


ENDS = {"approved": CellState.APPROVED, "rejected": CellState.REJECTED, RESTRICTED: CellState.RESTRICTED}


def on_end(run: WorkflowRun) -> None:
    """The run ended: the cell takes its outcome, and Smint.io hears the region's status once (the idempotency key
    is the run's). A run cancelled (no outcome) puts the cell back, not started."""
    cell = services.cell_of(run)
    if cell is None or cell.state != CellState.IN_REVIEW:
        return
    state = ENDS.get(run.outcome)
    if state is None:
        services._move_cell(cell, CellState.PENDING, action="campaigns.cell.cancel", reason="The run was cancelled.")
        return
    reasons = "; ".join(d.reason for d in run.decisions.applied().order_by("decided_at") if d.reason)
    fields: dict = {"decided_at": timezone.now()}
    if state != CellState.RESTRICTED and cell.restrictions:
        fields["restrictions"] = {}  # a rejection ends the run before the restrictions count
    services._move_cell(cell, state, action=f"campaigns.cell.{state}", reason=reasons, **fields)
    campaign_region = cell.campaign_region
    where = f"Campaign “{campaign_region.campaign.name}”, {campaign_region.region.name}"
    workflows.report_outcome_to_smintio(
        run,
        cell.campaign_asset.asset,
        status=FLOW.outcome(run.outcome).smintio,
        reason=f"{where}: {reasons}" if reasons else where,
        restrictions=services.smintio_restrictions(cell) if state == CellState.RESTRICTED else None,
    )


def task_settled(run: WorkflowRun, *, task: Task, outcome: str | None) -> None:
    """A task decided in OpenText: nothing to follow until the run ends (restrictions are given in Greenlight; a
    restriction decided in OpenText alone narrows nothing and the region's status says restricted to the
    campaign's own scope)."""


def decision_context(task: Task, user) -> dict:
    cell = services.cell_of(task.run)
    if cell is None:
        return {}
    campaign = cell.campaign_region.campaign
    return {
        "cell": cell,
        "campaign": campaign,
        "asset": cell.campaign_asset.asset,
        "campaign_channels": [(key, USAGES.get(key, key)) for key in campaign.channels],
    }


FLOW = registry.Flow(
    key=services.PROCESS,
    label="Regional review",
    subject=services.SUBJECT,
    subject_page="campaigns:cell_detail",
    sla_kind=TaskKind.APPROVAL,
    outcome_prefix="regional",
    outcomes={
        "approved": registry.Outcome(tone=registry.OK, state=CellState.APPROVED, smintio="approved"),
        "rejected": registry.Outcome(
            needs_reason=True, tone=registry.BAD, state=CellState.REJECTED, smintio="rejected"
        ),
        RESTRICTED: registry.Outcome(
            needs_reason=True, tone=registry.NEUTRAL, state=CellState.RESTRICTED, smintio="restricted"
        ),
    },
    on_end=on_end,
    prepare=prepare,
    after_decision=follow_decision,
    on_task_settled=task_settled,
    read_inputs=read_inputs,
    decision_context=decision_context,
    decision_form="campaigns/partials/restriction_fields.html",
    reason_help="Needed to reject or to approve with restrictions: say why.",
)
