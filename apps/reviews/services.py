"""Asset approval (flow 1): starting review cycles, deciding review tasks with the licence in view, and applying the
cycle's outcome to the asset and to Smint.io.

A cycle is an ``asset_approval`` workflow run whose subject is the asset. A plain cycle approves the asset *within
its licence*: the only warnings are a licence that is unknown, cancelled, exhausted or lapsing within the client's
horizon. Warnings about where and for what come only from a concrete intended use: the work's (a campaign or a
request that started the cycle, ``intendedUseSource``) or one the reviewer picks on the decision form (optional).
A reviewer must give a reason to approve over a warning (docs/reviews.md).
"""

from __future__ import annotations

from dataclasses import dataclass
from datetime import date, timedelta

from django.db import IntegrityError, transaction
from django.db.models import Exists, OuterRef
from django.utils import timezone

from apps.accounts.models import Region, User
from apps.assets import events, rights
from apps.assets import services as assets
from apps.assets.choices import ApprovalState, HoldKind, RightsState
from apps.assets.models import Asset, AssetHold
from apps.assets.services import licence_snapshot
from apps.audit import services as audit
from apps.clients.choices import TaskKind
from apps.common import events as events_bus
from apps.workflows import flows
from apps.workflows import services as workflows
from apps.workflows.choices import OPEN_RUN_STATUSES, RunStatus, TaskStatus
from apps.workflows.models import Decision, Task, WorkflowRun

from . import policy
from .models import ApprovalEscalation

APPROVAL = "asset_approval"
# Rights that make a review pointless: nothing to approve until the licence is renewed.
NOT_REVIEWABLE = {RightsState.WITHDRAWN, RightsState.EXPIRED}
DecisionRefused = workflows.DecisionRefused


# -- starting cycles ----------------------------------------------------------------------------------------------
# Where a cycle's intended use comes from (run variable ``intendedUseSource``). ``licence``: a plain cycle, the
# asset within its licence; ``campaign`` and ``request``: a concrete use the work set (``intendedCountries``,
# ``intendedUsages``, ``useUntil``). A run without the variable (started before issue 12) carries the client-wide
# policy, which is no concrete use: it is read as a plain cycle.
USE_SOURCE_VARIABLE = "intendedUseSource"
PLAIN, CONCRETE_SOURCES = "licence", ("campaign", "request")


def intended_use_of(asset: Asset) -> dict:
    """The run variables of a plain approval cycle of ``asset``: the regions it is for (its reviewers) and the
    horizon its licence should last to (``useUntil``: the client's review horizon); no countries or usages, so the
    licence is checked on its own terms only.

    The regions are the client's review regions where the asset's licence may be used at all (a country of the
    region that some term covers, or may cover: territories are read with the client's Smint.io vocabulary), or all
    of them when the licence reaches none (a review then says so): reviewing for a region the licence rules out asks
    people for a decision with one possible answer. The regions are the work's
    (``workflows.services.REGIONS_VARIABLE``): each task of the cycle is for the reviewers of any of them."""
    client = asset.client
    review = list(Region.objects.filter(code__in=client.review_regions).order_by("code"))
    countries_of = {region.code: {str(country) for country in region.countries} for region in review}
    every = set().union(*countries_of.values())
    reach = rights.countries_in_reach(asset, every, vocabulary=rights.vocabulary_for(client)) if every else every
    regions = [region for region in review if countries_of[region.code] & reach] or review
    until = timezone.localdate() + timedelta(days=client.review_horizon_days)
    return {
        workflows.REGIONS_VARIABLE: [region.code for region in regions],
        USE_SOURCE_VARIABLE: PLAIN,
        "useUntil": until.isoformat(),
    }


def start_approval(asset: Asset, *, actor=None) -> WorkflowRun | None:
    """Open the asset's approval cycle (idempotent: an open cycle is returned as it is). Assets whose rights are
    withdrawn or expired are not reviewed."""
    if asset.rights_state in NOT_REVIEWABLE:
        return None
    client = asset.client
    due = timezone.now() + timedelta(hours=client.sla_hours_for(FLOW.sla_kind))
    variables = {
        "client": client.slug,
        "asset": asset.content_element_uuid,
        "assetName": asset.name or asset.content_element_uuid,
        "reviewDueDate": due.isoformat(),
        **intended_use_of(asset),
        **policy.variables_for(client),  # the client's approval shape, kept by this run whatever changes later
    }
    with transaction.atomic():
        run = workflows.start_run(
            client=client, process_key=APPROVAL, subject=asset, variables=variables, actor=actor, title=asset.name
        )
        if asset.approval_state == ApprovalState.PENDING:
            assets.change_approval(
                asset, ApprovalState.IN_REVIEW, action="reviews.asset.in_review", actor=actor, after={"run": run.pk}
            )
    return run


