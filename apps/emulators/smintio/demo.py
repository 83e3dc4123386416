"""The demo library: a deterministic, realistic licensed-content catalogue per tenant, generated without network.

``build_library`` is pure (same slug, seed and ``now`` give the same library) so tests can check determinism and
variety without a database; ``seed_library`` writes it with bulk inserts (well under two seconds for 250 assets);
``bootstrap`` does everything a demo needs for one tenant in process: tenant, OAuth client, library, refresh token.

Every special case the portal's flows react to appears at least once per tenant (the first assets take one case
each, the rest draw them at random): rights expiring within 1-14 days, already expired, open-ended, cancelled
purchases, editorial-only and editorial-unknown (``null``) assets, download limits at 80-100 %, missing metadata,
``can_be_synced: false``, model/property release states, compound assets, DAM-ingested content (Bynder,
Brandfolder) and re-used licences. Usage events include a download burst by one user for the compliance flow.
Dates are relative to ``now`` so "expiring soon" stays true whenever the demo is seeded.
"""

from __future__ import annotations

import datetime as dt
import math
import random
import uuid
from collections import Counter
from dataclasses import dataclass, field

from django.db import transaction
from django.utils import timezone

from . import contract, oauth, services
from .models import (
    Binary,
    ChangeLogEntry,
    ContentElement,
    LicensePurchaseTransaction,
    OAuthClient,
    Tenant,
    UsageEvent,
)
from .payloads import default_binary_data, iso, localized, lpt_document

DEFAULT_COUNT = 240

CASES = (
    "expiring_soon",
    "expired",
    "open_ended",
    "cancelled",
    "editorial_only",
    "download_limit",
    "missing_metadata",
    "editorial_unknown",
    "not_syncable",
    "releases",
    "compound",
    "dam",
    "reuse",
)
# How often each case is drawn for assets after the first ones (which take one case each).
CASE_RATES = {
    "expiring_soon": 0.09,
    "expired": 0.07,
    "open_ended": 0.22,
    "cancelled": 0.04,
    "editorial_only": 0.06,
    "download_limit": 0.07,
    "missing_metadata": 0.06,
    "editorial_unknown": 0.10,
    "not_syncable": 0.03,
    "releases": 0.45,
    "compound": 0.04,
    "dam": 0.16,
}
EXCLUSIVE_DATES = ("expiring_soon", "expired", "open_ended")
REUSE_COUNT = 4


@dataclass(frozen=True)
class Theme:
    """A subject area: what the pictures show, the words they are tagged with, and industries to keep away."""

    key: str
    label: str
    subjects: tuple[str, ...]
    settings: tuple[str, ...]
    keywords: tuple[str, ...]
    restricted_industries: tuple[str, ...] = ()


THEMES = {
    "outdoor": Theme(
        "outdoor",
        "Outdoor",
        ("Hikers", "Trail runner", "Mountain lake", "Campfire", "Kayakers", "Alpine hut", "Climber", "Forest path"),
        ("at sunrise", "in autumn light", "under a stormy sky", "in the Dolomites", "after rain", "in deep snow"),
        ("outdoor", "hiking", "mountain", "nature", "adventure", "trail", "landscape", "active", "weather", "gear"),
        ("industry_tobacco",),
    ),
    "lifestyle": Theme(
        "lifestyle",
        "Lifestyle",
        ("Friends laughing", "Family breakfast", "Young couple", "Yoga session", "City cyclist", "Street market"),
        ("on a rooftop", "in a sunny kitchen", "at golden hour", "in a park", "on a weekend", "by the window"),
        ("lifestyle", "people", "candid", "happiness", "urban", "leisure", "family", "wellbeing", "diversity"),
        ("industry_alcohol",),
    ),
    "pharma": Theme(
        "pharma",
        "Pharma and health",
        ("Pharmacist", "Lab technician", "Doctor consultation", "Pill blister", "Researcher", "Nurse"),
        ("at a microscope", "with a patient", "in a clean room", "in close-up", "in a hospital corridor"),
        ("healthcare", "medicine", "pharmacy", "laboratory", "science", "patient", "clinical", "research", "care"),
        ("industry_pharma", "industry_tobacco"),
    ),
    "office": Theme(
        "office",
        "Office and business",
        ("Team meeting", "Laptop workspace", "Handshake", "Whiteboard session", "Video call", "Open-plan office"),
        ("in a glass room", "late in the evening", "from above", "with sticky notes", "in soft daylight"),
        ("business", "office", "teamwork", "meeting", "corporate", "technology", "workplace", "strategy"),
        ("industry_finance",),
    ),
    "food": Theme(
        "food",
        "Food and drink",
        ("Sourdough loaf", "Fresh salad bowl", "Espresso cup", "Farmers' market stall", "Pasta dish", "Smoothie"),
        ("on a wooden table", "with natural light", "overhead", "on linen", "in a bistro", "with steam rising"),
        ("food", "cooking", "fresh", "healthy", "restaurant", "ingredients", "organic", "drink", "delicious"),
        ("industry_alcohol",),
    ),
    "technology": Theme(
        "technology",
        "Technology",
        ("Server room", "Circuit board", "Developer at screens", "Robot arm", "Smartphone in hand", "Drone"),
        ("in blue light", "in macro detail", "at night", "with reflections", "in a factory hall"),
        ("technology", "digital", "innovation", "data", "software", "engineering", "automation", "connected"),
        ("industry_politics",),
    ),
    "travel": Theme(
        "travel",
        "Travel",
        ("Coastal village", "Train window", "Old town square", "Desert road", "Harbour", "Night market"),
        ("at dusk", "in summer", "from a hilltop", "in the rain", "with tourists", "off season"),
        ("travel", "destination", "tourism", "journey", "architecture", "coast", "city", "vacation", "culture"),
    ),
    "automotive": Theme(
        "automotive",
        "Automotive",
        ("Electric car charging", "Mountain pass drive", "Workshop mechanic", "Dashboard", "Test track"),
        ("at a fast charger", "in motion blur", "at sunset", "in a studio", "on wet asphalt"),
        ("car", "mobility", "electric", "driving", "road", "vehicle", "transport", "engineering"),
        ("industry_alcohol",),
    ),
}
# The two demo clients of ``seed_demo`` get fitting subjects; other tenants draw three themes from their slug.
PREFERRED_THEMES = {
    "northwind": ("outdoor", "lifestyle", "travel"),
    "contoso": ("pharma", "office", "technology"),
}

