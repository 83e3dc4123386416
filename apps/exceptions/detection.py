"""Exception detection (flow 4): one rule set per client, run after every pull (``events.on_synced``), on a schedule
and on demand (a button on the cases list and ``POST /api/v1/exceptions/detect/``). A person can also report a
problem from any asset page.

The rules, each judging one asset (``findings_for``), each finding naming its *cause*:

- ``metadata``: a field of ``Client.required_metadata_fields`` is empty. The names are read through ``FIELDS``
  (``title``/``name``, ``description``, ``keywords``, ``categories``, ``copyright``...); another name is looked up
  in the synced content element (a dotted path, ``release_details.model_release_state``), and a name the element
  does not carry at all is not judged (unknown is not missing, invariant 5);
- ``rights_expired``: the asset is still approved while its rights have lapsed;
- ``licence_cancelled:<lpt>``: an open ``AssetSignal`` of a cancelled licence, while the asset holds no valid rights
  (a re-purchased licence clears it); the signal is resolved when the case ends;
- policy: ``editorial_commercial`` (an editorial-only asset approved for the client's commercial usages),
  ``release_advertising`` (approved for advertising without a model or property release), ``provider`` and
  ``licence_type`` (not in the client's ``ExceptionPolicy``'s accepted lists), ``flagged:<flag>`` (a content element
  flag the client refuses, e.g. ``is_ai``);
- ``report``: a person's report (not a rule: verification cannot re-evaluate it; the remediator's word clears it).

Each finding opens or updates **one** exception case per asset and cause: the case's key is ``<cause>#<n>`` (the
n-th case of that cause on the asset, so a cause that returns after its case closed opens a new one), and the
database refuses a second case with the same key, so two sweeps at once open one. While the case is open the asset
is on hold (``apps.assets.holds``). Withdrawn and rejected assets are out of circulation already and not judged.

Cost: the rules read each asset's own row (and, for two rules, its licence types and open signals, one query per
client each); a sweep reads a client's assets in chunks of ``CHUNK`` and opens cases only for new findings (the
open causes are read once per client).
"""

from __future__ import annotations

import logging
from collections import Counter, defaultdict
from dataclasses import dataclass, field
from datetime import datetime, timedelta

from django.db import transaction
from django.db.models import Exists, OuterRef, Q
from django.utils import timezone

from apps.assets import holds
from apps.assets.choices import ApprovalState, HoldKind, LicenseState, RightsState, SignalKind
from apps.assets.models import Asset, AssetHold, AssetSignal, LicensePurchase
from apps.assets.required import missing_fields
from apps.audit import services as audit
from apps.clients.choices import TaskKind
from apps.clients.models import Client
from apps.workflows import services as workflows

from .choices import CaseKind, CaseState, Team, Trigger
from .models import Case, ExceptionPolicy
from .services import open_case

logger = logging.getLogger(__name__)

PROCESS = "asset_exception"
CHUNK = 2000
# Out of circulation already: nothing to hold.
SETTLED = [ApprovalState.REJECTED, ApprovalState.WITHDRAWN]
COMMERCIAL_USAGES_EXCLUDED = {"usage_editorial"}
ADVERTISING = "usage_advertising"
NOT_RELEASED = "release_state_not_released"

# The family of each cause: routes the case (``routeTo``, the team triage is offered first) and sets its SLA.
FAMILIES = {
    "metadata": (Trigger.METADATA, Team.CONTENT_OPS),
    "rights_expired": (Trigger.RIGHTS, Team.LEGAL),
    "licence_cancelled": (Trigger.RIGHTS, Team.LEGAL),
    "editorial_commercial": (Trigger.POLICY, Team.LEGAL),
    "release_advertising": (Trigger.POLICY, Team.LEGAL),
    "provider": (Trigger.POLICY, Team.LEGAL),
    "licence_type": (Trigger.POLICY, Team.LEGAL),
    "flagged": (Trigger.FLAGGED, Team.LEGAL),
    "report": (Trigger.REPORT, Team.CONTENT_OPS),
}
TITLES = {
    "metadata": "Missing metadata",
    "rights_expired": "Approved with expired rights",
    "licence_cancelled": "Licence cancelled",
    "editorial_commercial": "Editorial-only asset approved for commercial use",
    "release_advertising": "No release for advertising",
    "provider": "Provider not accepted",
    "licence_type": "Licence type not accepted",
    "flagged": "Flagged by Smint.io",
    "report": "Problem reported",
}


@dataclass
class Finding:
    cause: str  # e.g. metadata, licence_cancelled:lpt-1, flagged:is_ai
    summary: str
    evidence: dict = field(default_factory=dict)

    @property
    def family(self) -> str:
        return self.cause.split(":", 1)[0]


