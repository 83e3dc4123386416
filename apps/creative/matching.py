"""Which available assets a creative request can use, ranked, and why (issue 13, item 4; docs/rights.md, "Matching").

``match(client, want)`` answers with two lists that are never mixed: **full** matches (every licence needed covers
every target country, every usage and the whole run, from its first day through its last) and **partial** ones
(usable for part of it, with what is missing in words). Every match says why it fits and what to watch.

How it stays fast at a million assets (constant queries, at most eight: the vocabulary, four id tiers, the rows,
licences, terms):

1. **Pre-filter in SQL**: the client's available assets (``Asset.objects.available()``: approved, rights in force),
   of the asked content types, narrowed by the creative's own ``search`` (every word must appear).
2. **A bounded candidate set** of :data:`CANDIDATES` assets, chosen by the database in tiers: the assets whose text
   holds every word of the brief, then any word (PostgreSQL: full-text search on ``name``, ``description`` and
   ``keywords`` with the GIN index of ``assets.0007``; SQLite: ``icontains`` per word), then the newest others whose
   rights reach the run's end, then the newest rest. Assets beyond the bound are not evaluated: a client with more
   candidates than that has the best :data:`CANDIDATES` by text and rights end evaluated, and reaches the others by
   searching (``Matches.bounded`` says when the bound was hit).
3. **Evaluate in Python** with ``rights.evaluate_license``/``rights.overall`` (what ``rights.evaluate`` does, from
   licences and terms read once; the client's vocabulary and usage threshold) on the run's first and last day, then
   rank.

Not a match at all (neither full nor partial): an asset whose licences reach none of the target countries, allow
none of the usages, or cover no day of the run, and an **editorial-only** asset for a request with any usage but
editorial (advertising, web...): offering it as "partial" would invite the one use its licence rules out.

This module reads assets and licences only; it knows nothing of requests (``apps.creative.models`` builds a
:class:`Want` from one).
"""

from __future__ import annotations

import re
from collections import namedtuple
from collections.abc import Iterable
from dataclasses import dataclass, field
from datetime import date, datetime, time

from django.db import connection
from django.db.models import (
    BooleanField,
    Case,
    ExpressionWrapper,
    IntegerField,
    JSONField,
    Q,
    Value,
    When,
)
from django.db.models.expressions import RawSQL
from django.db.models.fields import TextField
from django.db.models.fields.json import KT, KeyTransform
from django.db.models.functions import Cast
from django.utils import timezone

from apps.assets import rights
from apps.assets import vocabulary as _vocabulary
from apps.assets.models import Asset, LicensePurchase, LicenseTerm
from apps.assets.prefetch import answered

FULL, PARTIAL = "full", "partial"

# How many assets are evaluated per request, at most (step 2 above). 200 keeps p95 under 100 ms at 1M assets
# (bench/README.md, "Matching"); a request lists at most ``limit`` of each kind anyway.
CANDIDATES = 200

# Rights that end within this many days after the campaign are worth a warning, and rank lower the sooner they end.
SOON_DAYS = 60

# Where an asset comes from (the facet), decided in this order: a provider that is a digital asset management
# system connected to Smint.io is the **connected DAM**; otherwise the brand's own material (content category
# ``brand``, or a licence of type ``in_house``) is the **brand library**; everything else was licensed from a
# **stock provider** (royalty-free, rights-managed or editorial).
BRAND_LIBRARY, CONNECTED_DAM, STOCK_PROVIDER = "brand_library", "connected_dam", "stock_provider"
SOURCES = {BRAND_LIBRARY: "Brand library", CONNECTED_DAM: "Connected DAM", STOCK_PROVIDER: "Stock provider"}
DAM_PROVIDERS = frozenset({"bynder", "brandfolder", "aem", "canto", "frontify", "widen", "celum"})

ORIENTATIONS = {"landscape": "Landscape", "portrait": "Portrait", "square": "Square"}