PROVIDER_DOMAINS = {
    "getty": "gettyimages.com",
    "adobestock": "stock.adobe.com",
    "shutterstock": "shutterstock.com",
    "istock": "istockphoto.com",
    "bynder": "bynder.com",
    "brandfolder": "brandfolder.com",
}
CONTRIBUTORS = (
    "Lena Berg",
    "Tomás Rivera",
    "Aiko Tanaka",
    "Noah Fischer",
    "Amara Okafor",
    "Jonas Lind",
    "Sofia Rossi",
    "Mateo Silva",
    "Emma Novak",
    "Ravi Menon",
    "Chloé Martin",
    "Oskar Nilsson",
)
COUNTRIES = (
    "geography_germany_de",
    "geography_france_fr",
    "geography_united_kingdom_gb",
    "geography_spain_es",
    "geography_italy_it",
    "geography_united_states_us",
    "geography_canada_ca",
    "geography_japan_jp",
    "geography_austria_at",
    "geography_netherlands_nl",
    "geography_brazil_br",
)
NON_EDITORIAL_USAGES = tuple(key for key in contract.LICENSE_USAGES if key != "usage_editorial")
# (mailbox, home country, channels they use); mailboxes match the portal's demo personas.
USERS = (
    ("creative", "DE", ("web", "social_media", "print")),
    ("marketing", "GB", ("social_media", "email", "web")),
    ("brand", "FR", ("print", "presentation")),
    ("product", "US", ("web", "presentation")),
    ("requester", "ES", ("intranet", "email")),
    ("reviewer", "NL", ("presentation", "web")),
)
BURST_USER = ("external", None)  # country unknown: the burst is the compliance case, not 35 territory ones


@dataclass
class PlannedAsset:
    """One licence purchase (and its element) before it is written."""

    element_uuid: str
    provider: str
    element_data: dict
    lpt_uuid: str
    cart_uuid: str
    lpt_data: dict
    binaries: list[tuple[str, dict]]
    purchased_at: dt.datetime
    cancelled_at: dt.datetime | None
    cases: frozenset[str]


@dataclass
class PlannedUsage:
    element_uuid: str
    lpt_uuid: str
    event: str
    user_email: str
    occurred_at: dt.datetime
    country: str | None
    channel: str | None


@dataclass
class Library:
    """A tenant's whole catalogue, deterministic for (slug, seed, now)."""

    themes: tuple[str, ...]
    assets: list[PlannedAsset]
    usage_events: list[PlannedUsage] = field(default_factory=list)

    def case_counts(self) -> dict[str, int]:
        return dict(Counter(case for asset in self.assets for case in asset.cases))


