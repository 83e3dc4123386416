"""Whether an asset's licences allow a given use, and why (invariant 5: from the licence-term snapshots only).

``evaluate`` answers ``allowed``, ``restricted`` (usable only with care: a limit nearly reached), ``forbidden`` or
``unknown`` (the licence does not say: unknown is never allowed), with a sentence per reason, every reason rather
than the first. What is checked (docs/rights.md):

- per licence purchase: cancellation (forbidden) or any state but completed (unknown); download, user and re-use
  limits (reached: forbidden; at ``threshold_percent`` or more: restricted); model and property releases for the
  uses that need one (:data:`vocabulary.RELEASE_USAGES`): not released is forbidden, no data is unknown;
- per term: ``valid_from``, ``valid_until``, ``to_be_used_until`` (null: not limited), territories, usages and
  editorial-only (``is_editorial_use`` null: unknown).

Keys (territories, usages, release states) are read with a :class:`vocabulary.Vocabulary`: pass the client's
(:func:`vocabulary_for`, from its Smint.io generic metadata) as ``vocabulary=``; without one the built-in tables
are used. A key no vocabulary can read is unknown, named in the sentence, never forbidden.

A licence is as good as its best term, then as bad as its licence-wide findings; the asset is as good as its best
licence. Adding a restriction anywhere can therefore never make a verdict better (tests/assets pin that).
"""

from __future__ import annotations

from collections.abc import Iterable
from dataclasses import dataclass, field
from datetime import date, datetime, time

from django.utils import timezone

from . import vocabulary as _vocabulary
from .choices import LicenseState
from .vocabulary import Vocabulary
from .vocabulary import vocabulary_for as vocabulary_for  # rights.vocabulary_for(client)

ALLOWED, RESTRICTED, UNKNOWN, FORBIDDEN = "allowed", "restricted", "unknown", "forbidden"
RANK = {FORBIDDEN: 0, UNKNOWN: 1, RESTRICTED: 2, ALLOWED: 3}
STATUSES = (ALLOWED, RESTRICTED, UNKNOWN, FORBIDDEN)


@dataclass(frozen=True)
class Use:
    """What someone intends: countries (ISO-3166 alpha-2), usages (``usage_web``...) and the day of use."""

    countries: frozenset[str] = frozenset()
    usages: frozenset[str] = frozenset()
    on: date | None = None
    # the moment ``on`` stands for (:func:`noon` of it), when the caller has it at hand: a caller evaluating many
    # licences on the same day reads the current time zone once rather than once per licence
    at: datetime | None = field(default=None, compare=False)


@dataclass
class Verdict:
    status: str
    reasons: list[str] = field(default_factory=list)

    @property
    def allowed(self) -> bool:
        return self.status == ALLOWED


@dataclass
class _Findings:
    """Reasons sorted by what they mean; the worst non-empty kind is the status."""

    forbidden: list[str] = field(default_factory=list)
    unknown: list[str] = field(default_factory=list)
    restricted: list[str] = field(default_factory=list)

    @property
    def status(self) -> str:
        if self.forbidden:
            return FORBIDDEN
        if self.unknown:
            return UNKNOWN
        return RESTRICTED if self.restricted else ALLOWED

    def add(self, other: _Findings) -> _Findings:
        return _Findings(
            self.forbidden + other.forbidden, self.unknown + other.unknown, self.restricted + other.restricted
        )

    def verdict(self) -> Verdict:
        return Verdict(self.status, list(dict.fromkeys(self.forbidden + self.unknown + self.restricted)))


def _moment(on: date | None) -> datetime:
    if on is None:
        return timezone.now()
    return noon(on)


def noon(on: date) -> datetime:
    """The moment a day of use is evaluated at: noon of ``on`` in the current time zone."""
    return timezone.make_aware(datetime.combine(on, time(12, 0)))


