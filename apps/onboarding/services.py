"""Onboarding (flow 6, ``asset_onboarding.bpmn``): DAM content is held until it has been checked, enriched,
validated and categorised, then published to Smint.io once and handed to the approval flow (or published approved,
per the client's ``OnboardingPolicy``).

- **Trigger** (``onboard_new``, an ingest gate of ``apps.assets.events``: after every pull, and before approval
  cycles start): a pending asset of a source the client onboards (its provider, or the licence type of one of its
  licences) that has never been onboarded nor reviewed is held (``AssetHold`` kind ``onboarding``), checked
  (``checks.run``) and its run started, in one transaction per asset.
- **Decisions**: enrichment writes name, description and keywords on the asset (audited; refused while the
  client's required metadata is missing), rights validation records the usage rules, categorisation the categories
  and the access; nothing goes to Smint.io until the end.
- **The end**: published = one ``smintio.metadata`` PATCH (keywords, categories, usage rules, access; key
  ``onboarding-metadata:<business key>``) and one ``cleared`` status (``onboarding-outcome:<business key>``), the
  hold released, then the approval flow (``events.ready_for_review``) or the asset approved at once; rejected = the
  asset withdrawn and ``rejected`` with the reasons to Smint.io; cancelled in OpenText = the hold released, the
  asset left pending (the approval flow takes it).
"""

from __future__ import annotations

import logging
import re
from datetime import timedelta

from django.db import IntegrityError, transaction
from django.db.models import Exists, OuterRef, Q
from django.utils import timezone

from apps.assets import events, holds
from apps.assets import services as assets
from apps.assets.choices import ApprovalState, HoldKind
from apps.assets.models import Asset
from apps.assets.required import missing_fields
from apps.assets.services import licence_snapshot
from apps.audit import services as audit
from apps.clients.choices import TaskKind
from apps.common import events as events_bus
from apps.common.roles import RoleCode
from apps.common.smintio_vocabulary import GEOGRAPHY_LABELS, REGION_COUNTRIES, RELEASE_LABELS, USAGES
from apps.integrations.smintio.sync import localized_list
from apps.outbox import services as outbox
from apps.workflows import flows
from apps.workflows import services as workflows
from apps.workflows.models import Decision, Task, WorkflowRun

from . import checks
from .choices import ONBOARDING_TRANSITIONS, OnboardingState, Ownership, Shape, Visibility
from .models import Onboarding, OnboardingPolicy

logger = logging.getLogger(__name__)
PROCESS = "asset_onboarding"
APPROVAL_PROCESS = "asset_approval"  # a reviewed asset is never onboarded afterwards
ENRICH, RIGHTS, CATEGORISE = "enrich_metadata", "validate_rights", "categorise"
STEPS = (ENRICH, RIGHTS, CATEGORISE)


def step_order(task) -> int:
    """Where a task comes in the flow (a parallel run shows its open tasks in this order too)."""
    return STEPS.index(task.task_key) if task.task_key in STEPS else len(STEPS)


CULTURE = "en"
MAX_WORDS = 100
Refused = workflows.DecisionRefused
COUNTRIES = frozenset().union(*REGION_COUNTRIES.values())


def policy_for(client) -> OnboardingPolicy:
    return OnboardingPolicy.objects.get_or_create(client=client)[0]


# -- the trigger ------------------------------------------------------------------------------------------------------
def candidates(policy: OnboardingPolicy):
    """The client's pending assets of an onboarding source, never onboarded and never reviewed."""
    sources = [str(s) for s in policy.sources or []]
    reviewed = WorkflowRun.objects.filter(
        process_key=APPROVAL_PROCESS, subject_type="assets.asset", subject_id=OuterRef("pk")
    )
    return (
        Asset.objects.filter(client_id=policy.client_id, approval_state=ApprovalState.PENDING)
        .filter(Q(provider__in=sources) | Q(license_purchases__license_type__in=sources))
        .exclude(Exists(Onboarding.objects.filter(asset=OuterRef("pk"))))
        .exclude(Exists(reviewed))
        .distinct()
        .order_by("pk")
    )


def source_of(asset: Asset, sources) -> str:
    if asset.provider in sources:
        return asset.provider
    types = asset.license_purchases.filter(license_type__in=sources).values_list("license_type", flat=True)
    return next(iter(types), "")


