"""Matching a creative request to cleared assets (issue 13, item 4): crafted licences, one rule per test."""

from __future__ import annotations

import itertools
from datetime import timedelta

import pytest
from django.utils import timezone

from apps.assets.choices import ApprovalState
from apps.assets.models import Asset, LicensePurchase
from apps.assets.services import refresh_rights
from apps.creative import matching
from apps.creative.matching import Want, match
from tests.assets import builders

pytestmark = pytest.mark.django_db

_n = itertools.count(1)
FIVE = frozenset({"DE", "FR", "IT", "ES", "BR"})
TWO = frozenset({"usage_web", "usage_advertising"})
NOT_RELEASED = {"model_release_state": "release_state_not_released", "property_release_state": "release_state_released"}


def cleared(
    client,
    *terms,
    name="Harbour at dawn",
    description="",
    keywords=(),
    provider="getty",
    content_type="image",
    content_category="creative",
    license_type="royalty_free",
    size=(6000, 4000),
    release=builders.RELEASED,
    approval=ApprovalState.APPROVED,
):
    """An asset with one licence whose terms are ``terms`` (``builders.term`` fields; one open term by default),
    its rights state and end computed as the sync computes them."""
    n = next(_n)
    metadata = {"release_details": release}
    if size:
        metadata["image_details"] = {"width": size[0], "height": size[1]}
    asset = Asset.objects.create(
        client=client,
        content_element_uuid=f"el-m{n}",
        name=name,
        description=description,
        keywords=list(keywords),
        provider=provider,
        content_type=content_type,
        content_category=content_category,
        approval_state=approval,
        metadata=metadata,
    )
    lpt = builders.licence(uuid=f"lpt-m{n}", license_type=license_type, release_details=release)
    lpt.client, lpt.asset = client, asset
    lpt.save()
    for sequence, fields in enumerate(terms or [{}], 1):
        term = builders.term(sequence_number=sequence, **fields)
        term.license_purchase = lpt
        term.save()
    refresh_rights([asset.pk])
    return Asset.objects.get(pk=asset.pk)


def days(n):
    return timezone.now() + timedelta(days=n)


def campaign(**fields):
    today = timezone.localdate()
    values = {
        "countries": FIVE,
        "usages": frozenset({"usage_web", "usage_social_media"}),
        "run_from": today + timedelta(days=10),
        "run_until": today + timedelta(days=100),
        **fields,
    }
    return Want(**values)


def ids(matches):
    return [m.asset.pk for m in matches]


def test_a_licence_that_covers_everything_is_a_full_match_with_its_reasons(client_a):
    asset = cleared(client_a)
    found = match(client_a, campaign())
    assert ids(found.full) == [asset.pk] and found.partial == []
    full = found.full[0]
    assert full.coverage == matching.FULL
    assert "Licensed in all 5 countries" in full.fits
    assert "For Social media, Web" in full.fits
    assert "Through the whole run" in full.fits and "Rights have no end date." in full.fits
    assert full.missing == [] and full.limits is not None and full.limits.countries is None
    assert full.source == matching.STOCK_PROVIDER and found.facets[matching.STOCK_PROVIDER] == 1


def test_a_term_missing_one_country_is_partial_never_full(client_a):
    europe = cleared(client_a, {"allowed_geographies": ["geography_european_union"]})
    found = match(client_a, campaign())
    assert found.full == []
    assert ids(found.partial) == [europe.pk]
    partial = found.partial[0]
    assert partial.coverage == matching.PARTIAL
    assert "Not licensed in BR." in partial.missing
    assert "Licensed in DE, ES, FR, IT (4 of 5 countries)" in partial.fits


def test_rights_ending_before_the_run_ends_are_partial(client_a):
    short = cleared(client_a, {"valid_until": days(50)})
    found = match(client_a, campaign())
    assert found.full == [] and ids(found.partial) == [short.pk]
    ends = timezone.localtime(short.rights_until).date()
    gap = (campaign().run_until - ends).days
    assert f"Rights end {ends:%d %b %Y}, {gap} days before the campaign ends." in found.partial[0].missing


def test_rights_starting_after_the_run_starts_are_partial(client_a):
    later = cleared(client_a, {"valid_until": days(5)}, {"valid_from": days(40)})  # a gap over the run's start
    found = match(client_a, campaign())
    assert found.full == [] and ids(found.partial) == [later.pk]
    assert any(reason.startswith("Not licensed from the start of the run") for reason in found.partial[0].missing)


