"""Properties of the rights evaluation over generated licences, terms and uses (hypothesis, in memory, no database).

The generator draws from a small vocabulary on purpose (a few countries, regions, an unreadable territory key, every
usage, dates around one year) so that overlaps, lapses and limits are common rather than rare.
"""

from __future__ import annotations

import copy
from datetime import date, timedelta

import pytest
from hypothesis import HealthCheck, given, settings
from hypothesis import strategies as st

from apps.assets import rights, vocabulary
from apps.assets.choices import LicenseState

from .builders import at, licence, term

PROPERTIES = settings(
    max_examples=200,
    derandomize=True,
    database=None,
    deadline=None,
    suppress_health_check=[HealthCheck.too_slow],
)

START = date(2027, 1, 1)
COUNTRIES = ["DE", "FR", "AT", "US", "JP", "BR", "NL", "AE", "ZA"]
GEOGRAPHIES = [
    "geography_worldwide",
    "geography_europe",
    "geography_dach",
    "geography_north_america",
    "geography_germany_de",
    "geography_france_fr",
    "geography_united_states_us",
    "geography_benelux",
    "geography_middle_east_africa",
    "geography_atlantis",  # not a key we can read
    "geography_somewhere_zz",  # nor this one: ZZ is no ISO-3166 code
]
USAGES = sorted(vocabulary.USAGES)
RELEASE_STATES = [
    "release_state_released",
    "release_state_not_required",
    "release_state_not_released",
    "release_state_unknown",
    None,
    "release_state_not_applicable",
    "release_state_something_new",  # not a key we can read
]
LIMITS = [("max_downloads", "current_downloads"), ("max_users", "current_users"), ("max_reuses", "current_reuses")]


def mostly(value, otherwise: st.SearchStrategy) -> st.SearchStrategy:
    """``value`` about seven times in eight: licences that allow a use must be common, or no property bites."""
    return st.sampled_from(range(8)).flatmap(lambda n: otherwise if n == 7 else st.just(copy.deepcopy(value)))


days = st.integers(min_value=-60, max_value=420).map(lambda n: START + timedelta(days=n))
moments = st.builds(at, days, st.integers(min_value=0, max_value=23))
limit = mostly(None, st.integers(min_value=0, max_value=20))
counter = st.integers(min_value=0, max_value=12)

terms_ = st.fixed_dictionaries(
    {
        "allowed_geographies": mostly(
            ["geography_worldwide"], st.lists(st.sampled_from(GEOGRAPHIES), unique=True, max_size=3)
        ),
        "restricted_geographies": mostly([], st.lists(st.sampled_from(GEOGRAPHIES), unique=True, max_size=2)),
        "allowed_usages": mostly(USAGES, st.lists(st.sampled_from(USAGES), unique=True, max_size=5)),
        "restricted_usages": mostly([], st.lists(st.sampled_from(USAGES), unique=True, max_size=2)),
        "valid_from": mostly(None, moments),
        "valid_until": mostly(None, moments),
        "to_be_used_until": mostly(None, moments),
        "is_editorial_use": mostly(False, st.sampled_from([None, True])),
    }
)
releases = mostly(
    {"model_release_state": "release_state_released", "property_release_state": "release_state_not_required"},
    st.none()
    | st.fixed_dictionaries(
        {
            "model_release_state": st.sampled_from(RELEASE_STATES),
            "property_release_state": st.sampled_from(RELEASE_STATES),
        }
    ),
)
licences_ = st.fixed_dictionaries(
    {
        "state": mostly(LicenseState.COMPLETED, st.sampled_from([LicenseState.CANCELLED, "pending"])),
        "max_downloads": limit,
        "current_downloads": counter,
        "max_users": limit,
        "current_users": counter,
        "max_reuses": limit,
        "current_reuses": counter,
        "release_details": releases,
        "terms": st.sampled_from(range(6)).flatmap(
            lambda n: st.just([]) if n == 5 else st.lists(terms_, min_size=1, max_size=3)
        ),
    }
)
uses = st.builds(
    rights.Use,
    countries=st.frozensets(st.sampled_from(COUNTRIES), max_size=2),
    usages=st.frozensets(st.sampled_from(USAGES), max_size=2),
    on=days,
)
thresholds = st.integers(min_value=1, max_value=100)


def verdict_of(spec: dict, use: rights.Use, threshold: int = 100) -> rights.Verdict:
    fields = {k: v for k, v in spec.items() if k != "terms"}
    terms = [term(sequence_number=n, **t) for n, t in enumerate(spec["terms"], 1)]
    return rights.evaluate_license(licence(**fields), terms, use, threshold_percent=threshold)


