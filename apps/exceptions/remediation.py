"""Working an exception case (flow 4, ``asset_exception.bpmn``): the decisions on its tasks, the metadata fix that
writes to Smint.io, the verification that evaluates the rule again, the external agency's signed link, and the
case's end (cleared: back in circulation; removed: withdrawn), each told to Smint.io once.

- **Triage** (content operations) routes the remediation: content manager, legal, external agency, or remove.
- **Fix the metadata** (content manager): the form's changes are written on the asset and queued to Smint.io as one
  ``smintio.metadata`` PATCH per fix (idempotency key from the task), then the rule is evaluated on the asset as
  fixed: ``verification`` goes with the completion (``passed`` or ``still_firing``: back to remediation, with the
  finding on the case). A fix that changes nothing is refused in place.
- **Legal** and **the agency's correction** are verified the same way (the rule evaluated again on the asset now).
- **The end**: the hold is released, the cancelled-licence signal resolved, a removed asset withdrawn; Smint.io hears
  ``cleared`` or ``withdrawn`` with the reason (one status per run: ``report_outcome_to_smintio``).
"""

from __future__ import annotations

from datetime import timedelta

from django.db import transaction
from django.db.models import F
from django.utils import timezone

from apps.assets import holds
from apps.assets import services as assets
from apps.assets.choices import ApprovalState, HoldKind, SignalKind
from apps.assets.models import Asset, AssetSignal
from apps.assets.services import licence_snapshot
from apps.audit import services as audit
from apps.clients.choices import TaskKind
from apps.common.links import SignedLinks, new_nonce
from apps.common.roles import RoleCode
from apps.integrations.smintio.sync import localized_list
from apps.outbox import services as outbox
from apps.workflows import flows
from apps.workflows import services as workflows
from apps.workflows.choices import TaskStatus
from apps.workflows.models import Decision, Task, WorkflowRun

from . import detection
from .choices import CaseKind, Disposition
from .models import AgencyLink, Case
from .services import case_of, close_case

PROCESS = detection.PROCESS
FIX_TASK, LEGAL_TASK, AGENCY_TASK = "fix_metadata", "legal_review", "agency_fix"
PASSED, STILL_FIRING = "passed", "still_firing"
CULTURE = "en"
MAX_KEYWORDS = 100
LINK_DAYS, MAX_LINK_DAYS = 14, 60
Refused = workflows.DecisionRefused


# -- the metadata fix -------------------------------------------------------------------------------------------------
def _words(value) -> list[str]:
    """Keywords or categories typed one per line or comma-separated (a list from the API), each once."""
    if isinstance(value, list | tuple):
        items = [str(v) for v in value]
    else:
        items = str(value or "").replace("\r", "").replace("\n", ",").split(",")
    return list(dict.fromkeys(w.strip()[:100] for w in items if w.strip()))


def read_fix(data) -> dict:
    """The metadata fields a form or an API body gives (only those present): name, description, keywords,
    categories."""
    fix: dict = {}
    for name in ("name", "description"):
        if name in data and data.get(name) is not None:
            fix[name] = str(data.get(name)).strip()
    for name in ("keywords", "categories"):
        if name in data and data.get(name) is not None:
            raw = data.getlist(name) if hasattr(data, "getlist") and len(data.getlist(name)) > 1 else data.get(name)
            fix[name] = _words(raw)
    return fix


def _categories(asset: Asset) -> list[str]:
    return localized_list((asset.metadata or {}).get("categories"))


def current_metadata(asset: Asset) -> dict:
    return {
        "name": asset.name,
        "description": asset.description,
        "keywords": list(asset.keywords or []),
        "categories": _categories(asset),
    }


def changes_of(asset: Asset, fix: dict) -> dict:
    """What ``fix`` changes on ``asset`` (refused when a value is not acceptable)."""
    if "name" in fix and not fix["name"]:
        raise Refused("An asset needs a name.", field="name")
    if len(fix.get("name", "")) > 300:
        raise Refused("A name has at most 300 characters.", field="name")
    if len(fix.get("keywords", [])) > MAX_KEYWORDS:
        raise Refused(f"At most {MAX_KEYWORDS} keywords.", field="keywords")
    now = current_metadata(asset)
    return {name: value for name, value in fix.items() if value != now[name]}


