"""State changes of workflow runs and tasks.

People's actions (claim, complete) change the local mirror at once, inside one transaction with their audit event
and the outbox row that will carry them to OpenText; the engine stays the authority, and the mirror is corrected
from what OpenText reports (``apply_remote_*``), including when OpenText refuses a claim because someone else was
first.
"""

from __future__ import annotations

import re
import uuid
from dataclasses import dataclass
from datetime import datetime, timedelta

from django.db import IntegrityError, transaction
from django.db.models import F
from django.urls import NoReverseMatch, reverse
from django.utils import timezone

from apps.accounts.models import Membership, Notice, User
from apps.audit import services as audit
from apps.common import events
from apps.common.roles import RoleCode
from apps.outbox import services as outbox

from . import bpmn, flows
from .choices import OPEN_RUN_STATUSES, RUN_TRANSITIONS, TASK_TRANSITIONS, RunStatus, TaskStatus
from .models import Comment, CommentSource, Decision, Task, WorkflowRun

# A task OpenText gives no due date is due in a week (the models of this project always set one).
DEFAULT_DUE = timedelta(days=7)
# The most characters a person's text may have: a comment, a decision's reason. Both are copied to OpenText (a
# comment on an open task, a reason with the completion) and shown on every page of the subject.
TEXT_LIMIT = 10_000


class InvalidTransition(Exception):
    """The object is not in a state that allows this action."""


class NotASigner(InvalidTransition):
    """The person may see the task but not claim or decide it: only its candidate roles sign (invariant 7). HTML
    shows the message where they acted (403); the API answers a 403 problem document."""


class StaleTask(InvalidTransition):
    """Someone else acted on the task first; the caller should show the fresh state."""


class DecisionRefused(InvalidTransition):
    """The decision cannot be taken as given (a reason or a flow's own input is missing); nothing was changed.
    ``field`` names the input it is about (``reason``, or one of the flow's own: ``renewed_until``, ...)."""

    def __init__(self, message: str, *, field: str = "reason"):
        super().__init__(message)
        self.field = field


class UnknownOutcome(InvalidTransition):
    """The outcome is not one the task's BPMN declares; ``allowed`` lists the ones it does."""

    def __init__(self, message: str, allowed: list[str]):
        super().__init__(message)
        self.allowed = allowed


def clean_text(text: str, *, what: str, field: str) -> str:
    """A person's text as it is kept: line breaks as a browser's form sends them (CRLF) counted once, spaces around
    it dropped; longer than ``TEXT_LIMIT`` is refused (``DecisionRefused`` naming ``field``)."""
    text = text.replace("\r\n", "\n").strip()
    if len(text) > TEXT_LIMIT:
        raise DecisionRefused(
            f"{what} can be at most {TEXT_LIMIT:,} characters; this one has {len(text):,}.", field=field
        )
    return text


def signing_refusal(task: Task, user) -> str:
    """Why ``user`` may not claim or decide ``task``, or "" when they may (DESIGN invariant 7, "only the role
    signs"): they need one of the task's candidate roles in the task's client and, when they are region-scoped,
    the task's region (a task without a region is everyone's with the role, as ``Task.objects.visible_to`` says).
    A task OpenText gives no candidate role is its assignee's alone. Agency admins see every task of their clients
    (and may reassign it in OpenText); they sign only with a role the task asks for.

    Reads the memberships the user object holds (``membership_list``, loaded once), so an inbox asks it of every
    row without a query per row."""
    wanted = set(task.candidate_roles)
    if not wanted:
        if task.assignee_id is not None and task.assignee_id == getattr(user, "pk", None):
            return ""
        return f"“{task.name}” names no role that signs it: only the person OpenText assigned it to decides it."
    membership = next((m for m in getattr(user, "membership_list", []) if m.client_id == task.client_id), None)
    if membership is None or not wanted & set(membership.role_codes):
        labels = " or ".join(sorted(RoleCode(r).label if r in RoleCode.values else r for r in wanted))
        return f"Only {labels} may sign “{task.name}”, and you do not hold that role here. You can still see it."
    regions = sorted(membership.region_codes)
    if regions and task.region and task.region not in regions:
        return f"“{task.name}” is for {task.region.upper()}; you sign for {', '.join(regions).upper()} only."
    if membership.away():  # out of office: their tasks are with their delegate (accounts.delegation)
        until = timezone.localtime(membership.away_until).strftime("%d %b %Y")
        return (
            f"You handed your tasks here to {membership.delegate.email} until {until}: “{task.name}” is read-only "
            "for you. End the delegation on your delegation page to sign it yourself."
        )
    return ""


def stands_in_for_holder(task: Task, user) -> bool:
    """Whether ``user`` is the delegate of the member holding ``task`` and that member is away now (the delegate
    may take the task over; one query, asked only when someone else holds the task)."""
    if not task.assignee_id or task.assignee_id == getattr(user, "pk", None):
        return False
    now = timezone.now()
    return Membership.objects.filter(
        user_id=task.assignee_id,
        client_id=task.client_id,
        delegate_id=user.pk,
        away_from__lte=now,
        away_until__gt=now,
    ).exists()


def may_sign(task: Task, user) -> bool:
    """Whether ``user`` may claim and decide ``task`` (``signing_refusal`` has the reason when not)."""
    return not signing_refusal(task, user)


def _check_signer(task: Task, user) -> None:
    refusal = signing_refusal(task, user)
    if refusal:
        raise NotASigner(refusal)


def signed_sibling_refusal(task: Task, user) -> str:
    """Why ``user`` may not claim or decide ``task`` because they already decided another instance of it, or "".

    A quorum ("any 2 of the 3 brand reviewers") is a multi-instance user task: OpenText opens that many tasks with
    the same definition key at once, each offered to the whole group, so each person may sign one of them. The
    siblings are the run's tasks with the same key that were decided after this one was mirrored (an earlier
    round's were decided before this round opened). One query, asked only when someone claims or decides."""
    if not task.task_key or getattr(user, "pk", None) is None:
        return ""
    already = (
        Decision.objects.filter(
            run_id=task.run_id, task__task_key=task.task_key, actor=user, decided_at__gte=task.created_at
        )
        .exclude(task_id=task.pk)
        .exists()
    )
    if already:
        return f"You already signed another “{task.name}” of this round: each of its signatures is a different person."
    return ""


