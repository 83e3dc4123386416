"""Renewal cases (flow 2): the sweep that opens them, the decisions on their tasks, and their outcome.

The sweep finds rights that lapse within the client's warning window and licence limits nearly reached, and opens
exactly one case per asset and cause (``Case.key``; the database refuses a second, so two sweeps at once open one).
Each case runs ``rights_renewal`` in OpenText. Availability does not wait for the case: an asset stops being offered
the minute its rights lapse (``apps.assets.querysets.available_condition``), whatever the case's state.
"""

from __future__ import annotations

import logging
import zoneinfo
from datetime import date, datetime, time, timedelta

from django.db import transaction
from django.db.models import CharField, Exists, F, Func, OuterRef, Q, Value
from django.db.models.functions import Concat, TruncDate
from django.utils import timezone
from django.utils.dateparse import parse_date

from apps.accounts.models import Notice, User
from apps.assets import events as asset_events
from apps.assets import services as assets
from apps.assets.choices import ApprovalState, LicenseState, RightsState
from apps.assets.models import Asset, LicensePurchase
from apps.assets.querysets import available_condition
from apps.assets.services import licence_snapshot, refresh_rights
from apps.audit import services as audit
from apps.clients.choices import TaskKind
from apps.clients.models import Client
from apps.common import events
from apps.common.http import whole_number
from apps.workflows import flows
from apps.workflows import services as workflows
from apps.workflows.choices import TaskStatus
from apps.workflows.models import Decision, Task, WorkflowRun

from .choices import CASE_TRANSITIONS, CaseKind, CaseState, Disposition, Trigger
from .models import Case, LimitsSweep

logger = logging.getLogger(__name__)

RENEWAL = "rights_renewal"
# Assets out of circulation anyway: a lapse changes nothing for them.
SETTLED = [ApprovalState.REJECTED, ApprovalState.WITHDRAWN]
LIMITS = [
    (Trigger.DOWNLOADS, "current_downloads", "max_downloads", "downloads"),
    (Trigger.USERS, "current_users", "max_users", "users"),
    (Trigger.REUSES, "current_reuses", "max_reuses", "re-uses"),
]
CaseRefused = workflows.DecisionRefused
CLEAR_CHUNK = 5000  # licence ids per statement that clears limits_pending


# -- the sweep ------------------------------------------------------------------------------------------------------
def sweep_rights(now: datetime | None = None, *, client: Client | None = None) -> dict:
    """Open the renewal cases that are due (idempotent: run it as often as you like, on as many workers as you
    like) and mark rights that have lapsed as expired. Returns counts: ``expired`` rights, ``lapsing`` assets and
    ``limits`` reached that had no case yet, ``opened`` cases, ``checked`` licences whose limits were read, and
    ``full`` clients whose limits were all read (see :func:`_sweep_client`)."""
    now = now or timezone.now()
    clients = [client] if client is not None else list(Client.objects.all())
    judged = dict(
        LimitsSweep.objects.filter(client__in=[c.pk for c in clients]).values_list("client_id", "threshold_percent")
    )
    totals = {"lapsing": 0, "limits": 0, "checked": 0, "full": 0, "opened": 0, "expired": 0}
    for each in clients:
        counts = _sweep_client(each, now, full=judged.get(each.pk) != each.usage_threshold_percent)
        for key, value in counts.items():
            totals[key] += value
    return totals


def sweep_client(client: Client) -> dict:
    """After a pull of ``client``'s content (``apps.assets.events.on_synced``)."""
    return sweep_rights(client=client)


class _IsoDate(Func):
    """A date as ``YYYY-MM-DD`` text, as ``date.isoformat()`` writes it (a case key's day)."""

    output_field = CharField()

    def as_sql(self, compiler, connection, **extra):  # SQLite: a date is already that text
        return compiler.compile(self.source_expressions[0])

    def as_postgresql(self, compiler, connection, **extra):
        return super().as_sql(
            compiler, connection, function="to_char", template="%(function)s(%(expressions)s, 'YYYY-MM-DD')"
        )


def _renewal_case(client: Client, asset, key) -> Exists:
    return Exists(Case.objects.filter(client_id=client.pk, kind=CaseKind.RENEWAL, asset_id=asset, key=key))