def onboard_new(client=None, *, limit: int = 200) -> int:
    """Start onboarding the new DAM content of ``client`` (``None``: every client); returns how many started.
    Idempotent: an asset onboards once (database constraint), a reviewed one never."""
    policies = OnboardingPolicy.objects.select_related("client").exclude(sources=[])
    if client is not None:
        policies = policies.filter(client=client)
    started = 0
    for policy in policies:
        for asset in candidates(policy).select_related("client")[:limit]:
            started += start(asset, source=source_of(asset, policy.sources)) is not None
    return started


def start(asset: Asset, *, source: str, actor=None) -> Onboarding | None:
    """Hold ``asset``, record its ingest checks and start its onboarding run (all or nothing), in the shape the
    client's policy says (the run's ``parallel`` variable: one process, two shapes)."""
    results = checks.run(asset)  # outside the transaction: the file check is an HTTP request
    client = asset.client
    parallel = policy_for(client).shape == Shape.PARALLEL
    due = timezone.now() + timedelta(hours=client.sla_hours_for(TaskKind.ONBOARDING))
    try:
        with transaction.atomic():
            locked = Asset.objects.select_for_update().only("pk", "approval_state").get(pk=asset.pk)
            if locked.approval_state != ApprovalState.PENDING:
                return None  # an approval cycle took it meanwhile
            onboarding = Onboarding.objects.create(client=client, asset=asset, source=source, checks=results)
            holds.place(
                asset,
                kind=HoldKind.ONBOARDING,
                reference=onboarding.hold_reference,
                reason=f"Onboarding from {source}: hidden until it is published.",
                actor=actor,
            )
            failed = [result["check"] for result in results if not result["passed"]]
            workflows.start_run(
                client=client,
                process_key=PROCESS,
                subject=asset,
                variables={
                    "client": client.slug,
                    "asset": asset.content_element_uuid,
                    "assetName": asset.name or asset.content_element_uuid,
                    "source": source,
                    "checksFailed": failed,
                    "parallel": parallel,
                    "onboardingDueDate": due.isoformat(),
                },
                actor=actor,
                title=f"Onboarding: {asset.name or asset.content_element_uuid}"[:300],
            )
            audit.record(
                "onboarding.onboarding.start",
                actor=actor,
                client=client,
                obj=asset,
                after={"onboarding": onboarding.pk, "source": source, "checks_failed": failed},
            )
    except IntegrityError:  # another worker onboarded it first
        return None
    return onboarding


def onboarding_of(run: WorkflowRun) -> Onboarding | None:
    if run.process_key != PROCESS:
        return None
    return Onboarding.objects.filter(asset_id=run.subject_id).select_related("asset", "client").first()


def _move(onboarding: Onboarding, state: str, *, reason: str = "", actor=None) -> None:
    if state not in ONBOARDING_TRANSITIONS[onboarding.state]:
        raise ValueError(f"An onboarding that is {onboarding.state} cannot become {state}.")
    before = onboarding.state
    now = timezone.now()
    Onboarding.objects.filter(pk=onboarding.pk).update(state=state, finished_at=now, reason=reason)
    onboarding.state, onboarding.finished_at, onboarding.reason = state, now, reason
    audit.record(
        f"onboarding.onboarding.{state}",
        actor=actor,
        client=onboarding.client,
        obj=onboarding.asset,
        before={"state": before},
        after={"state": state, "onboarding": onboarding.pk},
        reason=reason,
    )


# -- reading the forms ------------------------------------------------------------------------------------------------
def words(value) -> list[str]:
    """Keywords, categories, territories... typed one per line or comma-separated (a list from the API), each once."""
    if isinstance(value, list | tuple):
        items = [str(v) for v in value]
    else:
        items = str(value or "").replace("\r", "").replace("\n", ",").split(",")
    return list(dict.fromkeys(w.strip()[:100] for w in items if w.strip()))


def _many(data, name):
    if hasattr(data, "getlist"):
        values = data.getlist(name)
        return values if len(values) > 1 else data.get(name)
    return data.get(name)


def read_inputs(data, user=None) -> dict:
    """The flow's own fields from a form or an API body (only those present)."""
    inputs: dict = {}
    for name in ("name", "description", "ownership", "model_release", "property_release", "visibility"):
        if data.get(name) is not None:
            inputs[name] = str(data.get(name)).strip()
    for name in ("keywords", "categories", "territories", "usages", "groups"):
        if data.get(name) is not None:
            inputs[name] = words(_many(data, name))
    localized = {
        key.removeprefix("keywords_"): words(_many(data, key))
        for key in list(data.keys())
        if key.startswith("keywords_") and CULTURE_CODE.match(key.removeprefix("keywords_"))
    }
    if localized:
        inputs["localized_keywords"] = localized
    return inputs


