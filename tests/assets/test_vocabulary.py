"""The licence vocabulary: the built-in tables, a client's Smint.io generic metadata over them, and what the rights
evaluation makes of keys it can and cannot read."""

from __future__ import annotations

import pytest
from django.utils import timezone
from django_countries.data import COUNTRIES

from apps.assets import rights, vocabulary
from apps.assets.models import Asset
from apps.assets.vocabulary import DEFAULT, Vocabulary, vocabulary_for
from apps.clients.models import Client, SmintioConnection
from apps.emulators.smintio import contract as emulator_contract
from apps.emulators.smintio import payloads as emulator_payloads
from tests.reviews.factories import licensed_asset

from .builders import RELEASED, check, licence, term


def element(key: str, name, culture: str = "en") -> dict:
    return {"culture": culture, "metadata_element": {"key": key, "name": name}}


def metadata(**lists) -> dict:
    """Generic metadata with ``lists`` (``license_geographies=[("geography_x", "X", "Ix")]``: English, German)."""
    document = {}
    for name, entries in lists.items():
        document[name] = []
        for key, *names in entries:
            for culture, label in zip(("en", "de"), names, strict=False):
                document[name].append(element(key, label, culture))
    return document


SYNCED = Vocabulary.from_generic_metadata(
    metadata(
        license_geographies=[
            ("geography_worldwide", "Worldwide", "Weltweit"),
            ("geography_mena_gcc", "Gulf states", "Golfstaaten"),
            ("geography_germany", "Germany", "Deutschland"),
            ("geography_all", "Global", "Global"),
        ],
        license_usages=[
            ("usage_print", "Print media", "Druckmedien"),
            ("usage_merchandise", "Merchandise", "Merchandising"),
        ],
        release_states=[
            ("release_state_released", "Released", "Freigegeben"),
            ("release_state_na", "N/A", "Entfällt"),
            ("release_state_absent", "Release missing", "Fehlt"),
            ("release_state_pending", "Pending", "Ausstehend"),
        ],
    )
)


# -- releases -------------------------------------------------------------------------------------------------------
def test_a_release_not_applicable_needs_no_release():
    details = {**RELEASED, "model_release_state": "release_state_not_applicable"}
    verdict = check(licence(release_details=details), usages={"usage_advertising", "usage_out_of_home"})
    assert (verdict.status, verdict.reasons) == (rights.ALLOWED, [])


@pytest.mark.parametrize(
    ("state", "meaning"),
    [
        ("release_state_released", vocabulary.GIVEN),
        ("release_state_not_required", vocabulary.GIVEN),
        ("release_state_not_applicable", vocabulary.GIVEN),
        ("release_state_not_released", vocabulary.MISSING),
        ("release_state_unknown", vocabulary.UNKNOWN),
        (None, vocabulary.UNKNOWN),
        ("release_state_na", None),  # only the metadata knows it
        ("release_state_something_new", None),
    ],
)
def test_built_in_release_states(state, meaning):
    assert DEFAULT.release_state(state) == meaning


@pytest.mark.parametrize(
    ("state", "meaning"),
    [
        ("release_state_na", vocabulary.GIVEN),  # "N/A"
        ("release_state_absent", vocabulary.MISSING),  # "Release missing"
        ("release_state_pending", vocabulary.UNKNOWN),  # "Pending": listed, but says nothing we can use
        ("release_state_something_new", None),  # nobody knows it
        ("release_state_released", vocabulary.GIVEN),
    ],
)
def test_release_states_the_metadata_lists_are_classified_by_their_english_name(state, meaning):
    assert SYNCED.release_state(state) == meaning


@pytest.mark.parametrize(
    ("name", "meaning"),
    [
        ("Not applicable", vocabulary.GIVEN),
        ("Release not required", vocabulary.GIVEN),
        ("released", vocabulary.GIVEN),
        ("Not released", vocabulary.MISSING),
        ("Missing", vocabulary.MISSING),
        ("Partially released", vocabulary.UNKNOWN),  # never guessed to be given
        ("Unknown", vocabulary.UNKNOWN),
    ],
)
def test_release_names(name, meaning):
    words = Vocabulary.from_generic_metadata(metadata(release_states=[("release_state_x", name)]))
    assert words.release_state("release_state_x") == meaning