def _sweep_client(client: Client, now: datetime, *, full: bool) -> dict:
    """One client, in a few set-based statements whatever its size: the lapsed rights (a range scan), the lapsing
    assets without their case (a range scan and an anti-join on ``case_one_per_cause``), and the licences whose
    limits may have changed since the last sweep (``lpt_limits_pending_idx``; with ``full``, every limit reached
    without its case). Cases already open, or closed, for a cause are never read into Python (measured at 77k
    cases: reading and comparing them each run was most of a 2.4 s sweep, bench/rights.py)."""
    counts = {"lapsing": 0, "limits": 0, "checked": 0, "full": int(full), "opened": 0, "expired": 0}
    lapsed = list(
        Asset.objects.filter(client=client, rights_state=RightsState.VALID, rights_until__lte=now).values_list(
            "pk", flat=True
        )
    )
    if lapsed:
        refresh_rights(lapsed, now)
        counts["expired"] = len(lapsed)
    window_end = now + timedelta(days=client.rights_warning_days)
    day = TruncDate("rights_until", tzinfo=timezone.get_current_timezone())
    lapsing = (
        Asset.objects.filter(
            client=client, rights_state=RightsState.VALID, rights_until__gt=now, rights_until__lte=window_end
        )
        .exclude(approval_state__in=SETTLED)
        .annotate(case_key=Concat(Value("lapse:"), _IsoDate(day), output_field=CharField()))
        .filter(~_renewal_case(client, OuterRef("pk"), OuterRef("case_key")))
        .only("pk", "client_id", "name", "content_element_uuid", "rights_until")
        .order_by("rights_until")
    )
    for asset in list(lapsing):  # not iterator(): each case commits on its own
        counts["lapsing"] += 1
        day = date.fromisoformat(asset.case_key.removeprefix("lapse:"))
        counts["opened"] += _open(
            client,
            asset,
            trigger=Trigger.LAPSE,
            key=asset.case_key,
            summary=f"The rights end on {day:%d %b %Y}.",
            lapse_at=asset.rights_until,
            evidence={"rights_until": asset.rights_until.isoformat(), "warning_days": client.rights_warning_days},
            now=now,
        )
    _sweep_limits(client, now, full, counts)
    if full:
        LimitsSweep.objects.bulk_create(
            [LimitsSweep(client=client, threshold_percent=client.usage_threshold_percent, judged_at=now)],
            update_conflicts=True,
            unique_fields=["client"],
            update_fields=["threshold_percent", "judged_at"],
        )
    return counts