def categories_of(asset: Asset) -> list[str]:
    return localized_list((asset.metadata or {}).get("categories"))


def suggestions(asset: Asset, limit: int = 20) -> list[str]:
    """Keywords the client already uses, most used first, that this asset does not carry yet."""
    counts: dict[str, int] = {}
    rows = Asset.objects.filter(client_id=asset.client_id).exclude(pk=asset.pk).values_list("keywords", flat=True)
    for keywords in rows[:2000]:
        for word in keywords or []:
            counts[word] = counts.get(word, 0) + 1
    own = {w.lower() for w in asset.keywords or []}
    ranked = sorted(counts, key=lambda w: (-counts[w], w.lower()))
    return [w for w in ranked if w.lower() not in own][:limit]


# -- cultures and suggestions from similar assets -------------------------------------------------------------------
CULTURE_CODE = re.compile(r"^[a-z]{2,3}(-[A-Za-z]{2,4})?$")
SIMILAR_LIMIT = 50  # similar assets read per suggestion, newest first
NAME_TOKENS = 3  # the longest words of the name searched for
_TOKEN = re.compile(r"[^\W\d_]{4,}")


def cultures_of(client) -> list[str]:
    """The cultures the client's metadata is kept in (its onboarding policy's; the first is the main one, the one
    ``Asset.keywords`` holds). Only ``en`` unless an agency admin adds more."""
    cultures = [c for c in policy_for(client).cultures or [] if isinstance(c, str) and CULTURE_CODE.match(c)]
    return list(dict.fromkeys(cultures)) or [CULTURE]


def keywords_in(metadata: dict | None, culture: str) -> list[str]:
    """The keywords of a synced content element in exactly ``culture`` (no fallback to another culture)."""
    result = []
    for item in (metadata or {}).get("keywords") or []:
        if isinstance(item, dict) and item.get("culture") == culture:
            element = item.get("metadata_element") or {}
            word = element.get("name") or element.get("key") if isinstance(element, dict) else item.get("value")
            if word:
                result.append(str(word))
    return result


def name_tokens(name: str) -> list[str]:
    return sorted(set(_TOKEN.findall((name or "").lower())), key=lambda w: (-len(w), w))[:NAME_TOKENS]


def similar_assets(asset: Asset) -> list[Asset]:
    """At most ``SIMILAR_LIMIT`` assets of the same client that look like ``asset``, most alike first: those whose
    name shares one of its longest words (one query: the client's assets matched by name, which PostgreSQL's
    trigram index on the name serves, newest first and bounded), ranked by the name words, keywords and categories
    they share with it. No name word: none."""
    tokens = name_tokens(asset.name)
    if not tokens:
        return []
    matches = Q()
    for token in tokens:
        matches |= Q(name__icontains=token)
    candidates = list(
        Asset.objects.filter(client_id=asset.client_id)
        .filter(matches)
        .exclude(pk=asset.pk)
        .only("pk", "name", "keywords", "metadata")
        .order_by("-pk")[:SIMILAR_LIMIT]
    )
    own_keywords = {w.lower() for w in asset.keywords or []}
    own_categories = {c.lower() for c in categories_of(asset)}

    def likeness(other: Asset) -> int:
        shared_tokens = len(set(tokens) & set(name_tokens(other.name)))
        shared_keywords = len(own_keywords & {w.lower() for w in other.keywords or []})
        shared_categories = len(own_categories & {c.lower() for c in categories_of(other)})
        return shared_tokens + shared_keywords + 2 * shared_categories

    return sorted(candidates, key=lambda other: -likeness(other))


