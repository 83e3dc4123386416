"""The rights evaluation by example: each reason sentence, and how licences and terms combine."""

from __future__ import annotations

from datetime import date, timedelta

import pytest
from django.utils import timezone

from apps.assets import rights
from apps.assets.choices import LicenseState
from apps.assets.models import Asset, LicensePurchase, LicenseTerm
from tests.reviews.factories import licensed_asset

from .builders import RELEASED, at, check, licence, term

DAY = date(2027, 3, 1)


def test_a_licence_that_covers_the_use_is_allowed_without_reasons():
    verdict = check(countries={"DE", "FR"}, usages={"usage_web", "usage_advertising"}, on=DAY)
    assert (verdict.status, verdict.reasons) == (rights.ALLOWED, [])
    assert verdict.allowed


# -- the licence purchase -------------------------------------------------------------------------------------------
def test_a_cancelled_licence_is_forbidden():
    verdict = check(licence(state=LicenseState.CANCELLED), on=DAY)
    assert (verdict.status, verdict.reasons) == (rights.FORBIDDEN, ["The licence was cancelled."])


def test_a_licence_in_a_state_other_than_completed_is_unknown():
    verdict = check(licence(state="pending"), on=DAY)
    assert (verdict.status, verdict.reasons) == (rights.UNKNOWN, ["The licence purchase is pending, not completed."])


def test_a_licence_without_terms_is_unknown():
    verdict = check(licence(), [], on=DAY)
    assert (verdict.status, verdict.reasons) == (rights.UNKNOWN, ["The licence has no terms on record."])


@pytest.mark.parametrize(
    ("limit", "counter", "reached", "nearly", "none_allowed"),
    [
        (
            "max_downloads",
            "current_downloads",
            "All 10 licensed downloads are used.",
            "80% of the 10 licensed downloads used.",
            "The licence allows no downloads.",
        ),
        (
            "max_users",
            "current_users",
            "All 10 licensed users are taken.",
            "80% of the 10 licensed users taken.",
            "The licence allows no users.",
        ),
        (
            "max_reuses",
            "current_reuses",
            "All 10 licensed re-uses are used.",
            "80% of the 10 licensed re-uses used.",
            "The licence allows no re-use.",
        ),
    ],
)
def test_limits_nearly_reached_are_restricted_and_reached_are_forbidden(limit, counter, reached, nearly, none_allowed):
    assert check(licence(**{limit: 10, counter: 7}), threshold=80).status == rights.ALLOWED
    nearly_verdict = check(licence(**{limit: 10, counter: 8}), threshold=80)
    assert (nearly_verdict.status, nearly_verdict.reasons) == (rights.RESTRICTED, [nearly])
    # at the default threshold (100 %) only a reached limit counts
    assert check(licence(**{limit: 10, counter: 9})).status == rights.ALLOWED
    reached_verdict = check(licence(**{limit: 10, counter: 10}), threshold=80)
    assert (reached_verdict.status, reached_verdict.reasons) == (rights.FORBIDDEN, [reached])
    assert check(licence(**{limit: 10, counter: 12})).status == rights.FORBIDDEN
    zero = check(licence(**{limit: 0}))
    assert (zero.status, zero.reasons) == (rights.FORBIDDEN, [none_allowed])


def test_no_limit_on_record_means_no_limit():
    verdict = check(licence(max_downloads=None, current_downloads=10_000), threshold=1)
    assert verdict.status == rights.ALLOWED


# -- releases -------------------------------------------------------------------------------------------------------
def test_a_use_that_needs_a_release_without_release_data_is_unknown():
    verdict = check(licence(release_details=None), usages={"usage_advertising", "usage_web"})
    assert verdict.status == rights.UNKNOWN
    assert verdict.reasons == ["No release information is on record (needed for: Advertising)."]


def test_a_licence_synced_without_its_content_element_has_no_release_data():
    verdict = check(licence(raw={}), usages={"usage_packaging"})
    assert verdict.reasons == ["No release information is on record (needed for: Packaging)."]


def test_a_missing_model_release_forbids_advertising():
    details = {**RELEASED, "model_release_state": "release_state_not_released"}
    verdict = check(licence(release_details=details), usages={"usage_advertising", "usage_out_of_home"})
    assert verdict.status == rights.FORBIDDEN
    assert verdict.reasons == ["There is no model release, needed for: Advertising, Out of home."]


@pytest.mark.parametrize("state", ["release_state_unknown", None])
def test_an_unknown_property_release_is_unknown(state):
    details = {**RELEASED, "property_release_state": state}
    verdict = check(licence(release_details=details), usages={"usage_advertising"})
    assert verdict.status == rights.UNKNOWN
    assert verdict.reasons == ["Whether there is a property release is unknown (needed for: Advertising)."]