def _body(changes: dict) -> dict:
    """The Smint.io PATCH body (platforms.md 5.1): localized strings and localized metadata elements."""
    body: dict = {}
    for name in ("name", "description"):
        if name in changes:
            body[name] = [{"culture": CULTURE, "value": changes[name]}]
    for name in ("keywords", "categories"):
        if name in changes:
            body[name] = [
                {"culture": CULTURE, "metadata_element": {"key": word, "name": word}} for word in changes[name]
            ]
    return body


def _apply_locally(asset: Asset, changes: dict) -> None:
    """``changes`` on the asset object (not saved): what verification judges."""
    for name in ("name", "description", "keywords"):
        if name in changes:
            setattr(asset, name, changes[name])
    if "categories" in changes:
        asset.metadata = {**(asset.metadata or {}), "categories": _body(changes)["categories"]}


def write_metadata(case: Case, asset: Asset, changes: dict, *, actor, key: str, reason: str = "") -> None:
    """Save the fix on the asset and queue one ``smintio.metadata`` PATCH (idempotency key ``key``), audited on the
    asset. Call inside the decision's transaction."""
    before = {name: value for name, value in current_metadata(asset).items() if name in changes}
    _apply_locally(asset, changes)
    Asset.objects.filter(pk=asset.pk).update(
        name=asset.name,
        description=asset.description,
        keywords=asset.keywords,
        metadata=asset.metadata,
        updated_at=timezone.now(),
    )
    outbox.enqueue(
        client=case.client,
        platform=outbox.Platform.SMINTIO,
        kind="smintio.metadata",
        ordering_key=f"smintio:element:{asset.content_element_uuid}",
        payload={"content_element_uuid": asset.content_element_uuid, "body": _body(changes)},
        idempotency_key=key,
    )
    audit.record(
        "assets.asset.metadata_edit",
        actor=actor,
        client=case.client,
        obj=asset,
        before=before,
        after={**changes, "case": case.pk},
        reason=reason or f"Case {case.pk}: {case.title}",
    )


def _verify(case: Case, asset: Asset) -> detection.Finding | None:
    if detection.cause_of(case) == "report":
        return None
    ctx = detection.Context(case.client, asset_ids=[asset.pk])
    cause = detection.cause_of(case)
    return next((f for f in detection.findings_for(asset, ctx) if f.cause == cause), None)


def _note_verification(case: Case, finding: detection.Finding | None, *, actor=None) -> None:
    """Verification on the case: the finding as it stands (still firing) or that the rule passed."""
    now = timezone.now().isoformat()
    entry = {"at": now, "result": STILL_FIRING if finding else PASSED}
    if finding:
        entry["finding"] = finding.summary
    evidence = {**case.evidence, "verification": entry}
    if finding:
        evidence.update({"finding": finding.summary, **finding.evidence})
    Case.objects.filter(pk=case.pk).update(evidence=evidence, **({"summary": finding.summary} if finding else {}))
    case.evidence = evidence
    audit.record(
        "exceptions.case.verify",
        actor=actor,
        client=case.client,
        obj=case,
        after=entry,
        reason="The rule still fires: back to remediation." if finding else "The rule passes.",
    )


# -- deciding (the flow's hooks) ----------------------------------------------------------------------------------
def read_inputs(data, user) -> dict:
    return {"fix": read_fix(data)}