def best(verdicts: Iterable[Verdict]) -> Verdict:
    """The best verdict; when several share the best status, all their reasons (a reviewer sees every one)."""
    verdicts = list(verdicts)
    top = max(RANK[v.status] for v in verdicts)
    tied = [v for v in verdicts if RANK[v.status] == top]
    if len(tied) == 1:
        return tied[0]
    return Verdict(tied[0].status, list(dict.fromkeys(reason for v in tied for reason in v.reasons)))


# -- one licence purchase -------------------------------------------------------------------------------------------
_FROM_LICENCE = object()

_LIMITS = (
    # counter, limit, (reached, nearly reached, none allowed) sentences
    (
        "current_downloads",
        "max_downloads",
        "All {max} licensed downloads are used.",
        "{used}% of the {max} licensed downloads used.",
        "The licence allows no downloads.",
    ),
    (
        "current_users",
        "max_users",
        "All {max} licensed users are taken.",
        "{used}% of the {max} licensed users taken.",
        "The licence allows no users.",
    ),
    (
        "current_reuses",
        "max_reuses",
        "All {max} licensed re-uses are used.",
        "{used}% of the {max} licensed re-uses used.",
        "The licence allows no re-use.",
    ),
)


# What the evaluation and the limits read of a licence term (the other lists, 8 JSON documents, are not needed):
# ``LicenseTerm.objects.only(*TERM_FIELDS)`` where terms are loaded only to be evaluated.
TERM_FIELDS = (
    "id",
    "license_purchase_id",
    "sequence_number",
    "name",
    "allowed_geographies",
    "restricted_geographies",
    "allowed_usages",
    "restricted_usages",
    "valid_from",
    "valid_until",
    "to_be_used_until",
    "is_editorial_use",
)


# What ``evaluate_license`` reads of a licence besides its terms (``release_json`` too, when the query extracts it):
# the columns a page that checks many licences loads (``prefetch.plain_with_licences``).
LICENCE_FIELDS = ("id", "asset_id", "state", *(name for counter, limit, *_ in _LIMITS for name in (counter, limit)))


def evaluate_license(
    lpt,
    terms,
    use: Use,
    *,
    threshold_percent: int = 100,
    release_details=_FROM_LICENCE,
    vocabulary: Vocabulary | None = None,
) -> Verdict:
    """One licence purchase (with its terms) against ``use``.

    ``release_details`` is Smint.io's ``content_element.release_details`` (``None``: nothing on record); by default
    it is read from the licence as synced (``lpt.raw``). ``vocabulary`` reads the keys (default: the built-in one;
    pass :func:`vocabulary_for` of the licence's client).
    """
    vocabulary = vocabulary or _vocabulary.DEFAULT
    if release_details is _FROM_LICENCE:
        release_details = ((lpt.raw or {}).get("content_element") or {}).get("release_details")
    licence = _licence_findings(lpt, use, threshold_percent, release_details, vocabulary)
    if not terms:
        return licence.add(_Findings(unknown=["The licence has no terms on record."])).verdict()
    moment = use.at or _moment(use.on)
    per_term = [_term_findings(term, use, moment, vocabulary) for term in terms]
    top = max(RANK[found.status] for found in per_term)
    in_force = _Findings()
    for found in per_term:
        if RANK[found.status] == top:
            in_force = in_force.add(found)
    return licence.add(in_force).verdict()