def _check_once(task: Task, user) -> None:
    refusal = signed_sibling_refusal(task, user)
    if refusal:
        raise NotASigner(refusal)


def check_outcome(task: Task, outcome: str) -> None:
    """Refuse an empty or unknown outcome before anything else is checked. A task's outcomes come from the BPMN
    files the portal ships (``workflows.bpmn``, kept on the task when it is mirrored), never from OpenText's task
    JSON, which does not carry them."""
    allowed = [value for _label, value in task.possible_outcomes]
    if not allowed:
        raise UnknownOutcome(
            f"Greenlight's process files declare no outcomes for “{task.name}”; it can only be decided in OpenText.",
            allowed,
        )
    if outcome not in allowed:
        what = f"{outcome!r} is not an outcome of this task" if outcome else "Choose an outcome"
        raise UnknownOutcome(f"{what}: one of {', '.join(allowed)}.", allowed)


# -- domain events (apps.common.events; docs/events.md) ---------------------------------------------------------------
# The process key of the asset approval cycle (``apps.reviews``): its starter is the asset's owner in events.
ASSET_APPROVAL = "asset_approval"


def subject_url(run: WorkflowRun) -> str:
    """The path of the page of ``run``'s subject (where its tasks are decided and its conversation is), for events;
    "/" when no flow declares the subject's page."""
    name = flows.subject_page(run.subject_type)
    try:
        return reverse(name, args=[run.subject_id]) if name else "/"
    except NoReverseMatch:
        return "/"


def asset_owner(asset_id: int | None) -> int | None:
    """The user id of who started the asset's latest approval run (the person who asked for the asset to be
    approved), or None: events about the asset (a case opened or decided) are for them too."""
    if asset_id is None:
        return None
    return (
        WorkflowRun.objects.filter(subject_type="assets.asset", subject_id=asset_id, process_key=ASSET_APPROVAL)
        .order_by("-id")
        .values_list("started_by_id", flat=True)
        .first()
    )


def task_event_data(task: Task, **extra) -> dict:
    """The agreed data of the ``task.*`` events (docs/events.md), plus ``extra``."""
    run = task.run
    return {
        "url": subject_url(run),
        "title": run.title or str(run),
        "task": task.pk,
        "task_name": task.name,
        "task_key": task.task_key,
        "roles": list(task.candidate_roles or []),
        "regions": list(task.regions or []),
        "due_at": task.due_at.isoformat() if task.due_at else None,
        "run": run.pk,
        "process_key": run.process_key,
        "subject_type": run.subject_type,
        "subject_id": run.subject_id,
        **extra,
    }


def publish_task_event(name: str, task: Task, *, key: str, actor=None, **extra) -> None:
    """Publish a ``task.*`` event about ``task`` (inside the caller's transaction)."""
    events.publish(name, key=key, client=_client_of(task), data=task_event_data(task, **extra), actor=actor)


def _client_of(task: Task):
    """The task's client, taken from its run when the caller loaded it (no query)."""
    return task.run.client if WorkflowRun._meta.get_field("client").is_cached(task.run) else task.client


def _published_assignment(task: Task, *, version: int, by=None) -> None:
    """``task`` was just given to its assignee (a claim here, or one OpenText reports): ``task.assigned``, keyed by
    the task's version after the change (one per assignment, the same however often the same change is seen), and
    ``task.delegated`` when the assignee is away with a delegate now (``accounts.delegation``)."""
    if not task.assignee_id:
        return
    publish_task_event(
        "task.assigned",
        task,
        key=f"task.assigned:task-{task.pk}:v{version}",
        actor=by,
        assignee=task.assignee_id,
        by=getattr(by, "pk", None),
    )
    now = timezone.now()
    delegate = (
        Membership.objects.filter(
            user_id=task.assignee_id,
            client_id=task.client_id,
            delegate__isnull=False,
            away_from__lte=now,
            away_until__gt=now,
        )
        .values_list("delegate_id", flat=True)
        .first()
    )
    if delegate is not None:
        publish_task_event(
            "task.delegated",
            task,
            key=f"task.delegated:task-{task.pk}:v{version}:to-{delegate}",
            delegate=delegate,
            on_behalf_of=task.assignee_id,
        )


def delegated_now(membership: Membership) -> int:
    """A delegation was just set (``accounts.delegation.set_delegation``, in its transaction): when it is in effect
    now, each open task the member holds in that client reaches the delegate (``task.delegated``, keyed as when such
    a task is assigned, so a task assigned while away and a delegation set again say it once per task version and
    delegate). A delegation that starts on a later day says nothing now. Returns how many were published."""
    now = timezone.now()
    if not membership.delegate_id or not (membership.away_from <= now < membership.away_until):
        return 0
    held = (
        Task.objects.filter(client_id=membership.client_id, assignee_id=membership.user_id, status=TaskStatus.OPEN)
        .select_related("run", "run__client")
        .order_by("id")
    )
    published = 0
    for task in held:
        publish_task_event(
            "task.delegated",
            task,
            key=f"task.delegated:task-{task.pk}:v{task.version}:to-{membership.delegate_id}",
            delegate=membership.delegate_id,
            on_behalf_of=membership.user_id,
        )
        published += 1
    return published


def _ordering_key(run: WorkflowRun) -> str:
    return f"opentext:run:{run.business_key}"


def _queue_claim(task: Task, assignee: str | None) -> None:
    """Tell OpenText who holds the task (``None`` releases it), in order with the run's other calls."""
    outbox.enqueue(
        client=task.client,
        platform=outbox.Platform.OPENTEXT,
        kind="opentext.claim",
        ordering_key=_ordering_key(task.run),
        payload={"task": task.pk, "remote_id": task.remote_id, "assignee": assignee},
    )