def test_a_built_in_release_state_keeps_its_meaning_whatever_the_metadata_calls_it():
    words = Vocabulary.from_generic_metadata(metadata(release_states=[("release_state_not_released", "Released")]))
    assert words.release_state("release_state_not_released") == vocabulary.MISSING


def test_release_states_in_sentences_by_what_the_metadata_says():
    def reasons(state, words):
        details = {**RELEASED, "property_release_state": state}
        use = rights.Use(usages=frozenset({"usage_advertising"}))
        return rights.evaluate_license(licence(release_details=details), [term()], use, vocabulary=words)

    assert reasons("release_state_na", SYNCED) == rights.Verdict(rights.ALLOWED, [])
    assert reasons("release_state_absent", SYNCED).reasons == ["There is no property release, needed for: Advertising."]
    pending = reasons("release_state_pending", SYNCED)
    assert (pending.status, pending.reasons) == (
        rights.UNKNOWN,
        [
            "Whether there is a property release is unknown (needed for: Advertising): its state is "
            "Pending (release_state_pending)."
        ],
    )
    assert reasons("release_state_na", None).reasons == [
        "Whether there is a property release is unknown (needed for: Advertising): its state release_state_na is "
        "not one we know."
    ]


# -- geographies ----------------------------------------------------------------------------------------------------
def test_middle_east_and_africa_covers_the_gulf_and_africa_but_not_europe():
    terms = [term(allowed_geographies=["geography_middle_east_africa"])]
    for country in ("AE", "SA", "QA", "IL", "EG", "ZA", "NG", "KE", "MA"):
        assert check(terms=terms, countries={country}).status == rights.ALLOWED, country
    verdict = check(terms=terms, countries={"AE", "DE", "ZA"})
    assert (verdict.status, verdict.reasons) == (
        rights.FORBIDDEN,
        ["Not licensed in 1 of the 3 intended countries: DE."],
    )


@pytest.mark.parametrize(
    ("key", "inside", "outside"),
    [
        ("geography_emea", {"DE", "GB", "UA", "AE", "ZA"}, {"US", "JP"}),
        ("geography_european_union", {"DE", "FR", "IE"}, {"GB", "CH", "NO"}),
        ("geography_africa", {"ZA", "EG", "NG"}, {"AE", "FR"}),
        ("geography_middle_east", {"AE", "SA", "IL"}, {"ZA", "IN"}),
        ("geography_asia", {"JP", "CN", "IN", "AE"}, {"AU", "DE"}),
        ("geography_oceania", {"AU", "NZ", "FJ"}, {"JP"}),
        ("geography_south_america", {"BR", "AR", "UY"}, {"MX"}),
        ("geography_central_america", {"MX", "PA", "CR"}, {"BR", "CU"}),
        ("geography_caribbean", {"CU", "JM", "PR"}, {"MX"}),
        ("geography_nordics", {"DK", "FI", "IS", "NO", "SE"}, {"DE", "NL"}),
        ("geography_benelux", {"BE", "NL", "LU"}, {"DE", "FR"}),
    ],
)
def test_regions(key, inside, outside):
    found = vocabulary.countries_of(key)
    assert inside <= found and not outside & found


def test_every_region_is_a_set_of_iso_3166_codes():
    for key, countries in vocabulary.REGION_COUNTRIES.items():
        assert countries and countries <= set(COUNTRIES), (key, sorted(countries - set(COUNTRIES)))
        assert key in vocabulary.GEOGRAPHY_LABELS


@pytest.mark.parametrize(
    ("key", "countries"),
    [
        ("geography_worldwide", None),
        ("geography_germany_de", frozenset({"DE"})),
        ("geography_x_fr", frozenset({"FR"})),
        ("geography_united_kingdom_uk", frozenset()),  # UK is not an ISO-3166 code (GB is): unreadable
        ("geography_somewhere_zz", frozenset()),
        ("geography_germany", frozenset()),  # without metadata naming it, no country
        ("geography_atlantis", frozenset()),
    ],
)
def test_built_in_geography_keys(key, countries):
    assert vocabulary.countries_of(key) == countries