def policy_for(client: Client) -> ExceptionPolicy:
    return ExceptionPolicy.objects.get_or_create(client=client)[0]


def cause_of(case: Case) -> str:
    return case.key.rsplit("#", 1)[0]


# -- the rules --------------------------------------------------------------------------------------------------------


def _release_states(asset: Asset) -> dict:
    details = (asset.metadata or {}).get("release_details") or {}
    return {k: details.get(k) for k in ("model_release_state", "property_release_state") if details.get(k)}


class Context:
    """What the rules need beyond the asset, read once per client (or per asset for a verification)."""

    def __init__(self, client: Client, asset_ids=None):
        self.client = client
        self.policy = policy_for(client)
        self.required = list(client.required_metadata_fields or [])
        self.usages = list(client.review_usages or [])
        lpts = LicensePurchase.objects.filter(client=client, state=LicenseState.COMPLETED)
        signals = AssetSignal.objects.filter(client=client, kind=SignalKind.LICENSE_CANCELLED, resolved_at__isnull=True)
        if asset_ids is not None:
            lpts, signals = lpts.filter(asset_id__in=asset_ids), signals.filter(asset_id__in=asset_ids)
        self.licence_types: dict[int, set[str]] = defaultdict(set)
        if self.policy.accepted_license_types:
            for asset_id, kind in lpts.values_list("asset_id", "license_type"):
                if kind:
                    self.licence_types[asset_id].add(kind)
        self.signals: dict[int, list[AssetSignal]] = defaultdict(list)
        for signal in signals:
            self.signals[signal.asset_id].append(signal)


def findings_for(asset: Asset, ctx: Context, now: datetime | None = None) -> list[Finding]:
    """Every rule that fires on ``asset`` now (an empty list for a clean asset)."""
    now = now or timezone.now()
    if asset.approval_state in SETTLED:
        return []
    found: list[Finding] = []
    approved = asset.approval_state == ApprovalState.APPROVED
    missing = missing_fields(asset, ctx.required)
    if missing:
        found.append(Finding("metadata", f"Missing {', '.join(missing)}.", {"missing": missing}))
    lapsed = asset.rights_state != RightsState.VALID or (asset.rights_until is not None and asset.rights_until <= now)
    if approved and lapsed and asset.rights_state in (RightsState.EXPIRED, RightsState.VALID):
        until = asset.rights_until.isoformat() if asset.rights_until else None
        found.append(
            Finding(
                "rights_expired",
                "Still approved, but its rights have lapsed.",
                {"rights_state": asset.rights_state, "rights_until": until},
            )
        )
    for signal in ctx.signals.get(asset.pk, []):
        if asset.rights_state != RightsState.VALID:
            found.append(
                Finding(
                    f"licence_cancelled:{signal.reference}",
                    f"Smint.io cancelled the licence {signal.reference}; no other licence is in force.",
                    {"signal": signal.pk, "license_purchase": signal.reference, "rights_state": asset.rights_state},
                )
            )
    commercial = [u for u in ctx.usages if u not in COMMERCIAL_USAGES_EXCLUDED]
    if approved and asset.is_editorial is True and commercial:
        found.append(
            Finding(
                "editorial_commercial",
                "Editorial use only, but approved for the client's commercial usages.",
                {"is_editorial": True, "usages": commercial},
            )
        )
    releases = _release_states(asset)
    if approved and ADVERTISING in ctx.usages and NOT_RELEASED in releases.values():
        found.append(
            Finding("release_advertising", "Approved for advertising without a model or property release.", releases)
        )
    accepted = ctx.policy.accepted_providers
    if accepted and asset.provider and asset.provider not in accepted:
        found.append(
            Finding(
                "provider",
                f"The provider {asset.provider} is not one the client accepts.",
                {"provider": asset.provider, "accepted": accepted},
            )
        )
    accepted_types = ctx.policy.accepted_license_types
    refused_types = sorted(ctx.licence_types.get(asset.pk, set()) - set(accepted_types)) if accepted_types else []
    if refused_types:
        found.append(
            Finding(
                "licence_type",
                f"Licensed as {', '.join(refused_types)}, a licence type the client does not accept.",
                {"license_types": refused_types, "accepted": accepted_types},
            )
        )
    for flag in ctx.policy.refused_flags:
        if (asset.metadata or {}).get(flag) is True:
            found.append(Finding(f"flagged:{flag}", f"Smint.io flags the content: {flag} is true.", {"flag": flag}))
    return found