def start_run(*, client, process_key: str, subject, variables: dict, actor=None, title: str = "") -> WorkflowRun:
    """Open a run for ``subject`` and queue its start at OpenText; one open run per subject and process key.

    Returns the already open run when there is one (starting twice is a no-op, not an error).
    """
    subject_type = subject._meta.label_lower
    business_key = f"{client.slug}:{process_key}:{subject.pk}:{uuid.uuid4().hex[:12]}"
    try:
        with transaction.atomic():
            run = WorkflowRun.objects.create(
                client=client,
                process_key=process_key,
                business_key=business_key,
                subject_type=subject_type,
                subject_id=subject.pk,
                title=(title or str(subject))[:300],
                variables=variables,
                started_by=actor if getattr(actor, "is_authenticated", False) else None,
            )
            audit.record("workflows.run.start", actor=actor, client=client, obj=run, after={"variables": variables})
            outbox.enqueue(
                client=client,
                platform=outbox.Platform.OPENTEXT,
                kind="opentext.start_process",
                ordering_key=_ordering_key(run),
                payload={"run": run.pk},
                idempotency_key=f"start:{business_key}",
            )
    except IntegrityError:
        return WorkflowRun.objects.get(
            subject_type=subject_type, subject_id=subject.pk, process_key=process_key, status__in=OPEN_RUN_STATUSES
        )
    return run


def claim_task(task: Task, *, actor: User, expected_version: int | None = None) -> Task:
    """Claim an open, unassigned task for ``actor``, who must be one who signs it (claiming is taking it to
    decide); OpenText is told through the outbox."""
    _check_signer(task, actor)
    _check_once(task, actor)
    with transaction.atomic():
        task = Task.objects.select_for_update().select_related("run").get(pk=task.pk)
        _check_fresh(task, expected_version)
        if task.status != TaskStatus.OPEN:
            raise InvalidTransition(f"The task is {task.get_status_display().lower()}.")
        taking_over = stands_in_for_holder(task, actor)
        if task.assignee_id and task.assignee_id != actor.pk and not taking_over:
            raise StaleTask(f"{task.assignee_email} has already claimed this task.")
        if task.assignee_id == actor.pk:
            return task
        holder = task.assignee_email
        task.assignee, task.assignee_email, task.claimed_at = actor, actor.email, timezone.now()
        task.version += 1
        task.save(update_fields=["assignee", "assignee_email", "claimed_at", "version", "updated_at"])
        audit.record(
            "workflows.task.claim",
            actor=actor,
            client=task.client,
            obj=task,
            after={"for": holder} if taking_over else None,
        )
        if taking_over:
            _queue_claim(task, None)  # OpenText, like Flowable, claims only a task nobody holds: release it first
        _queue_claim(task, actor.email)
        _published_assignment(task, version=task.version, by=actor)
    return task


def unclaim_task(task: Task, *, actor: User, expected_version: int | None = None) -> Task:
    """Release a task ``actor`` holds back to the candidates; OpenText is told through the outbox."""
    with transaction.atomic():
        task = Task.objects.select_for_update().select_related("run").get(pk=task.pk)
        _check_fresh(task, expected_version)
        if task.status != TaskStatus.OPEN or task.assignee_id != actor.pk:
            raise InvalidTransition("Only an open task you hold can be released.")
        task.assignee, task.assignee_email, task.claimed_at = None, "", None
        task.version += 1
        task.save(update_fields=["assignee", "assignee_email", "claimed_at", "version", "updated_at"])
        audit.record("workflows.task.unclaim", actor=actor, client=task.client, obj=task)
        _queue_claim(task, None)
    return task


# Who OpenText sees settling a task that Greenlight completes itself, no person acting (see ``complete_task``).
SYSTEM_ASSIGNEE = "greenlight"


def complete_task(
    task: Task,
    *,
    actor: User | None,
    outcome: str,
    reason: str = "",
    values: dict | None = None,
    expected_version=None,
    holder: LinkHolder | None = None,
) -> Task:
    """Record ``actor``'s outcome and queue claim (if needed) and completion at OpenText, in that order.

    ``actor=None`` is Greenlight itself settling a task that needs no person (a revision resubmitted because the
    asset changed at Smint.io): the task is completed in its holder's name, or as ``SYSTEM_ASSIGNEE``; with a
    link's ``holder``, in the holder's name (their e-mail), audited with it."""
    with transaction.atomic():
        task = Task.objects.select_for_update().select_related("run").get(pk=task.pk)
        _check_fresh(task, expected_version)
        if task.status != TaskStatus.OPEN:
            done_by = task.status == TaskStatus.COMPLETED and task.assignee_email
            by = f" by {task.assignee_email}" if done_by else ""
            raise StaleTask(f"This task is already {task.get_status_display().lower()}{by}.")
        check_outcome(task, outcome)
        taking_over = actor is not None and stands_in_for_holder(task, actor)
        if (
            actor is not None
            and not taking_over
            and (
                task.assignee_id != actor.pk
                if task.assignee_id
                else bool(task.assignee_email)  # a holder in OpenText without an account here holds it too
            )
        ):
            raise StaleTask(f"{task.assignee_email} holds this task.")
        if taking_over:  # the delegate of an away holder: released at OpenText, then claimed in the delegate's name
            _queue_claim(task, None)
            task.assignee = None
        now = timezone.now()
        if holder is not None:
            if task.assignee_id or (task.assignee_email and task.assignee_email != holder.email):
                raise StaleTask(f"{task.assignee_email} holds this task.")
            needs_claim = not task.assignee_email
            task.assignee_email = holder.email
        elif actor is None:
            needs_claim = not task.assignee_email
            task.assignee_email = task.assignee_email or SYSTEM_ASSIGNEE
        else:
            needs_claim = task.assignee_id is None
            task.assignee, task.assignee_email = actor, actor.email
        task.claimed_at = task.claimed_at or now
        task.outcome, task.completed_at = outcome, now
        _set_task_status(
            [task],
            TaskStatus.COMPLETED,
            action=f"workflows.task.{outcome}" if outcome.isidentifier() else "workflows.task.complete",
            actor=actor,
            after={"outcome": outcome, **({"by": holder.email, "name": holder.name} if holder else {})},
            reason=reason,
        )
        if needs_claim:
            _queue_claim(task, task.assignee_email)
        outbox.enqueue(
            client=task.client,
            platform=outbox.Platform.OPENTEXT,
            kind="opentext.complete",
            ordering_key=_ordering_key(task.run),
            payload={
                "task": task.pk,
                "remote_id": task.remote_id,
                "assignee": task.assignee_email,
                "outcome": outcome,
                "variables": values or {},
                "comment": reason,
            },
        )
    return task