def test_an_editorial_only_asset_never_matches_an_advertising_request(client_a):
    cleared(client_a, {"is_editorial_use": True})
    found = match(client_a, campaign(usages=TWO))
    assert found.full == [] and found.partial == []
    # ... nor any other use but editorial; for editorial use it is a match
    assert match(client_a, campaign(usages=frozenset({"usage_web"}))).partial == []
    assert len(match(client_a, campaign(usages=frozenset({"usage_editorial"}))).full) == 1


def test_unknown_is_never_full(client_a):
    silent_where = cleared(client_a, {"allowed_geographies": []})
    silent_editorial = cleared(client_a, {"is_editorial_use": None})
    no_release_data = cleared(client_a, release=None)
    found = match(client_a, campaign(usages=TWO))
    assert found.full == []
    assert set(ids(found.partial)) == {silent_where.pk, silent_editorial.pk, no_release_data.pk}
    reasons = {m.asset.pk: m.missing for m in found.partial}
    assert "The licence does not say where it may be used." in reasons[silent_where.pk]
    assert "Whether the content is for editorial use only is unknown." in reasons[silent_editorial.pk]
    assert any("No release information is on record" in r for r in reasons[no_release_data.pk])


def test_a_missing_release_makes_an_advertising_request_partial_and_others_watch_it(client_a):
    cleared(client_a, release=NOT_RELEASED)
    advertising = match(client_a, campaign(usages=TWO))
    assert advertising.full == [] and len(advertising.partial) == 1
    assert "Not licensed for Advertising." in advertising.partial[0].missing
    web = match(client_a, campaign(usages=frozenset({"usage_web"})))
    assert len(web.full) == 1
    assert any(item.startswith("Needs a release for advertising") for item in web.full[0].watch)


def test_release_details_only_on_the_licence_are_read_from_it(client_a):
    """An asset synced before its metadata carried release details: the licence's copy is the record (matching
    reads it from the licence only for such assets)."""
    released_on_licence = cleared(client_a, name="Licence says released")
    Asset.objects.filter(pk=released_on_licence.pk).update(metadata={"image_details": {"width": 6000, "height": 4000}})
    not_released_on_licence = cleared(client_a, name="Licence says not released", release=NOT_RELEASED)
    Asset.objects.filter(pk=not_released_on_licence.pk).update(metadata={})
    found = match(client_a, campaign(usages=TWO))
    assert ids(found.full) == [released_on_licence.pk]
    assert ids(found.partial) == [not_released_on_licence.pk]
    assert "Not licensed for Advertising." in found.partial[0].missing


def test_no_usage_or_country_in_reach_is_no_match(client_a):
    cleared(client_a, {"allowed_geographies": ["geography_japan_jp"]})
    cleared(client_a, {"allowed_usages": ["usage_print"]})
    found = match(client_a, campaign())
    assert found.full == [] and found.partial == []


def test_only_available_assets_of_the_client_match(client_a, client_b):
    mine = cleared(client_a)
    cleared(client_b)  # the same licence at another client
    cleared(client_a, approval=ApprovalState.PENDING)
    cleared(client_a, approval=ApprovalState.REJECTED)
    lapsed = cleared(client_a, {"valid_until": days(5)})
    Asset.objects.filter(pk=lapsed.pk).update(rights_until=days(-1))  # lapsed by the clock before any job
    found = match(client_a, campaign(run_until=timezone.localdate() + timedelta(days=3)))
    assert ids(found.full) == [mine.pk] and found.partial == []
    assert found.total_candidates == 1
    other = match(client_b, campaign())
    assert mine.pk not in ids(other.full) + ids(other.partial) and len(other.full) == 1


def test_text_relevance_ranks_full_matches_and_partial_ones_stay_apart(client_a):
    plain = cleared(client_a, name="Office desk")
    described = cleared(client_a, name="Morning scene", description="A quiet harbour with fishing boats")
    titled = cleared(client_a, name="Harbour boats", keywords=["fishing", "boats"])
    partial = cleared(client_a, {"allowed_geographies": ["geography_european_union"]}, name="Harbour fishing boats")
    found = match(client_a, campaign(text="Fishing boats in a harbour"))
    assert ids(found.full) == [titled.pk, described.pk, plain.pk]
    assert ids(found.partial) == [partial.pk]
    assert "Matches the brief: fishing, boats, harbour" in found.full[0].fits
    assert found.full[0].score > found.full[1].score > found.full[2].score