# Words of a brief that say nothing about the content; a word shorter than 3 letters says nothing either.
_FILLER = (
    "the and for with our your their this that these those from into onto over under about are was were will can "
    "could should would must have has had not but all any some more most less very just also only each every use "
    "using used need needs want wants campaign request brief please image images photo photos video videos asset "
    "assets content new"
)
_STOPWORDS = frozenset(_FILLER.split())
MAX_WORDS = 16

TERM_FIELDS = rights.TERM_FIELDS

# A term as the evaluation reads it (``rights`` reads fields, never the model's methods or relations).
Term = namedtuple("Term", TERM_FIELDS)

# The text the search reads, as PostgreSQL indexes it (``assets.0009``: the same expression, or no index is used).
SEARCH_VECTOR = (
    'to_tsvector(\'simple\'::regconfig, "assets_asset"."name"::text || \' \' || "assets_asset"."description" '
    '|| \' \' || "assets_asset"."keywords"::text)'
)


@dataclass(frozen=True)
class Want:
    """What a creative request needs: where, for what, when, in which format and about what."""

    countries: frozenset[str] = frozenset()  # ISO-3166 alpha-2
    usages: frozenset[str] = frozenset()  # Smint.io usage keys, e.g. usage_web
    run_from: date | None = None
    run_until: date | None = None
    content_types: frozenset[str] = frozenset()  # e.g. image, video; empty = any
    orientation: str = ""  # "", "landscape", "portrait", "square"
    min_width: int | None = None
    min_height: int | None = None
    text: str = ""  # brief + keywords


@dataclass
class Match:
    asset: Asset
    score: float
    coverage: str  # FULL or PARTIAL
    fits: list[str] = field(default_factory=list)
    watch: list[str] = field(default_factory=list)
    missing: list[str] = field(default_factory=list)
    source: str = STOCK_PROVIDER
    limits: rights.Limits | None = None

    @property
    def source_label(self) -> str:
        return SOURCES[self.source]


@dataclass
class Matches:
    full: list[Match] = field(default_factory=list)
    partial: list[Match] = field(default_factory=list)
    facets: dict[str, int] = field(default_factory=lambda: dict.fromkeys(SOURCES, 0))
    total_candidates: int = 0
    bounded: bool = False  # the candidate set hit CANDIDATES: more assets passed the pre-filter than were evaluated


# -- text ---------------------------------------------------------------------------------------------------------
def words_of(text: str, *, limit: int = MAX_WORDS) -> list[str]:
    """The words of ``text`` worth searching for: lower case, letters and digits, 3+ long, no filler, first
    ``limit``."""
    found = []
    for word in re.findall(r"[^\W_]+", (text or "").casefold()):
        if len(word) >= 3 and word not in _STOPWORDS and word not in found:
            found.append(word)
            if len(found) == limit:
                break
    return found


def _postgres() -> bool:
    return connection.vendor == "postgresql"


def _tsquery(query: str):
    """``SEARCH_VECTOR @@ to_tsquery(query)``: ``SEARCH_VECTOR`` is a constant and ``query`` a parameter made of
    :func:`words_of` words (letters and digits only) and operators."""
    sql = f"{SEARCH_VECTOR} @@ to_tsquery('simple', %s)"
    return RawSQL(sql, [query], output_field=BooleanField())  # noqa: S611 - constant SQL, parameters bound


def _any_word(words: list[str]):
    """A condition: the asset's text holds one of ``words``."""
    if _postgres():
        return _tsquery(" | ".join(words))
    condition = Q()
    for word in words:
        condition |= Q(name__icontains=word) | Q(description__icontains=word) | Q(keywords_text__icontains=word)
    return condition


def _every_word(words: list[str], *, prefix: bool = True):
    """A condition: the asset's text holds every one of ``words`` (``prefix``: as a word start, on PostgreSQL)."""
    if _postgres():
        return _tsquery(" & ".join(f"{word}:*" if prefix else word for word in words))
    condition = Q()
    for word in words:
        condition &= Q(name__icontains=word) | Q(description__icontains=word) | Q(keywords_text__icontains=word)
    return condition


