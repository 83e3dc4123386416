"""The demo's walkthrough assets are approved through the reviewers' decisions, settled through the OpenText
emulator, so a fresh demo's request has full matches ranked first and partial ones apart (issue 13, "Done when")."""

from __future__ import annotations

from datetime import timedelta

import pytest
from django.utils import timezone

from apps.assets.choices import ApprovalState
from apps.assets.models import Asset
from apps.creative import matching
from apps.demo import creative as demo
from apps.workflows.models import Decision
from tests.platform_fixtures import settle

pytestmark = pytest.mark.django_db(transaction=True)

WALKTHROUGH = ({"DE"}, {"usage_web"}, (14, 74))


def test_nothing_is_decided_before_the_first_pull_has_its_cycles_at_opentext(client_a, reviewers):
    assert demo.approve_for_walkthrough(client_a, *WALKTHROUGH, 3, 2) == (
        "waiting for the first pull and its approval cycles"
    )
    assert not Decision.objects.exists()


def test_the_walkthrough_assets_are_approved_by_the_reviewers_and_match_a_new_request(platforms, client_a, reviewers):
    from apps.integrations.smintio.sync import pull
    from apps.reviews import services as reviews

    platforms.opentext_tenant()
    client_a.review_usages = []
    client_a.save()
    pull(platforms.smintio_tenant(client_a, count=60), full=True)
    reviews.start_pending_approvals(client_a)
    settle()

    approved = demo.approve_for_walkthrough(client_a, *WALKTHROUGH, 4, 3)
    settle()

    assert approved > 0
    cleared = Asset.objects.filter(client=client_a, approval_state=ApprovalState.APPROVED)
    assert cleared.count() == approved
    for asset in cleared:  # each through its three reviewers' decisions, none written directly
        signers = set(Decision.objects.filter(task__run__subject_id=asset.pk).values_list("actor__email", flat=True))
        assert signers == {"legal@acme.example", "brand@acme.example", "marketing@acme.example"}
    today = timezone.localdate()
    want = matching.Want(
        countries=frozenset({"DE"}),
        usages=frozenset({"usage_web"}),
        run_from=today + timedelta(days=14),
        run_until=today + timedelta(days=74),
    )
    found = matching.match(client_a, want)
    assert 1 <= len(found.full) <= 4
    assert all(any(fit.startswith("Licensed in DE") for fit in m.fits) for m in found.full)
    assert 1 <= len(found.partial) <= 3
    assert all(m.missing for m in found.partial)
    # every approved one is offered (none held, none without a release), and nothing else
    assert {m.asset.pk for m in found.full + found.partial} == set(cleared.values_list("pk", flat=True))
    assert all(matching.released(m.asset) for m in found.full + found.partial)
    # done once: a client with approved assets is left as it is
    assert demo.approve_for_walkthrough(client_a, *WALKTHROUGH, 4, 3) == 0


def test_the_schedule_ends_when_every_demo_client_is_done(db):
    from django_q.models import Schedule

    demo.queue_demo_approvals()
    demo.queue_demo_approvals()
    assert Schedule.objects.filter(name=demo.APPROVE_SCHEDULE, func=demo.APPROVE_JOB).count() == 1
    assert demo.approve_demo_assets() == {"northwind": "no client", "contoso": "no client"}
    assert Schedule.objects.filter(name=demo.APPROVE_SCHEDULE).exists()  # no demo client yet: it keeps waiting


