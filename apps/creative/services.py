"""Creative requests (flow 3): intake from three places through one validator, the moves of a request's state, the
shortlist, delivery and its follow-ups.

Every state change goes through a function here (actor passed in, one transaction, the state checked against
``choices.REQUEST_TRANSITIONS``, an audit event); the process's work goes through ``workflows.services`` (start,
decide), so OpenText hears of it through the outbox. The browser form, the API and the OpenText sync's discovery
all call ``validate`` and ``save_draft``/``submit``/``mirror_started_elsewhere``.
"""

from __future__ import annotations

from collections.abc import Iterable, Mapping
from dataclasses import dataclass, field
from datetime import date, datetime, time, timedelta

from django.db import IntegrityError, transaction
from django.db.models import Exists, OuterRef
from django.utils import timezone
from django.utils.dateparse import parse_date

from apps.accounts.models import Membership, User
from apps.assets.models import Asset
from apps.assets.querysets import available_condition
from apps.audit import services as audit
from apps.clients.choices import TaskKind
from apps.common import events as events_bus
from apps.common.roles import RoleCode
from apps.common.smintio_vocabulary import USAGES
from apps.workflows import services as workflows
from apps.workflows.choices import TaskStatus
from apps.workflows.models import Task, WorkflowRun

from .choices import OPEN_STATUSES, REQUEST_TRANSITIONS, RequestStatus, Source
from .models import CampaignType, CreativeRequest, Delivery, DeliveryItem, Format, ShortlistItem

PROCESS = "creative_request"
SUBJECT = "creative.creativerequest"
# Open requests past submission: what can be overdue (a draft has no SLA yet).
SUBMITTED_OPEN = sorted(OPEN_STATUSES - {RequestStatus.DRAFT})
TITLE_LIMIT = 200
KEYWORDS_LIMIT = 500
TEXT_LIMIT = workflows.TEXT_LIMIT
MAX_DELIVERED = 50
# The task keys of creative_request.bpmn, by what they are for.
TRIAGE, ANSWER, PICK, REVIEW = "triage", "requester_answer", "creative_pick", "requester_review"

InvalidTransition = workflows.InvalidTransition
RequestRefused = workflows.DecisionRefused


class IntakeErrors(InvalidTransition):
    """The request cannot be saved as given: ``errors`` maps each field to its messages (shown at the field)."""

    def __init__(self, errors: Mapping[str, list[str]]):
        super().__init__("; ".join(f"{f}: {' '.join(m)}" for f, m in errors.items()))
        self.errors = dict(errors)


# -- intake -----------------------------------------------------------------------------------------------------------
@dataclass
class Intake:
    """A request's fields as a form, the API or OpenText's variables give them, checked by ``validate``."""

    title: str = ""
    brief: str = ""
    keywords: str = ""
    campaign_type: CampaignType | None = None
    format: Format | None = None
    countries: list[str] = field(default_factory=list)
    regions: list[str] = field(default_factory=list)
    usages: list[str] = field(default_factory=list)
    deadline: date | None = None
    run_from: date | None = None
    run_until: date | None = None


FIELDS = tuple(Intake.__dataclass_fields__)


def _iso_countries() -> frozenset[str]:
    from django_countries import countries

    return frozenset(code for code, _name in countries)


def region_choices(user: User, client) -> list[str]:
    """The region codes a requester may target in ``client``: the regions of their membership there; a member
    with no regions is not region-scoped and may target any region (as tasks read it)."""
    from apps.accounts.models import Region

    membership = Membership.objects.filter(user=user, client=client).prefetch_related("regions").first()
    if membership is None:
        return []
    mine = sorted(region.code for region in membership.regions.all())
    return mine or list(Region.objects.order_by("code").values_list("code", flat=True))


def usage_choices() -> dict[str, str]:
    """Smint.io usage keys → labels, the vocabulary the rights evaluation reads."""
    return dict(USAGES)


