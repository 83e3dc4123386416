"""Delivery for design tools over HTTP against the Smint.io emulator: a download fetches a fresh signed binary URL
when the stored one is old (it expires), the licence in words, the manifest, the share link's lifetime, and the
delivery shown on the asset's page and its case's page."""

from __future__ import annotations

import csv
import io
import time
from datetime import timedelta

import pytest
import requests
from django.urls import reverse
from django.utils import timezone

from apps.assets.models import Asset, Binary
from apps.assets.querysets import available_condition
from apps.creative import delivery as deliveries
from apps.creative import services
from apps.creative.models import Delivery

from .conftest import intake

pytestmark = pytest.mark.django_db(transaction=True)


@pytest.fixture
def delivered(library, people):
    request = services.submit(actor=people["requester"], client=library, intake=intake())
    assets = list(
        Asset.objects.filter(client=library, license_purchases__binaries__isnull=False)
        .filter(available_condition())
        .distinct()[:2]
    )
    assert assets, "the emulator's library has available assets with binaries"
    return services.record_delivery(request, assets, actor=people["creative"])


def test_a_download_fetches_a_fresh_url_once_the_stored_one_is_old(delivered, opentext, library):
    opentext.control("smintio", f"tenants/{library.slug}/settings", {"download_url_lifetime": 2})
    item = delivered.items.first()
    binary = Binary.objects.filter(license_purchase__asset=item.asset).first()
    old = timezone.now() - timedelta(hours=2)
    Binary.objects.filter(pk=binary.pk).update(fetched_at=old)
    short_lived = deliveries.fresh_download_url(item)  # fetched now, lives 2 s
    assert requests.get(short_lived, timeout=5).status_code == 200
    time.sleep(2.1)
    assert requests.get(short_lived, timeout=5).status_code == 403  # expired, as Smint.io's do
    Binary.objects.filter(pk=binary.pk).update(fetched_at=old)
    url = deliveries.fresh_download_url(item)
    assert url != short_lived
    got = requests.get(url, timeout=5)
    assert got.status_code == 200 and got.headers["Content-Disposition"].startswith("attachment;")
    binary.refresh_from_db()
    assert binary.download_url == url
    calls = len(opentext.requests_to("smintio", "/binaries"))
    assert calls >= 2  # the two fetches above
    assert deliveries.fresh_download_url(item) == url  # young: no call to Smint.io
    assert len(opentext.requests_to("smintio", "/binaries")) == calls


def test_smintio_failing_makes_the_download_fail_with_words(delivered, opentext):
    item = delivered.items.first()
    Binary.objects.filter(license_purchase__asset=item.asset).update(fetched_at=timezone.now() - timedelta(hours=2))
    opentext.fault("smintio", kind="status", status_code=503, count=10_000, path_contains="binaries")
    with pytest.raises(deliveries.DownloadUnavailable, match="Try again"):
        deliveries.fresh_download_url(item)


def test_the_manifest_lists_each_asset_with_its_licence_in_words(delivered):
    rows = deliveries.manifest_rows(delivered, download_url=lambda item: f"/d/{item.pk}")
    assert [r["asset_id"] for r in rows] == list(delivered.items.values_list("asset_id", flat=True))
    for row in rows:
        assert row["licence"].startswith("May be used") and row["download"].startswith("/d/")
    parsed = list(csv.DictReader(io.StringIO(deliveries.manifest_csv(rows))))
    assert [r["content_element_uuid"] for r in parsed] == [r["content_element_uuid"] for r in rows]


def test_a_csv_cell_is_never_a_formula():
    text = deliveries.manifest_csv([{"name": "=HYPERLINK(1)", "asset_id": 1}])
    assert "'=HYPERLINK(1)" in text


def test_the_share_link_works_until_replaced_revoked_or_expired(delivered, people):
    with pytest.raises(deliveries.LinkRefused):
        deliveries.make_link(delivered, actor=people["ops"])
    token = deliveries.make_link(delivered, actor=people["creative"])
    assert deliveries.delivery_for_token(token) == delivered
    assert deliveries.delivery_for_token(token[:-2] + "xx") is None
    newer = deliveries.make_link(delivered, actor=people["requester"])
    assert deliveries.delivery_for_token(token) is None and deliveries.delivery_for_token(newer) == delivered
    Delivery.objects.filter(pk=delivered.pk).update(expires_at=timezone.now() - timedelta(seconds=1))
    assert deliveries.delivery_for_token(newer) is None
    newest = deliveries.make_link(delivered, actor=people["requester"], days=1)
    deliveries.revoke_link(delivered, actor=people["requester"])
    assert deliveries.delivery_for_token(newest) is None
    with pytest.raises(deliveries.LinkRefused):
        deliveries.make_link(delivered, actor=people["creative"], days=365)


def test_the_asset_page_and_its_case_page_say_delivered_to_the_request(delivered, people, client):
    from apps.exceptions.models import Case

    item = delivered.items.first()
    case = Case.objects.create(
        client=item.asset.client,
        kind="renewal",
        asset=item.asset,
        key="lapse:test",
        title="Renew it",
        due_at=timezone.now() + timedelta(days=3),
    )
    client.force_login(people["ops"])
    expected = f"Delivered to request “{delivered.request.title}”"
    for url in (
        reverse("assets:asset_detail", args=[item.asset.pk]),
        reverse("exceptions:case_detail", args=[case.pk]),
    ):
        page = client.get(url)
        assert page.status_code == 200 and expected in page.content.decode()
