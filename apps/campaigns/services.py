"""Global campaigns (flow 5): a campaign from the browser or the API through one validator, its assets from three
places (the library, matching, a creative request's delivery), the regional review of each asset in each region
(one ``regional_review`` run per cell), and the moves of a cell's state.

Every change goes through a function here (actor passed in, one transaction, audited); the process's work goes
through ``workflows.services`` (start, decide), so OpenText hears of it through the outbox.
"""

from __future__ import annotations

import zoneinfo
from collections.abc import Iterable, Mapping
from dataclasses import dataclass, field
from datetime import date, datetime, time, timedelta

from django.db import IntegrityError, transaction
from django.utils import timezone

from apps.accounts.models import Region, User
from apps.assets.models import Asset
from apps.audit import services as audit
from apps.common.roles import RoleCode
from apps.common.smintio_vocabulary import USAGES
from apps.workflows import services as workflows
from apps.workflows.choices import OPEN_RUN_STATUSES
from apps.workflows.models import WorkflowRun

from .choices import CELL_TRANSITIONS, AssetSource, CellState
from .models import Campaign, CampaignAsset, CampaignAssetRegion, CampaignRegion

PROCESS = "regional_review"
SUBJECT = "campaigns.campaignassetregion"
NAME_LIMIT = 200
MAX_ASSETS = 200  # one campaign's assets: the matrix is a page, not a report
# Who plans campaigns: adds assets, starts the regional review.
PLANNERS = frozenset({RoleCode.AGENCY_ADMIN, RoleCode.CONTENT_MANAGER, RoleCode.MARKETING, RoleCode.REQUESTER})
# A region's deadline falls at the end of the working day in the region (its time zone).
DEADLINE_HOUR = 18
# The time zone a region's deadline is read in, by region code; a region not named here is read in UTC.
REGION_TIME_ZONES = {
    "emea": "Europe/Berlin",
    "europe": "Europe/Berlin",
    "amer": "America/New_York",
    "americas": "America/New_York",
    "na": "America/New_York",
    "latam": "America/Sao_Paulo",
    "apac": "Asia/Singapore",
}

InvalidTransition = workflows.InvalidTransition
CampaignRefused = workflows.DecisionRefused


class CampaignErrors(InvalidTransition):
    """The campaign cannot be saved as given: ``errors`` maps each field to its messages (shown at the field)."""

    def __init__(self, errors: Mapping[str, list[str]]):
        super().__init__("; ".join(f"{f}: {' '.join(m)}" for f, m in errors.items()))
        self.errors = dict(errors)


# -- who ---------------------------------------------------------------------------------------------------------------
def _membership(user, client):
    return next((m for m in getattr(user, "membership_list", []) if m.client_id == client.pk), None)


def may_plan(user, client) -> bool:
    """Whether ``user`` plans campaigns of ``client`` (creates them, adds assets, starts the regional review)."""
    membership = _membership(user, client)
    return membership is not None and bool(PLANNERS & set(membership.role_codes))


def planner_clients(user) -> list:
    return [m.client for m in getattr(user, "membership_list", []) if PLANNERS & set(m.role_codes)]


def _check_planner(user, client) -> None:
    if not may_plan(user, client):
        raise workflows.NotASigner(
            "Only the client's agency admins, content managers, marketing and requesters plan campaigns."
        )


# -- the campaign ------------------------------------------------------------------------------------------------------
@dataclass
class RegionPlan:
    code: str
    countries: list[str] = field(default_factory=list)  # empty: all the region's countries
    review_due: date | None = None


@dataclass
class Plan:
    name: str = ""
    channels: list[str] = field(default_factory=list)
    run_from: date | None = None
    run_until: date | None = None
    regions: list[RegionPlan] = field(default_factory=list)


def region_choices() -> list[Region]:
    """The region vocabulary campaigns name (the one memberships and tasks carry)."""
    return list(Region.objects.order_by("code"))