def prepare(task: Task, *, actor, outcome: str, reason: str, inputs: dict) -> flows.Prepared:
    case = case_of(task.run)
    if case is None or not case.is_open:
        raise Refused("This task does not belong to an open exception case.", field="task")
    asset = Asset.objects.select_related("client").get(pk=case.asset_id)
    extra: dict = {"case": case, "asset": asset, "changes": {}}
    values: dict = {}
    if outcome == "fixed":
        if task.task_key == FIX_TASK:
            changes = changes_of(asset, inputs.get("fix") or {})
            fixed_at_source = detection.cause_of(case) != "report" and _verify(case, asset) is None
            if not changes and not fixed_at_source:
                missing = case.evidence.get("missing") or []
                what = f" (missing: {', '.join(missing)})" if missing else ""
                raise Refused(f"Nothing was changed: fill in the metadata to fix{what}.", field="keywords")
            extra["changes"] = changes
            _apply_locally(asset, changes)  # judged as it will be
        finding = _verify(case, asset)
        extra["finding"] = finding
        values["verification"] = STILL_FIRING if finding else PASSED
    return flows.Prepared(values=values, snapshot=licence_snapshot(asset), extra=extra)


def decision_context(task: Task, user) -> dict:
    case = case_of(task.run)
    if case is None:
        return {}
    return {"asset": case.asset, "case": case, "form_task": task.pk, "metadata": current_metadata(case.asset)}


def after_decision(task: Task, decision: Decision, prepared: flows.Prepared) -> None:
    case, asset = prepared.extra["case"], prepared.extra["asset"]
    changes = prepared.extra["changes"]
    if changes:
        key = f"exception-metadata:{task.run.business_key}:{task.remote_id}"
        write_metadata(case, asset, changes, actor=decision.actor, key=key, reason=decision.reason)
    if "finding" in prepared.extra:
        _note_verification(case, prepared.extra["finding"], actor=decision.actor)
    audit.record(
        f"exceptions.case.{decision.outcome}",
        actor=decision.actor,
        client=case.client,
        obj=case,
        after={"task": task.name, **({"changed": sorted(changes)} if changes else {})},
        reason=decision.reason,
    )


# -- the case's end -------------------------------------------------------------------------------------------------
def apply_outcome(run: WorkflowRun) -> None:
    """The engine ended the case's run: close the case, release the hold, resolve a cancelled licence's signal,
    withdraw a removed asset, and tell Smint.io once."""
    case = case_of(run)
    if case is None or not case.is_open:
        return
    disposition = run.outcome if run.outcome in (Disposition.CLEARED, Disposition.REMOVED) else Disposition.CANCELLED
    reasons = "; ".join(d.reason for d in run.decisions.applied().order_by("decided_at") if d.reason)
    case = close_case(case, run=run, disposition=disposition, reason=reasons)
    asset = case.asset
    now = timezone.now()
    label = Disposition(disposition).label
    holds.release(
        asset,
        kind=HoldKind.EXCEPTION,
        reference=detection.hold_reference(case),
        reason=f"Case {case.pk} {label.lower()}. {reasons}".strip(),
    )
    if disposition == Disposition.CANCELLED:
        return  # the run was cancelled in OpenText: the next sweep opens a new case if the rule still fires
    cause = detection.cause_of(case)
    if cause.startswith("licence_cancelled:"):
        AssetSignal.objects.filter(
            asset=asset,
            kind=SignalKind.LICENSE_CANCELLED,
            reference=cause.split(":", 1)[1],
            resolved_at__isnull=True,
        ).update(resolved_at=now)
    why = f"{detection.TITLES[cause.split(':', 1)[0]]}: {case.summary}"
    if disposition == Disposition.REMOVED:
        assets.change_approval(
            asset,
            ApprovalState.WITHDRAWN,
            action="exceptions.asset.removed",
            reason=f"{why} {reasons}".strip(),
            after={"case": case.pk},
        )
    ending = "Removed from circulation." if disposition == Disposition.REMOVED else "Cleared."
    workflows.report_outcome_to_smintio(
        run, asset, status=FLOW.outcome(disposition).smintio, reason=f"{why} {ending} {reasons}".strip()
    )


# -- the external agency's link ---------------------------------------------------------------------------------
LINKS = SignedLinks("greenlight.exceptions.agency-link")


class LinkRefused(Exception):
    def __init__(self, message: str, *, field: str = "agency"):
        super().__init__(message)
        self.field = field