@dataclass(frozen=True)
class SeedSummary:
    """What ``seed_library`` wrote (or found, when the tenant was already seeded)."""

    created: bool
    themes: tuple[str, ...]
    content_elements: int
    lpts: int
    log_entries: int
    usage_events: int
    cases: dict[str, int]

    def as_dict(self) -> dict:
        return {
            "created": self.created,
            "themes": list(self.themes),
            "content_elements": self.content_elements,
            "lpts": self.lpts,
            "log_entries": self.log_entries,
            "usage_events": self.usage_events,
            "cases": self.cases,
        }


@dataclass(frozen=True)
class Bootstrap:
    """A connectable demo tenant: what a portal connection needs besides the base URLs."""

    tenant: Tenant
    client: OAuthClient
    refresh_token: str
    summary: SeedSummary | None


# --- Generation (pure) ----------------------------------------------------------------------------------------


@dataclass(frozen=True)
class _Context:
    slug: str
    tenant_name: str
    themes: tuple[Theme, ...]
    projects: tuple[tuple[str, str], ...]
    collections: dict[str, tuple[str, str]]
    buyers: tuple[tuple[str, str], ...]
    licensee_uuid: str
    now: dt.datetime


def _uuid(rng: random.Random) -> str:
    return str(uuid.UUID(int=rng.getrandbits(128), version=4))


def themes_for(slug: str) -> tuple[str, ...]:
    """Three themes per tenant: fixed for the demo clients, drawn from the slug otherwise."""
    if slug in PREFERRED_THEMES:
        return PREFERRED_THEMES[slug]
    return tuple(random.Random(f"themes:{slug}").sample(sorted(THEMES), 3))  # noqa: S311 - demo data, not secrets


def _context(rng: random.Random, slug: str, tenant_name: str, now: dt.datetime) -> _Context:
    themes = tuple(THEMES[key] for key in themes_for(slug))
    year = now.year
    projects = tuple(
        (_uuid(rng), label)
        for label in (f"Spring campaign {year}", f"Brand refresh {year}", "Always-on social", "Trade fair kit")
    )
    collections = {theme.key: (_uuid(rng), f"{theme.label} library") for theme in themes}
    buyers = tuple((_uuid(rng), name) for name in ("Priya Procurement", "Olga Owner", "Cem Content", "Nina Admin"))
    return _Context(slug, tenant_name, themes, projects, collections, buyers, _uuid(rng), now)


def _cases(rng: random.Random, index: int) -> frozenset[str]:
    """The special cases of one asset: one forced case for each of the first assets, random draws for all.

    At most one date case applies (expired, expiring soon or open-ended), and editorial-only excludes
    editorial-unknown; the forced case always wins a conflict. "reuse" is planned after the main loop.
    """
    drawn = {case for case, rate in CASE_RATES.items() if rng.random() < rate}
    forced = CASES[index] if index < len(CASES) - 1 else None
    if forced:
        drawn.add(forced)
    date_cases = [case for case in EXCLUSIVE_DATES if case in drawn]
    if len(date_cases) > 1:
        keep = forced if forced in date_cases else date_cases[0]
        drawn -= set(date_cases) - {keep}
    if {"editorial_only", "editorial_unknown"} <= drawn:
        drawn.discard("editorial_only" if forced == "editorial_unknown" else "editorial_unknown")
    return frozenset(drawn)


def _days(rng: random.Random, low: float, high: float) -> dt.timedelta:
    return dt.timedelta(days=rng.uniform(low, high))


def _keywords(rng: random.Random, theme: Theme, name: str) -> list[dict]:
    words = rng.sample(theme.keywords, k=min(len(theme.keywords), rng.randint(4, 7)))
    words.append(name.split()[0].lower())
    return [{"culture": "en", "metadata_element": {"key": word, "name": word}} for word in dict.fromkeys(words)]


def _release_details(rng: random.Random, releases: bool) -> dict | None:
    if not releases:
        return (
            None
            if rng.random() < 0.5
            else {
                "model_release_state": "release_state_not_required",
                "property_release_state": "release_state_not_required",
                "provider_allowed_use_comment": None,
                "provider_release_comment": None,
                "provider_usage_constraints": None,
            }
        )
    model = rng.choice(("release_state_released", "release_state_not_released", "release_state_unknown"))
    return {
        "model_release_state": model,
        "property_release_state": rng.choice(
            ("release_state_released", "release_state_not_required", "release_state_unknown")
        ),
        "provider_allowed_use_comment": localized("Commercial use permitted with model release on file.")
        if model == "release_state_released"
        else None,
        "provider_release_comment": localized(
            "No model release: do not use for advertising.", "Keine Modellfreigabe: nicht für Werbung verwenden."
        )
        if model == "release_state_not_released"
        else None,
        "provider_usage_constraints": localized("Not for sensitive subjects.", "Nicht für sensible Themen.")
        if rng.random() < 0.4
        else None,
    }