def validate(intake: Intake, *, client, requester: User | None, submitting: bool, today: date | None = None) -> dict:
    """Field → messages for everything wrong with ``intake`` (empty: nothing). A draft needs a title only; a
    submitted request needs the rest that matching and triage read: countries or regions, usages, a deadline."""
    today = today or timezone.localdate()
    errors: dict[str, list[str]] = {}

    def fail(name: str, message: str) -> None:
        errors.setdefault(name, []).append(message)

    if not intake.title.strip():
        fail("title", "Give the request a title.")
    elif len(intake.title) > TITLE_LIMIT:
        fail("title", f"At most {TITLE_LIMIT} characters; this one has {len(intake.title)}.")
    if len(intake.brief) > TEXT_LIMIT:
        fail("brief", f"At most {TEXT_LIMIT:,} characters; this one has {len(intake.brief):,}.")
    if len(intake.keywords) > KEYWORDS_LIMIT:
        fail("keywords", f"At most {KEYWORDS_LIMIT} characters; these have {len(intake.keywords)}.")
    if intake.campaign_type is not None and (
        intake.campaign_type.client_id != client.pk or intake.campaign_type.archived_at is not None
    ):
        fail("campaign_type", "Choose one of this client's campaign types.")
    if intake.format is not None and (intake.format.client_id != client.pk or intake.format.archived_at is not None):
        fail("format", "Choose one of this client's formats.")
    unknown = sorted(set(intake.countries) - _iso_countries())
    if unknown:
        fail("countries", f"Not ISO country codes: {', '.join(unknown)}.")
    unknown = sorted(set(intake.usages) - set(USAGES))
    if unknown:
        fail("usages", f"Not usages Smint.io knows: {', '.join(unknown)}.")
    if intake.regions:
        allowed = set(region_choices(requester, client)) if requester is not None else set()
        outside = sorted(set(intake.regions) - allowed)
        if outside:
            fail("regions", f"You may only ask for your own regions; not {', '.join(r.upper() for r in outside)}.")
    if intake.deadline is not None and intake.deadline <= today:
        fail("deadline", "The deadline must be in the future.")
    if intake.run_from and intake.run_until and intake.run_from > intake.run_until:
        fail("run_until", "The campaign must end on or after the day it starts.")
    if intake.run_until is not None and intake.run_until < today:
        fail("run_until", "The campaign must not have ended already.")
    if submitting:
        if not intake.countries and not intake.regions:
            fail("countries", "Name the countries (or regions) the campaign runs in.")
        if not intake.usages:
            fail("usages", "Name at least one channel (usage).")
        if intake.deadline is None:
            fail("deadline", "Give a deadline.")
    return errors


def _apply(request: CreativeRequest, intake: Intake) -> None:
    for name in FIELDS:
        value = getattr(intake, name)
        if name in ("countries", "usages", "regions"):
            value = sorted({v.upper() if name == "countries" else v for v in value})
        elif isinstance(value, str):
            value = value.replace("\r\n", "\n").strip()
        setattr(request, name, value)


def intake_of(request: CreativeRequest) -> Intake:
    return Intake(**{name: getattr(request, name) for name in FIELDS})


def _check_requester(client, requester: User) -> None:
    membership = next((m for m in requester.membership_list if m.client_id == client.pk), None)
    if membership is None or RoleCode.EXTERNAL in membership.role_codes:
        raise workflows.NotASigner("Only the client's own people may ask for creative work.")


def save_draft(
    intake: Intake, *, client, requester: User, request: CreativeRequest | None = None, source: str = Source.PORTAL
) -> CreativeRequest:
    """Create or update a draft (the requester's alone). Raises ``IntakeErrors``."""
    _check_requester(client, requester)
    if request is not None:
        _check_own_draft(request, requester)
    errors = validate(intake, client=client, requester=requester, submitting=False)
    if errors:
        raise IntakeErrors(errors)
    with transaction.atomic():
        if request is None:
            request = CreativeRequest(
                client=client, requester=requester, requester_email=requester.email, source=source
            )
        else:
            request = CreativeRequest.objects.select_for_update().get(pk=request.pk)
            _check_own_draft(request, requester)
        _apply(request, intake)
        created = request.pk is None
        request.save()
        audit.record(
            "creative.request.create" if created else "creative.request.update",
            actor=requester,
            client=client,
            obj=request,
            after={"title": request.title, "status": request.status},
        )
    return request