def test_geographies_the_metadata_names_like_a_country_or_the_world_are_read():
    assert SYNCED.countries_of("geography_germany") == frozenset({"DE"})
    assert SYNCED.countries_of("geography_all") is None  # "Global"
    assert SYNCED.countries_of("geography_mena_gcc") == frozenset()  # "Gulf states": not a country
    assert SYNCED.unreadable(["geography_mena_gcc", "geography_germany", "geography_dach"]) == ["geography_mena_gcc"]


def test_a_geography_the_metadata_lists_but_we_cannot_map_is_unknown_naming_it_with_its_label():
    terms = [term(allowed_geographies=["geography_germany", "geography_mena_gcc", "geography_nowhere"])]
    use = rights.Use(countries=frozenset({"DE", "AE"}))
    verdict = rights.evaluate_license(licence(), terms, use, vocabulary=SYNCED)
    assert (verdict.status, verdict.reasons) == (
        rights.UNKNOWN,
        [
            "Whether the licence covers AE is unknown: it names territories that cannot be read: "
            "Gulf states (geography_mena_gcc), geography_nowhere."
        ],
    )
    restricted = [term(allowed_geographies=[], restricted_geographies=["geography_mena_gcc"])]
    verdict = rights.evaluate_license(licence(), restricted, rights.Use(countries=frozenset({"FR"})), vocabulary=SYNCED)
    assert verdict.status == rights.UNKNOWN  # never "Not licensed in FR"


# -- labels ---------------------------------------------------------------------------------------------------------
def test_metadata_labels_are_used_in_sentences():
    terms = [term(allowed_usages=["usage_web"])]
    use = rights.Use(usages=frozenset({"usage_print", "usage_merchandise"}))
    verdict = rights.evaluate_license(licence(), terms, use, vocabulary=SYNCED)
    assert verdict.reasons == ["Not licensed for: Merchandise, Print media."]
    assert check(terms=terms, usages={"usage_print"}).reasons == ["Not licensed for: Print."]  # built-in


def test_labels_prefer_english_then_any_english_then_the_first_culture():
    document = {
        "license_usages": [
            element("usage_a", "Druck", "de"),
            element("usage_a", "Print", "en"),
            element("usage_b", "Impression", "fr"),
            element("usage_b", "Printing", "en-GB"),
            element("usage_c", "Nur deutsch", "de"),
            element("usage_d", [{"culture": "de", "value": "Lokal"}, {"culture": "en", "value": "Localized"}]),
        ]
    }
    words = Vocabulary.from_generic_metadata(document)
    assert [words.readable(k) for k in ("usage_a", "usage_b", "usage_c", "usage_d")] == [
        "Print",
        "Printing",
        "Nur deutsch",
        "Localized",
    ]
    assert words.usage_key("c") == "usage_c"
    assert DEFAULT.usage_key("c") is None and vocabulary.usage_key("merchandise") is None
    assert words.english.get("usage_c") is None  # no English name: nothing is classified by it


def test_readable_still_reads_keys_without_a_vocabulary():
    assert vocabulary.readable("usage_social_media") == "Social media"
    assert vocabulary.readable("geography_united_kingdom_gb") == "United kingdom"
    assert vocabulary.readable("geography_middle_east_africa") == "Middle East and Africa"
    assert vocabulary.readable("release_state_not_applicable") == "Not applicable"
    assert vocabulary.readable("usage_web", {"usage_web": "Internet"}) == "Internet"


@pytest.mark.parametrize("document", [None, {}, [], "x", {"license_usages": "x"}, {"license_usages": [1, {}, None]}])
def test_empty_or_malformed_metadata_gives_the_built_in_vocabulary(document):
    assert Vocabulary.from_generic_metadata(document) is DEFAULT


def test_the_emulators_generic_metadata_is_read_whole():
    words = Vocabulary.from_generic_metadata(emulator_payloads.generic_metadata())
    for key, (english, _german) in emulator_contract.LICENSE_GEOGRAPHIES.items():
        assert words.readable(key) == english
        assert not words.unreadable([key]), key
    for key in emulator_contract.RELEASE_STATES:
        assert words.release_state(key) is not None, key
    assert set(emulator_contract.LICENSE_USAGES) <= set(words.usages)


# -- a client's vocabulary ------------------------------------------------------------------------------------------
@pytest.mark.django_db
def test_a_client_without_a_connection_or_synced_metadata_has_the_built_in_vocabulary(client_a):
    assert vocabulary_for(client_a) is DEFAULT
    other = Client.objects.get(pk=client_a.pk)
    SmintioConnection.objects.create(client=other, tenant="acme")
    assert vocabulary_for(other) is DEFAULT
    assert vocabulary_for(None) is DEFAULT