def _geographies(rng: random.Random) -> tuple[list[str], list[str]]:
    roll = rng.random()
    if roll < 0.45:
        restricted = [rng.choice(("geography_china_cn", "geography_united_states_us"))] if rng.random() < 0.2 else []
        return ["geography_worldwide"], restricted
    if roll < 0.6:
        return ["geography_europe"], ["geography_switzerland_ch"] if rng.random() < 0.15 else []
    if roll < 0.7:
        return ["geography_dach"], []
    if roll < 0.8:
        return ["geography_north_america"], []
    return rng.sample(COUNTRIES, k=rng.randint(1, 3)), []


def _validity(
    rng: random.Random, cases: frozenset[str], purchased_at: dt.datetime, now: dt.datetime, first: bool
) -> tuple[str | None, str | None]:
    """``(valid_until, to_be_used_until)`` for a term, driven by the asset's date case."""
    if "expired" in cases:
        until = now - _days(rng, 1, 180)
        return iso(max(until, purchased_at + dt.timedelta(days=1))), None
    if "expiring_soon" in cases and first:
        soon = now + _days(rng, 1, 14)
        if rng.random() < 0.5:
            return iso(soon), None
        return iso(now + _days(rng, 200, 700)), iso(soon)
    if "open_ended" in cases:
        return None, None
    until = now + _days(rng, 45, 1100)
    to_be_used = until - _days(rng, 10, 40) if rng.random() < 0.25 else None
    return iso(until), iso(to_be_used)


def _terms(rng: random.Random, theme: Theme, cases: frozenset[str], purchased_at: dt.datetime, now: dt.datetime):
    editorial = True if "editorial_only" in cases else (None if "editorial_unknown" in cases else False)
    terms = []
    for position in range(rng.choices((1, 2, 3), weights=(60, 30, 10))[0]):
        allowed_geo, restricted_geo = _geographies(rng)
        if "editorial_only" in cases:
            allowed_usages, restricted_usages = ["usage_editorial"], ["usage_advertising"]
        else:
            allowed_usages = rng.sample(NON_EDITORIAL_USAGES, k=rng.randint(2, 5))
            leftovers = [key for key in NON_EDITORIAL_USAGES if key not in allowed_usages]
            restricted_usages = [rng.choice(leftovers)] if rng.random() < 0.2 else []
        valid_until, to_be_used_until = _validity(rng, cases, purchased_at, now, first=position == 0)
        restricted_industries = []
        if theme.restricted_industries and rng.random() < 0.25:
            restricted_industries = [rng.choice(theme.restricted_industries)]
        terms.append(
            {
                "sequence_number": None,
                "name": localized(
                    ("Standard licence", "Extended licence", "Print add-on")[position],
                    ("Standardlizenz", "Erweiterte Lizenz", "Druck-Erweiterung")[position],
                ),
                "exclusivities": ["exclusivity_industry" if rng.random() < 0.08 else "exclusivity_none"],
                "allowed_usages": allowed_usages,
                "restricted_usages": restricted_usages,
                "allowed_sizes": [rng.choice(("size_original", "size_large", "size_medium"))],
                "restricted_sizes": [],
                "allowed_placements": rng.sample(tuple(contract.LICENSE_PLACEMENTS), k=rng.randint(1, 3))
                if rng.random() < 0.3
                else [],
                "restricted_placements": ["placement_billboard"] if rng.random() < 0.1 else [],
                "allowed_distributions": [
                    rng.choice(("distribution_unlimited", "distribution_unlimited", "distribution_up_to_500000"))
                ],
                "restricted_distributions": [],
                "allowed_geographies": allowed_geo,
                "restricted_geographies": restricted_geo,
                "allowed_industries": [],
                "restricted_industries": restricted_industries,
                "allowed_languages": ["language_english", "language_german"] if rng.random() < 0.15 else [],
                "restricted_languages": [],
                "usage_limits": [
                    "usage_limit_none" if rng.random() < 0.7 else rng.choice(tuple(contract.LICENSE_USAGE_LIMITS)[1:])
                ],
                "valid_from": iso(purchased_at + dt.timedelta(days=30 * position)),
                "valid_until": valid_until,
                "to_be_used_until": to_be_used_until,
                "is_editorial_use": editorial,
            }
        )
    return terms