def may_send_links(user, case: Case) -> bool:
    membership = user.memberships.filter(client=case.client).first() if user.is_authenticated else None
    if membership is None:
        return False
    codes = set(membership.roles.values_list("code", flat=True))
    return RoleCode.EXTERNAL not in codes and bool(codes & {RoleCode.CONTENT_MANAGER, RoleCode.AGENCY_ADMIN})


def token_for(link: AgencyLink) -> str:
    return LINKS.token(link)


def create_link(case: Case, *, actor, agency: str, days: int = LINK_DAYS) -> AgencyLink:
    """A link for ``agency`` to remediate ``case``, for ``days`` days (at most ``MAX_LINK_DAYS``), audited."""
    if case.kind != CaseKind.EXCEPTION or not case.is_open:
        raise LinkRefused("Only an open exception case can be sent to an agency.")
    if not may_send_links(actor, case):
        raise LinkRefused("Only the client's content managers and agency admins send agency links.")
    agency = workflows.clean_text(agency, what="The agency", field="agency")[:200]
    if not agency:
        raise LinkRefused("Say who the link is for (the agency's name or e-mail).")
    if not 1 <= days <= MAX_LINK_DAYS:
        raise LinkRefused(f"A link lasts 1 to {MAX_LINK_DAYS} days.", field="days")
    now = timezone.now()
    link = AgencyLink.objects.create(
        client=case.client,
        case=case,
        agency=agency,
        nonce=new_nonce(),
        created_by=actor,
        created_at=now,
        expires_at=now + timedelta(days=days),
    )
    audit.record(
        "exceptions.agency_link.create",
        actor=actor,
        client=case.client,
        obj=case,
        after={"link": link.pk, "agency": agency, "expires_at": link.expires_at.isoformat()},
    )
    return link


def revoke_link(link: AgencyLink, *, actor) -> bool:
    if not may_send_links(actor, link.case):
        raise LinkRefused("Only the client's content managers and agency admins revoke agency links.")
    revoked = AgencyLink.objects.filter(pk=link.pk, revoked_at__isnull=True).update(
        revoked_at=timezone.now(), revoked_by=actor
    )
    if revoked:
        audit.record(
            "exceptions.agency_link.revoke", actor=actor, client=link.client, obj=link.case, after={"link": link.pk}
        )
    return bool(revoked)


def link_for(token: str) -> AgencyLink | None:
    """The active link of ``token`` (``None``: forged, revoked, expired, or its case closed)."""
    link = LINKS.find(AgencyLink.objects.select_related("case__asset", "client"), token)
    return link if link is not None and link.case.is_open else None


def record_use(link: AgencyLink, *, what: str, request_ip: str = "") -> None:
    """Every use of a link is audited on its case (and counted on the link)."""
    AgencyLink.objects.filter(pk=link.pk).update(uses=F("uses") + 1, last_used_at=timezone.now())
    audit.record(
        f"exceptions.agency_link.{what}",
        client=link.client,
        obj=link.case,
        after={"link": link.pk, "agency": link.agency, **({"ip": request_ip} if request_ip else {})},
    )


def agency_task(case: Case) -> Task | None:
    """The open "agency's correction" task of the case's run, if the case is waiting for the agency."""
    return (
        Task.objects.filter(
            run__subject_type="exceptions.case",
            run__subject_id=case.pk,
            task_key=AGENCY_TASK,
            status=TaskStatus.OPEN,
        )
        .select_related("run")
        .first()
    )


def agency_submit(link: AgencyLink, data, *, request_ip: str = "") -> detection.Finding | None:
    """The agency's correction through its link: the metadata written (one PATCH), the rule evaluated again and
    the agency task completed by Greenlight in the agency's name, all audited. Returns the finding still firing."""
    return _submit_correction(
        link.case,
        data,
        by=link.agency,
        how="through an agency link",
        on_use=lambda: record_use(link, what="submit", request_ip=request_ip),
    )


