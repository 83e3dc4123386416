"""An exception fixed directly in Smint.io (keywords added there, not through the case): the next pull brings the
change, the sweep finds the rule no longer fires and the open case says so (since when), audited once; the
remediator's "Fixed" (no change needed) is verified and clears it. It is not cleared automatically (docs/cases.md)."""

from __future__ import annotations

import pytest
from django.test import Client as Browser

from apps.assets.models import Asset
from apps.audit.models import AuditEvent
from apps.exceptions import detection
from apps.exceptions.choices import CaseState, Disposition
from apps.integrations.smintio.client import SmintioClient
from apps.workflows.services import DecisionRefused, decide
from tests.exceptions.test_exception_flow import library, metadata_case, metadata_patches, open_task, people  # noqa: F401
from tests.platform_fixtures import settle
from tests.reviews.test_flow import statuses_at_smintio

pytestmark = pytest.mark.django_db(transaction=True)


def edit_keywords_in_smintio(platforms, client, asset, words: list[str]) -> None:
    """Someone adds keywords in Smint.io itself (its metadata API), and the licence re-appears in the feed."""
    connection = client.smintio_connection
    body = {"keywords": [{"culture": "en", "metadata_element": {"key": w, "name": w}} for w in words]}
    SmintioClient(connection).patch_metadata(asset.content_element_uuid, body, idempotency_key="edited-in-smintio")
    lpt = asset.license_purchases.order_by("pk").first()
    platforms.control("smintio", f"tenants/{client.slug}/lpts/{lpt.uuid}/bump", {})


def pull_again(client) -> None:
    from apps.integrations.tasks import pull_smintio

    counts = pull_smintio(client.smintio_connection.pk)
    assert "skipped" not in counts


def test_a_rule_fixed_in_smintio_is_noted_on_the_case_and_fixed_clears_it(library, people, platforms):  # noqa: F811
    case = metadata_case(library)
    asset = Asset.objects.get(pk=case.asset_id)
    decide(open_task(case), actor=people["ops"], outcome="content_manager")
    settle()
    page = Browser()
    page.force_login(people["ops"])
    assert "no longer fires" not in page.get(case.get_absolute_url()).content.decode()

    edit_keywords_in_smintio(platforms, library, asset, ["ridge", "dawn"])
    pull_again(library)
    case.refresh_from_db()
    asset.refresh_from_db()
    assert asset.keywords == ["ridge", "dawn"] and asset.on_hold  # still held: a person clears it
    assert case.is_open and case.rule_quiet_since is not None
    since = case.rule_quiet_since
    detection.sweep(client=library)  # a later sweep keeps the first time and audits once
    case.refresh_from_db()
    assert case.rule_quiet_since == since
    assert AuditEvent.objects.filter(action="exceptions.case.rule_quiet", object_id=str(case.pk)).count() == 1
    html = page.get(case.get_absolute_url()).content.decode()
    assert "The rule no longer fires since" in html and "data-rule-quiet" in html

    # "Fixed" with nothing to change: verification finds the rule passes, the case clears, no PATCH from Greenlight
    decide(open_task(case, "fix_metadata"), actor=people["ops"], outcome="fixed", inputs={"fix": {}})
    settle()
    case.refresh_from_db()
    asset.refresh_from_db()
    assert (case.state, case.disposition) == (CaseState.CLOSED, Disposition.CLEARED)
    assert case.evidence["verification"]["result"] == "passed" and not asset.on_hold
    assert len(metadata_patches(asset)) == 1  # only the edit made in Smint.io itself
    assert statuses_at_smintio(asset) == ["cleared"]


def test_a_rule_that_fires_again_loses_the_note_and_fixed_without_a_change_is_refused(library, people, platforms):  # noqa: F811
    case = metadata_case(library)
    asset = Asset.objects.get(pk=case.asset_id)
    Asset.objects.filter(pk=asset.pk).update(keywords=["briefly"])  # as a pull would bring them
    detection.sweep(client=library)
    case.refresh_from_db()
    assert case.rule_quiet_since is not None
    Asset.objects.filter(pk=asset.pk).update(keywords=[])  # gone again
    detection.sweep(client=library)
    case.refresh_from_db()
    assert case.is_open and case.rule_quiet_since is None and case.evidence["missing"] == ["keywords"]
    decide(open_task(case), actor=people["ops"], outcome="content_manager")
    settle()
    with pytest.raises(DecisionRefused, match="Nothing was changed"):
        decide(open_task(case, "fix_metadata"), actor=people["ops"], outcome="fixed", inputs={"fix": {}})