def decide(
    task: Task,
    *,
    actor: User,
    outcome: str,
    reason: str = "",
    inputs: dict | None = None,
    expected_version: int | None = None,
) -> Decision:
    """Record ``actor``'s decision on an open task of any flow and carry it to OpenText through the outbox.

    The one path for every decision (HTML, API, bulk approve, a review link's holder through ``decide_as_holder``):
    only a person who signs the task may decide it (``signing_refusal``: one of its candidate roles, in its region;
    ``NotASigner`` before anything else is said), the outcome must be one the task's BPMN declares, the flow says
    which outcomes need a reason, and its ``prepare`` checks the rest (licence warnings, a renewal's new date, a
    replacement asset) and says what goes with the completion. Then, in one transaction: the task is completed
    (checked against the version the person saw: ``StaleTask`` when someone acted first), the decision is recorded
    with the licence as it stood and the warnings decided over, and the flow follows up on its subject. The database
    allows one applied decision per task, so of two people acting at once exactly one wins."""
    _check_signer(task, actor)  # only the role signs: seeing a task (as an admin does) is not deciding it
    _check_once(task, actor)  # a quorum's signatures are different people
    return _decide(
        task, actor=actor, holder=None, outcome=outcome, reason=reason, inputs=inputs, expected_version=expected_version
    )


@dataclass(frozen=True)
class LinkHolder:
    """Someone who decides without an account, through a signed link sent to them by e-mail (a client's
    stakeholder): named by that e-mail in the decision, OpenText and Smint.io's ``decided_by``."""

    email: str
    name: str = ""


# The candidate group of the tasks a link's holder may decide (a client stakeholder's step, whatever the flow).
HOLDER_GROUP = RoleCode.EXTERNAL


def decide_as_holder(
    task: Task, *, holder: LinkHolder, outcome: str, reason: str = "", expected_version: int | None = None
) -> Decision:
    """The decision of a review link's holder: the same path as ``decide`` (outcomes, reasons, the flow's checks,
    one completion at OpenText, one write-back), for a task whose candidate group is ``HOLDER_GROUP`` only; the
    link (``apps.reviews.links``) says which tasks are theirs."""
    if HOLDER_GROUP not in task.candidate_roles:
        raise NotASigner(f"“{task.name}” is not a stakeholder's step: it cannot be decided through a link.")
    if not holder.email:
        raise NotASigner("A link's holder is named by their e-mail address.")
    return _decide(
        task, actor=None, holder=holder, outcome=outcome, reason=reason, inputs={}, expected_version=expected_version
    )


def _decide(task, *, actor, holder, outcome, reason, inputs, expected_version) -> Decision:
    flow = flows.of(task.run)
    if task.status != TaskStatus.OPEN:  # said before anything about the input: the person sees what happened
        by = f" by {task.assignee_email}" if task.status == TaskStatus.COMPLETED and task.assignee_email else ""
        raise StaleTask(f"This task is already {task.get_status_display().lower()}{by}.")
    check_outcome(task, outcome)
    reason = clean_text(reason, what="A reason", field="reason")
    if flow.outcome(outcome).needs_reason and not reason:
        raise DecisionRefused(f"Say why: “{flow.label_of(outcome)}” needs a reason.")
    prepared = flow.prepare(task, actor=actor, outcome=outcome, reason=reason, inputs=inputs or {})
    with transaction.atomic():
        task = complete_task(
            task,
            actor=actor,
            outcome=outcome,
            reason=reason,
            values=prepared.values,
            expected_version=expected_version,
            holder=holder,
        )
        decision = Decision.objects.create(
            client=task.client,
            run=task.run,
            task=task,
            actor=actor,
            actor_label=holder.email if holder else "",
            outcome=outcome,
            reason=reason,
            license_snapshot=prepared.snapshot,
            warnings=prepared.warnings,
        )
        if flow.after_decision is not None:
            flow.after_decision(task, decision, prepared)
    return decision


def _check_fresh(task: Task, expected_version: int | None) -> None:
    if expected_version is not None and task.version != expected_version:
        who = f" by {task.assignee_email}" if task.assignee_email else ""
        raise StaleTask(f"This task changed{who} while you were looking at it.")


# -- the one place each status is written -------------------------------------------------------------------------
def _set_task_status(
    tasks: list[Task],
    status: str,
    *,
    action: str,
    actor: User | None = None,
    after: dict | None = None,
    reason: str = "",
    **fields,
) -> None:
    """Write the status of ``tasks`` (rows the caller holds with ``select_for_update``, inside its transaction):
    each move must be one ``TASK_TRANSITIONS`` allows, else ``InvalidTransition`` and nothing is written (staying
    in a status is not a move: it corrects what goes with it, e.g. OpenText's outcome instead of ours). Each task's
    version grows and each change is audited on the task.

    One task is saved whole, with the changes the caller made to it, and audited with its actor. Many (the open
    tasks of a run that ended) are one UPDATE with ``fields`` and one audit INSERT: the system closes them."""
    for task in tasks:
        if status != task.status and status not in TASK_TRANSITIONS[task.status]:
            now, then = task.get_status_display().lower(), TaskStatus(status).label.lower()
            raise InvalidTransition(f"“{task.name}” is {now}: it cannot become {then}.")
    if not tasks:
        return
    if len(tasks) == 1:
        (task,) = tasks
        before = task.status
        for name, value in fields.items():
            setattr(task, name, value)
        task.status = status
        task.version += 1
        task.save()
        audit.record(
            action,
            actor=actor,
            client=task.client,
            obj=task,
            before={"status": before},
            after={"status": status, **(after or {})},
            reason=reason,
        )
        return
    if actor is not None:
        raise ValueError("Only the system changes many tasks at once.")
    audit.record_many(
        action,
        tasks,
        before_after=lambda task: ({"status": task.status}, {"status": status, **(after or {})}),
        reason=reason,
    )
    Task.objects.filter(pk__in=[task.pk for task in tasks]).update(
        status=status, version=F("version") + 1, updated_at=timezone.now(), **fields
    )
    for task in tasks:
        task.status = status


