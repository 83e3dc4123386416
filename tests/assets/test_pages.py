"""The asset page's extension point (``apps.assets.pages``): the apps above ``assets`` add what the page shows of
an asset (runs, tasks, conversation, timeline; the licence check; the cases) through the providers they register,
and the page shows what was provided and nothing else."""

from __future__ import annotations

import re

import pytest
from django.core.exceptions import ImproperlyConfigured

from apps.assets import pages
from apps.exceptions.models import Case
from apps.workflows import services as workflows
from tests.reviews.factories import approval_run, licensed_asset, review_task

pytestmark = pytest.mark.django_db


@pytest.fixture
def asset(client_a, legal):
    """An asset in review whose licence does not cover one intended country, with a comment and a decision."""
    asset = licensed_asset(client_a, name="Fjord at dawn", geographies=["geography_germany_de"])
    run = approval_run(asset, countries=("DE", "US"))
    task = review_task(run, "legal")
    workflows.comment(run, actor=legal, body="Is the US covered?", task=task)
    workflows.decide(review_task(run, "legal"), actor=legal, outcome="rejected", reason="Logo cut off")
    Case.objects.create(client=client_a, kind="renewal", asset=asset, key="lapse:2031-01-01", title="Renew the fjord")
    return asset


@pytest.fixture
def only(monkeypatch):
    """``only(*names)``: the registry as the apps made it, narrowed to the providers named."""
    registered = dict(pages._PROVIDERS)

    def _only(*names):
        kept = {name: provider for name, provider in registered.items() if name in names}
        monkeypatch.setattr(pages, "_PROVIDERS", kept)

    return _only


def test_the_apps_above_register_their_providers_lowest_first():
    assert pages.providers() == [
        "workflows.subject",
        "reviews.licence_check",
        "exceptions.cases",
        "creative.deliveries",
        "onboarding.onboarding",
        "campaigns.add",
    ]


def test_the_asset_page_shows_runs_timeline_licence_check_and_cases_through_the_providers(asset, legal, login):
    page = login(legal).get(f"/assets/{asset.pk}/").content.decode()
    assert "Legal review" in page and 'href="/tasks/' in page  # the current run's tasks, the viewer's action
    assert "Is the US covered?" in page and 'id="comment-form"' in page  # the conversation
    assert "“Logo cut off”" in page and "Asset approval started" in page  # the timeline
    assert "Licence warnings for the intended use" in page and "US" in page  # reviews' licence check
    assert "Renew the fjord" in page  # the cases about it


def test_without_providers_the_page_is_the_asset_and_its_licence_only(asset, legal, login, only):
    only()
    response = login(legal).get(f"/assets/{asset.pk}/")
    page = response.content.decode()
    assert response.status_code == 200
    assert "Fjord at dawn" in page and "Germany" in page  # the asset's own: its facts and its licence terms
    for shown_by_a_provider in ("Review tasks", "Comments", "Timeline", "Licence warnings", "Renew the fjord"):
        assert shown_by_a_provider not in page


def test_each_provider_adds_its_own_section(asset, legal, login, only):
    only("workflows.subject")
    page = login(legal).get(f"/assets/{asset.pk}/").content.decode()
    assert "Review tasks" in page and "Is the US covered?" in page and "Timeline" in page
    assert "Licence warnings" not in page  # the check is reviews', not the workflows'
    only("workflows.subject", "reviews.licence_check")
    assert "Licence warnings for the intended use" in login(legal).get(f"/assets/{asset.pk}/").content.decode()


def test_a_provider_may_not_replace_what_another_provided(asset, rf, legal, monkeypatch):
    monkeypatch.setattr(pages, "_PROVIDERS", dict(pages._PROVIDERS))
    pages.register("tests.thief", lambda request, asset, context: {"timeline": []})
    request = rf.get("/")
    request.user = legal
    with pytest.raises(ImproperlyConfigured, match=re.escape("'tests.thief' would replace ['timeline']")):
        pages.context(request, asset)


def test_a_provider_reads_what_earlier_ones_provided_and_cannot_change_it(asset, rf, legal, monkeypatch):
    seen = {}

    def peek(request, asset, context):
        seen.update(current=context["current"], licences=list(context["licences"]))
        with pytest.raises(TypeError):
            context["current"] = None  # read-only
        return {}

    monkeypatch.setattr(pages, "_PROVIDERS", dict(pages._PROVIDERS))
    pages.register("tests.peek", peek)
    request = rf.get("/")
    request.user = legal
    context = pages.context(request, asset)
    assert seen["current"] == context["current"] is not None
    assert [lpt.asset_id for lpt in seen["licences"]] == [asset.pk]
