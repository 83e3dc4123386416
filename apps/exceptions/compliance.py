"""Usage compliance (flow 8): per-client rules judge the usage events from Smint.io and integrators; each hit opens
(or adds its evidence to) one compliance case, which ``compliance_review`` routes to legal, procurement or content
operations. The corrective action they record goes to Smint.io once.

Rules, each on or off per client (agency admins edit them at ``/cases/rules/``):

- **over limit**: download events of an asset reach the rule's share of its licence's download limit (or distinct
  users its user limit);
- **burst**: one person downloads at least ``burst_downloads`` times within ``burst_minutes``;
- **territory** / **channel**: use in a country / on a channel that the licence in force forbids (a licence that
  does not say is *unknown*, not a hit);
- **after expiry**: use when no licence term was in force (lapsed, not yet valid, or the licence cancelled).

Detection reads each client's new events once (``ComplianceCursor``), under a row lock so two detectors never judge
the same events at once; a case is unique per cause anyway (``Case.key``).
"""

from __future__ import annotations

import logging
from collections import Counter, defaultdict
from datetime import datetime, timedelta

from django.core.exceptions import PermissionDenied
from django.db import transaction
from django.utils import timezone

from apps.accounts.models import Membership
from apps.assets import rights
from apps.assets.choices import LicenseState, RightsState, UsageKind
from apps.assets.models import Asset, UsageEvent
from apps.assets.services import term_state
from apps.audit import services as audit
from apps.clients.choices import TaskKind
from apps.clients.models import Client
from apps.common.roles import Capability, RoleCode
from apps.workflows import flows
from apps.workflows import services as workflows

from .choices import CaseKind, CaseState, Disposition, RuleKind, Team, Trigger
from .models import Case, ComplianceCursor, ComplianceRule
from .services import case_flow, case_of, close_case, notify_escalation_contacts, open_case

logger = logging.getLogger(__name__)

COMPLIANCE = "compliance_review"
BATCH = 5000
EVIDENCE_CAP = 200  # event ids kept per case; the count is kept in full


def ensure_rules(client: Client) -> list[ComplianceRule]:
    """The client's rules, one per kind, created with their defaults the first time."""
    have = {rule.kind: rule for rule in ComplianceRule.objects.filter(client=client)}
    for kind in RuleKind.values:
        if kind not in have:
            have[kind], _ = ComplianceRule.objects.get_or_create(client=client, kind=kind)
    return [have[kind] for kind in RuleKind.values]


def can_edit_rules(user, client) -> bool:
    return user.has_capability(client, Capability.MANAGE_CLIENT)


def update_rules(client: Client, *, actor, changes: dict[ComplianceRule, dict]) -> int:
    """Change some of the client's rules (``{rule: {field: new value}}``) in one transaction, each change audited
    with its before and after. Only the client's agency admins may; returns how many rules changed."""
    if not can_edit_rules(actor, client):
        raise PermissionDenied("Only the client's agency admins may change its compliance rules.")
    with transaction.atomic():
        for rule, fields in changes.items():
            if rule.client_id != client.pk:
                raise ValueError("A rule of another client.")
            before = dict(ComplianceRule.objects.filter(pk=rule.pk).values(*fields).get())
            ComplianceRule.objects.filter(pk=rule.pk).update(**fields)
            audit.record("exceptions.rule.update", actor=actor, client=client, obj=rule, before=before, after=fields)
    return len(changes)


# -- detection --------------------------------------------------------------------------------------------------------
def detect(now: datetime | None = None, *, client: Client | None = None) -> dict:
    """Judge every client's new usage events (or one client's); returns counts."""
    now = now or timezone.now()
    totals = Counter()
    for each in [client] if client is not None else Client.objects.all():
        totals.update(_detect_client(each, now))
    return dict(totals)


def detect_client(client: Client) -> dict:
    """After a pull of ``client``'s content and usage (``apps.assets.events.on_synced``)."""
    return detect(client=client)


def detect_soon(client_ids) -> None:
    """New usage events arrived (``apps.assets.events.on_usage``): judge them in a worker once the transaction
    that stored them commits; several batches within a few seconds collapse into one job per client."""

    def enqueue() -> None:
        from django.core.cache import cache
        from django_q.tasks import async_task

        for client_id in sorted(client_ids):
            if cache.add(f"greenlight:detect-compliance:{client_id}", 1, timeout=5):
                async_task("apps.exceptions.tasks.detect_compliance_for", client_id, task_name="compliance rules")

    transaction.on_commit(enqueue)