def start_pending_approvals(client=None, *, limit: int = 500) -> int:
    """Start cycles for pending assets that have none (after a pull, and on a schedule as the safety net). The
    ingest gates run first, and an asset held by one (onboarding, flow 6) waits until it is let through."""
    events.ingest(client)
    gated = AssetHold.objects.open().filter(asset=OuterRef("pk"), kind=HoldKind.ONBOARDING)
    open_runs = WorkflowRun.objects.filter(
        process_key=APPROVAL, subject_type="assets.asset", status__in=OPEN_RUN_STATUSES
    ).values("subject_id")
    pending = (
        Asset.objects.filter(approval_state=ApprovalState.PENDING)
        .exclude(rights_state__in=NOT_REVIEWABLE)
        .exclude(pk__in=open_runs)
        .exclude(Exists(gated))
        .select_related("client")
        .prefetch_related("license_purchases__terms")  # the licence's territories choose the cycle's regions
        .order_by("pk")
    )
    if client is not None:
        pending = pending.filter(client=client)
    started = 0
    for asset in pending[:limit]:
        started += start_approval(asset) is not None
    return started


REVISION_TASK = "revise_asset"  # the owner's task after "changes requested" (asset_approval.bpmn)


def resubmit_changed(client, asset_ids) -> int:
    """ "Changes requested" returns the asset to its owner; when the asset then changes at Smint.io (its licence
    arrives in a new version), the owner's revision task is completed as "resubmitted" and a new review round opens,
    with no one having to remember to press the button. Idempotent: a completed task is not open any more."""
    tasks = Task.objects.filter(
        client=client,
        status=TaskStatus.OPEN,
        task_key=REVISION_TASK,
        run__process_key=APPROVAL,
        run__subject_type="assets.asset",
        run__subject_id__in=list(asset_ids),
    ).select_related("run")
    resubmitted = 0
    for task in tasks:
        asset = asset_of(task.run)
        if asset is None:
            continue
        version = asset.license_purchases.order_by("-version").values_list("version", flat=True).first()
        reason = f"The asset changed at Smint.io (licence version {version}): resubmitted for review."
        try:
            with transaction.atomic():
                workflows.complete_task(task, actor=None, outcome="resubmitted", reason=reason)
                assets.change_approval(asset, ApprovalState.IN_REVIEW, action="reviews.asset.resubmit", reason=reason)
        except (workflows.StaleTask, workflows.InvalidTransition):
            continue  # someone resubmitted or withdrew it meanwhile: their decision stands
        resubmitted += 1
    return resubmitted


# -- licence warnings ---------------------------------------------------------------------------------------------
@dataclass(frozen=True)
class Check:
    """What a reviewer sees next to the decision buttons: the licence today and at the end of the use."""

    verdict: rights.Verdict
    until_verdict: rights.Verdict | None
    use: rights.Use
    source: str = PLAIN  # where the use comes from: PLAIN, a CONCRETE_SOURCES one, or "reviewer"

    @property
    def concrete(self) -> bool:
        """A concrete intended use (where, for what) is checked, not only the licence on its own terms."""
        return bool(self.use.countries or self.use.usages)

    @property
    def warnings(self) -> list[str]:
        """Each problem once: what is wrong today, then what only goes wrong by the end of the use (a problem
        already there today is not repeated with a date)."""
        today = [] if self.verdict.allowed else list(self.verdict.reasons)
        found = list(today)
        if self.until_verdict and not self.until_verdict.allowed:
            when = self.use.on.strftime("%d %b %Y") if self.use.on else "the end of the intended use"
            found += [f"By {when}: {reason}" for reason in self.until_verdict.reasons if reason not in today]
        return list(dict.fromkeys(found))


def run_use(run: WorkflowRun) -> tuple[rights.Use, str]:
    """The intended use a cycle's work set, and where it came from: countries and usages only from a campaign or a
    request; a plain cycle (or one started before issue 12, whose countries were the client's policy) checks the
    licence on its own terms until the horizon."""
    variables = run.variables or {}
    use_until = date.fromisoformat(variables["useUntil"]) if variables.get("useUntil") else None
    source = variables.get(USE_SOURCE_VARIABLE) or PLAIN
    if source not in CONCRETE_SOURCES:
        return rights.Use(on=use_until), PLAIN
    countries = frozenset(variables.get("intendedCountries") or [])
    usages = frozenset(variables.get("intendedUsages") or [])
    return rights.Use(countries, usages, use_until), source


