"""The ``creative_request`` flow, declared once (registered by ``CreativeConfig.ready``), and what each of its
decisions and its end make of the request.

A decision taken in Greenlight follows up at once (``follow_decision``, inside the decision's transaction); one
taken in OpenText follows up when the sync reads it from the history (``task_settled``). Both go through
``_follow``, so a request moves the same way whichever side acted.
"""

from __future__ import annotations

from django.utils import timezone

from apps.assets.services import licence_snapshot
from apps.clients.choices import TaskKind
from apps.workflows import flows as registry
from apps.workflows.models import Decision, Task, WorkflowRun

from . import services
from .choices import RequestStatus


def read_inputs(data, user) -> dict:
    """A decision's own inputs from a form or an API body: the assets to deliver (ids of assets the person can
    see) and a note."""
    from apps.assets.models import Asset
    from apps.common.http import whole_number

    inputs: dict = {}
    raw = data.getlist("assets") if hasattr(data, "getlist") else data.get("assets")
    if raw:
        ids = [whole_number(str(v)) for v in (raw if isinstance(raw, list | tuple) else [raw])]
        inputs["assets"] = list(Asset.objects.visible_to(user).filter(pk__in=[i for i in ids if i is not None]))
        if len(inputs["assets"]) != len(ids):
            inputs["assets"].append(None)  # refused by prepare: an id the person cannot see
    if data.get("note"):
        inputs["note"] = str(data.get("note"))
    return inputs


def prepare(task: Task, *, actor, outcome: str, reason: str, inputs: dict) -> registry.Prepared:
    request = services.request_of(task.run)
    if request is None:
        raise services.RequestRefused("This task does not belong to a creative request.", field="task")
    extra: dict = {"request": request}
    snapshot: list = []
    if outcome == "delivered":
        given = inputs.get("assets")
        if given is not None and any(a is None for a in given):
            raise services.RequestRefused("Some of these assets are not yours to deliver.", field="assets")
        assets = services.delivery_assets(request, given)
        extra.update(assets=assets, note=str(inputs.get("note") or "")[:2000])
        snapshot = [{"asset": a.content_element_uuid, "licence": licence_snapshot(a)} for a in assets]
    return registry.Prepared(values={}, snapshot=snapshot, extra=extra)


def follow_decision(task: Task, decision: Decision, prepared: registry.Prepared) -> None:
    request = prepared.extra["request"]
    if decision.outcome == "delivered":
        services.record_delivery(
            request, prepared.extra["assets"], actor=decision.actor, note=prepared.extra.get("note", "")
        )
    _follow(request, task.task_key, decision.outcome, actor=decision.actor, reason=decision.reason)


def task_settled(run: WorkflowRun, *, task: Task, outcome: str | None) -> None:
    """A task ended in OpenText (not through Greenlight): the request follows its outcome. A delivery made in
    OpenText holds no assets Greenlight knows of, so the request waits for the requester without one."""
    request = services.request_of(run)
    if request is None or not outcome:
        return
    _follow(request, task.task_key, outcome, actor=None, reason="")


MOVES = {
    # (task key, outcome) -> (status, action, fields from the reason)
    (services.TRIAGE, "accept"): (RequestStatus.IN_CREATION, "creative.request.accept", ()),
    (services.TRIAGE, "ask"): (RequestStatus.NEEDS_INFO, "creative.request.ask", ("question",)),
    (services.TRIAGE, "decline"): (RequestStatus.DECLINED, "creative.request.decline", ("decline_reason",)),
    (services.ANSWER, "answered"): (RequestStatus.TRIAGE, "creative.request.answer", ("answer",)),
    (services.PICK, "delivered"): (RequestStatus.IN_REVIEW, "creative.request.delivered", ()),
    (services.REVIEW, "accepted"): (RequestStatus.DELIVERED, "creative.request.accept_delivery", ()),
    (services.REVIEW, "changes_requested"): (
        RequestStatus.IN_CREATION,
        "creative.request.changes",
        ("changes_reason",),
    ),
}


def _follow(request, task_key: str, outcome: str, *, actor, reason: str) -> None:
    move = MOVES.get((task_key, outcome))
    if move is None:
        return
    status, action, reason_fields = move
    fields = dict.fromkeys(reason_fields, reason)
    if status in (RequestStatus.DECLINED, RequestStatus.DELIVERED):
        fields["closed_at"] = timezone.now()
    if task_key == services.REVIEW:
        delivery = services.latest_delivery(request)
        if delivery is not None:
            if outcome == "accepted":
                delivery.accepted_at, delivery.accepted_by = timezone.now(), actor
                delivery.save(update_fields=["accepted_at", "accepted_by"])
            else:
                delivery.changes_requested_at = timezone.now()
                delivery.save(update_fields=["changes_requested_at"])
    services._move(request, status, actor=actor, action=action, reason=reason, **fields)


def on_end(run: WorkflowRun) -> None:
    """The run ended: a request still open ends as the run did (delivered, declined), else cancelled."""
    request = services.request_of(run)
    if request is None or not request.is_open:
        return
    ends = {"delivered": RequestStatus.DELIVERED, "declined": RequestStatus.DECLINED}
    status = ends.get(run.outcome, RequestStatus.CANCELLED)
    if status not in services.REQUEST_TRANSITIONS[request.status]:
        status = RequestStatus.CANCELLED
    services._move(
        request,
        status,
        action=f"creative.request.{status}",
        closed_at=timezone.now(),
        reason="The OpenText process ended.",
    )


def decision_context(task: Task, user) -> dict:
    request = services.request_of(task.run)
    return {"creative_request": request} if request else {}


FLOW = registry.Flow(
    key=services.PROCESS,
    label="Creative request",
    subject=services.SUBJECT,
    subject_page="creative:request_detail",
    sla_kind=TaskKind.CREATIVE_REQUEST,
    outcome_prefix="creative",
    outcomes={
        "accept": registry.Outcome(tone=registry.OK),
        "ask": registry.Outcome(needs_reason=True),
        "decline": registry.Outcome(needs_reason=True, tone=registry.BAD),
        "answered": registry.Outcome(needs_reason=True, tone=registry.OK),
        "delivered": registry.Outcome(tone=registry.OK, state=RequestStatus.DELIVERED),
        "accepted": registry.Outcome(tone=registry.OK),
        "changes_requested": registry.Outcome(needs_reason=True),
        "declined": registry.Outcome(tone=registry.BAD, state=RequestStatus.DECLINED),
    },
    on_end=on_end,
    prepare=prepare,
    after_decision=follow_decision,
    on_task_settled=task_settled,
    read_inputs=read_inputs,
    decision_context=decision_context,
    reason_help="Needed to ask the requester (your question), to decline, to answer, or to ask for changes.",
    decided_on_subject_page=True,
    refusal_page="apps.creative.views.request_refusal",
    adopt=services.mirror_started_elsewhere,
    schedules=(registry.Schedule("creative.escalate_overdue", "apps.creative.tasks.escalate_overdue", 15),),
)


def connect() -> None:
    """Hooks into lower apps (``CreativeConfig.ready``): the asset page and its cases list the deliveries that hold
    an asset; a case that replaces an asset moves its deliveries to the replacement."""
    from apps.assets import events, pages

    from . import pages as creative_pages

    pages.register_uses("creative.deliveries", creative_pages.delivered_uses)
    pages.register("creative.deliveries", creative_pages.asset_deliveries)
    events.on_replaced(services.move_deliveries)