def _check_own_draft(request: CreativeRequest, user: User) -> None:
    if request.status != RequestStatus.DRAFT:
        raise InvalidTransition(f"The request is {request.get_status_display().lower()}: only a draft can be edited.")
    if request.requester_id != user.pk:
        raise workflows.NotASigner("Only the requester edits a draft.")


def submit(
    request: CreativeRequest | None = None,
    *,
    actor: User,
    intake: Intake | None = None,
    client=None,
    source: str = Source.PORTAL,
) -> CreativeRequest:
    """Submit a draft (optionally with new fields), or create and submit at once (``request=None``: ``client`` and
    ``intake`` given): validated as a submitted request, moved to triage and its ``creative_request`` run started
    through the outbox, in one transaction. Raises ``IntakeErrors``, ``InvalidTransition``."""
    client = request.client if request is not None else client
    _check_requester(client, actor)
    with transaction.atomic():
        if request is not None:
            request = CreativeRequest.objects.select_for_update().get(pk=request.pk)
            _check_own_draft(request, actor)
            intake = intake or intake_of(request)
        else:
            request = CreativeRequest(client=client, requester=actor, requester_email=actor.email, source=source)
        errors = validate(intake, client=client, requester=actor, submitting=True)
        if errors:
            raise IntakeErrors(errors)
        _apply(request, intake)
        created = request.pk is None
        request.save()
        if created:
            audit.record(
                "creative.request.create", actor=actor, client=client, obj=request, after={"title": request.title}
            )
        _move(request, RequestStatus.TRIAGE, actor=actor, action="creative.request.submit", submitted_at=timezone.now())
        workflows.start_run(
            client=client,
            process_key=PROCESS,
            subject=request,
            title=request.title,
            actor=actor,
            variables=process_variables(request),
        )
    return request


def process_variables(request: CreativeRequest) -> dict:
    """What OpenText's instance carries (the names a request started in OpenText uses too)."""
    due = due_at(request)
    return {
        "client": request.client.slug,
        "requestId": request.pk,
        "title": request.title,
        "brief": request.brief[:4000],
        "campaignType": request.campaign_type.name if request.campaign_type else "",
        "format": request.format.name if request.format else "",
        "region": ",".join(request.regions),
        workflows.REGIONS_VARIABLE: list(request.regions),
        "countries": ",".join(request.countries),
        "usages": ",".join(request.usages),
        "deadline": request.deadline.isoformat() if request.deadline else "",
        "runFrom": request.run_from.isoformat() if request.run_from else "",
        "runUntil": request.run_until.isoformat() if request.run_until else "",
        "requester": request.requester_email,
        "requestDueDate": due.isoformat(),
    }


def due_at(request: CreativeRequest) -> datetime:
    """The client's SLA for creative requests, never after the deadline's end."""
    due = timezone.now() + timedelta(hours=request.client.sla_hours_for(TaskKind.CREATIVE_REQUEST))
    if request.deadline:
        end = timezone.make_aware(datetime.combine(request.deadline, time(23, 59)))
        due = min(due, end) if end > timezone.now() else due
    return due


def cancel(request: CreativeRequest, *, actor: User, reason: str = "") -> CreativeRequest:
    """The requester withdraws a draft (a submitted request is cancelled in OpenText; its run's end says so)."""
    if request.requester_id != actor.pk:
        raise workflows.NotASigner("Only the requester may withdraw the request.")
    if request.status != RequestStatus.DRAFT:
        raise InvalidTransition("Only a draft can be withdrawn here; a submitted request is cancelled in OpenText.")
    return _move(
        request,
        RequestStatus.CANCELLED,
        actor=actor,
        action="creative.request.cancel",
        reason=reason,
        closed_at=timezone.now(),
    )