def _sweep_limits(client: Client, now: datetime, full: bool, counts: dict) -> None:
    """Judge the limits of the client's licences written since the sweep last judged them (``limits_pending``), or,
    with ``full``, also every licence at the threshold that has no case for it: one statement (the pending ones are
    a handful after a pull and none in the steady state), and one more in a full pass. Then clear
    ``limits_pending`` of the versions judged: a licence a pull wrote again meanwhile stays pending for the next
    sweep."""
    threshold = client.usage_threshold_percent
    has_case = {
        trigger: _renewal_case(client, OuterRef("asset_id"), Concat(Value(f"{trigger}:"), OuterRef("uuid")))
        for trigger, *_rest in LIMITS
    }
    counters = [f for _t, current, maximum, _n in LIMITS for f in (current, maximum)]
    licences = (
        LicensePurchase.objects.filter(client=client)
        .annotate(**{f"has_{trigger}": exists for trigger, exists in has_case.items()})
        .order_by()
    )
    shown = [*counters, "id", "uuid", "asset_id", "asset__approval_state", *(f"has_{t}" for t in has_case)]
    rows = list(licences.filter(limits_pending=True).values(*shown, "version", "state", "limits_pending"))
    if full:
        missing = Q()
        for trigger, current, maximum, _noun in LIMITS:
            # integer division: a superset in SQL (no numeric casts), checked exactly below
            reached = Q(**{f"{maximum}__gt": 0}) & Q(**{f"{current}__gte": F(maximum) * threshold / 100})
            missing |= reached & Q(**{f"has_{trigger}": False})
        # a statement of its own, read from the covering lpt_limits_idx (only its columns)
        pending = {lpt["id"] for lpt in rows}
        rows += [
            {**lpt, "state": LicenseState.COMPLETED, "limits_pending": False}
            for lpt in licences.filter(missing, state=LicenseState.COMPLETED).values(*shown)
            if lpt["id"] not in pending
        ]
    counts["checked"] += len(rows)
    judged: dict[int, list[int]] = {}
    for lpt in rows:
        if lpt["limits_pending"]:
            judged.setdefault(lpt["version"], []).append(lpt["id"])
        if lpt["state"] != LicenseState.COMPLETED or lpt["asset__approval_state"] in SETTLED:
            continue  # not judged again until it is written or its asset returns to circulation
        for trigger, current, maximum, noun in LIMITS:
            used, limit = lpt[current], lpt[maximum]
            if not limit or used * 100 < limit * threshold or lpt[f"has_{trigger}"]:
                continue
            counts["limits"] += 1
            asset = Asset.objects.only("pk", "client_id", "name", "content_element_uuid", "rights_until").get(
                pk=lpt["asset_id"]
            )
            counts["opened"] += _open(
                client,
                asset,
                trigger=trigger,
                key=f"{trigger}:{lpt['uuid']}",
                summary=f"{used} of {limit} licensed {noun} used ({used * 100 // limit}%).",
                lapse_at=asset.rights_until,
                evidence={
                    "license_purchase": lpt["uuid"],
                    "used": used,
                    "limit": limit,
                    "threshold_percent": threshold,
                },
                now=now,
            )
    for version, ids in judged.items():
        for start in range(0, len(ids), CLEAR_CHUNK):
            LicensePurchase.objects.filter(
                pk__in=ids[start : start + CLEAR_CHUNK], version=version, limits_pending=True
            ).update(limits_pending=False)


def _open(client, asset, *, trigger, key, summary, lapse_at, evidence, now) -> int:
    """A renewal case and its run; 0 when the case exists (another sweep was first)."""
    name = asset.name or asset.content_element_uuid
    _case, created = open_case(
        client,
        asset,
        kind=CaseKind.RENEWAL,
        process_key=RENEWAL,
        sla=TaskKind.RENEWAL,
        trigger=trigger,
        key=key,
        title=f"Renew or replace “{name}”",
        summary=summary,
        evidence=evidence,
        now=now,
        lapse_at=lapse_at,
        variables={"lapseAt": lapse_at.isoformat() if lapse_at else None},
    )
    return int(created)


def _case_data(case: Case) -> dict:
    return {"url": case.get_absolute_url(), "title": case.title, "case": case.pk, "asset": case.asset_id}


def open_case(
    client, asset, *, kind, process_key, sla, trigger, key, title, summary, evidence, now, lapse_at=None, variables=None
) -> tuple[Case, bool]:
    """Open a case and start its process in one transaction, once per client, kind, asset and key: when the case
    exists (another sweep or detector was first, or an earlier run), it is returned as it is."""
    due = now + timedelta(hours=client.sla_hours_for(sla))
    if lapse_at is not None and lapse_at > now:
        due = min(due, lapse_at)  # a case is no use after the rights have lapsed
    with transaction.atomic():
        case, created = Case.objects.get_or_create(
            client=client,
            kind=kind,
            asset=asset,
            key=key,
            defaults={
                "trigger": trigger,
                "title": title,
                "summary": summary,
                "lapse_at": lapse_at,
                "due_at": due,
                "evidence": evidence,
            },
        )
        if not created:
            return case, False
        audit.record("exceptions.case.open", client=client, obj=case, after={"key": key}, reason=summary)
        events.publish(
            "case.opened",
            key=f"case.opened:case-{case.pk}",
            client=client,
            data={
                **_case_data(case),
                "kind": case.get_kind_display(),
                "asset_owner": workflows.asset_owner(case.asset_id),
            },
        )
        workflows.start_run(
            client=client,
            process_key=process_key,
            subject=case,
            title=case.title,
            variables={
                "client": client.slug,
                "asset": asset.content_element_uuid,
                "assetName": asset.name or asset.content_element_uuid,
                "caseKey": key,
                "caseDueDate": due.isoformat(),
                "region": "",
                **(variables or {}),
            },
        )
    return case, True