@pytest.mark.django_db
def test_a_clients_connection_metadata_is_its_vocabulary(client_a, django_assert_num_queries):
    SmintioConnection.objects.create(
        client=client_a,
        tenant="acme",
        generic_metadata=metadata(license_geographies=[("geography_mena_gcc", "Gulf states")]),
    )
    client = Client.objects.get(pk=client_a.pk)
    with django_assert_num_queries(1):
        words = vocabulary_for(client)
        assert vocabulary_for(client) is words  # kept with the client object: one query per request
    assert words.named("geography_mena_gcc") == "Gulf states (geography_mena_gcc)"
    selected = Client.objects.select_related("smintio_connection").get(pk=client_a.pk)
    with django_assert_num_queries(0):
        assert vocabulary_for(selected).labels == words.labels


def test_a_vocabulary_is_built_once_per_version_of_the_connection(client_a, django_assert_num_queries, monkeypatch):
    """Another request (another ``Client`` object) reads the connection's version only, and builds nothing while
    the version is the one this process built; a sync that writes new vocabularies is seen on the next read."""
    connection = SmintioConnection.objects.create(
        client=client_a, tenant="acme", generic_metadata=metadata(license_geographies=[("geography_x", "Isles")])
    )
    built = []
    monkeypatch.setattr(Vocabulary, "from_generic_metadata", _counting(Vocabulary.from_generic_metadata, built))
    first = vocabulary_for(Client.objects.get(pk=client_a.pk))
    again = Client.objects.get(pk=client_a.pk)
    with django_assert_num_queries(1) as seen:
        assert vocabulary_for(again) is first
    assert "generic_metadata" not in seen.captured_queries[0]["sql"]  # the version, not the ~17 kB document
    licensed_asset(client_a)
    assets = vocabulary.with_vocabulary(Asset.objects.filter(client=client_a).select_related("client"))
    with django_assert_num_queries(1) as seen:  # the assets' own statement: the version comes with them
        assert [vocabulary_for(asset.client) for asset in assets] == [first]
    assert "generic_metadata" not in seen.captured_queries[0]["sql"]
    assert len(built) == 1

    # as the sync writes them (apps.integrations.smintio.sync.pull): no save(), updated_at set with the document
    SmintioConnection.objects.filter(pk=connection.pk).update(
        generic_metadata=metadata(license_geographies=[("geography_x", "Islands")]), updated_at=timezone.now()
    )
    assert vocabulary_for(Client.objects.get(pk=client_a.pk)).named("geography_x") == "Islands (geography_x)"
    assert vocabulary_for(assets.get().client).named("geography_x") == "Islands (geography_x)"
    assert len(built) == 2
    connection.delete()
    assert vocabulary_for(Client.objects.get(pk=client_a.pk)) is DEFAULT


def _counting(build, calls: list):
    def counted(*args, **kwargs):
        calls.append(args)
        return build(*args, **kwargs)

    return counted


@pytest.mark.django_db
def test_an_asset_checked_with_its_clients_vocabulary(client_a):
    SmintioConnection.objects.create(
        client=client_a,
        tenant="acme",
        generic_metadata=metadata(
            license_geographies=[("geography_mena_gcc", "Gulf states")],
            release_states=[("release_state_na", "Not applicable")],
        ),
    )
    asset = licensed_asset(client_a, geographies=("geography_mena_gcc",), usages=("usage_advertising",))
    asset.metadata = {"release_details": {**RELEASED, "model_release_state": "release_state_na"}}
    use = rights.Use(frozenset({"AE"}), frozenset({"usage_advertising"}))
    words = rights.vocabulary_for(asset.client)
    verdict = rights.evaluate(asset, use, vocabulary=words)
    assert (verdict.status, verdict.reasons) == (
        rights.UNKNOWN,
        [
            "Whether the licence covers AE is unknown: it names territories that cannot be read: "
            "Gulf states (geography_mena_gcc)."
        ],
    )
    built_in = rights.evaluate(asset, use)
    assert built_in.status == rights.UNKNOWN
    assert "its state release_state_na is not one we know" in built_in.reasons[0]