def _detect_client(client: Client, now: datetime) -> Counter:
    counts = Counter()
    rules = {rule.kind: rule for rule in ensure_rules(client) if rule.enabled}
    while True:
        with transaction.atomic():
            ComplianceCursor.objects.get_or_create(client=client)
            cursor = ComplianceCursor.objects.select_for_update().get(client=client)
            events = list(
                UsageEvent.objects.filter(client=client, pk__gt=cursor.last_event_id, asset__isnull=False).order_by(
                    "pk"
                )[:BATCH]
            )
            if not events:
                return counts
            for hit in _hits(client, rules, events, now):
                counts["hits"] += 1
                counts["opened" if _record(client, hit, now) else "updated"] += 1
            cursor.last_event_id, cursor.checked_at = events[-1].pk, now
            cursor.save(update_fields=["last_event_id", "checked_at"])
            counts["events"] += len(events)
        if len(events) < BATCH:
            return counts


class Hit:
    """One rule broken by some events of one asset."""

    def __init__(self, rule: ComplianceRule, asset: Asset, key: str, summary: str, events: list[UsageEvent]):
        self.rule, self.asset, self.key, self.summary, self.events = rule, asset, key, summary, events


def _hits(client, rules: dict, events: list[UsageEvent], now: datetime) -> list[Hit]:
    assets = {
        asset.pk: asset
        for asset in Asset.objects.filter(pk__in={e.asset_id for e in events}).prefetch_related(
            "license_purchases__terms"
        )
    }
    by_asset: dict[int, list[UsageEvent]] = defaultdict(list)
    for event in events:
        by_asset[event.asset_id].append(event)
    hits: list[Hit] = []
    if RuleKind.OVER_LIMIT in rules:
        hits += _over_limit(rules[RuleKind.OVER_LIMIT], assets, by_asset)
    if RuleKind.BURST in rules:
        hits += _bursts(rules[RuleKind.BURST], client, assets, events)
    use_rules = [rules.get(RuleKind.TERRITORY), rules.get(RuleKind.CHANNEL), rules.get(RuleKind.AFTER_EXPIRY)]
    if any(use_rules):
        hits += _uses(*use_rules, assets, by_asset)
    return hits


def _over_limit(rule, assets: dict, by_asset: dict) -> list[Hit]:
    """Downloads (and distinct users) on record per asset against its licence's limit; the history of every asset
    with a limit is read in one query, not one per asset."""
    limits: dict[int, dict[str, int]] = {}
    for asset_id in by_asset:
        licences = [lpt for lpt in assets[asset_id].license_purchases.all() if lpt.state == LicenseState.COMPLETED]
        found = {}
        for noun, field in (("downloads", "max_downloads"), ("users", "max_users")):
            values = [getattr(lpt, field) for lpt in licences]
            if values and None not in values and max(values):  # a licence without the limit: nothing to pass
                found[noun] = max(values)
        if found:
            limits[asset_id] = found
    history: dict[int, list[UsageEvent]] = defaultdict(list)
    for event in UsageEvent.objects.filter(asset_id__in=list(limits)).order_by("-occurred_at"):
        history[event.asset_id].append(event)
    hits = []
    for asset_id, found in limits.items():
        events = history[asset_id]
        evidence = {
            "downloads": [e for e in events if e.event == UsageKind.DOWNLOAD],
            "users": [e for e in events if e.user_email],
        }
        used_by = {
            "downloads": len(evidence["downloads"]),
            "users": len({e.user_email.lower() for e in evidence["users"]}),
        }
        for noun, limit in found.items():
            used = used_by[noun]
            if used * 100 >= limit * rule.threshold_percent:
                hits.append(
                    Hit(
                        rule,
                        assets[asset_id],
                        f"over_limit:{noun}:{limit}",
                        f"{used} {noun} on record against a licensed {limit} ({used * 100 // limit}%).",
                        evidence[noun],
                    )
                )
    return hits