def time_zone_of(code: str) -> str:
    return REGION_TIME_ZONES.get(code, "UTC")


def local_deadline(day: date, zone: str) -> datetime:
    """The end of the working day ``day`` in ``zone``, as an aware datetime."""
    return datetime.combine(day, time(DEADLINE_HOUR), tzinfo=zoneinfo.ZoneInfo(zone))


def validate(plan: Plan, *, today: date | None = None) -> tuple[dict, dict[str, Region]]:
    """Field → messages for everything wrong with ``plan`` (empty: nothing), and the regions it names."""
    today = today or timezone.localdate()
    errors: dict[str, list[str]] = {}

    def fail(name: str, message: str) -> None:
        errors.setdefault(name, []).append(message)

    name = plan.name.strip()
    if not name:
        fail("name", "Give the campaign a name.")
    elif len(name) > NAME_LIMIT:
        fail("name", f"At most {NAME_LIMIT} characters; this one has {len(name)}.")
    if not plan.channels:
        fail("channels", "Name at least one channel.")
    unknown = sorted(set(plan.channels) - set(USAGES))
    if unknown:
        fail("channels", f"Not channels Smint.io knows: {', '.join(unknown)}.")
    if plan.run_from is None:
        fail("run_from", "Give the day the campaign starts.")
    if plan.run_until is None:
        fail("run_until", "Give the day the campaign ends.")
    elif plan.run_until < today:
        fail("run_until", "The campaign must not have ended already.")
    if plan.run_from and plan.run_until and plan.run_from > plan.run_until:
        fail("run_until", "The campaign must end on or after the day it starts.")
    known = {r.code: r for r in Region.objects.filter(code__in=[p.code for p in plan.regions])}
    if not plan.regions:
        fail("regions", "Choose at least one region.")
    seen: set[str] = set()
    for entry in plan.regions:
        region = known.get(entry.code)
        if region is None:
            fail("regions", f"No region {entry.code!r}.")
            continue
        if entry.code in seen:
            fail("regions", f"{region.name} is named twice.")
        seen.add(entry.code)
        outside = sorted({c.upper() for c in entry.countries} - {str(c) for c in region.countries})
        if outside:
            fail("regions", f"{', '.join(outside)} {'is' if len(outside) == 1 else 'are'} not in {region.name}.")
        if entry.review_due is not None and entry.review_due < today:
            fail("regions", f"{region.name}'s review is due in the past.")
        if entry.review_due is not None and plan.run_until and entry.review_due > plan.run_until:
            fail("regions", f"{region.name}'s review is due after the campaign ends.")
    return errors, known


def create(plan: Plan, *, client, actor: User) -> Campaign:
    """A new campaign of ``client`` owned by ``actor``. Raises ``CampaignErrors`` (field → messages)."""
    _check_planner(actor, client)
    errors, regions = validate(plan)
    if errors:
        raise CampaignErrors(errors)
    today = timezone.localdate()
    with transaction.atomic():
        campaign = Campaign.objects.create(
            client=client,
            name=plan.name.strip(),
            owner=actor,
            channels=sorted(set(plan.channels)),
            run_from=plan.run_from,
            run_until=plan.run_until,
        )
        for entry in plan.regions:
            region = regions[entry.code]
            zone = time_zone_of(region.code)
            due = entry.review_due or max(today, min(plan.run_from - timedelta(days=1), today + timedelta(days=7)))
            CampaignRegion.objects.create(
                campaign=campaign,
                region=region,
                countries=sorted({c.upper() for c in entry.countries} or {str(c) for c in region.countries}),
                time_zone=zone,
                review_due=local_deadline(due, zone),
            )
        audit.record(
            "campaigns.campaign.create",
            actor=actor,
            client=client,
            obj=campaign,
            after={
                "name": campaign.name,
                "channels": campaign.channels,
                "run_from": str(campaign.run_from),
                "run_until": str(campaign.run_until),
                "regions": {e.code: sorted(e.countries) for e in plan.regions},
            },
        )
    return campaign