def _set_run_status(
    run: WorkflowRun, status: str, *, action: str, after: dict | None = None, fields: list[str] = ()
) -> None:
    """Write a run's status (a row the caller holds with ``select_for_update``), with the ``fields`` the caller
    changed on it: the move must be one ``RUN_TRANSITIONS`` allows, else ``InvalidTransition``; it is audited on
    the run. Runs move only as OpenText reports them, so the system is the actor."""
    if status not in RUN_TRANSITIONS[run.status]:
        raise InvalidTransition(
            f"The run is {run.get_status_display().lower()}: it cannot become {RunStatus(status).label.lower()}."
        )
    before = run.status
    run.status = status
    run.save(update_fields=["status", *fields])
    audit.record(
        action, client=run.client, obj=run, before={"status": before}, after={"status": status, **(after or {})}
    )


def adopt_run(
    *,
    client,
    process_key: str,
    subject,
    remote_id: str,
    business_key: str,
    variables: dict,
    started_at=None,
    title: str = "",
) -> WorkflowRun:
    """Mirror a process instance someone started in OpenText (not Greenlight) as a running run of ``subject``:
    nothing is queued (the instance exists), and the next poll mirrors its tasks. The caller makes it once per
    instance (the subject is unique per instance; ``business_key`` is unique)."""
    with transaction.atomic():
        run = WorkflowRun.objects.create(
            client=client,
            process_key=process_key,
            business_key=business_key,
            subject_type=subject._meta.label_lower,
            subject_id=subject.pk,
            title=(title or str(subject))[:300],
            variables=variables,
            remote_id=remote_id,
            status=RunStatus.RUNNING,
            started_at=started_at or timezone.now(),
        )
        audit.record(
            "workflows.run.adopt", client=client, obj=run, after={"remote_id": remote_id, "variables": variables}
        )
    return run


# -- applying what OpenText reports ---------------------------------------------------------------------------
@dataclass
class RemoteTask:
    """A task as OpenText reports it, mapped to our vocabulary."""

    remote_id: str
    process_instance_id: str
    task_key: str
    name: str
    description: str
    assignee_email: str
    candidate_roles: list[str]
    due_at: datetime | None
    created_at: datetime | None
    claimed_at: datetime | None


def apply_remote_start(run: WorkflowRun, *, remote_id: str, started_at: datetime | None) -> None:
    """OpenText has the instance: the run is running (idempotent: a run past ``starting`` only keeps the instance
    id OpenText gave)."""
    with transaction.atomic():
        run = WorkflowRun.objects.select_for_update(of=("self",)).select_related("client").get(pk=run.pk)
        if run.status != RunStatus.STARTING:
            if run.remote_id != remote_id:
                WorkflowRun.objects.filter(pk=run.pk).update(remote_id=remote_id)
            return
        run.remote_id, run.started_at = remote_id, started_at or timezone.now()
        _set_run_status(
            run,
            RunStatus.RUNNING,
            action="workflows.run.running",
            after={"remote_id": remote_id},
            fields=["remote_id", "started_at"],
        )


# The run variable that names the regions a run's work is for (codes of ``accounts.Region``). The portal sets it
# when it starts the process (an approval cycle: the regions of its intended use), and every task of the run carries
# it. It is read from the run as the portal started it, never from OpenText's task JSON: OpenText sends process
# variables only when asked (``includeProcessVariables``) and a task's own variables not at all unless a model sets
# them, so a region OpenText reports could only be one the portal sent in the first place.
REGIONS_VARIABLE = "intendedRegions"


def regions_of(run: WorkflowRun) -> list[str]:
    """The regions of ``run``'s work (``REGIONS_VARIABLE``), sorted; empty when the run is not regional."""
    codes = (run.variables or {}).get(REGIONS_VARIABLE) or []
    if not isinstance(codes, list):
        return []
    return sorted({code for code in codes if isinstance(code, str) and code})


def apply_remote_tasks(runs_by_instance: dict[str, WorkflowRun], tasks: list[RemoteTask]) -> dict[str, int]:
    """Create and update mirrored tasks from OpenText's open task list. A task whose assignee changed in OpenText
    (claimed or reassigned there) takes OpenText's assignee; a task we completed locally but OpenText still shows
    open waits for the outbox (it is not reopened)."""
    counts = {"created": 0, "updated": 0}
    known = {t.remote_id: t for t in Task.objects.filter(remote_id__in=[t.remote_id for t in tasks])}
    users = {u.email: u for u in User.objects.filter(email__in={t.assignee_email for t in tasks if t.assignee_email})}
    regions = {instance: regions_of(run) for instance, run in runs_by_instance.items()}
    fallback_due = timezone.now() + DEFAULT_DUE
    reassigned: list[tuple[Task, str, str]] = []
    for remote in tasks:
        run = runs_by_instance.get(remote.process_instance_id)
        if run is None:
            continue
        local = known.get(remote.remote_id)
        spec = bpmn.task_spec(run.process_key, remote.task_key, remote.name)
        outcomes = [list(pair) for pair in spec.outcomes] if spec else []
        roles = remote.candidate_roles or (list(spec.candidate_groups) if spec else [])
        if local is None:
            with transaction.atomic():  # the row and its event together (a listener that fails undoes both)
                created = Task.objects.create(
                    client_id=run.client_id,
                    run=run,
                    remote_id=remote.remote_id,
                    task_key=remote.task_key or (spec.key if spec else ""),
                    name=remote.name,
                    description=remote.description,
                    candidate_roles=roles,
                    possible_outcomes=outcomes,
                    regions=regions[remote.process_instance_id],
                    assignee=users.get(remote.assignee_email),
                    assignee_email=remote.assignee_email,
                    due_at=remote.due_at or fallback_due,  # every task has a due date: the inbox sorts by it
                    remote_created_at=remote.created_at,
                    claimed_at=remote.claimed_at,
                )
                created.run = run
                if created.assignee_id:  # claimed in OpenText before we saw it: that person's, not open to all
                    _published_assignment(created, version=created.version)
                else:
                    publish_task_event("task.available", created, key=f"task.available:task-{created.pk}")
            counts["created"] += 1
            continue
        if local.status != TaskStatus.OPEN or _pending_local_change(local):
            continue
        changes = {}
        if local.assignee_email != remote.assignee_email:
            changes.update(
                assignee=users.get(remote.assignee_email),
                assignee_email=remote.assignee_email,
                claimed_at=remote.claimed_at,
            )
        if remote.due_at and local.due_at != remote.due_at:
            changes["due_at"] = remote.due_at
        if local.name != remote.name:
            changes["name"] = remote.name
        if local.possible_outcomes != outcomes:  # rows mirrored before the outcomes came from our BPMN files
            changes["possible_outcomes"] = outcomes
        if changes:
            with transaction.atomic():  # the change and its event together
                Task.objects.filter(pk=local.pk).update(version=F("version") + 1, updated_at=timezone.now(), **changes)
                counts["updated"] += 1
                if "assignee_email" in changes:
                    reassigned.append((local, local.assignee_email, remote.assignee_email))
                    if changes["assignee"] is not None:  # claimed or given to a member in OpenText
                        for name, value in changes.items():
                            setattr(local, name, value)
                        local.run = run
                        _published_assignment(local, version=local.version + 1)
    if reassigned:
        # who holds a task changed in OpenText (claimed, released or reassigned there): on the task's timeline
        holders = {task.pk: (before, after) for task, before, after in reassigned}
        audit.record_many(
            "workflows.task.reassign",
            [task for task, _before, _after in reassigned],
            before_after=lambda task: ({"assignee": holders[task.pk][0]}, {"assignee": holders[task.pk][1]}),
            reason=lambda task: _reassignment(*holders[task.pk]),
            actor_label="OpenText",
        )
    return counts