def worse_or_equal(after: rights.Verdict, before: rights.Verdict) -> bool:
    return rights.RANK[after.status] <= rights.RANK[before.status]


# -- restrictions: each returns a licence that permits no more than the one given -----------------------------------
_RELEASE_LEVEL = {
    "release_state_released": 0,
    "release_state_not_required": 0,
    "release_state_not_applicable": 0,
    "release_state_not_released": 2,
}


def _restrict(spec: dict, kind: str, use: rights.Use, data) -> dict:
    """``spec`` with one more restriction of ``kind``, aimed near ``use`` (its day, countries and usages) so that
    it often matters; on one term or on all of them."""
    spec = copy.deepcopy(spec)
    if kind == "cancel":
        spec["state"] = LicenseState.CANCELLED
    elif kind == "not_completed" and spec["state"] == LicenseState.COMPLETED:
        spec["state"] = "pending"
    elif kind == "limit":
        maximum, _ = data.draw(st.sampled_from(LIMITS))
        cap = spec[maximum] if spec[maximum] is not None else 20
        spec[maximum] = data.draw(st.integers(0, cap))
    elif kind == "use_more":
        _, current = data.draw(st.sampled_from(LIMITS))
        spec[current] += data.draw(st.integers(1, 30))
    elif kind == "release":
        which = data.draw(st.sampled_from(["model_release_state", "property_release_state"]))
        if isinstance(spec["release_details"], dict):
            now = _RELEASE_LEVEL.get(spec["release_details"][which], 1)
            worse = [s for s in RELEASE_STATES if _RELEASE_LEVEL.get(s, 1) > now] or [RELEASE_STATES[2]]
            spec["release_details"][which] = data.draw(st.sampled_from(worse))
    elif kind == "drop_term" and len(spec["terms"]) >= 2:
        spec["terms"].pop(data.draw(st.integers(0, len(spec["terms"]) - 1)))
    elif spec["terms"]:
        every = data.draw(st.booleans())
        targets = spec["terms"] if every else [data.draw(st.sampled_from(spec["terms"]))]
        for t in targets:
            _restrict_term(t, kind, use, data)
    return spec


def _restrict_term(t: dict, kind: str, use: rights.Use, data) -> None:
    near = st.integers(min_value=-3, max_value=3).map(lambda n: at(use.on + timedelta(days=n)))
    if kind == "end_earlier":
        field = data.draw(st.sampled_from(["valid_until", "to_be_used_until"]))
        new = data.draw(near | moments)
        t[field] = new if t[field] is None else min(t[field], new)
    elif kind == "start_later":
        new = data.draw(near | moments)
        t["valid_from"] = new if t["valid_from"] is None else max(t["valid_from"], new)
    elif kind == "editorial":
        order = [False, None, True]
        t["is_editorial_use"] = data.draw(st.sampled_from(order[order.index(t["is_editorial_use"]) + 1 :] or [True]))
    elif kind in {"restrict_geography", "restrict_usage"}:
        if kind == "restrict_geography":
            noun = "geographies"
            wanted = [f"geography_intended_{country.lower()}" for country in sorted(use.countries)]
            pool = GEOGRAPHIES
        else:
            noun, wanted, pool = "usages", sorted(use.usages), USAGES
        # a licence silent on the dimension says nothing; restricting one key would say "all but this": not narrower
        if t[f"allowed_{noun}"] or t[f"restricted_{noun}"]:
            key = data.draw(st.sampled_from(wanted or pool) | st.sampled_from(pool))
            t[f"restricted_{noun}"] = [*t[f"restricted_{noun}"], key]
    elif kind in {"narrow_geography", "narrow_usage"}:
        noun = "geographies" if kind == "narrow_geography" else "usages"
        if len(t[f"allowed_{noun}"]) >= 2:
            t[f"allowed_{noun}"].remove(data.draw(st.sampled_from(t[f"allowed_{noun}"])))


RESTRICTIONS = [
    "cancel",
    "not_completed",
    "limit",
    "use_more",
    "release",
    "drop_term",
    "end_earlier",
    "start_later",
    "editorial",
    "restrict_geography",
    "restrict_usage",
    "narrow_geography",
    "narrow_usage",
]