# -- deciding ---------------------------------------------------------------------------------------------------------
def case_of(run: WorkflowRun) -> Case | None:
    if run.subject_type != "exceptions.case":
        return None
    return Case.objects.select_related("asset", "client").filter(pk=run.subject_id).first()


def replacement_choices(case: Case):
    """Assets that may replace the case's asset: the same client's, available now, not the asset itself."""
    return (
        Asset.objects.filter(client=case.client)
        .filter(available_condition())
        .exclude(pk=case.asset_id)
        .order_by("name")
    )


def read_case_inputs(data, user) -> dict:
    """A case decision's own inputs from a form or an API body: the renewed licence runs to the end of the given day
    in the person's time zone; the replacement is an asset they can see."""
    inputs: dict = {}
    renewed = data.get("renewed_until")
    if renewed and not isinstance(renewed, date):
        try:
            renewed = parse_date(str(renewed))
        except ValueError:  # well-formed but impossible (2026-02-30): refused below as no date at all
            renewed = None
    if renewed:
        zone = zoneinfo.ZoneInfo(getattr(user, "time_zone", "") or "UTC")
        inputs["renewed_until"] = datetime.combine(renewed, time(23, 59), tzinfo=zone)
    replacement = whole_number(str(data.get("replacement") or ""))
    if replacement is not None:
        inputs["replacement"] = Asset.objects.visible_to(user).filter(pk=replacement).first()
    return inputs


def prepare_case_decision(task: Task, *, actor: User, outcome: str, reason: str, inputs: dict) -> flows.Prepared:
    """A renewal needs the new end date; a replacement needs an available asset of the same client. The decision
    keeps the licence as it stood."""
    case = case_of(task.run)
    if case is None:
        raise CaseRefused("This task does not belong to a case.", field="task")
    values: dict = {}
    renewed_until, replacement = inputs.get("renewed_until"), inputs.get("replacement")
    if outcome == "renewed":
        if renewed_until is None or renewed_until <= timezone.now():
            raise CaseRefused("Give the date the renewed licence runs until (in the future).", field="renewed_until")
        values["renewedUntil"] = renewed_until.isoformat()
    if outcome == "replace":
        if replacement is None or not replacement_choices(case).filter(pk=replacement.pk).exists():
            raise CaseRefused(
                "Choose the asset that replaces this one: an available asset of the same client.", field="replacement"
            )
        values["replacementAsset"] = replacement.content_element_uuid
    return flows.Prepared(
        values=values,
        snapshot=licence_snapshot(case.asset),
        extra={"case": case, "renewed_until": renewed_until, "replacement": replacement},
    )


def case_decision_context(task: Task, user) -> dict:
    """The case's asset and, for an owner deciding, the assets that could replace it."""
    case = case_of(task.run)
    if case is None:
        return {}
    replacements = replacement_choices(case)[:200] if case.is_open else Asset.objects.none()
    return {"asset": case.asset, "case": case, "replacements": replacements, "form_task": task.pk}


def follow_case_decision(task: Task, decision: Decision, prepared: flows.Prepared) -> None:
    """Keep the renewal date or the replacement on the case, and put the decision on the case's timeline."""
    case = prepared.extra["case"]
    changes = {}
    if decision.outcome == "renewed":
        changes["renewed_until"] = prepared.extra["renewed_until"]
    if decision.outcome == "replace":
        changes["replacement"] = prepared.extra["replacement"]
    if changes:
        Case.objects.filter(pk=case.pk).update(**changes)
    if decision.outcome == "renewed":
        # shown at once on the asset, the case and the calendar, marked awaiting Smint.io (issue 12, item 6)
        assets.record_renewal(
            case.asset, prepared.extra["renewed_until"], actor=decision.actor, reason=f"Case {case.pk}: {case.title}"
        )
    audit.record(
        f"exceptions.case.{decision.outcome}",
        actor=decision.actor,
        client=case.client,
        obj=case,
        after={k: str(v) for k, v in {"task": task.name, **changes}.items()},
        reason=decision.reason,
    )