def _constraints(rng: random.Random, cases: frozenset[str]) -> tuple[dict, dict]:
    """``license_download_constraints`` and the current counters; limited assets sit at 80-100 % of the limit."""
    if "download_limit" in cases:
        limit = rng.choice((5, 10, 20, 25, 50))
        current = min(limit, math.ceil(limit * rng.uniform(0.8, 1.0)))
        users = rng.choice((None, 5, 10))
        return (
            {"effective_max_downloads": limit, "effective_max_users": users, "effective_max_reuses": None},
            {"current_downloads": current, "current_users": min(users or 3, 3), "current_reuses": 0},
        )
    limit = rng.choice((None, None, 100, 250, 1000))
    downloads = rng.randint(0, int(limit * 0.3)) if limit else rng.randint(0, 40)
    return (
        {
            "effective_max_downloads": limit,
            "effective_max_users": rng.choice((None, None, 25)),
            "effective_max_reuses": None,
        },
        {"current_downloads": downloads, "current_users": rng.randint(0, 6), "current_reuses": rng.randint(0, 2)},
    )


def _offering(rng: random.Random, provider: str, cases: frozenset[str], content_type: str, editorial, price: float):
    provider_name = contract.PROVIDERS[provider][0]
    if "dam" in cases:
        license_type = "in_house"
    elif "editorial_only" in cases:
        license_type = "editorial"
    else:
        license_type = "rights_managed" if rng.random() < 0.15 else "royalty_free"
    media_format = {"image": "jpg", "video": "mp4", "template": "indd"}[content_type]
    return {
        "license_uuid": _uuid(rng),
        "license_type": license_type,
        "offering_uuid": _uuid(rng),
        "offering_name": localized(contract.LICENSE_TYPES[license_type][0], contract.LICENSE_TYPES[license_type][1]),
        "contract_uuid": _uuid(rng),
        "contract_name": localized(f"{provider_name} enterprise agreement", f"{provider_name} Rahmenvertrag"),
        "provider_configuration_uuid": _uuid(rng),
        "media_type": content_type,
        "size": "size_original",
        "format": media_format,
        "resolution": "3840x2160" if content_type == "video" else "6000x4000",
        "license_urls": [f"https://{PROVIDER_DOMAINS[provider]}/license-information"],
        "is_editorial_use": editorial,
        "price_eur": price,
        "price_usd": round(price * 1.08, 2),
        "has_options": False,
        "options": [],
    }


def _plan_asset(rng: random.Random, ctx: _Context, index: int) -> PlannedAsset:
    cases = _cases(rng, index)
    now = ctx.now
    theme = rng.choice(ctx.themes)
    provider = rng.choice(contract.DAM_PROVIDERS if "dam" in cases else contract.STOCK_PROVIDERS)
    content_type = rng.choices(("image", "video"), weights=(85, 15))[0]
    if "compound" in cases and rng.random() < 0.5:
        content_type = "template"  # a layout package: master plus layout files
    name = f"{rng.choice(theme.subjects)} {rng.choice(theme.settings)}"
    contributor = rng.choice(CONTRIBUTORS)
    editorial = True if "editorial_only" in cases else (None if "editorial_unknown" in cases else False)
    missing = "missing_metadata" in cases
    purchased_at = (now - _days(rng, 2, 720)).replace(microsecond=0)
    provider_id = rng.randint(10_000_000, 2_099_999_999)
    element_data = {
        "content_type": content_type,
        "content_category": "brand" if "dam" in cases else ("editorial" if editorial else "creative"),
        "name": localized(name),
        "description": [] if missing else localized(f"{name}. {theme.label} imagery for {ctx.tenant_name}."),
        "keywords": [] if missing else _keywords(rng, theme, name),
        "categories": [{"culture": "en", "metadata_element": {"key": theme.key, "name": theme.label}}],
        "contributors": [{"uuid": str(uuid.uuid5(uuid.NAMESPACE_DNS, contributor)), "name": contributor}],
        "copyright_notices": [] if missing else localized(f"© {contributor} / {contract.PROVIDERS[provider][0]}"),
        "provider_urls": [f"https://{PROVIDER_DOMAINS[provider]}/detail/{provider_id}"],
        "image_details": {"width": 6000, "height": 4000} if content_type == "image" else None,
        "is_editorial_use": editorial,
        "is_editorial": bool(editorial),
        "is_premium": provider in ("getty", "adobestock") and rng.random() < 0.15,
        "is_ai": rng.choice((None, False, False, False, True)),
        "release_details": _release_details(rng, "releases" in cases),
        "usage_rules": None,
        "access": None,
        "created_at": iso(purchased_at - _days(rng, 30, 900)),
    }
    constraints, counters = _constraints(rng, cases)
    terms = _terms(rng, theme, cases, purchased_at, now)
    price = 0.0 if "dam" in cases else round(rng.uniform(9, 499), 2)
    project_uuid, project_name = rng.choice(ctx.projects)
    collection_uuid, collection_name = ctx.collections[theme.key]
    buyer_uuid, buyer_name = rng.choice(ctx.buyers)
    restrictive = (
        any(
            term[key]
            for term in terms
            for key in ("restricted_usages", "restricted_geographies", "restricted_industries")
        )
        or bool(editorial)
        or "download_limit" in cases
    )
    lpt_data = {
        "reused_license_purchase_transaction_uuid": None,
        "project_uuid": project_uuid,
        "project_name": localized(project_name),
        "collection_uuid": collection_uuid,
        "collection_name": localized(collection_name),
        "licensee_uuid": ctx.licensee_uuid,
        "licensee_name": ctx.tenant_name,
        "purchased_at": iso(purchased_at),
        "completed_at": iso(purchased_at + dt.timedelta(minutes=rng.randint(1, 90))),
        "purchased_by_user_uuid": buyer_uuid,
        "purchased_by_user_name": buyer_name,
        "total_price_eur": price,
        "total_price_usd": round(price * 1.08, 2),
        "offering": _offering(rng, provider, cases, content_type, editorial, price),
        "license_text": {
            "effective_text": localized(
                f"{contract.PROVIDERS[provider][0]} licence for {ctx.tenant_name}. Use only within the licence terms.",
                f"{contract.PROVIDERS[provider][0]}-Lizenz für {ctx.tenant_name}. Nutzung nur gemäß Lizenzbedingungen.",
            ),
            "effective_text_is_safe_html": False,
        },
        "license_terms": terms,
        "license_download_constraints": constraints,
        **counters,
        "has_potentially_restrictive_license_terms": restrictive,
        "can_be_synced": "not_syncable" not in cases,
    }
    binaries = []
    if "not_syncable" not in cases:
        for position in range(rng.randint(2, 3) if "compound" in cases else 1):
            data = default_binary_data(name, position)
            data["content_type"] = content_type
            if content_type == "template" and position:
                data["binary_type"] = "binary_type_layout"
            binaries.append((_uuid(rng), data))
    cancelled_at = None
    if "cancelled" in cases:
        cancelled_at = min(purchased_at + _days(rng, 1, 30), now - dt.timedelta(hours=1)).replace(microsecond=0)
    return PlannedAsset(
        element_uuid=_uuid(rng),
        provider=provider,
        element_data=element_data,
        lpt_uuid=_uuid(rng),
        cart_uuid=_uuid(rng),
        lpt_data=lpt_data,
        binaries=binaries,
        purchased_at=purchased_at,
        cancelled_at=cancelled_at,
        cases=cases,
    )