@pytest.mark.parametrize("state", ["release_state_something_new", {"odd": "shape"}, 3])
def test_a_release_state_nobody_knows_is_unknown_and_named(state):
    details = {**RELEASED, "model_release_state": state}
    verdict = check(licence(release_details=details), usages={"usage_advertising"})
    assert verdict.status == rights.UNKNOWN
    assert verdict.reasons == [
        f"Whether there is a model release is unknown (needed for: Advertising): its state {state} is not one we know."
    ]


@pytest.mark.parametrize("usages", [set(), {"usage_web"}, {"usage_editorial"}, {"usage_internal", "usage_print"}])
def test_uses_without_a_release_need_no_release_data(usages):
    assert check(licence(release_details=None), usages=usages).status == rights.ALLOWED


# -- the terms ------------------------------------------------------------------------------------------------------
def test_a_use_before_valid_from_is_forbidden():
    verdict = check(terms=[term(valid_from=at(date(2027, 4, 1)))], on=DAY)
    assert (verdict.status, verdict.reasons) == (rights.FORBIDDEN, ["Valid only from 01 Apr 2027."])


def test_a_use_after_valid_until_is_forbidden():
    verdict = check(terms=[term(valid_until=at(date(2027, 2, 28)))], on=DAY)
    assert (verdict.status, verdict.reasons) == (rights.FORBIDDEN, ["Was valid until 28 Feb 2027."])
    assert check(terms=[term(valid_until=at(date(2027, 3, 2)))], on=DAY).status == rights.ALLOWED


def test_a_use_after_to_be_used_until_is_forbidden():
    verdict = check(terms=[term(to_be_used_until=at(date(2027, 1, 31)))], on=DAY)
    assert (verdict.status, verdict.reasons) == (rights.FORBIDDEN, ["Was to be used until 31 Jan 2027."])


def test_without_a_day_the_use_is_now():
    verdict = check(terms=[term(valid_until=timezone.now() - timedelta(minutes=1))])
    assert verdict.status == rights.FORBIDDEN


def test_editorial_only_forbids_other_uses_but_not_editorial_use():
    terms = [term(is_editorial_use=True)]
    verdict = check(terms=terms, usages={"usage_web"})
    assert (verdict.status, verdict.reasons) == (rights.FORBIDDEN, ["Editorial use only."])
    assert check(terms=terms, usages={"usage_editorial"}).status == rights.ALLOWED


def test_editorial_use_not_known_is_unknown_not_allowed():
    verdict = check(terms=[term(is_editorial_use=None)], usages={"usage_print"})
    assert verdict.status == rights.UNKNOWN
    assert verdict.reasons == ["Whether the content is for editorial use only is unknown."]


def test_a_licence_silent_on_territory_is_unknown():
    verdict = check(terms=[term(allowed_geographies=[])], countries={"DE"})
    assert (verdict.status, verdict.reasons) == (rights.UNKNOWN, ["The licence does not say where it may be used."])


def test_countries_outside_the_territory_are_forbidden():
    terms = [term(allowed_geographies=["geography_europe"], restricted_geographies=["geography_france_fr"])]
    verdict = check(terms=terms, countries={"DE", "FR", "US"})
    assert verdict.status == rights.FORBIDDEN
    assert verdict.reasons == ["Not licensed in 2 of the 3 intended countries: FR, US."]


def test_many_countries_outside_are_shortened():
    verdict = check(terms=[term(allowed_geographies=["geography_japan_jp"])], countries=set(_TEN))
    assert verdict.reasons == [
        "Not licensed in 10 of the 10 intended countries: AT, BE, CH, DE, DK, ES, FR, IT and 2 more."
    ]


_TEN = ["AT", "BE", "CH", "DE", "DK", "ES", "FR", "IT", "NL", "PL"]


def test_restricted_territories_alone_allow_everywhere_else():
    terms = [term(allowed_geographies=[], restricted_geographies=["geography_north_america"])]
    assert check(terms=terms, countries={"DE"}).status == rights.ALLOWED
    assert check(terms=terms, countries={"US"}).status == rights.FORBIDDEN


def test_territories_that_cannot_be_read_leave_the_country_unknown():
    terms = [term(allowed_geographies=["geography_germany_de", "geography_atlantis"])]
    verdict = check(terms=terms, countries={"DE", "NL"})
    assert verdict.status == rights.UNKNOWN
    assert verdict.reasons == [
        "Whether the licence covers NL is unknown: it names territories that cannot be read: geography_atlantis."
    ]
    restricted = [term(restricted_geographies=["geography_atlantis"], allowed_geographies=[])]
    assert check(terms=restricted, countries={"DE"}).status == rights.UNKNOWN


def test_a_licence_silent_on_usage_is_unknown():
    verdict = check(terms=[term(allowed_usages=[])], usages={"usage_web"})
    assert verdict.reasons == ["The licence does not say which uses are allowed."]
    assert verdict.status == rights.UNKNOWN