# -- the case's end -------------------------------------------------------------------------------------------------
def apply_renewal_outcome(run: WorkflowRun) -> None:
    """The engine ended the case's run: close the case, take the asset out of circulation when it was replaced or
    taken down, and tell Smint.io once (the idempotency key is derived from the run)."""
    case = case_of(run)
    if case is None or not case.is_open:
        return
    disposition = run.outcome if run.outcome in Disposition.values else Disposition.CANCELLED
    reasons = "; ".join(d.reason for d in run.decisions.applied().order_by("decided_at") if d.reason)
    case = close_case(case, run=run, disposition=disposition, reason=reasons)
    asset = case.asset
    body = None
    if disposition == Disposition.RENEWED:
        until = case.renewed_until
        body = {
            "status": FLOW.outcome(disposition).smintio,
            "reason": f"Licence renewed until {until:%Y-%m-%d}." if until else "Licence renewed.",
            "restrictions": {"valid_until": until.isoformat()} if until else None,
        }
    elif disposition in (Disposition.REPLACED, Disposition.TAKEN_DOWN):
        if disposition == Disposition.REPLACED and case.replacement is not None:
            why = f"Replaced by “{case.replacement.name}” ({case.replacement.content_element_uuid})."
            asset_events.replaced(asset, case.replacement, reason=f"Case {case.pk}: {case.title}")
        else:
            why = "Taken down before its rights lapse."
        assets.change_approval(
            asset,
            ApprovalState.WITHDRAWN,
            action=f"exceptions.asset.{disposition}",
            reason=f"{why} {reasons}".strip(),
            after={"case": case.pk},
        )
        body = {"status": FLOW.outcome(disposition).smintio, "reason": f"{why} {reasons}".strip(), "restrictions": None}
    if body is not None:
        workflows.report_outcome_to_smintio(run, asset, **body)


def close_case(case: Case, *, run: WorkflowRun, disposition: str, reason: str = "") -> Case:
    """Close a case as its run ended, with the run's outcome as its disposition, closed by whoever decided last:
    the one place a case's state is written. The move must be one ``CASE_TRANSITIONS`` allows (a closed case is
    refused with ``InvalidTransition``); it is audited on the case. Returns the case as saved."""
    with transaction.atomic():
        case = (
            Case.objects.select_for_update(of=("self",))
            .select_related("asset", "client", "replacement")
            .get(pk=case.pk)
        )
        if CaseState.CLOSED not in CASE_TRANSITIONS[case.state]:
            raise workflows.InvalidTransition(f"The case is {case.get_state_display().lower()}: it cannot be closed.")
        last = run.decisions.applied().select_related("actor").order_by("-decided_at").first()
        before = case.state
        case.state, case.disposition, case.closed_at = CaseState.CLOSED, disposition, timezone.now()
        case.closed_by = last.actor if last else None
        case.save(update_fields=["state", "disposition", "closed_at", "closed_by"])
        audit.record(
            "exceptions.case.close",
            client=case.client,
            obj=case,
            before={"state": before},
            after={"state": case.state, "disposition": disposition, "asset": case.asset.content_element_uuid},
            reason=reason,
        )
        # a case closes once (a closed case is refused above), so this is said once per case
        events.publish(
            "case.decided",
            key=f"case.decided:case-{case.pk}",
            client=case.client,
            data={
                **_case_data(case),
                "outcome": disposition,
                "reason": reason,
                "requested_by": run.started_by_id,
                "asset_owner": workflows.asset_owner(case.asset_id),
            },
            actor=case.closed_by,
        )
    return case