def _request_data(request: CreativeRequest) -> dict:
    return {
        "url": request.get_absolute_url(),
        "title": request.title,
        "request": request.pk,
        "requested_by": request.requester_id,
    }


# -- the one writer of a request's state ------------------------------------------------------------------------------
def _move(request: CreativeRequest, to: str, *, actor=None, action: str, reason: str = "", **fields) -> CreativeRequest:
    """Move ``request`` to ``to`` (a move ``REQUEST_TRANSITIONS`` allows, else ``InvalidTransition``), with the
    other ``fields`` written alongside, audited. Moving to the state it is in changes only the fields."""
    with transaction.atomic():
        locked = CreativeRequest.objects.select_for_update().get(pk=request.pk)
        before = locked.status
        if to != before and to not in REQUEST_TRANSITIONS[before]:
            raise InvalidTransition(
                f"The request is {locked.get_status_display().lower()}: it cannot become "
                f"{RequestStatus(to).label.lower()}."
            )
        locked.status = to
        for name, value in fields.items():
            setattr(locked, name, value)
        locked.save(update_fields=["status", "updated_at", *fields])
        person = actor if getattr(actor, "is_authenticated", False) else None
        entry = audit.record(
            action,
            actor=person,
            client=locked.client,
            obj=locked,
            before={"status": before},
            after={"status": to, **{k: str(v) for k, v in fields.items()}},
            reason=reason,
        )
        if to != before:  # a move, said once: keyed by its audit entry (a request may pass a status twice)
            events_bus.publish(
                "request.status_changed",
                key=f"request.status_changed:request-{locked.pk}:audit-{entry.pk}",
                client=locked.client,
                data={
                    **_request_data(locked),
                    "status": to,
                    "status_label": RequestStatus(to).label,
                    "reason": reason,
                },
                actor=person,
            )
    for name in ("status", *fields):
        setattr(request, name, getattr(locked, name))
    return locked


# -- the run ----------------------------------------------------------------------------------------------------------
def run_of(request: CreativeRequest) -> WorkflowRun | None:
    return (
        WorkflowRun.objects.filter(subject_type=SUBJECT, subject_id=request.pk, process_key=PROCESS)
        .order_by("-id")
        .first()
    )


def open_task(request: CreativeRequest, key: str) -> Task | None:
    return (
        Task.objects.filter(run__subject_type=SUBJECT, run__subject_id=request.pk, task_key=key, status=TaskStatus.OPEN)
        .select_related("run", "client")
        .order_by("-id")
        .first()
    )


def request_of(run: WorkflowRun) -> CreativeRequest | None:
    if run.subject_type != SUBJECT:
        return None
    return CreativeRequest.objects.select_related("client", "requester").filter(pk=run.subject_id).first()


def _decide(request: CreativeRequest, key: str, *, actor: User, outcome: str, reason: str = "", inputs=None):
    task = open_task(request, key)
    if task is None:
        raise InvalidTransition(
            f"The request is “{request.get_status_display()}”: there is no open task for this now "
            "(if you just acted, OpenText may not have created the next one yet; try again in a moment)."
        )
    return workflows.decide(task, actor=actor, outcome=outcome, reason=reason, inputs=inputs or {})


def triage(request: CreativeRequest, *, actor: User, outcome: str, reason: str = ""):
    """Content operations decide: ``accept``, ``ask`` (the question is the reason) or ``decline`` (with a reason)."""
    return _decide(request, TRIAGE, actor=actor, outcome=outcome, reason=reason)


def answer(request: CreativeRequest, *, actor: User, text: str):
    """The requester answers triage's question (their task alone)."""
    return _decide(request, ANSWER, actor=actor, outcome="answered", reason=text)


