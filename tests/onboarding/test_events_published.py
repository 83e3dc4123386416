"""An onboarding run over the emulators publishes ``onboarding.published`` once when it publishes the asset, also
after another round of the worker; a rejected one publishes nothing of the kind (docs/events.md)."""

from __future__ import annotations

import pytest

from apps.common.roles import RoleCode
from apps.onboarding import services
from apps.onboarding.models import Onboarding, OnboardingPolicy
from apps.workflows.choices import TaskStatus
from apps.workflows.models import Task
from apps.workflows.services import decide
from tests.factories import member
from tests.platform_fixtures import settle

pytestmark = pytest.mark.django_db(transaction=True)


@pytest.fixture
def people(client_a):
    return {
        "ops": member(client_a, RoleCode.CONTENT_MANAGER, email="ops@acme.example"),
        "legal": member(client_a, RoleCode.LEGAL, email="lex@acme.example"),
    }


@pytest.fixture
def onboarding(platforms, client_a) -> Onboarding:
    """The first DAM asset of the demo library pulled by a client that onboards its DAM content."""
    from apps.integrations.tasks import pull_smintio

    OnboardingPolicy.objects.create(client=client_a, sources=["bynder", "brandfolder"])
    client_a.required_metadata_fields = ["keywords"]
    client_a.save()
    platforms.opentext_tenant()
    pull_smintio(platforms.smintio_tenant(client_a, count=20).pk, full=True)
    settle()
    found = Onboarding.objects.filter(client=client_a).select_related("asset").order_by("pk").first()
    assert found is not None, "the demo library has DAM assets"
    return found


def _open(asset) -> Task:
    return Task.objects.get(
        run__subject_type="assets.asset",
        run__subject_id=asset.pk,
        run__process_key=services.PROCESS,
        status=TaskStatus.OPEN,
    )


def test_publishing_an_onboarded_asset_is_published_once(client_a, people, onboarding, published):
    asset = onboarding.asset
    inputs = services.read_inputs({"name": asset.name, "keywords": "brand, launch"})
    decide(_open(asset), actor=people["ops"], outcome="enriched", inputs=inputs)
    settle()
    rights = {"ownership": "owned", "territories": "DE, geography_europe", "usages": ["usage_web", "usage_print"]}
    decide(_open(asset), actor=people["legal"], outcome="rights_valid", inputs=services.read_inputs(rights))
    settle()
    categories = services.read_inputs({"categories": "Brand", "visibility": "internal"})
    decide(_open(asset), actor=people["ops"], outcome="ready", inputs=categories)
    settle()
    settle()  # another round of the worker: the onboarding is closed, nothing more

    [event] = published.named("onboarding.published")
    assert (event.key, event.client) == (f"onboarding.published:onboarding-{onboarding.pk}", client_a)
    assert event.data == {
        "url": f"/assets/{asset.pk}/",
        "title": asset.name or asset.content_element_uuid,
        "onboarding": onboarding.pk,
        "asset": asset.pk,
    }
    assert published.named("task.available")  # each onboarding step was offered as it opened


def test_a_rejected_onboarding_publishes_nothing_as_published(people, onboarding, published):
    decide(_open(onboarding.asset), actor=people["ops"], outcome="reject", reason="Not our brand")
    settle()
    assert not published.named("onboarding.published")
    assert not published.named("asset.withdrawn")  # it was never approved