def _text_fit(asset, words: list[str]) -> tuple[float, list[str]]:
    """How much of the brief the asset's text holds (0-1; a word only in the description counts half) and which
    words it holds."""
    if not words:
        return 0.0, []
    title = set(re.findall(r"[^\W_]+", f"{asset.name} {' '.join(map(str, asset.keywords or []))}".casefold()))
    body = set(re.findall(r"[^\W_]+", (asset.description or "").casefold()))
    hits = [word for word in words if word in title or word in body]
    points = sum(1.0 if word in title else 0.5 for word in hits)
    return points / len(words), hits


# -- candidates ---------------------------------------------------------------------------------------------------
def _candidates(client, want: Want, *, search: str, run_end: datetime | None) -> tuple[list[Asset], bool]:
    base = Asset.objects.filter(client_id=client.pk).available()
    if want.content_types:
        base = base.filter(content_type__in=sorted(want.content_types))
    if not _postgres():
        base = base.annotate(keywords_text=Cast("keywords", TextField()))
    if searched := words_of(search, limit=8):
        base = base.filter(_every_word(searched))
    reaching = Q(rights_until__isnull=True) | Q(rights_until__gte=run_end)
    reaches_end = (
        Case(When(reaching, then=Value(1)), default=Value(0), output_field=IntegerField())
        if run_end
        else Value(1, output_field=IntegerField())
    )
    # Tiers, best first, each without the assets of the ones before: every word of the brief, any word, then the
    # rest, whose rights reach the run's end first (two statements, so each reads ``asset_client_available_id_idx``
    # in id order and stops at the bound instead of sorting all the client's assets). The tiers read ids only; the
    # chosen rows are loaded once after. No ``ts_rank`` in SQL: it recomputes every hit's vector (10x the index
    # scan at 1M assets); hits are ranked in Python instead.
    words = words_of(want.text)
    tiers = []
    if len(words) > 1:
        tiers.append(base.filter(_every_word(words, prefix=False)).order_by(reaches_end.desc(), "-id"))
    if words:
        tiers.append(base.filter(_any_word(words)).order_by(reaches_end.desc(), "-id"))
    if run_end:
        tiers += [base.filter(reaching).order_by("-id"), base.exclude(reaching).order_by("-id")]
    else:
        tiers.append(base.order_by("-id"))
    chosen: list[int] = []
    for tier in tiers:
        if chosen:
            tier = tier.exclude(pk__in=chosen)
        chosen += list(tier.values_list("id", flat=True)[: CANDIDATES + 1 - len(chosen)])
        if len(chosen) > CANDIDATES:
            break
    bounded = len(chosen) > CANDIDATES
    return _load(client, chosen[:CANDIDATES]), bounded


def _load(client, chosen: list[int]) -> list[Asset]:
    """The assets of ids ``chosen``, in that order, with the columns and licences the evaluation reads."""
    columns = (
        Asset.objects.filter(pk__in=chosen)
        .defer("metadata", "copyright_notices")
        .annotate(
            width_json=KT("metadata__image_details__width"),
            height_json=KT("metadata__image_details__height"),
            video_width_json=KT("metadata__video_details__width"),
            video_height_json=KT("metadata__video_details__height"),
            release_json=KeyTransform("release_details", "metadata"),
            release_in_metadata=ExpressionWrapper(Q(metadata__has_key="release_details"), output_field=BooleanField()),
        )
    )
    order = {pk: n for n, pk in enumerate(chosen)}
    found = sorted(columns, key=lambda asset: order[asset.pk])
    # Licences and terms in two statements, in the order a prefetch reads them (the models' own ordering), grouped
    # here: Django's prefetch builds a related manager and a queryset per asset and per licence (a third of the
    # CPU of a match at 200 candidates, bench/README.md, "Matching").
    # The licence's copy of the release details only for assets whose metadata has none (``release_details_of``):
    # extracting it from ``raw`` decompresses the whole licence document (7 of 14 ms of SQL per match).
    lacking = [asset.pk for asset in found if not asset.release_in_metadata]
    licences = list(
        LicensePurchase.objects.filter(asset_id__in=chosen)
        .defer("raw")
        .annotate(
            release_json=Case(
                When(asset_id__in=lacking, then=KeyTransform("release_details", KeyTransform("content_element", "raw")))
            )
            if lacking
            else Value(None, output_field=JSONField())
        )
    )
    terms_of: dict[int, list] = {lpt.pk: [] for lpt in licences}
    # terms as plain rows: the evaluation only reads their fields, and a model instance each (about 280 per
    # match) cost more than reading them
    rows = LicenseTerm.objects.filter(license_purchase_id__in=list(terms_of)).values_list(*TERM_FIELDS)
    for term in map(Term._make, rows):
        terms_of[term.license_purchase_id].append(term)
    licences_of: dict[int, list] = {asset.pk: [] for asset in found}
    for lpt in licences:
        licences_of[lpt.asset_id].append(lpt)
    for asset in found:
        asset.client = client  # one client for all: no query per asset
        # each licence with its terms and release details, read once (``.all()`` per evaluation costs a queryset)
        asset.held = [(lpt, terms_of[lpt.pk], rights.release_details_of(asset, lpt)) for lpt in licences_of[asset.pk]]
    return found