def _reassignment(before: str, after: str) -> str:
    if not after:
        return f"Released in OpenText by {before}."
    if not before:
        return f"Claimed in OpenText by {after}."
    return f"Reassigned in OpenText from {before} to {after}."


def _pending_local_change(task: Task) -> bool:
    """A claim or completion of ours is still on its way to OpenText: OpenText's view is older than ours."""
    return outbox.has_pending(ordering_key=_ordering_key(task.run), task=task.pk)


def apply_remote_closed(
    task: Task, *, completed: bool, outcome: str = "", assignee_email: str = "", ended_at=None, reason: str = ""
) -> bool:
    """OpenText's history says a task that is open here has ended: completed (by someone in OpenText) or removed
    by the engine (``reason``: its delete reason, e.g. a terminate end event or an administrator's cancellation)."""
    with transaction.atomic():
        task = Task.objects.select_for_update(of=("self",)).select_related("run", "client").get(pk=task.pk)
        if task.status != TaskStatus.OPEN:
            return False
        task.completed_at = ended_at or timezone.now()
        if completed and outcome:
            task.outcome = outcome
        if assignee_email and assignee_email != task.assignee_email:
            task.assignee_email = assignee_email
            task.assignee = User.objects.filter(email=assignee_email).first()
        _set_task_status(
            [task],
            TaskStatus.COMPLETED if completed else TaskStatus.CANCELLED,
            action=f"workflows.task.{'complete_elsewhere' if completed else 'cancel'}",
            after={"outcome": outcome, "assignee": assignee_email, "delete_reason": reason},
        )
        if completed:
            flows.task_settled(task.run, task=task, outcome=outcome)
    return True


def settled_elsewhere(
    task: Task,
    *,
    completed: bool,
    outcome: str = "",
    assignee_email: str = "",
    ended_at=None,
    reason: str = "",
) -> None:
    """Our claim or completion of ``task`` is still queued, but OpenText's history says the task already ended
    without it: someone completed it in OpenText, or the engine removed it. OpenText's account wins: the task shows
    their outcome and actor, our decision is kept but marked not applied (never sent), our queued calls for the
    task are withdrawn and the person who decided here is told."""
    who = assignee_email or "someone in OpenText"
    why = (
        f"{who} completed this task in OpenText first ({outcome or 'outcome not known'})."
        if completed
        else f"OpenText removed the task before it was completed ({reason or 'no reason given'})."
    )
    with transaction.atomic():
        task = Task.objects.select_for_update().select_related("run", "client").get(pk=task.pk)
        task.outcome = outcome if completed else ""
        task.completed_at = ended_at or timezone.now()
        if assignee_email:
            task.assignee_email = assignee_email
            task.assignee = User.objects.filter(email=assignee_email).first()
        _set_task_status(
            [task],
            TaskStatus.COMPLETED if completed else TaskStatus.CANCELLED,
            action=f"workflows.task.{'complete_elsewhere' if completed else 'cancel'}",
            after={"outcome": outcome, "assignee": assignee_email, "delete_reason": reason},
            reason=why,
        )
        _withdraw_decision(task, why=why)
        flows.task_settled(task.run, task=task, outcome=outcome if completed else None)


def lost_race(task: Task, *, loser_email: str, holder_email: str, action: str) -> None:
    """OpenText refused our claim, or someone else holds the task there, so our completion must not be sent: take
    OpenText's view (the task is open and theirs), keep the loser's decision as not applied, withdraw the queued
    calls it caused and tell the person who lost, on their next page."""
    why = f"{holder_email or 'Someone else'} held the task in OpenText first."
    with transaction.atomic():
        task = Task.objects.select_for_update().select_related("run", "client").get(pk=task.pk)
        users = {u.email: u for u in User.objects.filter(email__in=[loser_email, holder_email])}
        task.outcome, task.completed_at = "", None
        task.assignee, task.assignee_email = users.get(holder_email), holder_email
        withdrawn = _withdraw_decision(task, why=why, notify=False)
        loser = users.get(loser_email)
        if loser is not None:
            Notice.objects.create(
                user=loser,
                text=(
                    f"Your {action} of “{task.name}” did not go through: {holder_email or 'someone else'} took the "
                    "task in OpenText first. The task shows their claim now."
                )[:500],
            )
        _set_task_status(
            [task],
            TaskStatus.OPEN,
            action="workflows.task.lost_race",
            after={"holder": holder_email, "loser": loser_email, "action": action, "calls_withdrawn": withdrawn},
            reason=why,
        )
        flows.task_settled(task.run, task=task, outcome=None)