# -- escalation -------------------------------------------------------------------------------------------------------
def escalate_overdue(now: datetime | None = None) -> int:
    """Open cases past their due date are escalated once: ``task.escalated`` about the step the case waits at, its
    ``recipients`` the client's escalation contacts with a login there (the notifications app tells them), and the
    audit event lists every contact and who was told."""
    now = now or timezone.now()
    escalated = 0
    overdue = Case.objects.filter(state=CaseState.OPEN, due_at__lt=now, escalated_at__isnull=True).select_related(
        "client"
    )
    for case in overdue:
        with transaction.atomic():
            if not Case.objects.filter(pk=case.pk, escalated_at__isnull=True).update(escalated_at=now):
                continue  # another worker escalated it
            waiting = Task.objects.filter(run__subject_type="exceptions.case", run__subject_id=case.pk)
            open_task = waiting.filter(status=TaskStatus.OPEN).order_by("id").first()
            step = f" at “{open_task.name}”" if open_task else ""
            why = f"Overdue{step} (due {case.due_at:%d %b %H:%M})"
            people = _escalation_people(case)
            if open_task is not None:  # the escalation is about the step the case waits at
                workflows.publish_task_event(
                    "task.escalated",
                    open_task,
                    key=f"task.escalated:case-{case.pk}",
                    recipients=sorted(p.pk for p in people),
                )
            _audit_escalation(case, people, why=why)
            escalated += 1
    return escalated


def notify_escalation_contacts(case: Case, *, why: str) -> list[str]:
    """Each escalation contact of the client who has a login there gets a notice; the audit event lists every
    contact and who was told. Returns the e-mails notified."""
    people = _escalation_people(case)
    for person in people:
        Notice.objects.create(user=person, level="warning", text=f"{why}: {case.title}."[:500])
    _audit_escalation(case, people, why=why)
    return [p.email for p in people]


def _escalation_people(case: Case) -> list[User]:
    """The client's escalation contacts who have a login there."""
    contacts = [str(email).lower() for email in case.client.escalation_contacts]
    return list(User.objects.filter(email__in=contacts, memberships__client=case.client).distinct())


def _audit_escalation(case: Case, people: list[User], *, why: str) -> None:
    contacts = [str(email).lower() for email in case.client.escalation_contacts]
    audit.record(
        "exceptions.case.escalate",
        client=case.client,
        obj=case,
        after={"contacts": contacts, "notified": [p.email for p in people]},
        reason=why,
    )


# -- the flow, declared once (registered by ExceptionsConfig.ready) ---------------------------------------------------
def case_flow(**declaration) -> flows.Flow:
    """A flow whose subject is a case: decided on the case page, with the case's own inputs."""
    return flows.Flow(
        subject="exceptions.case",
        subject_page="exceptions:case_detail",
        prepare=prepare_case_decision,
        after_decision=follow_case_decision,
        read_inputs=read_case_inputs,
        decision_context=case_decision_context,
        decision_form="exceptions/partials/case_decision_fields.html",
        decided_on_subject_page=True,
        refusal_page="apps.exceptions.views.case_refusal",
        **declaration,
    )


FLOW = case_flow(
    key=RENEWAL,
    label="Rights renewal",
    sla_kind=TaskKind.RENEWAL,
    outcome_prefix="renewal",
    outcomes={
        # the owner's choice, procurement's and legal's answers
        "renew": flows.Outcome(tone=flows.OK),
        "replace": flows.Outcome(tone=flows.OK),
        "take_down": flows.Outcome(needs_reason=True, tone=flows.BAD),
        "renewed": flows.Outcome(tone=flows.OK, state=Disposition.RENEWED, smintio="cleared"),
        "not_renewed": flows.Outcome(needs_reason=True, tone=flows.BAD),
        "signed_off": flows.Outcome(tone=flows.OK),
        "refused": flows.Outcome(needs_reason=True, tone=flows.BAD),
        # how the case ends
        "replaced": flows.Outcome(tone=flows.OK, state=Disposition.REPLACED, smintio="withdrawn"),
        "taken_down": flows.Outcome(tone=flows.BAD, state=Disposition.TAKEN_DOWN, smintio="withdrawn"),
    },
    on_end=apply_renewal_outcome,
    reason_help="Needed to take down, to say a licence cannot be renewed, or to refuse.",
    schedules=(
        flows.Schedule("exceptions.sweep_rights", "apps.exceptions.tasks.sweep_rights", 15),
        flows.Schedule("exceptions.escalate_overdue", "apps.exceptions.tasks.escalate_overdue", 15),
    ),
)