def _prefetched(asset) -> Asset:
    """What ``prefetch_related("license_purchases__terms")`` leaves on ``asset``, from ``asset.held``: its
    licences' and terms' ``.all()`` answer without a query (the terms as :data:`Term` rows, which is all those two
    read). Only for the few assets ``rights.limits_of`` or ``countries_in_reach`` read (the listed matches, the
    partial ones), not for every candidate."""
    if "license_purchases" not in getattr(asset, "_prefetched_objects_cache", {}):
        for lpt, terms, _ in asset.held:
            lpt._prefetched_objects_cache = {"terms": answered(LicenseTerm, terms)}
        asset._prefetched_objects_cache = {"license_purchases": answered(LicensePurchase, [h[0] for h in asset.held])}
    return asset


# -- one asset ----------------------------------------------------------------------------------------------------
def _verdict(asset, use: rights.Use, vocabulary, threshold: int) -> rights.Verdict:
    """``rights.evaluate(asset, use)``, from the licences and terms read once (``asset.held``)."""
    return rights.overall(
        rights.evaluate_license(
            lpt, terms, use, threshold_percent=threshold, release_details=release, vocabulary=vocabulary
        )
        for lpt, terms, release in asset.held
    )


def source_of(asset) -> str:
    """The asset's source facet (rule above :data:`SOURCES`); licences prefetched."""
    if (asset.provider or "").lower() in DAM_PROVIDERS:
        return CONNECTED_DAM
    if asset.content_category == "brand" or any(lpt.license_type == "in_house" for lpt, _, _ in asset.held):
        return BRAND_LIBRARY
    return STOCK_PROVIDER


def _size(asset) -> tuple[int | None, int | None]:
    def number(value):
        try:
            return int(float(value)) if value not in (None, "") else None
        except (TypeError, ValueError):
            return None

    width = number(asset.width_json) or number(asset.video_width_json)
    height = number(asset.height_json) or number(asset.video_height_json)
    return (width, height) if width and height else (None, None)


def _orientation(width: int, height: int) -> str:
    if abs(width - height) <= 0.02 * max(width, height):
        return "square"
    return "landscape" if width > height else "portrait"