def review(request: CreativeRequest, *, actor: User, outcome: str, reason: str = ""):
    """The requester accepts the delivery (``accepted``) or asks for changes (``changes_requested``, with what)."""
    return _decide(request, REVIEW, actor=actor, outcome=outcome, reason=reason)


# -- matching (apps.creative.matching, by cmatch) ---------------------------------------------------------------------
def want_of(request: CreativeRequest):
    """The request as matching reads it (``matching.Want``): countries (regions spread into their countries),
    usages, the run, the format's shape, the text of brief and keywords."""
    from apps.accounts.models import Region

    from . import matching

    countries = set(request.countries)
    if request.regions:
        for region in Region.objects.filter(code__in=request.regions):
            countries.update(str(c) for c in region.countries)
    fmt = request.format
    return matching.Want(
        countries=frozenset(countries),
        usages=frozenset(request.usages),
        run_from=request.run_from,
        run_until=request.run_until,
        content_types=frozenset({fmt.content_type}) if fmt and fmt.content_type else frozenset(),
        orientation=fmt.orientation if fmt else "",
        min_width=fmt.min_width if fmt else None,
        min_height=fmt.min_height if fmt else None,
        text=" ".join(part for part in (request.title, request.brief, request.keywords) if part),
    )


def matches_for(request: CreativeRequest, **options):
    """The request's matches among its client's assets (``matching.match``)."""
    from . import matching

    return matching.match(request.client, want_of(request), **options)


# -- the shortlist ----------------------------------------------------------------------------------------------------
def _check_creative(request: CreativeRequest, actor: User) -> Task:
    request.refresh_from_db(fields=["status"])  # a decision moves it through another instance
    if request.status != RequestStatus.IN_CREATION:
        raise InvalidTransition(
            f"The request is {request.get_status_display().lower()}: assets are picked while it is in creation."
        )
    task = open_task(request, PICK)
    if task is None:
        raise InvalidTransition("The creative's task is not open yet; try again in a moment.")
    refusal = workflows.signing_refusal(task, actor)
    if refusal:
        raise workflows.NotASigner(refusal)
    return task


def deliverable_assets(request: CreativeRequest):
    """Assets that may be shortlisted or delivered for ``request``: its client's, available now."""
    return Asset.objects.filter(client_id=request.client_id).filter(available_condition())


def shortlist_add(request: CreativeRequest, asset: Asset, *, actor: User, note: str = "") -> ShortlistItem:
    _check_creative(request, actor)
    if not deliverable_assets(request).filter(pk=asset.pk).exists():
        raise RequestRefused("Only an available asset of the request's client can be shortlisted.", field="asset")
    note = workflows.clean_text(note, what="A note", field="note")[:500]
    with transaction.atomic():
        item, created = ShortlistItem.objects.get_or_create(
            request=request, asset=asset, defaults={"client_id": request.client_id, "added_by": actor, "note": note}
        )
        if created:
            audit.record(
                "creative.shortlist.add",
                actor=actor,
                client=request.client,
                obj=request,
                after={"asset": asset.content_element_uuid},
            )
    return item


def shortlist_remove(request: CreativeRequest, asset: Asset, *, actor: User) -> bool:
    _check_creative(request, actor)
    with transaction.atomic():
        removed, _ = ShortlistItem.objects.filter(request=request, asset=asset).delete()
        if removed:
            audit.record(
                "creative.shortlist.remove",
                actor=actor,
                client=request.client,
                obj=request,
                after={"asset": asset.content_element_uuid},
            )
    return bool(removed)


# -- delivery ---------------------------------------------------------------------------------------------------------
def deliver(request: CreativeRequest, assets: Iterable[Asset] | None, *, actor: User, note: str = ""):
    """The creative delivers ``assets`` (``None``: the shortlist) and completes their task (outcome
    ``delivered``); the flow's follow-up records the delivery and its usage events (``flows.follow_decision``).
    Returns the decision."""
    _check_creative(request, actor)
    inputs = {"note": note}
    if assets is not None:
        inputs["assets"] = list(assets)
    return _decide(request, PICK, actor=actor, outcome="delivered", inputs=inputs)