def still_firing(case: Case) -> Finding | None:
    """Verification: the rule that opened ``case`` evaluated again on the asset as it is now (``None``: passed). A
    person's report is not a rule: it passes when the remediator says it is fixed."""
    cause = cause_of(case)
    if cause == "report":
        return None
    asset = Asset.objects.get(pk=case.asset_id)
    ctx = Context(case.client, asset_ids=[asset.pk])
    return next((f for f in findings_for(asset, ctx) if f.cause == cause), None)


# -- sweeping -------------------------------------------------------------------------------------------------------
def sweep(now: datetime | None = None, *, client: Client | None = None) -> dict:
    """Judge every client's assets (or one client's); idempotent. Returns counts."""
    now = now or timezone.now()
    totals: Counter = Counter()
    for each in [client] if client is not None else Client.objects.all():
        totals.update(_sweep_client(each, now))
    return dict(totals)


def sweep_client(client: Client) -> dict:
    """After a pull of ``client``'s content (``apps.assets.events.on_synced``)."""
    return sweep(client=client)


def _open_cases(client: Client) -> dict[tuple[int, str], Case]:
    found = {}
    for case in Case.objects.filter(client=client, kind=CaseKind.EXCEPTION, state=CaseState.OPEN):
        found[(case.asset_id, cause_of(case))] = case
    return found


def _sweep_client(client: Client, now: datetime) -> Counter:
    counts: Counter = Counter()
    ctx = Context(client)
    known = _open_cases(client)
    open_by_asset: dict[int, list[Case]] = defaultdict(list)
    for (asset_id, _cause), case in known.items():
        open_by_asset[asset_id].append(case)
    # An asset still onboarding (flow 6) is held and judged by the onboarding's own checks until it is published.
    assets = (
        Asset.objects.filter(client=client)
        .exclude(approval_state__in=SETTLED)
        .exclude(Exists(AssetHold.objects.open().filter(asset=OuterRef("pk"), kind=HoldKind.ONBOARDING)))
        .order_by("pk")
    )
    last = 0
    while True:
        chunk = list(assets.filter(pk__gt=last)[:CHUNK])
        if not chunk:
            break
        for asset in chunk:
            counts["assets"] += 1
            found = findings_for(asset, ctx, now)
            for finding in found:
                counts["findings"] += 1
                opened = record(client, asset, finding, now=now, known=known)
                counts["opened" if opened else "known"] += 1
            counts["quiet"] += note_quiet(open_by_asset.get(asset.pk, []), found, now)
        last = chunk[-1].pk
    ExceptionPolicy.objects.filter(pk=ctx.policy.pk).update(last_swept_at=now)
    return counts


def record(client, asset, finding: Finding, *, now=None, known=None, actor=None) -> bool:
    """Open the finding's case (and hold the asset), or update the open one's evidence when it changed. True when
    a case was opened."""
    now = now or timezone.now()
    known = _open_cases(client) if known is None else known
    case = known.get((asset.pk, finding.cause))
    if case is not None:
        _update(case, finding, now)
        return False
    trigger, team = FAMILIES[finding.family]
    name = asset.name or asset.content_element_uuid
    hours = (policy_for(client).sla_hours or {}).get(trigger)
    evidence = {"cause": finding.cause, "finding": finding.summary, **finding.evidence, "seen_at": now.isoformat()}
    with transaction.atomic():
        # Two sweeps at once (a pull's and the scheduled one) both find the cause with no case in what they read at
        # their start. The asset's row is the lock: under it the open case is looked up again, so the second one
        # takes the first one's case instead of opening the cause's next generation beside it.
        list(Asset.objects.select_for_update().filter(pk=asset.pk).values_list("pk", flat=True))
        of_cause = Case.objects.filter(
            client=client, kind=CaseKind.EXCEPTION, asset=asset, key__startswith=f"{finding.cause}#"
        )
        case = of_cause.filter(state=CaseState.OPEN).order_by("-pk").first()
        if case is not None:
            known[(asset.pk, finding.cause)] = case
            _update(case, finding, now)
            return False
        generation = of_cause.count()
        case, created = open_case(
            client,
            asset,
            kind=CaseKind.EXCEPTION,
            process_key=PROCESS,
            sla=TaskKind.EXCEPTION,
            trigger=trigger,
            key=f"{finding.cause}#{generation + 1}",
            title=f"{TITLES[finding.family]}: “{name}”"[:300],
            summary=finding.summary,
            evidence=evidence,
            now=now,
            variables={"cause": finding.cause, "routeTo": team},
        )
        if created:
            if hours:
                Case.objects.filter(pk=case.pk).update(due_at=now + timedelta(hours=int(hours)))
            holds.place(
                asset,
                kind=HoldKind.EXCEPTION,
                reference=hold_reference(case),
                reason=finding.summary,
                actor=actor,
            )
    known[(asset.pk, finding.cause)] = case
    if not created:
        _update(case, finding, now)
    return created