def _format_fit(asset, want: Want) -> tuple[float | None, list[str], list[str]]:
    """(0-1 or None when nothing was asked, fits, watch) for content type, orientation and minimum size."""
    checks, fits, watch = [], [], []
    if want.content_types:
        checks.append(1.0)  # the pre-filter only lets asked types through
        fits.append(f"{(asset.content_type or 'content').capitalize()}, as asked")
    if want.orientation or want.min_width or want.min_height:
        width, height = _size(asset)
        if width is None:
            checks.append(0.0)
            watch.append("Size unknown: check the orientation and size before using it.")
        else:
            if want.orientation:
                shape = _orientation(width, height)
                ok = shape == want.orientation
                checks.append(1.0 if ok else 0.0)
                if ok:
                    fits.append(f"{ORIENTATIONS[shape]}, as asked")
                else:
                    watch.append(f"{ORIENTATIONS[shape]}, not {want.orientation} as asked.")
            if want.min_width or want.min_height:
                ok = width >= (want.min_width or 0) and height >= (want.min_height or 0)
                checks.append(1.0 if ok else 0.0)
                asked = f"{want.min_width or 'any'} x {want.min_height or 'any'} px"
                if ok:
                    fits.append(f"{width} x {height} px, at least {asked} asked")
                else:
                    watch.append(f"{width} x {height} px, smaller than the {asked} asked.")
    return (sum(checks) / len(checks) if checks else None), fits, watch


def _named(countries: Iterable[str]) -> str:
    countries = sorted(countries)
    return ", ".join(countries[:8]) + (f" and {len(countries) - 8} more" if len(countries) > 8 else "")


def _usage_names(usages: Iterable[str], vocabulary) -> str:
    return ", ".join(vocabulary.readable(usage) for usage in sorted(usages))


def _editorial_only(asset) -> bool:
    terms = [term for _, terms, _ in asset.held for term in terms]
    return bool(terms) and all(term.is_editorial_use is True for term in terms)


def _ok(verdict: rights.Verdict) -> bool:
    return verdict.status in (rights.ALLOWED, rights.RESTRICTED)


def _rights_end_words(asset, run_until: date | None, today: date) -> tuple[float, list[str], list[str]]:
    """(0-1: how far past the campaign the rights reach, fits, watch)."""
    if asset.rights_until is None:
        return 1.0, ["Rights have no end date."], []
    ends = timezone.localtime(asset.rights_until).date()
    reference = run_until or today
    days = (ends - reference).days
    when = f"{ends:%d %b %Y}"
    if run_until is None:
        return min(1.0, max(days, 0) / 365), [], [f"Rights end {when}; the request gives no end date for the run."]
    if days < 0:
        return 0.0, [], []  # said in ``missing``
    if days <= SOON_DAYS:
        after = (
            "on the campaign's last day" if days == 0 else f"{days} day{'s' if days != 1 else ''} after the campaign"
        )
        return days / (SOON_DAYS * 2), [], [f"Rights end {after} ({when})."]
    return min(1.0, 0.5 + days / 730), [f"Rights run until {when}, well past the campaign."], []


def _noon(day: date) -> datetime:
    return timezone.make_aware(datetime.combine(day, time(12, 0)))  # as ``rights`` reads a day of use


def _changes_between(asset, start: date, end: date) -> bool:
    """Whether some term starts or ends between the run's first and last day (else both days read the same)."""
    first, last = _noon(start), _noon(end)
    return any(
        moment is not None and first < moment <= last
        for _, terms, _ in asset.held
        for term in terms
        for moment in (term.valid_from, term.valid_until, term.to_be_used_until)
    )


def _moments(start: date, end: date | None) -> dict:
    """The moments the run's first and last days are evaluated at, read once per match (not per licence)."""
    return {start: rights.noon(start), end: rights.noon(end) if end else None}