def delivery_assets(request: CreativeRequest, given: Iterable[Asset] | None) -> list[Asset]:
    """What a delivery holds: the given assets or the shortlist, each an available asset of the request's client
    (``RequestRefused`` naming ``assets`` otherwise)."""
    ids = [a.pk for a in given] if given is not None else list(request.shortlist.values_list("asset_id", flat=True))
    ids = list(dict.fromkeys(ids))
    if not ids:
        raise RequestRefused("Pick at least one asset to deliver (shortlist it, or choose it here).", field="assets")
    if len(ids) > MAX_DELIVERED:
        raise RequestRefused(f"At most {MAX_DELIVERED} assets per delivery; this one has {len(ids)}.", field="assets")
    found = {a.pk: a for a in deliverable_assets(request).filter(pk__in=ids)}
    if len(found) != len(ids):
        raise RequestRefused(
            "Only available assets of the request's client can be delivered; some of these are not (any more).",
            field="assets",
        )
    return [found[i] for i in ids]


def record_delivery(request: CreativeRequest, assets: list[Asset], *, actor: User, note: str = "") -> Delivery:
    """Keep the delivery and record one usage event per asset through ``assets.usage.record_usage`` (the one
    write path), so compliance counts it: who, which request, the channels and countries."""
    from apps.assets.usage import record_usage

    delivery = Delivery.objects.create(client_id=request.client_id, request=request, delivered_by=actor, note=note)
    now = timezone.now()
    items, events = [], []
    country = request.countries[0] if len(request.countries) == 1 else ""
    channel = ",".join(request.usages)[:50]
    for asset in assets:
        event_id = f"creative:{request.pk}:{delivery.pk}:{asset.pk}"
        items.append(
            DeliveryItem(client_id=request.client_id, delivery=delivery, asset=asset, usage_event_uuid=event_id)
        )
        events.append(
            {
                "id": event_id,
                "asset": asset.pk,
                "event": "share",
                "occurred_at": now,
                "user_email": actor.email,
                "country": country,
                "channel": channel,
            }
        )
    DeliveryItem.objects.bulk_create(items)
    record_usage(
        events, source="creative", assets=Asset.objects.filter(pk__in=[a.pk for a in assets]), client=request.client
    )
    audit.record(
        "creative.request.deliver",
        actor=actor,
        client=request.client,
        obj=request,
        after={
            "delivery": delivery.pk,
            "assets": [a.content_element_uuid for a in assets],
            "countries": request.countries,
            "usages": request.usages,
        },
        reason=note,
    )
    events_bus.publish(
        "request.delivered",
        key=f"request.delivered:delivery-{delivery.pk}",
        client=request.client,
        data={**_request_data(request), "assets": [a.pk for a in assets]},
        actor=actor,
    )
    return delivery


def latest_delivery(request: CreativeRequest) -> Delivery | None:
    return request.deliveries.order_by("-delivered_at", "-id").first()


def move_deliveries(old: Asset, new: Asset, *, reason: str = "") -> int:
    """A renewal case replaced ``old`` with ``new``: the deliveries that hold ``old`` hold ``new`` from now on
    (remembering ``old``). Returns how many items moved."""
    if old.client_id != new.client_id:
        return 0
    moved = 0
    with transaction.atomic():
        for item in DeliveryItem.objects.select_for_update().filter(asset=old).select_related("delivery__request"):
            if DeliveryItem.objects.filter(delivery_id=item.delivery_id, asset=new).exists():
                continue
            item.replaced_asset, item.asset = old, new
            item.save(update_fields=["asset", "replaced_asset"])
            audit.record(
                "creative.delivery.replace",
                client=new.client,
                obj=item.delivery.request,
                before={"asset": old.content_element_uuid},
                after={"asset": new.content_element_uuid, "delivery": item.delivery_id},
                reason=reason,
            )
            moved += 1
    return moved