def licence_check(asset: Asset, run: WorkflowRun, *, picked: rights.Use | None = None) -> Check:
    """The asset's licences against the cycle's intended use (or ``picked``, the reviewer's, when given), today
    and at the end of the use."""
    use, source = run_use(run)
    if picked is not None and (picked.countries or picked.usages or picked.on):
        use, source = rights.Use(picked.countries, picked.usages, picked.on or use.on), "reviewer"
    threshold = asset.client.usage_threshold_percent
    words = rights.vocabulary_for(asset.client)  # Smint.io's own vocabulary, the built-in one as fallback
    today = rights.evaluate(asset, rights.Use(use.countries, use.usages), threshold_percent=threshold, vocabulary=words)
    later = rights.evaluate(asset, use, threshold_percent=threshold, vocabulary=words) if use.on else None
    return Check(verdict=today, until_verdict=later, use=use, source=source)


def read_use_inputs(data, user) -> dict:
    """The reviewer's own intended use from the decision form or an API body (all optional): ``use_countries``
    (ISO codes, comma-separated or repeated), ``use_usages`` (Smint.io usage keys) and ``use_until`` (a date)."""

    def many(name: str) -> list[str]:
        values = data.getlist(name) if hasattr(data, "getlist") else data.get(name) or []
        if isinstance(values, str):
            values = [values]
        return [part.strip() for value in values for part in str(value).split(",") if part.strip()]

    countries = frozenset(code.upper() for code in many("use_countries") if len(code) == 2 and code.isalpha())
    usages = frozenset(key for key in many("use_usages") if key.startswith("usage_"))
    until = data.get("use_until")
    if until and not isinstance(until, date):
        try:
            until = date.fromisoformat(str(until))
        except ValueError:
            until = None
    if not (countries or usages or until):
        return {}
    return {"use": rights.Use(countries, usages, until or None)}


def asset_page_check(request, asset: Asset, context) -> dict:
    """The asset page's licence warnings (a provider on ``apps.assets.pages``, after the workflows one that puts
    the ``current`` run in the context): the current approval cycle's check, or ``None``."""
    current = context.get("current")
    if current is None or current.process_key != APPROVAL:
        return {"check": None, "approval_shape": ""}
    return {"check": licence_check(asset, current), "approval_shape": policy.describe(current.variables)}


def asset_of(run: WorkflowRun) -> Asset | None:
    if run.subject_type != "assets.asset":
        return None
    return (
        Asset.objects.filter(pk=run.subject_id)
        .select_related("client")
        .prefetch_related("license_purchases__terms")
        .first()
    )


# -- deciding (the flow's part of ``workflows.services.decide``) ------------------------------------------------
def prepare_decision(task: Task, *, actor: User, outcome: str, reason: str, inputs: dict) -> flows.Prepared:
    """Approving while the licence does not clearly cover the intended use needs a reason; the warnings and the
    licence terms as they stand are kept with the decision."""
    asset = asset_of(task.run)
    if asset is None:
        return flows.Prepared()
    warnings = licence_check(asset, task.run, picked=inputs.get("use")).warnings if outcome == "approved" else []
    if warnings and not reason:
        raise DecisionRefused(
            "The licence does not clearly cover the intended use; approving needs a reason. " + " ".join(warnings),
            field="reason",
        )
    return flows.Prepared(warnings=warnings, snapshot=licence_snapshot(asset), extra={"asset": asset})


def decision_context(task: Task, user) -> dict:
    """The asset and its licence checked against the cycle's intended use, beside the decision form, and the
    usages the reviewer may pick (the client's review usages first, then the rest of its vocabulary)."""
    asset = asset_of(task.run)
    if asset is None:
        return {"asset": None, "check": None}
    words = rights.vocabulary_for(asset.client)
    keys = list(dict.fromkeys([*asset.client.review_usages, *words.usages]))
    return {
        "asset": asset,
        "check": licence_check(asset, task.run),
        "use_usage_choices": [(key, words.readable(key)) for key in keys],
    }


def follow_decision(task: Task, decision: Decision, prepared: flows.Prepared) -> None:
    asset = prepared.extra.get("asset")
    if asset is not None:
        _asset_state_after(asset, task, decision.outcome, decision.actor)