def suggestions_by_culture(asset: Asset, cultures: list[str], *, onboarding=None, limit: int = 20) -> dict:
    """For each culture: keywords used by similar assets (most used first, those the asset already carries left
    out) and, in the main culture, the client's most used keywords too."""
    similar = similar_assets(asset)
    carried = {cultures[0]: list(asset.keywords or [])}
    for culture, values in ((onboarding.localized_keywords if onboarding else None) or {}).items():
        carried[culture] = list(values)
    result = {}
    for index, culture in enumerate(cultures):
        counts: dict[str, int] = {}
        for other in similar:
            found = list(other.keywords or []) if index == 0 else keywords_in(other.metadata, culture)
            for word in dict.fromkeys(found):
                counts[word] = counts.get(word, 0) + 1
        own = {w.lower() for w in carried.get(culture, [])}
        ranked = [w for w in sorted(counts, key=lambda w: (-counts[w], w.lower())) if w.lower() not in own]
        result[culture] = {
            "similar": ranked[:limit],
            "client": [w for w in suggestions(asset, limit) if w not in ranked[:limit]] if index == 0 else [],
        }
    return result


# -- deciding (the flow's hooks) ------------------------------------------------------------------------------------
ENRICHED_HERE = ("name", "description", "keywords")  # what the enrichment form edits (and Smint.io's PATCH takes)


def _enrichment(asset: Asset, inputs: dict) -> dict:
    changes = {
        name: inputs[name]
        for name in ("name", "description", "keywords")
        if name in inputs and inputs[name] != getattr(asset, name)
    }
    name = changes.get("name", asset.name)
    if not name:
        raise Refused("An asset needs a name.", field="name")
    if len(name) > 300:
        raise Refused("A name has at most 300 characters.", field="name")
    if len(changes.get("keywords", [])) > MAX_WORDS:
        raise Refused(f"At most {MAX_WORDS} keywords.", field="keywords")
    for culture, values in (inputs.get("localized_keywords") or {}).items():
        if len(values) > MAX_WORDS:
            raise Refused(f"At most {MAX_WORDS} keywords.", field=f"keywords_{culture}")
    for field, value in changes.items():
        setattr(asset, field, value)  # judged as it will be
    missing = [m for m in missing_fields(asset, list(asset.client.required_metadata_fields or [])) if m != "categories"]
    fillable = [m for m in missing if m in ENRICHED_HERE]
    if fillable:
        field = {"name": "name", "description": "description"}.get(fillable[0], "keywords")
        raise Refused(f"The client requires: {', '.join(fillable)}. Fill it in before going on.", field=field)
    if missing:  # a copyright notice, a field of the content element: written at the source, not in this form
        raise Refused(
            f"The client requires: {', '.join(missing)}, which comes from the source ({asset.provider or 'the DAM'}) "
            "and cannot be entered here. Have it added there and synced again, or reject the onboarding.",
            field="task",
        )
    return changes


def _usage_rules(inputs: dict) -> dict:
    ownership = inputs.get("ownership", "")
    if ownership not in Ownership.values:
        raise Refused("Say whether the client owns the asset or licenses it.", field="ownership")
    territories = inputs.get("territories") or []
    unknown = [t for t in territories if t not in GEOGRAPHY_LABELS and t.upper() not in COUNTRIES]
    if not territories or unknown:
        what = f" Not known: {', '.join(unknown)}." if unknown else ""
        raise Refused(f"Name the territories (country codes or regions).{what}", field="territories")
    usages = inputs.get("usages") or []
    if not usages or any(u not in USAGES for u in usages):
        raise Refused("Choose at least one usage.", field="usages")
    releases = {}
    for name in ("model_release", "property_release"):
        value = inputs.get(name) or "release_state_unknown"
        if value not in RELEASE_LABELS:
            raise Refused("Choose a release state.", field=name)
        releases[name] = value
    return {
        "ownership": ownership,
        "territories": [t if t in GEOGRAPHY_LABELS else t.upper() for t in territories],
        "usages": usages,
        **releases,
    }


def _access(inputs: dict) -> tuple[list[str], dict]:
    categories = inputs.get("categories") or []
    if not categories:
        raise Refused("Choose at least one category.", field="categories")
    if len(categories) > MAX_WORDS:
        raise Refused(f"At most {MAX_WORDS} categories.", field="categories")
    visibility = inputs.get("visibility", "")
    if visibility not in Visibility.values:
        raise Refused("Choose who may see the asset.", field="visibility")
    groups = inputs.get("groups") or []
    if visibility == Visibility.RESTRICTED and not groups:
        raise Refused("A restricted asset needs at least one access group.", field="groups")
    return categories, {"visibility": visibility, "groups": groups}