def test_a_quorum_and_a_stakeholder_step_are_approved_in_two_passes(platforms, client_a, reviewers, agency_admin):
    """Contoso's shape: two brand people and, last, the client stakeholder; the job waits for the stakeholder's
    task and decides it on its next pass, each signature by a different person."""
    from django.conf import settings

    from apps.common.roles import RoleCode
    from apps.emulators.opentext import provisioning
    from apps.integrations.smintio.sync import pull
    from apps.reviews import policy
    from apps.reviews import services as reviews
    from tests.factories import member

    platforms.opentext_tenant()
    member(client_a, RoleCode.BRAND, email="brand-lead@acme.example")
    member(client_a, RoleCode.EXTERNAL, email="external@acme.example")
    provisioning.ensure_user(settings.OT_TENANT_ID, "brand-lead@acme.example", groups=["brand"])
    provisioning.ensure_user(settings.OT_TENANT_ID, "external@acme.example", groups=["external"])
    policy.update_policy(client_a, actor=agency_admin, changes={"quorum": {"brand": 2}, "stakeholder_step": True})
    client_a.review_usages = []
    client_a.save()
    pull(platforms.smintio_tenant(client_a, count=60), full=True)
    reviews.start_pending_approvals(client_a)
    settle()

    assert (
        demo.approve_for_walkthrough(client_a, *WALKTHROUGH, 2, 1) == "waiting for the next step of the approval cycles"
    )
    settle()
    approved = demo.approve_for_walkthrough(client_a, *WALKTHROUGH, 2, 1)
    settle()
    assert approved > 0
    cleared = Asset.objects.filter(client=client_a, approval_state=ApprovalState.APPROVED)
    assert cleared.count() == approved
    for asset in cleared:
        signers = sorted(Decision.objects.filter(task__run__subject_id=asset.pk).values_list("actor__email", flat=True))
        assert signers == [
            "brand-lead@acme.example",
            "brand@acme.example",
            "external@acme.example",
            "legal@acme.example",
            "marketing@acme.example",
        ]


def test_contosos_stakeholder_steps_wait_for_the_review_link_which_keeps_its_own(
    platforms, client_a, reviewers, agency_admin
):
    """The demo's review link must find stakeholder steps to show: the walkthrough leaves every stakeholder step
    alone until the link is sent, then decides all but the link's, which stay open for its holder."""
    from django.conf import settings

    from apps.common.roles import RoleCode
    from apps.demo import review_links
    from apps.emulators.opentext import provisioning
    from apps.integrations.smintio.sync import pull
    from apps.reviews import policy
    from apps.reviews import services as reviews
    from apps.workflows.choices import TaskStatus
    from apps.workflows.models import Task
    from tests.factories import member

    client_a.slug = review_links.CLIENT  # the demo's client with a stakeholder link
    client_a.review_usages = []
    client_a.save()
    platforms.opentext_tenant()
    member(client_a, RoleCode.EXTERNAL, email="external@acme.example")
    member(client_a, RoleCode.CONTENT_MANAGER, email=review_links.SENDER)
    provisioning.ensure_user(settings.OT_TENANT_ID, "external@acme.example", groups=["external"])
    policy.update_policy(client_a, actor=agency_admin, changes={"stakeholder_step": True})
    pull(platforms.smintio_tenant(client_a, count=60), full=True)
    reviews.start_pending_approvals(client_a)
    settle()

    demo.approve_for_walkthrough(client_a, *WALKTHROUGH, 5, 0)  # the internal reviews
    settle()
    steps = Task.objects.filter(client=client_a, task_key="stakeholder_review")
    assert steps.count() == 5 and not steps.exclude(status=TaskStatus.OPEN).exists()
    assert (
        demo.approve_for_walkthrough(client_a, *WALKTHROUGH, 5, 0) == "waiting for the next step of the approval cycles"
    )
    assert steps.filter(status=TaskStatus.OPEN).count() == 5  # the link is not sent: nobody took them

    assert review_links.send_demo_link().startswith("sent: ")
    kept = review_links.kept_for_the_link(client_a)
    assert len(kept) == review_links.ASSETS
    approved = demo.approve_for_walkthrough(client_a, *WALKTHROUGH, 5, 0)
    settle()
    assert approved == 5 - review_links.ASSETS
    still_open = set(steps.filter(status=TaskStatus.OPEN).values_list("run__subject_id", flat=True))
    assert still_open == kept  # the holder decides these through the link