# -- requests started in OpenText ------------------------------------------------------------------------------------
def _text_variable(variables: dict, name: str, problems: dict, *, limit: int, required: bool = False) -> str:
    value = variables.get(name)
    if value is None or value == "":
        if required:
            problems[name] = "missing"
        return ""
    if not isinstance(value, str | int | float):
        problems[name] = "not text"
        return ""
    text = str(value).strip()
    if len(text) > limit:
        problems[name] = f"longer than {limit:,} characters (cut)"
    return text[:limit]


def _list_variable(value) -> list[str]:
    if isinstance(value, list):
        return [str(v).strip() for v in value if str(v).strip()]
    if isinstance(value, str):
        return [v.strip() for v in value.replace(";", ",").split(",") if v.strip()]
    return []


def _date_variable(variables: dict, name: str, problems: dict) -> date | None:
    value = variables.get(name)
    if value in (None, ""):
        return None
    try:
        parsed = parse_date(str(value)[:10]) if isinstance(value, str) else None
    except ValueError:
        parsed = None
    if parsed is None:
        problems[name] = f"not a date: {str(value)[:40]}"
    return parsed


def mirror_started_elsewhere(started) -> WorkflowRun | None:
    """A ``creative_request`` instance a business user started in OpenText (``workflows.flows.Started``): mirror
    it once as a request of the client its ``client`` variable names, with its variables read as the intake would
    (``validate``); what is missing or wrong is kept in ``CreativeRequest.incomplete`` (field → problem) for triage
    to see, never refused. ``None`` when no client of ours is named (nothing can hold it) or when it is mirrored
    already."""
    from apps.clients.models import Client

    variables = started.variables or {}
    client = Client.objects.filter(slug=str(variables.get("client") or "").strip()).first()
    if client is None:
        return None
    problems: dict[str, str] = {}
    email = _text_variable(variables, "requester", problems, limit=254) or started.started_by
    requester = (
        User.objects.filter(email__iexact=email, memberships__client=client, is_active=True).first() if email else None
    )
    if requester is None:
        problems["requester"] = f"no one of {client.name} is {email}" if email else "missing"
    title = _text_variable(variables, "title", problems, limit=TITLE_LIMIT, required=True)
    wanted_type = _text_variable(variables, "campaignType", problems, limit=100)
    wanted_format = _text_variable(variables, "format", problems, limit=100)
    fields = Intake(
        title=title or f"Request started in OpenText by {email or 'someone'}"[:TITLE_LIMIT],
        brief=_text_variable(variables, "brief", problems, limit=TEXT_LIMIT),
        keywords=_text_variable(variables, "keywords", problems, limit=KEYWORDS_LIMIT),
        campaign_type=CampaignType.objects.active().filter(client=client, name__iexact=wanted_type).first()
        if wanted_type
        else None,
        format=Format.objects.active().filter(client=client, name__iexact=wanted_format).first()
        if wanted_format
        else None,
        countries=[c.upper() for c in _list_variable(variables.get("countries"))],
        regions=[r.lower() for r in _list_variable(variables.get("region") or variables.get("regions"))],
        usages=_list_variable(variables.get("usages")),
        deadline=_date_variable(variables, "deadline", problems),
        run_from=_date_variable(variables, "runFrom", problems),
        run_until=_date_variable(variables, "runUntil", problems),
    )
    if wanted_type and fields.campaign_type is None:
        problems["campaignType"] = f"not one of {client.name}'s campaign types: {wanted_type}"
    if wanted_format and fields.format is None:
        problems["format"] = f"not one of {client.name}'s formats: {wanted_format}"
    errors = validate(fields, client=client, requester=requester, submitting=True)
    for name, messages in errors.items():
        problems.setdefault(name, " ".join(messages))
        if name in ("countries", "usages", "regions"):  # keep only what the vocabulary knows
            known = {"countries": _iso_countries(), "usages": set(USAGES)}.get(name)
            if name == "regions":
                known = set(region_choices(requester, client)) if requester else set()
            setattr(fields, name, [v for v in getattr(fields, name) if v in known])
        elif (
            name in ("deadline", "run_until")
            and fields.run_from
            and fields.run_until
            and fields.run_from > fields.run_until
        ):
            fields.run_until = None
    with transaction.atomic():
        request = CreativeRequest(
            client=client,
            requester=requester,
            requester_email=email,
            source=Source.OPENTEXT,
            remote_instance_id=started.remote_id,
            status=RequestStatus.TRIAGE,
            incomplete=problems,
            submitted_at=started.started_at or timezone.now(),
        )
        _apply(request, fields)
        try:
            with transaction.atomic():
                request.save()
        except IntegrityError:
            return None  # another sync pass mirrored it first
        audit.record(
            "creative.request.discover",
            client=client,
            obj=request,
            after={"instance": started.remote_id, "started_by": started.started_by, "incomplete": problems},
        )
        return workflows.adopt_run(
            client=client,
            process_key=PROCESS,
            subject=request,
            remote_id=started.remote_id,
            business_key=started.business_key or f"opentext:{PROCESS}:{started.remote_id}",
            variables={**variables, workflows.REGIONS_VARIABLE: list(request.regions)},
            started_at=started.started_at,
            title=request.title,
        )