def _licence_findings(lpt, use: Use, threshold_percent: int, release_details, vocabulary: Vocabulary) -> _Findings:
    found = _Findings()
    if lpt.state == LicenseState.CANCELLED:
        found.forbidden.append("The licence was cancelled.")
    elif lpt.state != LicenseState.COMPLETED:
        found.unknown.append(f"The licence purchase is {lpt.state or 'in no known state'}, not completed.")
    for counter, limit, reached, nearly, none_allowed in _LIMITS:
        maximum, current = getattr(lpt, limit), getattr(lpt, counter) or 0
        if maximum is None:
            continue  # Smint.io sends no effective maximum: the licence sets no limit
        if maximum == 0:
            found.forbidden.append(none_allowed)
        elif current >= maximum:
            found.forbidden.append(reached.format(max=maximum))
        elif (used := current * 100 // maximum) >= threshold_percent:
            found.restricted.append(nearly.format(max=maximum, used=used))
    needing = sorted(use.usages & _vocabulary.RELEASE_USAGES)
    if needing:
        names = ", ".join(vocabulary.readable(usage) for usage in needing)
        if not isinstance(release_details, dict):
            found.unknown.append(f"No release information is on record (needed for: {names}).")
        else:
            for kind in ("model", "property"):
                found = found.add(_release(kind, release_details.get(f"{kind}_release_state"), names, vocabulary))
    return found


def _release(kind: str, state, names: str, vocabulary: Vocabulary) -> _Findings:
    """One release state: given is fine, missing forbids, anything else is unknown; a state that says more than
    "unknown" (a key nobody knows, or one the metadata names but we cannot classify) is named in the sentence."""
    meaning = vocabulary.release_state(state)
    if meaning == _vocabulary.GIVEN:
        return _Findings()
    if meaning == _vocabulary.MISSING:
        return _Findings(forbidden=[f"There is no {kind} release, needed for: {names}."])
    unknown = f"Whether there is a {kind} release is unknown (needed for: {names})"
    if state is None or (isinstance(state, str) and state in _vocabulary.RELEASE_UNKNOWN):
        return _Findings(unknown=[f"{unknown}."])
    if meaning is None:
        return _Findings(unknown=[f"{unknown}: its state {vocabulary.named(state)} is not one we know."])
    return _Findings(unknown=[f"{unknown}: its state is {vocabulary.named(state)}."])


# -- one licence term -----------------------------------------------------------------------------------------------
def _evaluate_term(term, use: Use, moment: datetime, vocabulary: Vocabulary | None = None) -> Verdict:
    """Every reason the term does not cover the use, not only the first (a reviewer needs the whole picture)."""
    return _term_findings(term, use, moment, vocabulary or _vocabulary.DEFAULT).verdict()


def _term_findings(term, use: Use, moment: datetime, vocabulary: Vocabulary) -> _Findings:
    found = _Findings()
    if term.valid_from and term.valid_from > moment:
        found.forbidden.append(f"Valid only from {term.valid_from:%d %b %Y}.")
    for end, what in ((term.valid_until, "valid"), (term.to_be_used_until, "to be used")):
        if end and end <= moment:
            found.forbidden.append(f"Was {what} until {end:%d %b %Y}.")
    if use.usages - {_vocabulary.EDITORIAL_USAGE}:
        if term.is_editorial_use:
            found.forbidden.append("Editorial use only.")
        elif term.is_editorial_use is None:
            found.unknown.append("Whether the content is for editorial use only is unknown.")
    if use.countries:
        found = found.add(_territory(term, use.countries, vocabulary))
    if use.usages:
        found = found.add(_usages(term, use.usages, vocabulary))
    return found


def _territory(term, countries: frozenset[str], vocabulary: Vocabulary) -> _Findings:
    allowed, restricted = tuple(term.allowed_geographies or ()), tuple(term.restricted_geographies or ())
    return _remembered(vocabulary, (_territory_of, allowed, restricted, countries))


# Territory and usage findings depend on the term's key lists, never on its dates, and terms repeat the same few lists
# (one provider, one contract): matching 200 candidates reads each list pair many times over (bench/README.md,
# "Matching"). They are remembered on the vocabulary that read them (one per client and request, or the built-in one),
# as tuples: each caller gets its own lists.
_Frozen = tuple[tuple[str, ...], tuple[str, ...], tuple[str, ...]]
_REMEMBERED = 4096  # findings kept per vocabulary at most (the built-in one lives as long as the process)


def _remembered(vocabulary: Vocabulary, key: tuple) -> _Findings:
    memo = vocabulary.findings
    frozen = memo.get(key)
    if frozen is None:
        if len(memo) >= _REMEMBERED:
            memo.clear()
        derive, *lists, wanted = key
        frozen = memo[key] = derive(*lists, wanted, vocabulary)
    return _Findings(*map(list, frozen))


def _frozen(found: _Findings) -> _Frozen:
    return tuple(found.forbidden), tuple(found.unknown), tuple(found.restricted)


def _territory_of(
    allowed: tuple[str, ...], restricted: tuple[str, ...], countries: frozenset[str], vocabulary: Vocabulary
) -> _Frozen:
    if not allowed and not restricted:
        return (), ("The licence does not say where it may be used.",), ()
    outside, unsure = [], []
    for country in sorted(countries):
        if vocabulary.covers(restricted, country):
            outside.append(country)
        elif allowed and not vocabulary.covers(allowed, country):
            # not in a territory we can read: outside, unless the licence names territories we cannot read
            (unsure if vocabulary.unreadable(allowed) else outside).append(country)
        elif vocabulary.unreadable(restricted):
            unsure.append(country)
    found = _Findings()
    if outside:
        found.forbidden.append(_countries_sentence(outside, len(countries)))
    if unsure:
        keys = dict.fromkeys(vocabulary.unreadable(allowed) + vocabulary.unreadable(restricted))
        found.unknown.append(
            f"Whether the licence covers {', '.join(unsure)} is unknown: it names territories that cannot be read: "
            f"{', '.join(vocabulary.named(key) for key in keys)}."
        )
    return _frozen(found)


def _usages(term, usages: frozenset[str], vocabulary: Vocabulary) -> _Findings:
    allowed, restricted = tuple(term.allowed_usages or ()), tuple(term.restricted_usages or ())
    return _remembered(vocabulary, (_usages_of, allowed, restricted, usages))


def _usages_of(
    allowed: tuple[str, ...], restricted: tuple[str, ...], usages: frozenset[str], vocabulary: Vocabulary
) -> _Frozen:
    if not allowed and not restricted:
        return (), ("The licence does not say which uses are allowed.",), ()
    missing = sorted(usage for usage in usages if usage in restricted or (allowed and usage not in allowed))
    if not missing:
        return (), (), ()
    names = ", ".join(vocabulary.readable(usage) for usage in missing)
    return (f"Not licensed for: {names}.",), (), ()


def _countries_sentence(outside: list[str], total: int) -> str:
    shown = ", ".join(outside[:8]) + (f" and {len(outside) - 8} more" if len(outside) > 8 else "")
    return f"Not licensed in {len(outside)} of the {total} intended countries: {shown}."


def countries_in_reach(asset, countries: Iterable[str], *, vocabulary: Vocabulary | None = None) -> frozenset[str]:
    """The ``countries`` where some licence term of the asset (terms prefetched as ``license_purchases__terms``
    where possible) does not rule use out by territory: covered, or not known (a term that names no territory, or
    names one that cannot be read). Only the territory is read: dates, usages and limits are the review's business.
    With no term on record nothing is ruled out (unknown is not false)."""
    vocabulary = vocabulary or _vocabulary.DEFAULT
    wanted = frozenset(countries)
    terms = [term for lpt in _licences_of(asset) for term in _terms_of(lpt)]
    if not terms:
        return wanted
    reach: set[str] = set()
    for term in terms:
        outside = set()
        for country in wanted - reach:
            if _territory(term, frozenset({country}), vocabulary).forbidden:
                outside.add(country)
        reach |= (wanted - reach) - outside
        if reach == wanted:
            break
    return frozenset(reach)


# -- an asset -------------------------------------------------------------------------------------------------------
def release_details_of(asset, lpt=None):
    """The asset's ``release_details`` as last synced (the content element), else the licence's copy of it.

    A queryset may have the database extract them instead of loading the JSON (``release_in_metadata`` and
    ``release_json`` annotations on the asset, ``release_json`` on the licence): same answer, far less to decode."""
    if hasattr(asset, "release_in_metadata"):
        if asset.release_in_metadata:
            return asset.release_json
        return getattr(lpt, "release_json", None) if lpt is not None else None
    metadata = asset.metadata or {}
    if "release_details" in metadata:
        return metadata["release_details"]
    if lpt is not None:
        return ((lpt.raw or {}).get("content_element") or {}).get("release_details")
    return None


def evaluate_each(
    asset, use: Use, *, threshold_percent: int = 100, vocabulary: Vocabulary | None = None
) -> list[tuple[object, Verdict]]:
    """Each licence purchase of the asset with its verdict (terms prefetched as ``license_purchases__terms``);
    ``vocabulary``: as for :func:`evaluate_license` (the asset's client's: ``vocabulary_for(asset.client)``)."""
    return [
        (
            lpt,
            evaluate_license(
                lpt,
                list(_terms_of(lpt)),
                use,
                threshold_percent=threshold_percent,
                release_details=release_details_of(asset, lpt),
                vocabulary=vocabulary,
            ),
        )
        for lpt in _licences_of(asset)
    ]


def overall(verdicts: Iterable[Verdict]) -> Verdict:
    """The asset's verdict from its licences' verdicts: the best licence wins."""
    verdicts = list(verdicts)
    if not verdicts:
        return Verdict(UNKNOWN, ["No licence purchase is on record."])
    return best(verdicts)


def evaluate(asset, use: Use, *, threshold_percent: int = 100, vocabulary: Vocabulary | None = None) -> Verdict:
    """The asset's best licence for ``use`` (terms prefetched as ``license_purchases__terms`` where possible);
    ``vocabulary``: as for :func:`evaluate_license` (the asset's client's: ``vocabulary_for(asset.client)``)."""
    each = evaluate_each(asset, use, threshold_percent=threshold_percent, vocabulary=vocabulary)
    return overall(verdict for _, verdict in each)


# -- what an available asset may be used for ------------------------------------------------------------------------
@dataclass(frozen=True)
class Limits:
    """Where, for what and until when an asset may be used, as its licences say (issue 12: "Available" is never
    shown without them). Read from the completed licences' terms in force now (prefetched as
    ``license_purchases__terms`` where possible); several terms widen each other.

    ``countries``: the ISO codes the named territories cover, ``None`` when not limited to a list (worldwide, or
    only exceptions); ``territories``/``except_territories``: the territories in words as the licence names them;
    ``usages``/``except_usages``: usage keys; ``stated``: some term says where or for what (else the licence does
    not say, which is unknown, never "anywhere")."""

    territories: tuple[str, ...] = ()
    except_territories: tuple[str, ...] = ()
    countries: tuple[str, ...] | None = None
    usages: tuple[str, ...] = ()
    usage_labels: tuple[str, ...] = ()
    except_usages: tuple[str, ...] = ()
    editorial_only: bool | None = None
    until: datetime | None = None
    until_awaits_smintio: bool = False

    @property
    def where(self) -> str:
        if not self.territories and not self.except_territories:
            return "where: not stated"
        text = ", ".join(self.territories) or "anywhere"
        return f"{text} except {', '.join(self.except_territories)}" if self.except_territories else text

    @property
    def what(self) -> str:
        if not self.usage_labels:
            return "uses: not stated"
        text = ", ".join(self.usage_labels)
        return f"{text} (editorial only)" if self.editorial_only else text

    def __str__(self) -> str:
        until = f"until {self.until:%d %b %Y}" if self.until else "no end date"
        if self.until and self.until_awaits_smintio:
            until += " (renewal awaiting Smint.io)"
        return f"{self.where} · {self.what} · {until}"


def _licences_of(asset):
    """The asset's licences: a list attached as ``licence_list`` (an API list page, the inbox: plain rows, see
    ``prefetch.plain_with_licences``), else its related manager's (prefetched or read)."""
    found = getattr(asset, "licence_list", None)
    return asset.license_purchases.all() if found is None else found


def _terms_of(lpt):
    """A licence's terms: a list prefetched ``to_attr="term_list"``, else its related manager's."""
    found = getattr(lpt, "term_list", None)
    return lpt.terms.all() if found is None else found


def limits_of(asset, *, vocabulary: Vocabulary | None = None, now: datetime | None = None) -> Limits:
    """The asset's :class:`Limits` (``until``: its rights end, or the renewal procurement recorded while Smint.io
    has not sent the new term yet, marked so)."""
    vocabulary = vocabulary or _vocabulary.DEFAULT
    now = now or timezone.now()
    terms = [
        term
        for lpt in _licences_of(asset)
        if lpt.state == LicenseState.COMPLETED
        for term in _terms_of(lpt)
        if (term.valid_from is None or term.valid_from <= now)
        and (term.valid_until is None or term.valid_until > now)
        and (term.to_be_used_until is None or term.to_be_used_until > now)
    ]
    allowed = list(dict.fromkeys(key for term in terms for key in term.allowed_geographies or []))
    # a territory is an exception only when every term excludes it (a wider term allows it otherwise)
    excepted = [
        key
        for key in dict.fromkeys(key for term in terms for key in term.restricted_geographies or [])
        if all(key in (term.restricted_geographies or []) for term in terms)
    ]
    countries: set[str] | None = set()
    for key in allowed:
        found = vocabulary.countries_of(key)
        if found is None or countries is None:
            countries = None
        else:
            countries |= found
    if not allowed:
        countries = None
    if countries is not None:
        for key in excepted:
            countries -= vocabulary.countries_of(key) or set()
    usages = list(dict.fromkeys(key for term in terms for key in term.allowed_usages or []))
    except_usages = [
        key
        for key in dict.fromkeys(key for term in terms for key in term.restricted_usages or [])
        if all(key in (term.restricted_usages or []) for term in terms)
    ]
    editorial = [term.is_editorial_use for term in terms]
    pending = getattr(asset, "renewal_recorded_until", None)
    return Limits(
        territories=tuple(vocabulary.readable(key) for key in allowed),
        except_territories=tuple(vocabulary.readable(key) for key in excepted),
        countries=tuple(sorted(countries)) if countries is not None else None,
        usages=tuple(usages),
        usage_labels=tuple(vocabulary.readable(key) for key in usages),
        except_usages=tuple(except_usages),
        editorial_only=(all(editorial) if None not in editorial else None) if editorial else None,
        until=pending or asset.rights_until,
        until_awaits_smintio=pending is not None,
    )


def attach_limits(assets: Iterable) -> list:
    """Set ``asset.limits`` on each asset (licences and terms prefetched), reading each client's vocabulary once."""
    assets = list(assets)
    words: dict[int, Vocabulary] = {}
    for asset in assets:
        if asset.client_id not in words:
            words[asset.client_id] = _vocabulary.vocabulary_for(asset.client)
        asset.limits = limits_of(asset, vocabulary=words[asset.client_id])
    return assets


# -- the licence in plain words --------------------------------------------------------------------------------------
@dataclass(frozen=True)
class LicenceSummary:
    where: str
    what: str
    not_for: str
    editorial_only: bool | None
    until: str
    sentence: str


def licence_summary(asset, vocabulary=None) -> LicenceSummary:
    """The asset's licence in plain words, from its terms in force (``limits_of``): a creative request's delivery
    and a stakeholder's review link show it."""
    vocabulary = vocabulary or _vocabulary.vocabulary_for(asset.client)
    limits = limits_of(asset, vocabulary=vocabulary)
    not_for = ", ".join(vocabulary.readable(key) for key in limits.except_usages)
    until = f"until {limits.until:%d %b %Y}" if limits.until else "with no end date"
    parts = [f"May be used for {limits.what.lower() if limits.usage_labels else 'uses the licence does not state'}"]
    parts.append(f"in {limits.where}" if limits.territories else "where the licence does not state")
    parts.append(until)
    sentence = " ".join(parts) + "."
    if limits.editorial_only:
        sentence += " Editorial use only: never in advertising."
    if not_for:
        sentence += f" Not for: {not_for}."
    return LicenceSummary(
        where=limits.where,
        what=limits.what,
        not_for=not_for,
        editorial_only=limits.editorial_only,
        until=until,
        sentence=sentence,
    )