# -- its assets --------------------------------------------------------------------------------------------------------
def add_assets(
    campaign: Campaign, assets: Iterable[Asset], *, actor: User, source: str = AssetSource.LIBRARY
) -> list[CampaignAsset]:
    """Add ``assets`` (of the campaign's client) to the campaign; those already on it are left as they are. Each
    asset gets a cell per region, not started. Returns the entries added."""
    _check_planner(actor, campaign.client)
    if source not in AssetSource.values:
        raise CampaignRefused(f"Unknown source {source!r}.", field="source")
    assets = list(assets)
    if not assets:
        raise CampaignRefused("Choose at least one asset.", field="assets")
    if any(a.client_id != campaign.client_id for a in assets):
        raise CampaignRefused("Only the campaign's client's assets can be added.", field="assets")
    have = set(campaign.assets.values_list("asset_id", flat=True))
    new = [a for a in dict.fromkeys(assets) if a.pk not in have]
    if len(have) + len(new) > MAX_ASSETS:
        raise CampaignRefused(f"A campaign holds at most {MAX_ASSETS} assets.", field="assets")
    added: list[CampaignAsset] = []
    with transaction.atomic():
        regions = list(campaign.regions.all())
        for asset in new:
            try:
                with transaction.atomic():
                    entry = CampaignAsset.objects.create(campaign=campaign, asset=asset, source=source, added_by=actor)
            except IntegrityError:  # added meanwhile by someone else
                continue
            CampaignAssetRegion.objects.bulk_create(
                [CampaignAssetRegion(campaign_asset=entry, campaign_region=region) for region in regions]
            )
            added.append(entry)
        if added:
            audit.record(
                "campaigns.campaign.add_assets",
                actor=actor,
                client=campaign.client,
                obj=campaign,
                after={"assets": [e.asset.content_element_uuid for e in added], "source": source},
            )
    return added


def want_of(campaign: Campaign):
    """The campaign as matching reads it (``creative.matching.Want``): its countries, channels, run and name."""
    from apps.creative import matching

    return matching.Want(
        countries=frozenset(campaign.countries),
        usages=frozenset(campaign.channels),
        run_from=campaign.run_from,
        run_until=campaign.run_until,
        text=campaign.name,
    )


def matches_for(campaign: Campaign, **options):
    from apps.creative import matching

    return matching.match(campaign.client, want_of(campaign), **options)


def delivered_assets(campaign: Campaign, request_id: int, user) -> list[Asset]:
    """The assets delivered to a creative request of the campaign's client that ``user`` may see."""
    from apps.creative.models import CreativeRequest, DeliveryItem

    request = CreativeRequest.objects.visible_to(user).filter(pk=request_id, client_id=campaign.client_id).first()
    if request is None:
        raise CampaignRefused("No such creative request of this client among yours.", field="request")
    items = DeliveryItem.objects.filter(delivery__request=request).select_related("asset")
    assets = list(dict.fromkeys(item.asset for item in items))
    if not assets:
        raise CampaignRefused(f"Nothing was delivered to “{request.title}” yet.", field="request")
    return assets


# -- the regional review -----------------------------------------------------------------------------------------------
def variables_of(cell: CampaignAssetRegion) -> dict:
    campaign_region = cell.campaign_region
    campaign = campaign_region.campaign
    asset = cell.campaign_asset.asset
    return {
        "client": campaign.client.slug,
        "campaign": campaign.pk,
        "campaignName": campaign.name,
        "asset": asset.content_element_uuid,
        "assetName": asset.name or asset.content_element_uuid,
        "region": campaign_region.region.code,
        workflows.REGIONS_VARIABLE: [campaign_region.region.code],  # the tasks carry the region
        "intendedCountries": campaign_region.countries,
        "intendedUsages": campaign.channels,
        "useFrom": campaign.run_from.isoformat(),
        "useUntil": campaign.run_until.isoformat(),
        "reviewDueDate": campaign_region.review_due.isoformat(),
    }