def _plan_reuse(rng: random.Random, original: PlannedAsset, now: dt.datetime) -> PlannedAsset:
    """A re-use of an earlier licence: same element, new LPT pointing at the original."""
    purchased_at = (original.purchased_at + (now - original.purchased_at) * rng.uniform(0.3, 0.9)).replace(
        microsecond=0
    )
    lpt_data = {
        **original.lpt_data,
        "reused_license_purchase_transaction_uuid": original.lpt_uuid,
        "purchased_at": iso(purchased_at),
        "completed_at": iso(purchased_at + dt.timedelta(minutes=5)),
        "total_price_eur": 0.0,
        "total_price_usd": 0.0,
        "current_downloads": 0,
        "current_reuses": 0,
        "license_terms": [dict(term, sequence_number=None) for term in original.lpt_data["license_terms"]],
    }
    return PlannedAsset(
        element_uuid=original.element_uuid,
        provider=original.provider,
        element_data=original.element_data,
        lpt_uuid=_uuid(rng),
        cart_uuid=_uuid(rng),
        lpt_data=lpt_data,
        binaries=[(_uuid(rng), dict(data)) for _, data in original.binaries],
        purchased_at=purchased_at,
        cancelled_at=None,
        cases=frozenset({"reuse"}),
    )


REGION_COUNTRIES = {
    "geography_europe": frozenset(
        {"AT", "BE", "CH", "DE", "DK", "ES", "FI", "FR", "GB", "IE", "IT", "NL", "NO", "PL", "PT", "SE"}
    ),
    "geography_dach": frozenset({"DE", "AT", "CH"}),
    "geography_north_america": frozenset({"US", "CA"}),
}


def _covers(term: dict, country: str) -> bool:
    """Whether a term's territories include ``country`` (the demo's own geography keys only)."""

    def within(key: str) -> bool:
        if key == "geography_worldwide":
            return True
        if key in REGION_COUNTRIES:
            return country in REGION_COUNTRIES[key]
        return key.rsplit("_", 1)[-1].upper() == country

    if any(within(key) for key in term.get("restricted_geographies") or []):
        return False
    return any(within(key) for key in term.get("allowed_geographies") or [])