def test_format_fit_ranks_and_unknown_size_is_watched_not_fitted(client_a):
    landscape = cleared(client_a, size=(6000, 4000))
    portrait = cleared(client_a, size=(4000, 6000))
    unknown = cleared(client_a, size=None)
    small = cleared(client_a, size=(800, 600))
    found = match(client_a, campaign(orientation="landscape", min_width=1920, min_height=1080))
    assert ids(found.full)[0] == landscape.pk and ids(found.full)[-1] == unknown.pk
    by_id = {m.asset.pk: m for m in found.full}
    assert "Landscape, as asked" in by_id[landscape.pk].fits
    assert "Portrait, not landscape as asked." in by_id[portrait.pk].watch
    assert "800 x 600 px, smaller than the 1920 x 1080 px asked." in by_id[small.pk].watch
    assert "Size unknown: check the orientation and size before using it." in by_id[unknown.pk].watch
    assert not any("px" in fit or "as asked" in fit for fit in by_id[unknown.pk].fits)


def test_content_type_is_a_filter(client_a):
    image = cleared(client_a, content_type="image")
    cleared(client_a, content_type="video")
    found = match(client_a, campaign(content_types=frozenset({"image"})))
    assert ids(found.full) == [image.pk] and "Image, as asked" in found.full[0].fits


def test_rights_ending_soon_after_the_campaign_rank_lower_and_are_watched(client_a):
    run_until = timezone.localdate() + timedelta(days=100)
    soon = cleared(client_a, {"valid_until": days(112)})
    lasting = cleared(client_a, {"valid_until": days(800)})
    perpetual = cleared(client_a)
    found = match(client_a, campaign(run_until=run_until))
    assert ids(found.full) == [perpetual.pk, lasting.pk, soon.pk]
    gap = (timezone.localtime(soon.rights_until).date() - run_until).days
    assert any(item.startswith(f"Rights end {gap} days after the campaign") for item in found.full[-1].watch)


def test_sources_are_facets_and_refining_keeps_the_ranking(client_a):
    dam = cleared(client_a, provider="bynder", content_category="brand", license_type="in_house", name="Harbour")
    own = cleared(client_a, provider="", content_category="brand", license_type="in_house", name="Harbour boats")
    stock = cleared(client_a, name="Harbour boats at dawn")
    want = campaign(text="harbour boats dawn")
    everything = match(client_a, want)
    assert ids(everything.full) == [stock.pk, own.pk, dam.pk]
    assert everything.facets == {"brand_library": 1, "connected_dam": 1, "stock_provider": 1}
    refined = match(client_a, want, sources=["stock_provider", "connected_dam"])
    assert ids(refined.full) == [stock.pk, dam.pk]
    assert refined.facets == everything.facets  # the counts stay, so the creative can switch back
    searched = match(client_a, want, search="boats")
    assert ids(searched.full) == [stock.pk, own.pk]


def test_the_candidate_set_is_bounded_and_text_hits_come_first(client_a, monkeypatch):
    monkeypatch.setattr(matching, "CANDIDATES", 2)
    hit = cleared(client_a, name="Lighthouse")
    for _ in range(3):
        cleared(client_a, name="Office")
    found = match(client_a, campaign(text="lighthouse"))
    assert found.bounded and found.total_candidates == 2
    assert ids(found.full)[0] == hit.pk


def test_queries_do_not_grow_with_assets(client_a, django_assert_max_num_queries):
    for n in range(12):
        cleared(client_a, name=f"Harbour {n}", keywords=["boats"])
        cleared(client_a, {"allowed_geographies": ["geography_european_union"]}, name=f"Boats {n}")
    LicensePurchase.objects.update(license_type="royalty_free")
    vocabulary = matching.rights.vocabulary_for(client_a)
    # ids: the text hits (one word: one tier), the rest reaching the run's end, the rest; then the rows, licences,
    # terms
    with django_assert_max_num_queries(6):
        found = match(client_a, campaign(text="harbour"), vocabulary=vocabulary, search="boats")
    assert len(found.full) == 12 and len(found.partial) == 12


def test_a_run_without_an_end_is_checked_from_its_start_and_says_so(client_a):
    ending = cleared(client_a, {"valid_until": days(200)})
    found = match(client_a, campaign(run_until=None, countries=frozenset(), usages=frozenset({"usage_web"})))
    assert ids(found.full) == [ending.pk]
    assert "From the start of the run" in found.full[0].fits
    assert any(item.endswith("the request gives no end date for the run.") for item in found.full[0].watch)