def start_review(campaign: Campaign, *, actor: User, regions: Iterable[str] = ()) -> list[WorkflowRun]:
    """Start the regional review of every cell not started yet (of the ``regions`` named, else all): one
    ``regional_review`` run per asset and region. Returns the runs started."""
    _check_planner(actor, campaign.client)
    cells = list(
        CampaignAssetRegion.objects.filter(campaign_asset__campaign=campaign, state=CellState.PENDING)
        .select_related("campaign_asset__asset", "campaign_region__region", "campaign_region__campaign__client")
        .order_by("campaign_asset_id", "campaign_region__region__code")
    )
    wanted = set(regions)
    if wanted:
        cells = [c for c in cells if c.campaign_region.region.code in wanted]
    if not cells:
        raise CampaignRefused("Nothing is waiting to be reviewed: add assets first.", field="start")
    if campaign.run_until < timezone.localdate():
        raise CampaignRefused("The campaign has ended: its assets are no longer reviewed.", field="start")
    runs = []
    with transaction.atomic():
        for cell in cells:
            run = workflows.start_run(
                client=campaign.client,
                process_key=PROCESS,
                subject=cell,
                variables=variables_of(cell),
                actor=actor,
                title=f"{cell.campaign_asset} in {cell.campaign_region.region.name} ({campaign.name})",
            )
            _move_cell(cell, CellState.IN_REVIEW, actor=actor, action="campaigns.cell.start")
            runs.append(run)
        audit.record(
            "campaigns.campaign.start_review",
            actor=actor,
            client=campaign.client,
            obj=campaign,
            after={"runs": len(runs), "regions": sorted({c.campaign_region.region.code for c in cells})},
        )
    return runs


def _move_cell(cell: CampaignAssetRegion, to: str, *, actor=None, action: str, reason: str = "", **fields):
    """Move ``cell`` to ``to`` (a move ``CELL_TRANSITIONS`` allows, else ``InvalidTransition``), with the other
    ``fields`` written alongside, audited on the campaign's client."""
    with transaction.atomic():
        locked = CampaignAssetRegion.objects.select_for_update().get(pk=cell.pk)
        before = locked.state
        if to != before and to not in CELL_TRANSITIONS[before]:
            raise InvalidTransition(
                f"The asset is {locked.get_state_display().lower()} in this region: it cannot become "
                f"{CellState(to).label.lower()}."
            )
        locked.state = to
        for name, value in fields.items():
            setattr(locked, name, value)
        locked.save(update_fields=["state", "updated_at", *fields])
        audit.record(
            action,
            actor=actor if getattr(actor, "is_authenticated", False) else None,
            client=cell.campaign_region.campaign.client,
            obj=locked,
            before={"state": before},
            after={"state": to, **{k: v if isinstance(v, dict | list) else str(v) for k, v in fields.items()}},
            reason=reason,
        )
    for name in ("state", *fields):
        setattr(cell, name, getattr(locked, name))
    return locked


def cell_of(run: WorkflowRun) -> CampaignAssetRegion | None:
    if run.subject_type != SUBJECT:
        return None
    return (
        CampaignAssetRegion.objects.select_related(
            "campaign_asset__asset", "campaign_region__region", "campaign_region__campaign__client"
        )
        .filter(pk=run.subject_id)
        .first()
    )


def open_run_of(cell: CampaignAssetRegion) -> WorkflowRun | None:
    return WorkflowRun.objects.filter(
        subject_type=SUBJECT, subject_id=cell.pk, process_key=PROCESS, status__in=OPEN_RUN_STATUSES
    ).first()