def _evaluate(
    asset, want: Want, *, words, vocabulary, threshold, start: date, end: date | None, today: date, moments: dict
):
    """The asset's :class:`Match`, or ``None`` when it is no match at all."""
    countries, usages = frozenset(want.countries), frozenset(want.usages)

    def use_on(day: date, countries: frozenset[str] = countries, usages: frozenset[str] = usages) -> rights.Use:
        return rights.Use(countries, usages, day, at=moments.get(day))

    use = use_on(start)
    at_start = _verdict(asset, use, vocabulary, threshold)
    # the last day is read only when some term starts or ends during the run (else it reads as the first)
    last = end if end and _changes_between(asset, start, end) else None
    at_end = _verdict(asset, use_on(last), vocabulary, threshold) if last else at_start
    fits, watch, missing = [], [], []
    if _ok(at_start) and _ok(at_end):
        coverage = FULL
        if countries:
            fits.append(
                f"Licensed in all {len(countries)} countries"
                if len(countries) > 3
                else f"Licensed in {_named(countries)}"
            )
        if usages:
            fits.append(f"For {_usage_names(usages, vocabulary)}")
        fits.append("Through the whole run" if end else "From the start of the run")
        watch += [reason for verdict in (at_start, at_end) for reason in verdict.reasons]  # limits nearly reached
    else:
        coverage = PARTIAL
        if usages - {_vocabulary.EDITORIAL_USAGE} and _editorial_only(asset):
            return None
        reach = (
            rights.countries_in_reach(_prefetched(asset), countries, vocabulary=vocabulary) if countries else countries
        )
        if countries and not reach:
            return None
        usable = frozenset(
            usage
            for usage in usages
            # the territory is read above: each usage alone, anywhere, on the first day or else the last
            if _verdict(asset, use_on(start, frozenset(), frozenset({usage})), vocabulary, threshold).status
            != rights.FORBIDDEN
            or (last and _verdict(asset, use_on(last, frozenset(), frozenset({usage})), vocabulary, threshold).status)
            not in (rights.FORBIDDEN, None)
        )
        if usages and not usable:
            return None
        if reach == countries and usable == usages:
            narrow_start, narrow_end = at_start, at_end
        else:
            narrow_start = _verdict(asset, use_on(start, reach, usable), vocabulary, threshold)
            narrow_end = _verdict(asset, use_on(last, reach, usable), vocabulary, threshold) if last else narrow_start
        if narrow_start.status == rights.FORBIDDEN and narrow_end.status == rights.FORBIDDEN:
            return None  # no day of the run, even for what is in reach
        if countries - reach:
            missing.append(f"Not licensed in {_named(countries - reach)}.")
        if usages - usable:
            missing.append(f"Not licensed for {_usage_names(usages - usable, vocabulary)}.")
        if end and asset.rights_until and timezone.localtime(asset.rights_until).date() < end:
            ends = timezone.localtime(asset.rights_until).date()
            days = (end - ends).days
            missing.append(
                f"Rights end {ends:%d %b %Y}, {days} day{'s' if days != 1 else ''} before the campaign ends."
            )
        elif narrow_end.status == rights.FORBIDDEN and _ok(narrow_start):
            missing.append("Not licensed through the end of the run: " + " ".join(narrow_end.reasons))
        if narrow_start.status == rights.FORBIDDEN and _ok(narrow_end):
            missing.append("Not licensed from the start of the run: " + " ".join(narrow_start.reasons))
        for verdict in (narrow_start, narrow_end):
            if verdict.status == rights.UNKNOWN:  # unknown is never full: say what the licence does not say
                missing += verdict.reasons
            elif verdict.status == rights.RESTRICTED:
                watch += verdict.reasons
        if not missing:  # e.g. a release or limit that only fails the whole use: the evaluation's own words
            missing += [reason for verdict in (at_start, at_end) for reason in verdict.reasons]
        if reach:
            fits.append(
                f"Licensed in {_named(reach)}"
                + (f" ({len(reach)} of {len(countries)} countries)" if reach != countries else "")
            )
        if usable:
            fits.append(f"For {_usage_names(usable, vocabulary)}")
    if not (usages & _vocabulary.RELEASE_USAGES) and coverage == FULL and not released(asset):
        watch.append("Needs a release for advertising: no model and property release is on record as given.")
    text, hits = _text_fit(asset, words)
    if hits:
        fits.append(f"Matches the brief: {', '.join(hits)}")
    shape, shape_fits, shape_watch = _format_fit(asset, want)
    fits += shape_fits
    watch += shape_watch
    margin, end_fits, end_watch = _rights_end_words(asset, end, today)
    fits += end_fits
    watch += end_watch
    # text counts most, then format, then how far the rights reach past the campaign (docs/rights.md, "Matching")
    score = 0.5 * text + 0.3 * (shape if shape is not None else 0.5) + 0.2 * margin
    return Match(
        asset=asset,
        score=round(score, 4),
        coverage=coverage,
        fits=list(dict.fromkeys(fits)),
        watch=list(dict.fromkeys(watch)),
        missing=list(dict.fromkeys(missing)),
        source=source_of(asset),
    )