def _bursts(rule, client, assets: dict, events: list[UsageEvent]) -> list[Hit]:
    """Per person with new downloads: the densest window of ``burst_minutes`` around them."""
    window = timedelta(minutes=rule.burst_minutes)
    hits = []
    people = {e.user_email.lower() for e in events if e.event == UsageKind.DOWNLOAD and e.user_email}
    for person in sorted(people):
        new = [e.occurred_at for e in events if e.user_email.lower() == person]
        downloads = list(
            UsageEvent.objects.filter(
                client=client,
                event=UsageKind.DOWNLOAD,
                user_email__iexact=person,
                occurred_at__gte=min(new) - window,
                occurred_at__lte=max(new) + window,
                asset__isnull=False,
            ).order_by("occurred_at")
        )
        start, best = 0, (0, 0)
        for end in range(len(downloads)):
            while downloads[end].occurred_at - downloads[start].occurred_at > window:
                start += 1
            if end - start + 1 > best[1] - best[0]:
                best = (start, end + 1)
        burst = downloads[best[0] : best[1]]
        if len(burst) < rule.burst_downloads:
            continue
        asset_id = Counter(e.asset_id for e in burst).most_common(1)[0][0]
        asset = assets.get(asset_id) or Asset.objects.get(pk=asset_id)
        day = timezone.localtime(burst[0].occurred_at).date()
        hits.append(
            Hit(
                rule,
                asset,
                f"burst:{person}:{day.isoformat()}",
                f"{person} downloaded {len(burst)} times within {rule.burst_minutes} minutes "
                f"({len({e.asset_id for e in burst})} assets).",
                burst,
            )
        )
    return hits


def _in_force(asset, moment: datetime) -> bool | None:
    """Whether a licence term was in force at ``moment`` (``None``: no licence on record, nothing to judge)."""
    licences = list(asset.license_purchases.all())
    if not licences:
        return None
    for lpt in licences:
        if lpt.state == LicenseState.CANCELLED and (lpt.remote_updated_at is None or lpt.remote_updated_at <= moment):
            continue  # cancelled by then
        for term in lpt.terms.all():
            if term_state((term.valid_from, term.valid_until, term.to_be_used_until), moment) == RightsState.VALID:
                return True
    return False


def _uses(territory_rule, channel_rule, expiry_rule, assets: dict, by_asset: dict) -> list[Hit]:
    """Territory, channel and after-expiry: a dimension is a hit when it alone makes the use forbidden (the same
    use without it is not), so one broken term is never reported under three rules."""
    found: dict[tuple, list[UsageEvent]] = defaultdict(list)
    reasons: dict[tuple, str] = {}
    vocabularies: dict[int, object] = {}  # Smint.io's vocabulary of each client, read once
    for asset_id, events in by_asset.items():
        asset = assets[asset_id]
        if asset.client_id not in vocabularies:
            vocabularies[asset.client_id] = rights.vocabulary_for(asset.client)
        words = vocabularies[asset.client_id]
        for event in events:
            in_force = _in_force(asset, event.occurred_at)
            if in_force is False and expiry_rule:
                found[(expiry_rule, asset_id, "after_expiry")].append(event)
                reasons[(expiry_rule, asset_id, "after_expiry")] = "Used when no licence term was in force."
                continue
            if not in_force:
                continue
            day = timezone.localtime(event.occurred_at).date()
            base = rights.evaluate(asset, rights.Use(on=day), vocabulary=words).status
            if base == rights.FORBIDDEN:
                continue  # forbidden for another reason (a limit): the over-limit rule speaks for it
            country = (event.country or "").upper()
            if territory_rule and country:
                verdict = rights.evaluate(asset, rights.Use(countries=frozenset({country}), on=day), vocabulary=words)
                if verdict.status == rights.FORBIDDEN:
                    key = (territory_rule, asset_id, f"territory:{country}")
                    found[key].append(event)
                    reasons[key] = " ".join(verdict.reasons)
            usage = words.usage_key(event.channel) if event.channel else None
            if channel_rule and usage:
                verdict = rights.evaluate(asset, rights.Use(usages=frozenset({usage}), on=day), vocabulary=words)
                if verdict.status == rights.FORBIDDEN:
                    key = (channel_rule, asset_id, f"channel:{usage}")
                    found[key].append(event)
                    reasons[key] = " ".join(verdict.reasons)
    return [
        Hit(rule, assets[asset_id], key, reasons[(rule, asset_id, key)], ev)
        for (rule, asset_id, key), ev in found.items()
    ]