def _withdraw_decision(task: Task, *, why: str, notify: bool = True) -> int:
    """Mark the task's applied decision (if any) as not applied, withdraw the task's queued OpenText calls and tell
    the decider. Returns the number of calls withdrawn."""
    decision = Decision.objects.applied().filter(task=task).select_related("actor").first()
    if decision is not None:
        Decision.objects.filter(pk=decision.pk).update(applied=False, not_applied_reason=why[:500])
        audit.record(
            "workflows.decision.not_applied",
            client=task.client,
            obj=decision,
            before={"applied": True},
            after={"applied": False, "outcome": decision.outcome},
            reason=why,
        )
        if notify and decision.actor_id:
            Notice.objects.create(
                user=decision.actor,
                level="warning",
                text=f"Your decision “{decision.outcome}” on “{task.name}” was not applied: {why}"[:500],
            )
    return outbox.withdraw(
        outbox.pending_for(ordering_key=_ordering_key(task.run), kinds=TASK_CALLS, task=task.pk), reason=why
    )


# The outbox kinds that act on one task at OpenText (withdrawn when the task was settled there without us).
TASK_CALLS = ("opentext.claim", "opentext.complete", "opentext.comment")


def apply_remote_end(
    run: WorkflowRun, *, outcome: str, cancelled: bool = False, ended_at=None, reason: str = ""
) -> bool:
    """The process instance ended (as OpenText's history says): close the run and its open tasks and apply the
    outcome (once). A cancellation carries no outcome, whatever the instance's variables said."""
    with transaction.atomic():
        run = WorkflowRun.objects.select_for_update(of=("self",)).select_related("client").get(pk=run.pk)
        if not run.is_open:
            return False
        run.outcome = "" if cancelled else outcome
        run.ended_at = ended_at or timezone.now()
        run.remote_missing_since = None
        _set_run_status(
            run,
            RunStatus.CANCELLED if cancelled else RunStatus.COMPLETED,
            action=f"workflows.run.{'cancel' if cancelled else 'complete'}",
            after={"outcome": run.outcome, "delete_reason": reason},
            fields=["outcome", "ended_at", "remote_missing_since"],
        )
        # the tasks still open end with it (in one statement and one audit insert, however many there are)
        _set_task_status(
            list(
                Task.objects.select_for_update(of=("self",))
                .filter(run=run, status=TaskStatus.OPEN)
                .select_related("client")
            ),
            TaskStatus.CANCELLED,
            action="workflows.task.cancel",
            after={"run": run.pk, "delete_reason": reason or "the run ended"},
            completed_at=run.ended_at,
        )
        flows.apply_outcome(run)
    return True


# -- comments -------------------------------------------------------------------------------------------------------
MENTION = re.compile(r"@([\w.+-]+@[\w-]+(?:\.[\w-]+)+)")


def comment(
    run: WorkflowRun,
    *,
    actor: User | None,
    body: str,
    task: Task | None = None,
    parent: Comment | None = None,
    holder: LinkHolder | None = None,
) -> Comment:
    """Add a comment to a run of any flow (the conversation of its subject), optionally on one of its tasks and in
    reply to another comment of the same run. ``@e-mail`` mentions people of the run's client, who get a notice; a
    comment on an open task is also sent to OpenText (through the outbox), so people working there see it.

    Refused (``DecisionRefused``, ``field`` naming the input): an empty body, one over ``TEXT_LIMIT`` characters,
    a reply to another run's comment. A review link's ``holder`` comments without an account (``actor=None``): the
    comment, its audit event and its copy at OpenText carry their e-mail."""
    who = holder.email if holder is not None else actor.email
    body = clean_text(body, what="A comment", field="body")
    if not body:
        raise DecisionRefused("A comment cannot be empty.", field="body")
    if parent is not None and parent.run_id != run.pk:
        raise DecisionRefused("A reply belongs to the same conversation.", field="parent")
    mentioned = _mentioned(run, body)
    with transaction.atomic():
        note = Comment.objects.create(
            client=run.client, run=run, task=task, parent=parent, author=actor, author_label=who, body=body
        )
        note.mentions.set(mentioned)
        _publish_mentions(note, [p for p in mentioned if p.pk != getattr(actor, "pk", None)], actor=actor)
        audit.record(
            "workflows.comment.create",
            actor=actor,
            actor_label=who,
            client=run.client,
            obj=note,
            after={"body": body[:500]},
        )
        if task is not None and task.status == TaskStatus.OPEN:
            queue_task_comment(task, opentext_message(note), comment=note)
    return note


def _publish_mentions(note: Comment, people: list[User], *, actor=None) -> None:
    """``comment.mentioned`` for a comment just kept (written here or pulled from OpenText, once per comment: the
    comment is new), naming the people it mentions other than its author; nothing when it mentions no one else."""
    if not people:
        return
    run = note.run
    events.publish(
        "comment.mentioned",
        key=f"comment.mentioned:comment-{note.pk}",
        client=run.client,
        data={
            "url": subject_url(run),
            "title": run.title or str(run),
            "comment": note.pk,
            "run": run.pk,
            "task": note.task_id,
            "author_label": note.author_label,
            "excerpt": note.body[:200],
            "mentioned": sorted(person.pk for person in people),
        },
        actor=actor,
    )


def _mentioned(run: WorkflowRun, body: str) -> list[User]:
    """The people of the run's client that ``body`` mentions by @e-mail."""
    emails = {m.lower() for m in MENTION.findall(body)}
    if not emails:
        return []
    return list(
        User.objects.filter(email__in=emails, pk__in=Membership.objects.filter(client_id=run.client_id).values("user"))
    )


def opentext_message(note: Comment) -> str:
    """The text OpenText gets for a portal comment: who wrote it, then what (OpenText names our service as the
    author). Also how a pull recognises a comment of ours whose id OpenText's answer never told us."""
    return f"{note.author_label}: {note.body}"