# -- properties -----------------------------------------------------------------------------------------------------
@PROPERTIES
@given(licences_, uses, thresholds)
def test_reasons_are_given_exactly_when_the_use_is_not_allowed(spec, use, threshold):
    verdict = verdict_of(spec, use, threshold)
    assert verdict.status in rights.STATUSES
    assert bool(verdict.reasons) == (verdict.status != rights.ALLOWED)
    assert all(isinstance(r, str) and r.endswith((".", ")")) for r in verdict.reasons)
    assert len(verdict.reasons) == len(set(verdict.reasons))


@PROPERTIES
@given(licences_, uses, thresholds)
def test_a_cancelled_licence_is_never_allowed(spec, use, threshold):
    verdict = verdict_of({**spec, "state": LicenseState.CANCELLED}, use, threshold)
    assert verdict.status == rights.FORBIDDEN
    assert "The licence was cancelled." in verdict.reasons


@pytest.mark.parametrize("kind", RESTRICTIONS)
@PROPERTIES
@given(licences_, uses, thresholds, st.data())
def test_adding_a_restriction_never_makes_the_verdict_better(kind, spec, use, threshold, data):
    before = verdict_of(spec, use, threshold)
    after = verdict_of(_restrict(spec, kind, use, data), use, threshold)
    assert worse_or_equal(after, before), (kind, before, after)


@PROPERTIES
@given(licences_, uses, thresholds, st.integers(min_value=1, max_value=100))
def test_a_lower_threshold_never_makes_the_verdict_better(spec, use, threshold, lower):
    assert worse_or_equal(verdict_of(spec, use, min(threshold, lower)), verdict_of(spec, use, threshold))


@PROPERTIES
@given(licences_, uses, st.sampled_from(COUNTRIES), st.sampled_from(USAGES))
def test_asking_for_more_never_makes_the_verdict_better(spec, use, country, usage):
    before = verdict_of(spec, use)
    wider = rights.Use(use.countries | {country}, use.usages | {usage}, use.on)
    assert worse_or_equal(verdict_of(spec, wider), before)


@PROPERTIES
@given(licences_, uses, st.sampled_from(["territory", "usage", "editorial", "release"]), st.data())
def test_an_unknown_field_never_yields_allowed(spec, use, unknown, data):
    # every term leaves the field the use depends on unknown
    for t in spec["terms"]:
        if unknown == "territory":
            t["allowed_geographies"], t["restricted_geographies"] = [], []
        elif unknown == "usage":
            t["allowed_usages"], t["restricted_usages"] = [], []
        elif unknown == "editorial":
            t["is_editorial_use"] = None
    if unknown == "release":
        spec["release_details"] = data.draw(
            st.sampled_from(
                [
                    None,
                    {"model_release_state": None, "property_release_state": "release_state_unknown"},
                    {"model_release_state": "release_state_something_new", "property_release_state": None},
                ]
            )
        )
    needs = {
        "territory": {"countries": use.countries | {data.draw(st.sampled_from(COUNTRIES))}},
        "usage": {"usages": use.usages | {data.draw(st.sampled_from(USAGES))}},
        "editorial": {"usages": use.usages | {"usage_web"}},
        "release": {"usages": use.usages | {data.draw(st.sampled_from(sorted(vocabulary.RELEASE_USAGES)))}},
    }[unknown]
    verdict = verdict_of(spec, rights.Use(**{"countries": use.countries, "usages": use.usages, "on": use.on, **needs}))
    assert verdict.status in {rights.UNKNOWN, rights.FORBIDDEN}


FORBIDDING = [
    "editorial_only",
    "limit_reached",
    "no_release",
    "not_yet_valid",
    "usage_restricted",
    "country_restricted",
]