def _asset_state_after(asset: Asset, task: Task, outcome: str, actor: User | None) -> None:
    """What the asset shows while the cycle goes on (the cycle's end is applied by ``apply_approval_outcome``)."""
    state = {
        "changes_requested": ApprovalState.CHANGES_REQUESTED,
        "resubmitted": ApprovalState.IN_REVIEW,
    }.get(outcome)
    if state:
        assets.change_approval(
            asset, state, action="reviews.asset.change_state", actor=actor, reason=f"{task.name}: {outcome}"
        )


# -- the cycle's end ------------------------------------------------------------------------------------------------
def apply_approval_outcome(run: WorkflowRun) -> None:
    """The engine ended the cycle: set the asset's approval state and tell Smint.io (one write-back per cycle,
    its idempotency key derived from the run, so a re-applied outcome never sends twice).

    A cancelled cycle (an administrator deleted it in OpenText) sends nothing and puts the asset back to be
    reviewed again, whatever the instance's variables said. An outcome this flow does not know (a foreign model) is
    never guessed at: nothing goes to Smint.io, the asset goes back to be reviewed, and the audit trail says why."""
    asset = asset_of(run)
    if asset is None:
        return
    declared = FLOW.outcomes.get(run.outcome) if run.status != RunStatus.CANCELLED else None
    state = declared.state if declared and declared.smintio else None
    cancelled = run.status == RunStatus.CANCELLED
    if state is None:
        action = "reviews.asset.cycle_cancelled" if cancelled else "reviews.asset.outcome_unknown"
        _move(asset, ApprovalState.PENDING, action=action, after={"outcome": run.outcome, "run": run.pk})
        return
    reasons = "; ".join(
        d.reason for d in run.decisions.applied().order_by("decided_at") if d.reason and d.outcome != "approved"
    )
    if _move(asset, state, action=f"reviews.asset.{run.outcome}", reason=reasons, after={"run": run.pk}):
        workflows.report_outcome_to_smintio(run, asset, status=declared.smintio, reason=reasons)
        _publish_outcome(run, asset, reasons)


def _publish_outcome(run: WorkflowRun, asset: Asset, reasons: str) -> None:
    """``asset.approved`` / ``asset.rejected`` for the cycle's end, once (the asset moved: an outcome applied again
    moves nothing); approved over licence warnings is ``asset.restricted`` with the warnings decided over as its
    ``restrictions``. Other ends (changes requested, withdrawn during review) are no outcome of these events."""
    if run.outcome == "approved":
        warnings = [
            w for d in run.decisions.applied().order_by("decided_at") if d.outcome == "approved" for w in d.warnings
        ]
        name = "asset.restricted" if warnings else "asset.approved"
    elif run.outcome == "rejected":
        name, warnings = "asset.rejected", []
    else:
        return
    events_bus.publish(
        name,
        key=f"{name}:run-{run.pk}",
        client=run.client,
        data={
            "url": asset.get_absolute_url(),
            "title": asset.name or asset.content_element_uuid,
            "asset": asset.pk,
            "run": run.pk,
            "outcome": run.outcome,
            "reason": reasons,
            "restrictions": list(dict.fromkeys(warnings)) or None,
            "requested_by": run.started_by_id,
            "decided_by": workflows.decided_by_label(run),
        },
    )


def _move(asset: Asset, state: str, **audit_fields) -> bool:
    """An end's move of the asset; one the asset's state no longer allows (it was taken out of circulation while
    the cycle ran) is not made, nothing is written back, and the audit trail says so."""
    try:
        assets.change_approval(asset, state, **audit_fields)
    except assets.InvalidApprovalMove as exc:
        audit.record(
            "reviews.asset.outcome_not_applied",
            client=asset.client,
            obj=asset,
            after={"approval_state": state, **audit_fields.get("after", {})},
            reason=str(exc),
        )
        return False
    return True


def follow_settled_task(run: WorkflowRun, *, task: Task, outcome: str | None) -> None:
    """A review task settled in OpenText rather than here: the asset shows what the cycle waits for. Completed
    there with "changes requested", the asset is with its owner; otherwise (completed with another outcome, or a
    decision of ours OpenText did not take) a "changes requested" shown too early goes back to "in review"."""
    asset = asset_of(run)
    if asset is None or not run.is_open:
        return
    if outcome == "changes_requested":
        _asset_state_after(asset, task, outcome, actor=None)
        return
    waiting_for_owner = Task.objects.filter(run=run, status=TaskStatus.OPEN, task_key=REVISION_TASK).exists()
    requested = Decision.objects.applied().filter(
        run=run, outcome="changes_requested", task__status=TaskStatus.COMPLETED
    )
    if asset.approval_state == ApprovalState.CHANGES_REQUESTED and not waiting_for_owner and not requested.exists():
        _asset_state_after(asset, task, "resubmitted", actor=None)