def _plan_usage(rng: random.Random, slug: str, assets: list[PlannedAsset], now: dt.datetime) -> list[PlannedUsage]:
    """Everyday downloads by the personas, some use after expiry, and one burst by an external user."""
    usable = [asset for asset in assets if asset.binaries and asset.cancelled_at is None]
    events: list[PlannedUsage] = []
    for asset in usable:
        if rng.random() > 0.45:
            continue
        start = max(asset.purchased_at, now - dt.timedelta(days=60))
        term = asset.lpt_data["license_terms"][0]
        licensed = [user for user in USERS if _covers(term, user[1])] or list(USERS)
        for _ in range(rng.randint(1, 4)):
            # Mostly what the licence allows (as a team that reads its licences would); now and then not.
            mailbox, home, channels = rng.choice(licensed)
            allowed = [c for c in channels if f"usage_{c}" in (term.get("allowed_usages") or [])]
            unjudged = [c for c in channels if f"usage_{c}" not in contract.LICENSE_USAGES]
            stray = rng.random() < 0.03
            events.append(
                PlannedUsage(
                    element_uuid=asset.element_uuid,
                    lpt_uuid=asset.lpt_uuid,
                    event=rng.choices(contract.USAGE_EVENT_KINDS, weights=(80, 10, 10))[0],
                    user_email=f"{mailbox}@{slug}.example",
                    occurred_at=(start + (now - start) * rng.random()).replace(microsecond=0),
                    country=rng.choice(("IT", "PL", "CA", "JP", None)) if stray else home,
                    channel=rng.choice(channels) if stray else rng.choice(allowed or unjudged or [None]),
                )
            )
    expired = [asset for asset in usable if "expired" in asset.cases][:3]
    for asset in expired:
        events.append(
            PlannedUsage(
                asset.element_uuid,
                asset.lpt_uuid,
                "download",
                f"marketing@{slug}.example",
                (now - _days(rng, 0.1, 0.9)).replace(microsecond=0),
                "GB",
                "social_media",
            )
        )
    burst_start = now - dt.timedelta(days=2, hours=rng.randint(0, 6))
    mailbox, country = BURST_USER
    for offset, asset in enumerate(rng.sample(usable, k=min(35, len(usable)))):
        events.append(
            PlannedUsage(
                asset.element_uuid,
                asset.lpt_uuid,
                "download",
                f"{mailbox}@{slug}.example",
                burst_start + dt.timedelta(seconds=20 * offset + rng.randint(0, 15)),
                country,
                None,
            )
        )
    events.sort(key=lambda event: event.occurred_at)
    return events


def build_library(
    slug: str, *, tenant_name: str = "", seed: int | str | None = None, count: int = DEFAULT_COUNT, now=None
) -> Library:
    """The catalogue of one tenant; the same arguments always give the same library."""
    now = (now or timezone.now()).replace(microsecond=0)
    rng = random.Random(seed if seed is not None else f"smintio-demo:{slug}")  # noqa: S311 - demo data, not secrets
    ctx = _context(rng, slug, tenant_name or slug.replace("-", " ").title(), now)
    assets = [_plan_asset(rng, ctx, index) for index in range(count)]
    originals = [asset for asset in assets if asset.cancelled_at is None and asset.binaries]
    assets += [
        _plan_reuse(rng, original, now) for original in rng.sample(originals, k=min(REUSE_COUNT, len(originals)))
    ]
    return Library(
        themes=tuple(theme.key for theme in ctx.themes), assets=assets, usage_events=_plan_usage(rng, slug, assets, now)
    )


# --- Persistence ----------------------------------------------------------------------------------------------


def _summary(tenant: Tenant, created: bool, library: Library | None) -> SeedSummary:
    return SeedSummary(
        created=created,
        themes=library.themes if library else themes_for(tenant.slug),
        content_elements=tenant.content_elements.count(),
        lpts=tenant.lpts.count(),
        log_entries=tenant.change_log.count(),
        usage_events=tenant.usage_events.count(),
        cases=library.case_counts() if library else {},
    )


def seed_library(
    tenant: Tenant, *, seed: int | str | None = None, count: int = DEFAULT_COUNT, replace: bool = False
) -> SeedSummary:
    """Write the demo library into the tenant's change log; idempotent unless ``replace`` (which starts over)."""
    if tenant.content_elements.exists() and not replace:
        return _summary(tenant, False, None)
    library = build_library(tenant.slug, tenant_name=tenant.name, seed=seed, count=count)
    with transaction.atomic():
        if replace:
            tenant.content_elements.all().delete()  # cascades to LPTs, binaries, log, usage, write-backs
            tenant.cursors.all().delete()
        _write(tenant, library)
    tenant.refresh_from_db()
    return _summary(tenant, True, library)