# -- restrictions ------------------------------------------------------------------------------------------------------
def check_restrictions(cell: CampaignAssetRegion, *, countries, channels, until) -> dict:
    """What a reviewer restricts the asset to in the cell's region: fewer countries (of the region's in the
    campaign), fewer channels (of the campaign's), an earlier end (within the run). Raises ``CampaignRefused``
    naming the field; returns the restrictions as kept: ``{countries, channels, until}``."""
    campaign_region = cell.campaign_region
    campaign = campaign_region.campaign
    countries = sorted({str(c).strip().upper() for c in countries or () if str(c).strip()})
    channels = sorted({str(c).strip() for c in channels or () if str(c).strip()})
    allowed_countries = set(campaign_region.countries)
    outside = [c for c in countries if c not in allowed_countries]
    if outside:
        raise CampaignRefused(
            f"{', '.join(outside)} {'is' if len(outside) == 1 else 'are'} outside the campaign in "
            f"{campaign_region.region.name} ({', '.join(sorted(allowed_countries))}).",
            field="restrict_countries",
        )
    outside = [c for c in channels if c not in campaign.channels]
    if outside:
        raise CampaignRefused(
            f"{', '.join(USAGES.get(c, c) for c in outside)}: not a channel of the campaign "
            f"({', '.join(USAGES.get(c, c) for c in campaign.channels)}).",
            field="restrict_channels",
        )
    if until is not None and (until > campaign.run_until or until < campaign.run_from):
        raise CampaignRefused(
            f"An earlier end must fall within the campaign's run ({campaign.run_from} to {campaign.run_until}).",
            field="restrict_until",
        )
    if not countries and not channels and until is None:
        raise CampaignRefused(
            "Approving with restrictions needs fewer countries, fewer channels or an earlier end.",
            field="restrict_countries",
        )
    if (
        set(countries or allowed_countries) == allowed_countries
        and set(channels or campaign.channels) == set(campaign.channels)
        and (until is None or until == campaign.run_until)
    ):
        raise CampaignRefused(
            "These are the campaign's own countries, channels and end: approve it instead.", field="restrict_countries"
        )
    return {
        "countries": countries or sorted(allowed_countries),
        "channels": channels or sorted(campaign.channels),
        "until": (until or campaign.run_until).isoformat(),
    }


def narrow(current: dict, more: dict) -> dict:
    """Two reviewers' restrictions together: what both allow."""
    if not current:
        return dict(more)
    return {
        "countries": sorted(set(current["countries"]) & set(more["countries"])),
        "channels": sorted(set(current["channels"]) & set(more["channels"])),
        "until": min(current["until"], more["until"]),
    }


def record_restrictions(cell: CampaignAssetRegion, restrictions: dict, *, actor, reason: str) -> None:
    """A reviewer approved with restrictions: the cell keeps what every restricting reviewer allows."""
    with transaction.atomic():
        locked = CampaignAssetRegion.objects.select_for_update().get(pk=cell.pk)
        before = dict(locked.restrictions)
        locked.restrictions = narrow(before, restrictions)
        locked.save(update_fields=["restrictions", "updated_at"])
        audit.record(
            "campaigns.cell.restrict",
            actor=actor,
            client=cell.campaign_region.campaign.client,
            obj=locked,
            before={"restrictions": before},
            after={"restrictions": locked.restrictions},
            reason=reason,
        )
    cell.restrictions = locked.restrictions


def smintio_restrictions(cell: CampaignAssetRegion) -> dict | None:
    """The cell's restrictions as Smint.io's workflow status carries them (platforms 5.1): ``geographies``
    (ISO countries), ``usages`` (usage keys), ``valid_until`` (the end of the last day, in the region)."""
    kept = cell.restrictions
    if not kept:  # restricted in OpenText alone: the portal knows no narrower scope than the campaign's own
        campaign_region = cell.campaign_region
        campaign = campaign_region.campaign
        kept = {
            "countries": campaign_region.countries,
            "channels": campaign.channels,
            "until": campaign.run_until.isoformat(),
        }
    until = date.fromisoformat(kept["until"])
    end = datetime.combine(until, time(23, 59, 59), tzinfo=zoneinfo.ZoneInfo(cell.campaign_region.time_zone))
    return {"geographies": kept["countries"], "usages": kept["channels"], "valid_until": end.isoformat()}