def prepare(task: Task, *, actor, outcome: str, reason: str, inputs: dict) -> flows.Prepared:
    onboarding = onboarding_of(task.run)
    if onboarding is None or not onboarding.is_open:
        raise Refused("This task does not belong to an open onboarding.", field="task")
    asset = Asset.objects.select_related("client").get(pk=onboarding.asset_id)
    extra: dict = {"onboarding": onboarding, "asset": asset}
    if outcome == "enriched" and task.task_key == ENRICH:
        extra["changes"] = _enrichment(asset, inputs)
        others = cultures_of(asset.client)[1:]
        given = inputs.get("localized_keywords") or {}
        extra["localized_keywords"] = {c: given[c] for c in others if c in given} if given else None
    elif outcome == "rights_valid" and task.task_key == RIGHTS:
        extra["usage_rules"] = _usage_rules(inputs)
    elif outcome == "ready" and task.task_key == CATEGORISE:
        extra["categories"], extra["access"] = _access(inputs)
    return flows.Prepared(snapshot=licence_snapshot(asset), extra=extra)


def _localized_elements(values: list[str], culture: str = CULTURE) -> list[dict]:
    return [{"culture": culture, "metadata_element": {"key": word, "name": word}} for word in values]


def apply_metadata(asset: Asset, changes: dict, *, actor, reason: str, action: str = "assets.asset.metadata_edit"):
    """Write ``changes`` (name, description, keywords, categories) on the asset, audited on it; Smint.io hears
    them with the onboarding's one PATCH when it is published."""
    before = {
        "name": asset.name,
        "description": asset.description,
        "keywords": list(asset.keywords or []),
        "categories": categories_of(asset),
    }
    fields = {name: value for name, value in changes.items() if name in ("name", "description", "keywords")}
    if "categories" in changes:
        fields["metadata"] = {**(asset.metadata or {}), "categories": _localized_elements(changes["categories"])}
    if not fields:
        return
    Asset.objects.filter(pk=asset.pk).update(**fields, updated_at=timezone.now())
    for name, value in fields.items():
        setattr(asset, name, value)
    audit.record(
        action,
        actor=actor,
        client=asset.client,
        obj=asset,
        before={name: before[name] for name in changes if name in before},
        after=changes,
        reason=reason,
    )


def after_decision(task: Task, decision: Decision, prepared: flows.Prepared) -> None:
    onboarding, asset = prepared.extra["onboarding"], prepared.extra["asset"]
    why = decision.reason or f"Onboarding: {task.name}"
    if prepared.extra.get("changes"):
        apply_metadata(asset, prepared.extra["changes"], actor=decision.actor, reason=why)
    localized = prepared.extra.get("localized_keywords")
    if localized is not None and localized != onboarding.localized_keywords:
        Onboarding.objects.filter(pk=onboarding.pk).update(localized_keywords=localized)
        audit.record(
            "onboarding.onboarding.localized_keywords",
            actor=decision.actor,
            client=asset.client,
            obj=asset,
            before={"localized_keywords": onboarding.localized_keywords},
            after={"localized_keywords": localized},
            reason=decision.reason,
        )
    if "usage_rules" in prepared.extra:
        Onboarding.objects.filter(pk=onboarding.pk).update(usage_rules=prepared.extra["usage_rules"])
        audit.record(
            "onboarding.onboarding.rights",
            actor=decision.actor,
            client=asset.client,
            obj=asset,
            after={"usage_rules": prepared.extra["usage_rules"]},
            reason=decision.reason,
        )
    if "access" in prepared.extra:
        apply_metadata(asset, {"categories": prepared.extra["categories"]}, actor=decision.actor, reason=why)
        Onboarding.objects.filter(pk=onboarding.pk).update(access=prepared.extra["access"])
        audit.record(
            "onboarding.onboarding.access",
            actor=decision.actor,
            client=asset.client,
            obj=asset,
            after={"access": prepared.extra["access"]},
            reason=decision.reason,
        )


def form_context(onboarding: Onboarding | None, asset: Asset, *, with_suggestions: bool) -> dict:
    """What an onboarding task's fields show (the decision page's and the asset page's forms alike): one keywords
    field per culture the client uses, each with its suggestions."""
    cultures = cultures_of(asset.client)
    found = suggestions_by_culture(asset, cultures, onboarding=onboarding) if with_suggestions else {}
    localized = (onboarding.localized_keywords if onboarding else None) or {}
    return {
        "onboarding": onboarding,
        "keyword_cultures": [
            {
                "culture": culture,
                "main": index == 0,
                "field": "keywords" if index == 0 else f"keywords_{culture}",
                "current": ", ".join(asset.keywords or []) if index == 0 else ", ".join(localized.get(culture, [])),
                "similar": found.get(culture, {}).get("similar", []),
                "client": found.get(culture, {}).get("client", []),
            }
            for index, culture in enumerate(cultures)
        ],
        "several_cultures": len(cultures) > 1,
        "asset_categories": categories_of(asset),
        "ownerships": Ownership.choices,
        "usage_choices": sorted(USAGES.items(), key=lambda kv: kv[1]),
        "release_choices": list(RELEASE_LABELS.items()),
        "visibilities": Visibility.choices,
    }