QUIET = "quiet_since"


def note_quiet(cases: list[Case], found: list[Finding], now: datetime) -> int:
    """The open cases (of one asset) whose rule no longer fires, e.g. after keywords were added in Smint.io itself
    and the next pull brought them: the case says since when (``evidence.quiet_since``, audited once), so the
    remediator can record "Fixed" and verification clears it. Not cleared automatically: the case may be in legal's
    or an agency's hands, and a person decides that the asset returns to circulation (docs/cases.md). A report is
    not a rule and never goes quiet. Returns how many cases were newly marked."""
    firing = {finding.cause for finding in found}
    marked = 0
    for case in cases:
        cause = cause_of(case)
        if case.state != CaseState.OPEN or cause == "report" or cause in firing or case.evidence.get(QUIET):
            continue
        evidence = {**case.evidence, QUIET: now.isoformat()}
        Case.objects.filter(pk=case.pk).update(evidence=evidence)
        case.evidence = evidence
        audit.record(
            "exceptions.case.rule_quiet",
            client=case.client,
            obj=case,
            after={"cause": cause, QUIET: now.isoformat()},
            reason="The rule no longer fires (fixed at the source?): record “Fixed” to verify and clear the case.",
        )
        marked += 1
    return marked


def hold_reference(case: Case) -> str:
    return f"exceptions.case:{case.pk}"


def _update(case: Case, finding: Finding, now: datetime) -> None:
    """A finding seen again: its evidence on the open case, when it changed (the first sighting is kept)."""
    if case.state != CaseState.OPEN:
        return
    current = {k: v for k, v in case.evidence.items() if k not in ("seen_at", "reports", QUIET)}
    fresh = {"cause": finding.cause, "finding": finding.summary, **finding.evidence}
    if current == fresh and QUIET not in case.evidence:
        return
    # Firing again: a "no longer fires" note no longer holds.
    evidence = {k: v for k, v in case.evidence.items() if k != QUIET}
    evidence = {**evidence, **fresh, "seen_at": now.isoformat()}
    Case.objects.filter(pk=case.pk).update(evidence=evidence, summary=finding.summary)
    case.evidence, case.summary = evidence, finding.summary


def detect_asset(asset: Asset, now: datetime | None = None) -> list[Finding]:
    """One asset's findings, recorded (after a metadata fix, an on-demand check of one asset)."""
    ctx = Context(asset.client, asset_ids=[asset.pk])
    found = findings_for(asset, ctx, now)
    for finding in found:
        record(asset.client, asset, finding, now=now)
    open_cases = Case.objects.filter(
        client_id=asset.client_id, kind=CaseKind.EXCEPTION, asset=asset, state=CaseState.OPEN
    )
    note_quiet(list(open_cases), found, now or timezone.now())
    return found


# -- a person's report ----------------------------------------------------------------------------------------------
class ReportRefused(workflows.DecisionRefused):
    pass


def report(asset: Asset, *, actor, reason: str) -> Case:
    """A person reports a problem with ``asset``: an open report case gets the report added to its evidence,
    otherwise one is opened (the asset goes on hold). Any member of the asset's client who sees it may report."""
    reason = workflows.clean_text(reason, what="A reason", field="reason")
    if not reason:
        raise ReportRefused("Say what is wrong with the asset.", field="reason")
    if asset.approval_state in SETTLED:
        raise ReportRefused("The asset is already out of circulation.", field="reason")
    now = timezone.now()
    entry = {"by": actor.email, "at": now.isoformat(), "reason": reason}
    client = asset.client
    finding = Finding("report", reason[:300], {"reported_by": actor.email})
    known = _open_cases(client)
    case = known.get((asset.pk, "report"))
    if case is None:
        record(client, asset, finding, now=now, known=known, actor=actor)
        case = known[(asset.pk, "report")]
    reports = [*case.evidence.get("reports", []), entry][-50:]
    Case.objects.filter(pk=case.pk).update(evidence={**case.evidence, "reports": reports})
    audit.record(
        "exceptions.case.report", actor=actor, client=client, obj=case, after={"asset": asset.pk}, reason=reason
    )
    case.refresh_from_db()
    return case


def in_sight(user):
    """The assets ``user`` may report on or check (the ones they see)."""
    return Asset.objects.visible_to(user).filter(~Q(approval_state__in=SETTLED))