def _write(tenant: Tenant, library: Library) -> None:
    elements: dict[str, ContentElement] = {}
    for asset in library.assets:
        if asset.element_uuid not in elements:
            elements[asset.element_uuid] = ContentElement(
                tenant=tenant, uuid=asset.element_uuid, provider=asset.provider, data=asset.element_data
            )
    ContentElement.objects.bulk_create(elements.values())

    term_count = sum(len(asset.lpt_data["license_terms"]) for asset in library.assets)
    next_term = services.allocate(tenant.pk, "term_sequence", term_count)
    lpts: dict[str, LicensePurchaseTransaction] = {}
    for asset in library.assets:
        for term in asset.lpt_data["license_terms"]:
            term["sequence_number"] = next_term
            next_term += 1
        lpts[asset.lpt_uuid] = LicensePurchaseTransaction(
            tenant=tenant,
            uuid=asset.lpt_uuid,
            cart_purchase_transaction_uuid=asset.cart_uuid,
            content_element=elements[asset.element_uuid],
            state="completed",
            version=1,
            data=asset.lpt_data,
            created_at=asset.purchased_at,
            last_updated_at=asset.purchased_at,
        )
    LicensePurchaseTransaction.objects.bulk_create(lpts.values())
    Binary.objects.bulk_create(
        Binary(lpt=lpts[asset.lpt_uuid], uuid=binary_uuid, position=position, data=data)
        for asset in library.assets
        for position, (binary_uuid, data) in enumerate(asset.binaries)
    )
    _write_log(tenant, library, lpts)
    _write_usage(tenant, library, elements, lpts)


def _write_log(tenant: Tenant, library: Library, lpts: dict[str, LicensePurchaseTransaction]) -> None:
    """Purchases and later cancellations in time order, each a snapshot of the LPT at that moment."""
    deliveries = [(asset.purchased_at, 0, asset) for asset in library.assets]
    deliveries += [(asset.cancelled_at, 1, asset) for asset in library.assets if asset.cancelled_at]
    deliveries.sort(key=lambda item: (item[0], item[1]))
    first = services.allocate(tenant.pk, "lpt_sequence", len(deliveries))
    entries = []
    for offset, (moment, is_cancellation, asset) in enumerate(deliveries):
        lpt = lpts[asset.lpt_uuid]
        if is_cancellation:
            lpt.state, lpt.version, lpt.last_updated_at = "cancelled", 2, moment
        entries.append(
            ChangeLogEntry(
                tenant=tenant, sequence=first + offset, lpt=lpt, version=lpt.version, snapshot=lpt_document(lpt)
            )
        )
    ChangeLogEntry.objects.bulk_create(entries)
    cancelled = [lpts[asset.lpt_uuid] for asset in library.assets if asset.cancelled_at]
    LicensePurchaseTransaction.objects.bulk_update(cancelled, ["state", "version", "last_updated_at"])


def _write_usage(
    tenant: Tenant,
    library: Library,
    elements: dict[str, ContentElement],
    lpts: dict[str, LicensePurchaseTransaction],
) -> None:
    if not library.usage_events:
        return
    first = services.allocate(tenant.pk, "usage_sequence", len(library.usage_events))
    rng = random.Random(f"usage-ids:{tenant.slug}")  # noqa: S311 - demo data, not secrets
    UsageEvent.objects.bulk_create(
        UsageEvent(
            tenant=tenant,
            sequence=first + offset,
            uuid=_uuid(rng),
            content_element=elements[event.element_uuid],
            lpt=lpts[event.lpt_uuid],
            event=event.event,
            user_uuid=str(uuid.uuid5(uuid.NAMESPACE_URL, f"mailto:{event.user_email}")),
            user_email=event.user_email,
            occurred_at=event.occurred_at,
            country=event.country,
            channel=event.channel,
        )
        for offset, event in enumerate(library.usage_events)
    )


def bootstrap(
    slug: str,
    *,
    name: str = "",
    seed_content: bool = True,
    count: int = DEFAULT_COUNT,
    redirect_uris: list[str] | None = None,
) -> Bootstrap:
    """Tenant, OAuth client (the portal's SMINTIO_CLIENT_ID/SECRET), demo library and a fresh refresh token.

    In process, without HTTP: what ``seed_demo`` calls for each demo client before storing the connection.
    """
    tenant, client = services.ensure_tenant(slug, name=name, redirect_uris=redirect_uris)
    summary = seed_library(tenant, count=count) if seed_content else None
    return Bootstrap(tenant=tenant, client=client, refresh_token=oauth.issue_refresh_token(client), summary=summary)