@pytest.mark.parametrize("fact", FORBIDDING)
@PROPERTIES
@given(licences_, uses, st.data())
def test_a_forbidding_fact_in_every_term_always_forbids(fact, spec, use, data):
    spec["terms"] = spec["terms"] or [{}]
    countries, usages = set(use.countries), set(use.usages)
    if fact == "editorial_only":
        usages.add(data.draw(st.sampled_from(sorted(set(USAGES) - {vocabulary.EDITORIAL_USAGE}))))
        for t in spec["terms"]:
            t["is_editorial_use"] = True
    elif fact == "limit_reached":
        maximum, current = data.draw(st.sampled_from(LIMITS))
        spec[maximum] = data.draw(st.integers(0, 20))
        spec[current] = spec[maximum] + data.draw(st.integers(0, 5))
    elif fact == "no_release":
        usages.add(data.draw(st.sampled_from(sorted(vocabulary.RELEASE_USAGES))))
        which = data.draw(st.sampled_from(["model_release_state", "property_release_state"]))
        spec["release_details"] = {**(spec["release_details"] or {}), which: "release_state_not_released"}
    elif fact == "not_yet_valid":
        for t in spec["terms"]:
            t["valid_from"] = at(use.on + timedelta(days=data.draw(st.integers(1, 300))), hour=0)
    elif fact == "usage_restricted":
        usage = data.draw(st.sampled_from(USAGES))
        usages.add(usage)
        for t in spec["terms"]:
            t["restricted_usages"] = [*t.get("restricted_usages", []), usage]
    elif fact == "country_restricted":
        country = data.draw(st.sampled_from(COUNTRIES))
        countries.add(country)
        for t in spec["terms"]:
            t["restricted_geographies"] = [*t.get("restricted_geographies", []), f"geography_x_{country.lower()}"]
    verdict = verdict_of(spec, rights.Use(frozenset(countries), frozenset(usages), use.on))
    assert verdict.status == rights.FORBIDDEN, (fact, verdict)


@PROPERTIES
@given(licences_, uses, st.sampled_from(["valid_until", "to_be_used_until"]), st.integers(min_value=1, max_value=400))
def test_a_use_after_every_term_lapsed_is_forbidden(spec, use, field, days_after):
    if not spec["terms"]:
        spec["terms"] = [{}]
    for t in spec["terms"]:
        t[field] = at(use.on - timedelta(days=days_after), hour=23)
    verdict = verdict_of(spec, use)
    assert verdict.status == rights.FORBIDDEN
    assert any(r.startswith(("Was valid until", "Was to be used until")) for r in verdict.reasons)


@PROPERTIES
@given(uses, st.booleans())
def test_a_licence_without_limits_covering_everything_is_allowed(use, editorial):
    spec = {
        "release_details": {
            "model_release_state": "release_state_released",
            "property_release_state": "release_state_not_required",
        },
        "terms": [{"is_editorial_use": editorial}],
    }
    if editorial:
        use = rights.Use(use.countries, use.usages & {vocabulary.EDITORIAL_USAGE}, use.on)
    assert verdict_of(spec, use) == rights.Verdict(rights.ALLOWED, [])


@PROPERTIES
@given(st.lists(st.tuples(licences_, thresholds), min_size=1, max_size=4), uses, licences_)
def test_the_best_licence_wins_and_another_licence_never_hurts(specs, use, extra):
    verdicts = [verdict_of(spec, use, threshold) for spec, threshold in specs]
    overall = rights.overall(verdicts)
    assert rights.RANK[overall.status] == max(rights.RANK[v.status] for v in verdicts)
    assert rights.overall(reversed(verdicts)).status == overall.status
    assert set(rights.overall(reversed(verdicts)).reasons) == set(overall.reasons)
    with_extra = rights.overall([*verdicts, verdict_of(extra, use)])
    assert rights.RANK[with_extra.status] >= rights.RANK[overall.status]
    if overall.status != rights.ALLOWED:
        assert overall.reasons


UNREADABLE = ["geography_atlantis", "geography_somewhere_zz", "geography_united_kingdom_uk", "geography_mena_gcc"]
SYNCED = vocabulary.Vocabulary.from_generic_metadata(
    {"license_geographies": [{"culture": "en", "metadata_element": {"key": "geography_mena_gcc", "name": "Gulf"}}]}
)


@PROPERTIES
@given(
    licences_,
    uses,
    st.lists(st.sampled_from(UNREADABLE), min_size=1, max_size=3, unique=True),
    st.sampled_from(["allowed", "restricted"]),
    st.sampled_from([None, SYNCED]),
)
def test_a_territory_nobody_can_read_never_forbids_a_country(spec, use, keys, side, words):
    for t in spec["terms"]:
        if side == "allowed":
            t["allowed_geographies"], t["restricted_geographies"] = list(keys), []
        else:
            t["allowed_geographies"], t["restricted_geographies"] = ["geography_worldwide"], list(keys)
    fields = {k: v for k, v in spec.items() if k != "terms"}
    terms = [term(sequence_number=n, **t) for n, t in enumerate(spec["terms"], 1)]
    verdict = rights.evaluate_license(licence(**fields), terms, use, vocabulary=words)
    assert not any(reason.startswith("Not licensed in") for reason in verdict.reasons)
    if use.countries and spec["terms"]:
        assert verdict.status in {rights.UNKNOWN, rights.FORBIDDEN}
        assert any(all(key in reason for key in keys) for reason in verdict.reasons)