def released(asset) -> bool:
    """Whether the asset's model and property releases are on record as given (licences read by :func:`_load`)."""
    details = next((release for _, _, release in asset.held), None)
    if not isinstance(details, dict):
        return False
    meanings = {
        _vocabulary.DEFAULT.release_state(details.get(f"{kind}_release_state")) for kind in ("model", "property")
    }
    return meanings == {_vocabulary.GIVEN}


# -- the request --------------------------------------------------------------------------------------------------
def coverage_of(client, want: Want, asset_ids: Iterable[int], *, now: datetime | None = None) -> dict[int, Match]:
    """How each of ``asset_ids`` (the client's, approved or not) would match ``want`` (its :class:`Match`, whose
    ``coverage`` is :data:`FULL` or :data:`PARTIAL`), the same evaluation as :func:`match`; an asset that would be
    no match at all is left out."""
    vocabulary = rights.vocabulary_for(client)
    now = now or timezone.now()
    today = timezone.localtime(now).date()
    start = max(want.run_from, today) if want.run_from else today
    threshold = getattr(client, "usage_threshold_percent", 100) or 100
    words = words_of(want.text)
    asked = list(dict.fromkeys(asset_ids))
    theirs = set(Asset.objects.filter(client_id=client.pk, pk__in=asked).values_list("pk", flat=True))
    ids = [pk for pk in asked if pk in theirs]  # in the order asked
    found, moments = {}, _moments(start, want.run_until)
    for asset in _load(client, ids):
        result = _evaluate(
            asset,
            want,
            words=words,
            vocabulary=vocabulary,
            threshold=threshold,
            start=start,
            end=want.run_until,
            today=today,
            moments=moments,
        )
        if result is not None:
            found[asset.pk] = result
    return found


def match(
    client,
    want: Want,
    *,
    search: str = "",
    sources: Iterable[str] = (),
    limit: int = 50,
    vocabulary=None,
    now: datetime | None = None,
) -> Matches:
    """The client's available assets for ``want``: full matches, then partial ones apart, best first.

    ``search`` (every word must appear) and ``sources`` (keys of :data:`SOURCES`) are the creative's refinements:
    they narrow the lists and keep the ranking; the facet counts are those before ``sources`` narrows them.
    ``limit``: at most this many of each kind. ``now``: the day a run without a start date starts (default now).
    """
    vocabulary = vocabulary or rights.vocabulary_for(client)
    now = now or timezone.now()
    today = timezone.localtime(now).date()
    start = max(want.run_from, today) if want.run_from else today
    end = want.run_until
    run_end = timezone.make_aware(datetime.combine(end, datetime.min.time())) if end else None
    threshold = getattr(client, "usage_threshold_percent", 100) or 100
    candidates, bounded = _candidates(client, want, search=search, run_end=run_end)
    words = words_of(want.text)
    found = Matches(total_candidates=len(candidates), bounded=bounded)
    chosen = frozenset(sources)
    moments = _moments(start, end)
    for asset in candidates:
        result = _evaluate(
            asset,
            want,
            words=words,
            vocabulary=vocabulary,
            threshold=threshold,
            start=start,
            end=end,
            today=today,
            moments=moments,
        )
        if result is None:
            continue
        found.facets[result.source] += 1
        if chosen and result.source not in chosen:
            continue
        (found.full if result.coverage == FULL else found.partial).append(result)
    for kind in (found.full, found.partial):
        kind.sort(key=lambda m: (-m.score, -m.asset.pk))
        del kind[limit:]
        for result in kind:
            result.limits = rights.limits_of(_prefetched(result.asset), vocabulary=vocabulary, now=now)
    return found