def _submit_correction(case: Case, data, *, by: str, how: str, on_use, actor=None) -> detection.Finding | None:
    """One correction, from an agency link or an external member: the same form, service and verification."""
    task = agency_task(case)
    if task is None:
        raise LinkRefused("There is nothing to correct right now: the case is not waiting for you.", field="form")
    note = workflows.clean_text(str(data.get("note") or ""), what="A note", field="note")
    asset = Asset.objects.select_related("client").get(pk=case.asset_id)
    try:
        changes = changes_of(asset, read_fix(data))
    except Refused as refused:
        raise LinkRefused(str(refused), field=refused.field) from None
    if not changes and not note:
        raise LinkRefused("Change the metadata or say what you corrected (a note).", field="keywords")
    with transaction.atomic():
        if changes:
            write_metadata(
                case,
                asset,
                changes,
                actor=actor,
                key=f"exception-metadata:{task.run.business_key}:{task.remote_id}",
                reason=f"Corrected by {by} {how}. {note}".strip(),
            )
        finding = _verify(case, asset)
        workflows.complete_task(
            task,
            actor=None,  # Greenlight completes the agency task in the agency's name (they hold no task role)
            outcome="fixed",
            reason=f"{by}: {note}" if note else f"Corrected by {by}",
            values={"verification": STILL_FIRING if finding else PASSED},
        )
        _note_verification(case, finding, actor=actor)
        on_use()
    return finding


# -- external members (the external role) to whom the case was shared --------------------------------------------
def is_external_at(user, client) -> bool:
    """``user`` is an external member of ``client`` (sees only what was shared with them)."""
    return bool(user.is_authenticated and client.pk in set(user.external_client_id_list or []))


def external_case(user, pk: int) -> Case | None:
    """The open exception case ``pk`` shared with ``user`` as an external member of its client (``None``
    otherwise: not shared, shared no longer, another kind, closed, or not an external member there)."""
    case = Case.objects.visible_to(user).select_related("client", "asset").filter(pk=pk).first()
    if case is None or case.kind != CaseKind.EXCEPTION or not case.is_open or not is_external_at(user, case.client):
        return None
    return case


def record_member_use(case: Case, user, *, what: str) -> None:
    """Every use by an external member is audited on the case, with who."""
    audit.record(f"exceptions.external.{what}", actor=user, client=case.client, obj=case, after={"user": user.email})


def member_submit(case: Case, user, data) -> detection.Finding | None:
    """An external member's correction of a case shared with them: the agency link's form and service, in their
    name (audited with them as the actor)."""
    return _submit_correction(
        case,
        data,
        by=user.email,
        how="as an external member",
        actor=user,
        on_use=lambda: record_member_use(case, user, what="submit"),
    )


# -- the flow, declared once (registered by ExceptionsConfig.ready) ---------------------------------------------------
FLOW = flows.Flow(
    key=PROCESS,
    label="Asset exception",
    subject="exceptions.case",
    subject_page="exceptions:case_detail",
    sla_kind=TaskKind.EXCEPTION,
    outcome_prefix="exception",
    outcomes={
        # triage
        "content_manager": flows.Outcome(tone=flows.OK),
        "legal": flows.Outcome(),
        "agency": flows.Outcome(),
        "remove": flows.Outcome(needs_reason=True, tone=flows.BAD),
        # remediation
        "fixed": flows.Outcome(tone=flows.OK),
        # how the case ends
        "cleared": flows.Outcome(tone=flows.OK, state=Disposition.CLEARED, smintio="cleared"),
        "removed": flows.Outcome(tone=flows.BAD, state=Disposition.REMOVED, smintio="withdrawn"),
    },
    on_end=apply_outcome,
    prepare=prepare,
    after_decision=after_decision,
    read_inputs=read_inputs,
    decision_context=decision_context,
    decision_form="exceptions/partials/exception_fix_fields.html",
    decided_on_subject_page=True,
    refusal_page="apps.exceptions.views.case_refusal",
    reason_help="Needed to remove the asset from circulation; Smint.io hears it.",
    schedules=(flows.Schedule("exceptions.detect_exceptions", "apps.exceptions.tasks.detect_exceptions", 60),),
)