# -- escalation (the flow's schedule, as renewal cases escalate: ``exceptions.services.escalate_overdue``) ------------
def escalate_overdue(now: datetime | None = None) -> int:
    """Open requests with a task past its due date (the client's SLA for creative requests, ``requestDueDate``) are
    escalated once: ``task.escalated`` about the late step, its ``recipients`` the client's escalation contacts who
    have a login there (the notifications app tells them), and the audit event lists every contact and who was
    told. Returns how many requests were escalated."""
    now = now or timezone.now()
    late = Task.objects.filter(
        run__subject_type=SUBJECT, run__subject_id=OuterRef("pk"), status=TaskStatus.OPEN, due_at__lt=now
    )
    overdue = (
        CreativeRequest.objects.filter(status__in=SUBMITTED_OPEN, escalated_at__isnull=True)
        .filter(Exists(late))
        .select_related("client")
    )
    escalated = 0
    for request in overdue:
        with transaction.atomic():
            if not CreativeRequest.objects.filter(pk=request.pk, escalated_at__isnull=True).update(escalated_at=now):
                continue  # another worker escalated it
            step = (
                Task.objects.filter(
                    run__subject_type=SUBJECT, run__subject_id=request.pk, status=TaskStatus.OPEN, due_at__lt=now
                )
                .order_by("due_at", "id")
                .first()
            )
            why = f"Overdue at “{step.name}” (due {timezone.localtime(step.due_at):%d %b %H:%M})"
            people = _escalation_people(request)
            workflows.publish_task_event(
                "task.escalated",
                step,
                key=f"task.escalated:request-{request.pk}",
                recipients=sorted(p.pk for p in people),
            )
            _audit_escalation(request, people, why=why)
            escalated += 1
    return escalated


def _escalation_people(request: CreativeRequest) -> list[User]:
    """The client's escalation contacts who have a login there."""
    contacts = [str(email).lower() for email in request.client.escalation_contacts]
    return list(User.objects.filter(email__in=contacts, memberships__client=request.client).distinct())


def _audit_escalation(request: CreativeRequest, people: list[User], *, why: str) -> None:
    contacts = [str(email).lower() for email in request.client.escalation_contacts]
    audit.record(
        "creative.request.escalate",
        client=request.client,
        obj=request,
        after={"contacts": contacts, "notified": [p.email for p in people]},
        reason=why,
    )
