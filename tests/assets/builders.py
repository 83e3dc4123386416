"""Licences built in memory (unsaved model instances): the rights evaluation reads only their fields."""

from __future__ import annotations

from datetime import UTC, date, datetime

from apps.assets import rights, vocabulary
from apps.assets.choices import LicenseState
from apps.assets.models import LicensePurchase, LicenseTerm

RELEASED = {"model_release_state": "release_state_released", "property_release_state": "release_state_not_required"}


def at(day: date, hour: int = 12) -> datetime:
    return datetime(day.year, day.month, day.day, hour, tzinfo=UTC)


def term(**fields) -> LicenseTerm:
    """A term that allows everything, everywhere, for ever, unless ``fields`` say otherwise."""
    values = {
        "sequence_number": 1,
        "allowed_geographies": [vocabulary.WORLDWIDE],
        "allowed_usages": list(vocabulary.USAGES),
        "is_editorial_use": False,
        **fields,
    }
    return LicenseTerm(**values)


def licence(*, uuid="lpt-1", release_details=RELEASED, **fields) -> LicensePurchase:
    """A completed licence purchase without limits whose content element has its releases."""
    values = {"uuid": uuid, "state": LicenseState.COMPLETED, "version": 1, **fields}
    values.setdefault("raw", {"content_element": {"release_details": release_details}})
    return LicensePurchase(**values)


def check(lpt=None, terms=None, *, countries=(), usages=(), on=None, threshold=100) -> rights.Verdict:
    lpt = lpt if lpt is not None else licence()
    terms = [term()] if terms is None else terms
    use = rights.Use(frozenset(countries), frozenset(usages), on)
    return rights.evaluate_license(lpt, terms, use, threshold_percent=threshold)
