"""Whether an asset's licences allow a given use, and why (invariant 5: from the licence-term snapshots only).

``evaluate`` answers ``allowed``, ``restricted`` (usable only with care: a limit nearly reached), ``forbidden`` or
``unknown`` (the licence does not say: unknown is never allowed), with a sentence per reason. The best licence wins.
Issue 5 extends this (limits per user and reuse, releases); approval warnings and availability already use it.
"""

from __future__ import annotations

from dataclasses import dataclass, field
from datetime import date, datetime, time

from django.utils import timezone

from . import vocabulary
from .choices import LicenseState

ALLOWED, RESTRICTED, UNKNOWN, FORBIDDEN = "allowed", "restricted", "unknown", "forbidden"
RANK = {FORBIDDEN: 0, UNKNOWN: 1, RESTRICTED: 2, ALLOWED: 3}


@dataclass(frozen=True)
class Use:
    """What someone intends: countries (ISO-3166 alpha-2), usages (``usage_web``...) and the day of use."""

    countries: frozenset[str] = frozenset()
    usages: frozenset[str] = frozenset()
    on: date | None = None


@dataclass
class Verdict:
    status: str
    reasons: list[str] = field(default_factory=list)

    @property
    def allowed(self) -> bool:
        return self.status == ALLOWED


def _moment(on: date | None) -> datetime:
    if on is None:
        return timezone.now()
    return timezone.make_aware(datetime.combine(on, time(12, 0)))


def evaluate_license(lpt, terms, use: Use, *, threshold_percent: int = 100) -> Verdict:
    """One licence purchase (with its terms) against ``use``."""
    if lpt.state == LicenseState.CANCELLED:
        return Verdict(FORBIDDEN, ["The licence was cancelled."])
    if not terms:
        return Verdict(UNKNOWN, ["The licence has no terms on record."])
    moment = _moment(use.on)
    best = max((_evaluate_term(term, use, moment) for term in terms), key=lambda v: RANK[v.status])
    if best.status in (ALLOWED, RESTRICTED) and lpt.max_downloads:
        used = lpt.current_downloads * 100 // lpt.max_downloads
        if lpt.current_downloads >= lpt.max_downloads:
            return Verdict(FORBIDDEN, [f"All {lpt.max_downloads} licensed downloads are used."])
        if used >= threshold_percent:
            best = Verdict(RESTRICTED, [*best.reasons, f"{used}% of the {lpt.max_downloads} licensed downloads used."])
    return best


def _evaluate_term(term, use: Use, moment: datetime) -> Verdict:
    """Every reason the term does not cover the use, not only the first (a reviewer needs the whole picture)."""
    forbidden: list[str] = []
    unknown: list[str] = []
    if term.valid_from and term.valid_from > moment:
        forbidden.append(f"Valid only from {term.valid_from:%d %b %Y}.")
    for end, what in ((term.valid_until, "valid"), (term.to_be_used_until, "to be used")):
        if end and end <= moment:
            forbidden.append(f"Was {what} until {end:%d %b %Y}.")
    if term.is_editorial_use and use.usages - {vocabulary.EDITORIAL_USAGE}:
        forbidden.append("Editorial use only.")
    if use.countries:
        if not term.allowed_geographies and not term.restricted_geographies:
            unknown.append("The licence does not say where it may be used.")
        else:
            outside = sorted(
                country
                for country in use.countries
                if vocabulary.covers(term.restricted_geographies, country)
                or (term.allowed_geographies and not vocabulary.covers(term.allowed_geographies, country))
            )
            if outside:
                forbidden.append(_countries_sentence(outside, len(use.countries)))
    if use.usages:
        if not term.allowed_usages and not term.restricted_usages:
            unknown.append("The licence does not say which uses are allowed.")
        else:
            missing = sorted(
                usage
                for usage in use.usages
                if usage in term.restricted_usages or (term.allowed_usages and usage not in term.allowed_usages)
            )
            if missing:
                names = ", ".join(vocabulary.readable(usage) for usage in missing)
                forbidden.append(f"Not licensed for: {names}.")
    if forbidden:
        return Verdict(FORBIDDEN, forbidden + unknown)
    if unknown:
        return Verdict(UNKNOWN, unknown)
    if term.is_editorial_use is None and use.usages - {vocabulary.EDITORIAL_USAGE}:
        return Verdict(RESTRICTED, ["Whether the content is for editorial use only is unknown."])
    return Verdict(ALLOWED, [])


def _countries_sentence(outside: list[str], total: int) -> str:
    shown = ", ".join(outside[:8]) + (f" and {len(outside) - 8} more" if len(outside) > 8 else "")
    return f"Not licensed in {len(outside)} of the {total} intended countries: {shown}."


def evaluate(asset, use: Use, *, threshold_percent: int = 100) -> Verdict:
    """The asset's best licence for ``use`` (terms prefetched as ``license_purchases__terms`` where possible)."""
    licences = list(asset.license_purchases.all())
    if not licences:
        return Verdict(UNKNOWN, ["No licence purchase is on record."])
    verdicts = [
        evaluate_license(lpt, list(lpt.terms.all()), use, threshold_percent=threshold_percent) for lpt in licences
    ]
    return max(verdicts, key=lambda v: RANK[v.status])