# -- the flow, declared once (registered by ReviewsConfig.ready) ------------------------------------------------------
FLOW = flows.Flow(
    key=APPROVAL,
    label="Asset approval",
    subject="assets.asset",
    subject_page="assets:asset_detail",
    sla_kind=TaskKind.APPROVAL,
    outcome_prefix="approval",
    outcomes={
        "approved": flows.Outcome(tone=flows.OK, state=ApprovalState.APPROVED, smintio="approved"),
        "rejected": flows.Outcome(needs_reason=True, tone=flows.BAD, state=ApprovalState.REJECTED, smintio="rejected"),
        # a final outcome too: a model that ends there (an OpenText administrator's variant) leaves the asset with
        # its owner, as the portal's own model does while the revision waits
        "changes_requested": flows.Outcome(
            needs_reason=True, state=ApprovalState.CHANGES_REQUESTED, smintio="changes_requested"
        ),
        "withdrawn": flows.Outcome(
            needs_reason=True, tone=flows.BAD, state=ApprovalState.WITHDRAWN, smintio="withdrawn"
        ),
        "resubmitted": flows.Outcome(tone=flows.OK),
    },
    on_end=apply_approval_outcome,
    prepare=prepare_decision,
    read_inputs=read_use_inputs,
    decision_context=decision_context,
    decision_form="reviews/partials/licence.html",
    reason_help="Required to reject, to request changes, and to approve over a licence warning. OpenText and the "
    "audit trail keep it.",
    after_decision=follow_decision,
    on_task_settled=follow_settled_task,
    schedules=(
        flows.Schedule("reviews.start_pending_approvals", "apps.reviews.tasks.start_pending_approvals", 5),
        flows.Schedule("reviews.escalate_overdue", "apps.reviews.tasks.escalate_overdue", 15),
    ),
)


# -- escalation of overdue approval tasks (the flow's schedule; cases and creative requests escalate likewise) ------
def escalate_overdue(now=None) -> int:
    """Open tasks of running approval cycles past their due date (the client's approval SLA, ``reviewDueDate``) are
    escalated once each (``ApprovalEscalation``, unique per task): the client's escalation contacts who have a login
    there are told through ``task.escalated`` (their ids as its ``recipients``), and the audit event
    ``reviews.task.escalate`` lists every contact and who was told. A client without escalation contacts is skipped
    (nothing is recorded: contacts added later still hear of it). Returns how many tasks were escalated."""
    now = now or timezone.now()
    done = ApprovalEscalation.objects.filter(task=OuterRef("pk"))
    overdue = (
        Task.objects.filter(
            status=TaskStatus.OPEN,
            due_at__lt=now,
            run__process_key=APPROVAL,
            run__status__in=OPEN_RUN_STATUSES,
        )
        .exclude(Exists(done))
        .select_related("client", "run")
        .order_by("due_at", "pk")
    )
    escalated = 0
    for task in overdue[:500]:
        contacts = [str(email).lower() for email in task.client.escalation_contacts]
        if not contacts:
            continue
        people = list(User.objects.filter(email__in=contacts, memberships__client=task.client).distinct())
        subject = task.run.title or task.run.business_key
        why = f"Overdue: “{task.name}” of “{subject}” was due {timezone.localtime(task.due_at):%d %b %H:%M}"
        try:
            with transaction.atomic():
                ApprovalEscalation.objects.create(
                    client=task.client,
                    task=task,
                    escalated_at=now,
                    contacts=contacts,
                    notified=[p.email for p in people],
                )
                workflows.publish_task_event(
                    "task.escalated",
                    task,
                    key=f"task.escalated:task-{task.pk}",
                    recipients=sorted(p.pk for p in people),
                )
                audit.record(
                    "reviews.task.escalate",
                    client=task.client,
                    obj=task,
                    after={"contacts": contacts, "notified": [p.email for p in people]},
                    reason=why,
                )
        except IntegrityError:
            continue  # another worker escalated it first
        escalated += 1
    return escalated