def queue_task_comment(task: Task, message: str, *, comment: Comment | None = None) -> None:
    """Copy a portal comment on an open task to OpenText (through the outbox, in order with the run's calls); the
    handler records the id OpenText gives it on ``comment``."""
    outbox.enqueue(
        client=task.client,
        platform=outbox.Platform.OPENTEXT,
        kind="opentext.comment",
        ordering_key=_ordering_key(task.run),
        payload={
            "task": task.pk,
            "remote_id": task.remote_id,
            "message": message,
            **({"comment": comment.pk} if comment is not None else {}),
        },
    )


def confirm_sent_comment(comment_id: int | None, remote_id: str) -> bool:
    """OpenText holds our comment ``comment_id`` as ``remote_id`` (its answer, or found on reading back): record it,
    so no pull takes it for a comment written in OpenText. False when the comment already has an id, or when the id
    is already another comment's."""
    if not comment_id or not remote_id:
        return False
    try:
        with transaction.atomic():
            return bool(Comment.objects.filter(pk=comment_id, remote_id="").update(remote_id=remote_id))
    except IntegrityError:
        return False


@dataclass
class RemoteComment:
    """A comment as OpenText lists it: its id, text, author (a user id, usually an e-mail), time and task (if on
    one)."""

    remote_id: str
    message: str
    author: str
    time: datetime | None
    task_remote_id: str = ""


def apply_remote_comments(run: WorkflowRun, comments: list[RemoteComment], *, own_author: str = "") -> int:
    """Keep the comments OpenText has on ``run`` (its tasks' and its instance's) in the run's conversation, each once
    (by its id: the database holds one comment per client and OpenText id, so a comment pulled twice, or by two
    passes at once, is kept once), oldest first. Returns how many were added.

    A comment of ours comes back too: one whose id we recorded is known; one whose id we never learned (OpenText
    stored it, but its answer was lost) is the unconfirmed portal comment on the same task with the very text we
    send (``opentext_message``), written before it: it takes the id instead of a copy being added. Anything else our
    own service identity (``own_author``) wrote (a decision's reason, sent with the completion) is shown as the
    decision already. The rest were written in OpenText: attributed to the member of the run's client whose e-mail
    is the author, else shown under the OpenText user id; audited as pulled."""
    known = set(
        Comment.objects.filter(client_id=run.client_id, remote_id__in=[c.remote_id for c in comments]).values_list(
            "remote_id", flat=True
        )
    )
    fresh: dict[str, RemoteComment] = {}
    for item in comments:
        if item.remote_id and item.remote_id not in known and item.message.strip():
            fresh.setdefault(item.remote_id, item)
    if not fresh:
        return 0
    tasks = {t.remote_id: t for t in Task.objects.filter(run=run)}
    unconfirmed = list(Comment.objects.filter(run=run, source=CommentSource.PORTAL, remote_id="").exclude(task=None))
    authors = {
        u.email.lower(): u
        for u in User.objects.filter(
            email__in={c.author for c in fresh.values()},
            pk__in=Membership.objects.filter(client_id=run.client_id).values("user"),
        )
    }
    added = 0
    for item in sorted(fresh.values(), key=lambda c: (c.time or timezone.now(), c.remote_id)):
        task = tasks.get(item.task_remote_id)
        mine = next(
            (
                note
                for note in unconfirmed
                if task is not None
                and note.task_id == task.pk
                and opentext_message(note) == item.message
                and (item.time is None or note.created_at <= item.time + timedelta(minutes=5))
            ),
            None,
        )
        if mine is not None:
            unconfirmed.remove(mine)
            confirm_sent_comment(mine.pk, item.remote_id)
            continue
        if own_author and item.author == own_author:
            continue
        author = authors.get(item.author.lower())
        try:
            with transaction.atomic():
                note = Comment.objects.create(
                    client_id=run.client_id,
                    run=run,
                    task=task,
                    author=author,
                    author_label=(author.email if author else item.author or "OpenText")[:254],
                    body=item.message[:TEXT_LIMIT],
                    created_at=item.time or timezone.now(),
                    source=CommentSource.OPENTEXT,
                    remote_id=item.remote_id,
                )
                mentioned = _mentioned(run, note.body)
                note.mentions.set(mentioned)
                _publish_mentions(note, [p for p in mentioned if p != author])
                audit.record(
                    "workflows.comment.pull",
                    client=run.client,
                    obj=note,
                    actor_label=f"{note.author_label} (in OpenText)"[:254],
                    after={"remote_id": item.remote_id, "body": note.body[:500]},
                )
        except IntegrityError:
            continue  # another pass kept it meanwhile
        added += 1
    return added


def decided_by_label(run: WorkflowRun) -> str:
    """Who decided ``run`` last: a member's e-mail, a review link holder's, or (every task settled in OpenText)
    whoever completed the last one there; "" when no one is known (Smint.io's write-back and events say it)."""
    last = run.decisions.applied().select_related("actor").order_by("-decided_at").first()
    if last is not None and last.by:
        return last.by
    completed = run.tasks.filter(status=TaskStatus.COMPLETED).exclude(assignee_email="")
    return completed.order_by("-completed_at", "-id").values_list("assignee_email", flat=True).first() or ""


def report_outcome_to_smintio(run: WorkflowRun, asset, *, status: str, reason: str | None, restrictions=None) -> None:
    """Queue the Smint.io ``workflow-status`` write-back of a run's outcome for ``asset``: who decided last, when
    the run ended, its business key as the reference. One per run and process: the idempotency key is derived from
    the run, so an outcome applied twice never sends twice."""
    decided_by = decided_by_label(run)
    outbox.enqueue(
        client=run.client,
        platform=outbox.Platform.SMINTIO,
        kind="smintio.workflow_status",
        ordering_key=f"smintio:element:{asset.content_element_uuid}",
        payload={
            "content_element_uuid": asset.content_element_uuid,
            "body": {
                "status": status,
                "reason": reason or None,
                "decided_at": (run.ended_at or timezone.now()).isoformat(),
                "decided_by": decided_by or "opentext",
                "workflow_reference": run.business_key,
                "restrictions": restrictions,
            },
        },
        idempotency_key=f"{flows.of(run).outcome_prefix}-outcome:{run.business_key}",
    )