def route_for(client: Client, rule: ComplianceRule) -> str:
    """The team that investigates a case of ``rule`` (a candidate group of compliance_review.bpmn). Usage compliance
    is the compliance role's work: a case the rule sends to legal (the default) goes to compliance when the client
    has a member with that role, and a rule set to compliance falls back to legal when it has none, so somebody can
    always act on it."""
    has_compliance = (
        Membership.objects.filter(client=client, roles__code=RoleCode.COMPLIANCE)
        .exclude(roles__code=RoleCode.EXTERNAL)
        .exists()
    )
    if rule.route_to in (Team.LEGAL, Team.COMPLIANCE):
        return Team.COMPLIANCE if has_compliance else Team.LEGAL
    return rule.route_to


def _record(client, hit: Hit, now: datetime) -> bool:
    """Open the hit's case, or add its events to the open one. True when a case was opened."""
    ids = [e.pk for e in hit.events]
    evidence = {
        "rule": hit.rule.kind,
        "events": ids[:EVIDENCE_CAP],
        "event_count": len(ids),
        "people": sorted({e.user_email for e in hit.events if e.user_email})[:50],
    }
    name = hit.asset.name or hit.asset.content_element_uuid
    case, created = open_case(
        client,
        hit.asset,
        kind=CaseKind.COMPLIANCE,
        process_key=COMPLIANCE,
        sla=TaskKind.COMPLIANCE,
        trigger=Trigger.USAGE,
        key=hit.key,
        title=f"{hit.rule.get_kind_display()}: “{name}”",
        summary=hit.summary,
        evidence=evidence,
        now=now,
        variables={"rule": hit.rule.kind, "routeTo": route_for(client, hit.rule)},
    )
    if not created and case.state == CaseState.OPEN:
        known = list(case.evidence.get("events", []))
        added = [pk for pk in ids if pk not in set(known)]
        if added:
            merged = (known + added)[:EVIDENCE_CAP]
            count = case.evidence.get("event_count", len(known)) + len(added)
            Case.objects.filter(pk=case.pk).update(
                evidence={**case.evidence, "events": merged, "event_count": count}, summary=hit.summary
            )
    return created


# -- the case's end -----------------------------------------------------------------------------------------------
def apply_compliance_outcome(run) -> None:
    """Close the case with the corrective action and tell Smint.io once; an escalation also notifies the client's
    escalation contacts."""
    case = case_of(run)
    if case is None or not case.is_open:
        return
    declared = FLOW.outcomes.get(run.outcome)
    disposition = run.outcome if declared and declared.smintio else Disposition.CANCELLED
    reasons = "; ".join(d.reason for d in run.decisions.applied().order_by("decided_at") if d.reason)
    case = close_case(case, run=run, disposition=disposition, reason=reasons)
    if disposition != Disposition.CANCELLED:
        label = Disposition(disposition).label
        workflows.report_outcome_to_smintio(
            run,
            case.asset,
            status=declared.smintio,
            reason=f"Usage compliance: {label.lower()}. {case.summary} {reasons}".strip(),
        )
    if disposition == Disposition.ESCALATED:
        notify_escalation_contacts(case, why="Escalated by the compliance review")


# -- the flow, declared once (registered by ExceptionsConfig.ready) ---------------------------------------------------
# Every corrective action says what was done (a reason), except "no issue"; Smint.io hears it as a workflow status.
FLOW = case_flow(
    key=COMPLIANCE,
    label="Usage compliance",
    sla_kind=TaskKind.COMPLIANCE,
    outcome_prefix="compliance",
    outcomes={
        "no_issue": flows.Outcome(tone=flows.OK, state=Disposition.NO_ISSUE, smintio="cleared"),
        "licence_extended": flows.Outcome(
            needs_reason=True, tone=flows.OK, state=Disposition.LICENCE_EXTENDED, smintio="cleared"
        ),
        "user_warned": flows.Outcome(needs_reason=True, state=Disposition.USER_WARNED, smintio="cleared"),
        "usage_withdrawn": flows.Outcome(
            needs_reason=True, tone=flows.BAD, state=Disposition.USAGE_WITHDRAWN, smintio="restricted"
        ),
        "escalated": flows.Outcome(
            needs_reason=True, tone=flows.BAD, state=Disposition.ESCALATED, smintio="restricted"
        ),
    },
    on_end=apply_compliance_outcome,
    reason_help="Say what was found or done (needed for every outcome but “No issue”).",
    schedules=(flows.Schedule("exceptions.detect_compliance", "apps.exceptions.tasks.detect_compliance", 5),),
)