def decision_context(task: Task, user) -> dict:
    onboarding = onboarding_of(task.run)
    if onboarding is None:
        return {}
    asset = onboarding.asset
    return {"asset": asset, **form_context(onboarding, asset, with_suggestions=task.task_key == ENRICH)}


# -- bulk enrichment --------------------------------------------------------------------------------------------------
ENRICHERS = frozenset({RoleCode.CONTENT_MANAGER, RoleCode.AGENCY_ADMIN})


def enrichers_clients(user) -> list[int]:
    """The clients where ``user`` may enrich onboarding assets: content managers and agency admins (never external
    members)."""
    if not getattr(user, "is_authenticated", False):
        return []
    return [
        m.client_id
        for m in user.membership_list
        if RoleCode.EXTERNAL not in m.role_codes and ENRICHERS & set(m.role_codes)
    ]


def bulk_enrich(asset_ids, *, actor, keywords=(), categories=(), reason: str = "") -> int:
    """Add ``keywords`` and ``categories`` to each of the given onboarding assets the actor may see, each change
    audited on its asset; returns how many changed. Only assets still onboarding are touched."""
    keywords, categories = words(list(keywords)), words(list(categories))
    if not keywords and not categories:
        raise Refused("Give keywords or categories to add.", field="keywords")
    open_onboardings = Onboarding.objects.filter(state=OnboardingState.OPEN, asset=OuterRef("pk"))
    chosen = (
        Asset.objects.visible_to(actor)
        .filter(pk__in=list(asset_ids), client__in=enrichers_clients(actor))
        .filter(Exists(open_onboardings))
        .select_related("client")
    )
    changed = 0
    with transaction.atomic():
        for asset in chosen.select_for_update(of=("self",)):
            changes = {}
            merged = list(dict.fromkeys([*(asset.keywords or []), *keywords]))
            if merged != list(asset.keywords or []):
                changes["keywords"] = merged[:MAX_WORDS]
            now = categories_of(asset)
            merged = list(dict.fromkeys([*now, *categories]))
            if merged != now:
                changes["categories"] = merged[:MAX_WORDS]
            if changes:
                apply_metadata(asset, changes, actor=actor, reason=reason or "Bulk enrichment while onboarding")
                changed += 1
    return changed


# -- the end ----------------------------------------------------------------------------------------------------------
def _rules_text(rules: dict) -> str:
    if not rules:
        return ""
    territories = ", ".join(GEOGRAPHY_LABELS.get(t, t) for t in rules.get("territories", []))
    usages = ", ".join(USAGES.get(u, u) for u in rules.get("usages", []))
    releases = "; ".join(
        f"{name.replace('_', ' ')}: {RELEASE_LABELS.get(rules.get(name), 'Unknown').lower()}"
        for name in ("model_release", "property_release")
    )
    return f"{Ownership(rules['ownership']).label}. Territories: {territories}. Usages: {usages}. {releases}."


def publish_body(onboarding: Onboarding, asset: Asset) -> dict:
    """The one metadata PATCH of a published onboarding (platforms.md 5.1): keywords, categories, usage rules,
    access; the name and description too, as enriched."""
    body: dict = {
        "name": [{"culture": CULTURE, "value": asset.name}],
        "keywords": _localized_elements(list(asset.keywords or []), cultures_of(asset.client)[0])
        + [
            element
            for culture, values in (onboarding.localized_keywords or {}).items()
            for element in _localized_elements(list(values), culture)
        ],
        "categories": _localized_elements(categories_of(asset)),
    }
    if asset.description:
        body["description"] = [{"culture": CULTURE, "value": asset.description}]
    if onboarding.usage_rules:
        body["usage_rules"] = [{"culture": CULTURE, "value": _rules_text(onboarding.usage_rules)}]
    if onboarding.access:
        body["access"] = {
            "visibility": onboarding.access["visibility"],
            "groups": list(onboarding.access.get("groups") or []),
        }
    return body