def test_usages_not_granted_are_forbidden():
    terms = [term(allowed_usages=["usage_web", "usage_print"], restricted_usages=["usage_print"])]
    verdict = check(terms=terms, usages={"usage_web", "usage_print", "usage_broadcast"})
    assert (verdict.status, verdict.reasons) == (rights.FORBIDDEN, ["Not licensed for: Broadcast, Print."])


def test_every_reason_is_given_not_only_the_first():
    lpt = licence(state=LicenseState.CANCELLED, max_downloads=5, current_downloads=5, release_details=None)
    terms = [term(valid_until=at(date(2027, 1, 1)), allowed_geographies=[], is_editorial_use=None)]
    verdict = check(lpt, terms, countries={"DE"}, usages={"usage_advertising"}, on=DAY)
    assert verdict.status == rights.FORBIDDEN
    assert verdict.reasons == [
        "The licence was cancelled.",
        "All 5 licensed downloads are used.",
        "Was valid until 01 Jan 2027.",
        "No release information is on record (needed for: Advertising).",
        "Whether the content is for editorial use only is unknown.",
        "The licence does not say where it may be used.",
    ]


def test_the_best_term_of_a_licence_wins():
    expired = term(sequence_number=1, valid_until=at(date(2027, 1, 1)))
    current = term(sequence_number=2, allowed_geographies=["geography_dach"])
    assert check(terms=[expired, current], countries={"DE"}, on=DAY).status == rights.ALLOWED
    verdict = check(terms=[expired, current], countries={"FR"}, on=DAY)
    assert verdict.status == rights.FORBIDDEN
    assert verdict.reasons == ["Was valid until 01 Jan 2027.", "Not licensed in 1 of the 1 intended countries: FR."]


def test_a_term_checked_alone_still_answers_a_verdict():
    verdict = rights._evaluate_term(term(is_editorial_use=True), rights.Use(usages=frozenset({"usage_web"})), at(DAY))
    assert (verdict.status, verdict.reasons) == (rights.FORBIDDEN, ["Editorial use only."])


# -- an asset -------------------------------------------------------------------------------------------------------
def test_the_best_licence_wins_and_ties_keep_every_reason():
    cancelled = rights.Verdict(rights.FORBIDDEN, ["The licence was cancelled."])
    expired = rights.Verdict(rights.FORBIDDEN, ["Was valid until 01 Jan 2027."])
    allowed = rights.Verdict(rights.ALLOWED, [])
    assert rights.overall([cancelled, allowed]) == allowed
    assert rights.overall([cancelled, expired]).reasons == [
        "The licence was cancelled.",
        "Was valid until 01 Jan 2027.",
    ]
    assert rights.overall([]) == rights.Verdict(rights.UNKNOWN, ["No licence purchase is on record."])


@pytest.mark.django_db
def test_an_asset_without_licences_is_unknown(client_a):
    asset = Asset.objects.create(client=client_a, content_element_uuid="el-none")
    verdict = rights.evaluate(asset, rights.Use(countries=frozenset({"DE"})))
    assert (verdict.status, verdict.reasons) == (rights.UNKNOWN, ["No licence purchase is on record."])


@pytest.mark.django_db
def test_an_asset_reads_its_releases_from_the_content_element(client_a):
    asset = licensed_asset(client_a, usages=("usage_web", "usage_advertising"))
    advertising = rights.Use(frozenset({"DE"}), frozenset({"usage_advertising"}), DAY)
    assert rights.evaluate(asset, advertising).status == rights.UNKNOWN  # nothing synced yet
    asset.metadata = {"release_details": RELEASED}
    asset.save(update_fields=["metadata"])
    assert rights.evaluate(asset, advertising).status == rights.ALLOWED
    asset.metadata = {"release_details": {**RELEASED, "model_release_state": "release_state_not_released"}}
    assert rights.evaluate(asset, advertising).reasons == ["There is no model release, needed for: Advertising."]


@pytest.mark.django_db
def test_a_second_licence_that_covers_the_use_clears_the_asset(client_a):
    asset = licensed_asset(client_a, geographies=("geography_dach",))
    use = rights.Use(frozenset({"FR"}), frozenset({"usage_web"}), timezone.localdate())
    assert rights.evaluate(asset, use).status == rights.FORBIDDEN
    lpt = LicensePurchase.objects.create(
        client=client_a, asset=asset, uuid="lpt-europe", state=LicenseState.COMPLETED, version=1
    )
    LicenseTerm.objects.create(
        license_purchase=lpt,
        sequence_number=1,
        allowed_geographies=["geography_europe"],
        allowed_usages=["usage_web"],
        is_editorial_use=False,
    )
    asset = Asset.objects.prefetch_related("license_purchases__terms").get(pk=asset.pk)
    assert rights.evaluate(asset, use) == rights.Verdict(rights.ALLOWED, [])
    assert [(lpt.uuid, v.status) for lpt, v in rights.evaluate_each(asset, use)] == [
        ("lpt-europe", rights.ALLOWED),
        (asset.license_purchases.all()[1].uuid, rights.FORBIDDEN),
    ]