def apply_outcome(run: WorkflowRun) -> None:
    """The engine ended the onboarding's run: publish (one PATCH, one status, the hold released, approval next)
    or reject (withdrawn, one status), or, cancelled in OpenText, release the hold."""
    onboarding = onboarding_of(run)
    if onboarding is None or not onboarding.is_open:
        return
    asset = Asset.objects.select_related("client").get(pk=onboarding.asset_id)
    reasons = "; ".join(d.reason for d in run.decisions.applied().order_by("decided_at") if d.reason)
    state = {"published": OnboardingState.PUBLISHED, "rejected": OnboardingState.REJECTED}.get(
        run.outcome or "", OnboardingState.CANCELLED
    )
    _move(onboarding, state, reason=reasons)
    holds.release(
        asset,
        kind=HoldKind.ONBOARDING,
        reference=onboarding.hold_reference,
        reason=f"Onboarding {OnboardingState(state).label.lower()}. {reasons}".strip(),
    )
    if state == OnboardingState.CANCELLED:
        return  # cancelled in OpenText: the asset stays pending, the approval flow takes it
    if state == OnboardingState.REJECTED:
        assets.change_approval(
            asset, ApprovalState.WITHDRAWN, action="onboarding.asset.rejected", reason=reasons, after={"run": run.pk}
        )
        workflows.report_outcome_to_smintio(
            run, asset, status=FLOW.outcome("rejected").smintio, reason=f"Rejected in onboarding. {reasons}".strip()
        )
        return
    outbox.enqueue(
        client=run.client,
        platform=outbox.Platform.SMINTIO,
        kind="smintio.metadata",
        ordering_key=f"smintio:element:{asset.content_element_uuid}",
        payload={"content_element_uuid": asset.content_element_uuid, "body": publish_body(onboarding, asset)},
        idempotency_key=f"onboarding-metadata:{run.business_key}",
    )
    workflows.report_outcome_to_smintio(
        run, asset, status=FLOW.outcome("published").smintio, reason=f"Onboarded and published. {reasons}".strip()
    )
    # once: an onboarding closes once (an outcome applied again finds it closed above)
    events_bus.publish(
        "onboarding.published",
        key=f"onboarding.published:onboarding-{onboarding.pk}",
        client=run.client,
        data={
            "url": asset.get_absolute_url(),
            "title": asset.name or asset.content_element_uuid,
            "onboarding": onboarding.pk,
            "asset": asset.pk,
        },
    )
    if policy_for(asset.client).approval_after:
        events.ready_for_review(asset.client)
    else:  # the onboarding was the review: in review, then approved, each move audited as the onboarding's
        assets.change_approval(
            asset, ApprovalState.IN_REVIEW, action="onboarding.asset.in_review", after={"run": run.pk}
        )
        assets.change_approval(
            asset, ApprovalState.APPROVED, action="onboarding.asset.published", after={"run": run.pk}
        )


FLOW = flows.Flow(
    key=PROCESS,
    label="Asset onboarding",
    subject="assets.asset",
    subject_page="assets:asset_detail",
    sla_kind=TaskKind.ONBOARDING,
    outcome_prefix="onboarding",
    outcomes={
        "enriched": flows.Outcome(tone=flows.OK),
        "rights_valid": flows.Outcome(tone=flows.OK),
        "ready": flows.Outcome(tone=flows.OK),
        "reject": flows.Outcome(needs_reason=True, tone=flows.BAD),
        "published": flows.Outcome(tone=flows.OK, state=OnboardingState.PUBLISHED, smintio="cleared"),
        "rejected": flows.Outcome(tone=flows.BAD, state=OnboardingState.REJECTED, smintio="rejected"),
    },
    on_end=apply_outcome,
    prepare=prepare,
    after_decision=after_decision,
    read_inputs=read_inputs,
    decision_context=decision_context,
    decision_form="onboarding/partials/onboarding_fields.html",
    decided_on_subject_page=True,  # worked on the asset page, beside its checks and its licence
    refusal_page="apps.onboarding.views.asset_refusal",
    reason_help="Needed to reject the asset; Smint.io hears it.",
    schedules=(flows.Schedule("onboarding.onboard_new", "apps.onboarding.tasks.onboard_new", 5),),
)
