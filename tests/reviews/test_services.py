"""Every transition and refusal of the asset-approval services, without the platforms."""

from __future__ import annotations

from datetime import timedelta

import pytest
from django.db import IntegrityError, transaction
from django.utils import timezone

from apps.assets.choices import ApprovalState, LicenseState, RightsState
from apps.assets.models import Asset
from apps.audit.models import AuditEvent
from apps.common.roles import RoleCode
from apps.outbox.models import OutboxMessage
from apps.reviews import services
from apps.workflows import services as workflows
from apps.workflows.choices import RunStatus, TaskStatus
from apps.workflows.models import Decision, Task, WorkflowRun
from apps.workflows.services import decide
from tests.concurrency import at_once
from tests.factories import RegionFactory, member

from .factories import approval_run, licensed_asset, review_task

pytestmark = pytest.mark.django_db


# -- starting cycles ---------------------------------------------------------------------------------------------------
def test_a_new_asset_opens_a_plain_cycle_within_its_licence_with_the_clients_sla(client_a, emea):
    client_a.review_regions = ["emea"]
    client_a.review_usages = ["usage_web", "usage_print"]
    client_a.sla_hours = {"approval": 24}
    client_a.save()
    asset = licensed_asset(client_a, approval=ApprovalState.PENDING)
    run = services.start_approval(asset)
    assert run.status == RunStatus.STARTING and run.title == asset.name
    assert run.variables["intendedRegions"] == ["emea"]
    assert "region" not in run.variables  # the regions of the work are the set above, whatever their number
    # no client-wide countries or usages: the asset is approved within its licence, until the client's horizon
    assert run.variables["intendedUseSource"] == "licence"
    assert "intendedCountries" not in run.variables and "intendedUsages" not in run.variables
    assert (
        run.variables["useUntil"] == (timezone.localdate() + timedelta(days=client_a.review_horizon_days)).isoformat()
    )
    assert OutboxMessage.objects.get(kind="opentext.start_process").payload == {"run": run.pk}
    asset.refresh_from_db()
    assert asset.approval_state == ApprovalState.IN_REVIEW
    assert services.start_approval(asset) == run  # idempotent
    assert WorkflowRun.objects.count() == 1


@pytest.mark.parametrize("rights", [RightsState.WITHDRAWN, RightsState.EXPIRED])
def test_assets_without_rights_are_not_reviewed(client_a, rights):
    asset = licensed_asset(client_a, approval=ApprovalState.PENDING, rights=rights)
    assert services.start_approval(asset) is None
    assert services.start_pending_approvals(client_a) == 0


def test_pending_approvals_start_once_for_assets_without_a_cycle(client_a):
    pending = [licensed_asset(client_a, approval=ApprovalState.PENDING) for _ in range(3)]
    licensed_asset(client_a, approval=ApprovalState.APPROVED)
    assert services.start_pending_approvals(client_a) == 3
    assert services.start_pending_approvals(client_a) == 0
    assert set(WorkflowRun.objects.values_list("subject_id", flat=True)) == {a.pk for a in pending}


def test_the_database_allows_one_open_cycle_per_asset(client_a):
    run = approval_run(licensed_asset(client_a))
    with pytest.raises(IntegrityError), transaction.atomic():
        WorkflowRun.objects.create(
            client=client_a,
            process_key=run.process_key,
            business_key="other",
            subject_type=run.subject_type,
            subject_id=run.subject_id,
            status=RunStatus.RUNNING,
        )


# -- deciding ----------------------------------------------------------------------------------------------------------
@pytest.fixture
def task(client_a):
    return review_task(approval_run(licensed_asset(client_a)))


@pytest.mark.parametrize("outcome", ["rejected", "changes_requested"])
def test_rejecting_or_requesting_changes_needs_a_reason(task, legal, outcome):
    with pytest.raises(services.DecisionRefused, match="reason"):
        decide(task, actor=legal, outcome=outcome, reason="  ")
    task.refresh_from_db()
    assert task.status == TaskStatus.OPEN and not Decision.objects.exists()


def test_an_approval_within_the_licence_needs_no_reason_and_keeps_the_snapshot(task, legal):
    decision = decide(task, actor=legal, outcome="approved")
    assert decision.warnings == []
    assert decision.license_snapshot[0]["terms"][0]["allowed_usages"] == ["usage_web"]
    task.refresh_from_db()
    assert (task.status, task.outcome, task.assignee) == (TaskStatus.COMPLETED, "approved", legal)
    kinds = list(OutboxMessage.objects.order_by("id").values_list("kind", flat=True))
    assert kinds == ["opentext.claim", "opentext.complete"]
    assert AuditEvent.objects.filter(action="workflows.task.approved", actor=legal).count() == 1


def test_approving_over_licence_warnings_needs_a_reason_and_records_them(client_a, legal):
    asset = licensed_asset(client_a, geographies=["geography_germany_de"], usages=["usage_print"])
    task = review_task(approval_run(asset, countries=("DE", "US"), usages=("usage_web",)))
    with pytest.raises(services.DecisionRefused, match="needs a reason"):
        decide(task, actor=legal, outcome="approved")
    decision = decide(task, actor=legal, outcome="approved", reason="US use cleared with the agency")
    assert any("US" in w for w in decision.warnings)
    assert any("Web" in w for w in decision.warnings)
    assert decision.reason == "US use cleared with the agency"


def test_editorial_only_and_lapsing_rights_are_warnings(client_a, legal):
    asset = licensed_asset(client_a, editorial=True, valid_days=30)
    check = services.licence_check(asset, approval_run(asset, use_days=200))
    assert "Editorial use only." in check.warnings
    assert any(w.startswith("By ") and "valid until" in w for w in check.warnings)


def test_a_plain_cycle_warns_only_about_the_licence_itself(client_a, legal, emea):
    """Issue 12, item 3: a licence for DE/AT/CH, print only, is no conflict for a plain cycle of a client that
    reviews for EMEA, web, social and advertising; only an unknown, cancelled or lapsing licence warns."""
    client_a.review_regions = ["emea"]
    client_a.review_usages = ["usage_web", "usage_social_media", "usage_advertising"]
    client_a.save()
    asset = licensed_asset(
        client_a, approval=ApprovalState.PENDING, geographies=["geography_dach"], usages=["usage_print"]
    )
    run = services.start_approval(asset)
    assert services.licence_check(asset, run).warnings == []
    decision = decide(review_task(run), actor=legal, outcome="approved")
    assert decision.warnings == []


def test_a_plain_cycle_warns_about_a_licence_lapsing_within_the_horizon_cancelled_or_unknown(client_a):
    lapsing = licensed_asset(client_a, valid_days=30, geographies=["geography_dach"])
    check = services.licence_check(lapsing, approval_run(lapsing, source="licence", use_days=365))
    assert len(check.warnings) == 1 and check.warnings[0].startswith("By ") and "valid until" in check.warnings[0]
    lasting = licensed_asset(client_a, valid_days=400, geographies=["geography_dach"])
    assert services.licence_check(lasting, approval_run(lasting, source="licence", use_days=365)).warnings == []
    cancelled = licensed_asset(client_a)
    cancelled.license_purchases.update(state=LicenseState.CANCELLED)
    check = services.licence_check(cancelled, approval_run(cancelled, source="licence"))
    assert check.warnings == ["The licence was cancelled."]
    bare = licensed_asset(client_a)
    bare.license_purchases.all().delete()
    assert services.licence_check(bare, approval_run(bare, source="licence")).warnings == [
        "No licence purchase is on record."
    ]


def test_a_run_started_with_the_client_wide_policy_is_read_as_a_plain_cycle(client_a):
    asset = licensed_asset(client_a, geographies=["geography_dach"], usages=["usage_print"])
    run = approval_run(asset, countries=("DE", "FR", "US"), usages=("usage_web",))
    run.variables.pop("intendedUseSource")  # as every cycle started before issue 12
    run.save(update_fields=["variables"])
    assert services.licence_check(asset, run).warnings == []


def test_each_warning_is_listed_once(client_a):
    """The same problem today and at the end of the use is one warning, not "X" and "By ...: X"."""
    asset = licensed_asset(client_a, geographies=["geography_germany_de"], usages=["usage_print"], valid_days=30)
    check = services.licence_check(asset, approval_run(asset, countries=("DE", "US"), usages=("usage_web",)))
    assert check.warnings.count("Not licensed for: Web.") == 1
    assert not any(w.startswith("By ") and "Not licensed" in w for w in check.warnings)
    assert len([w for w in check.warnings if "US" in w]) == 1
    assert any(w.startswith("By ") and "valid until" in w for w in check.warnings)  # only later: dated


def test_a_use_the_reviewer_picks_is_checked_and_needs_a_reason(client_a, legal):
    asset = licensed_asset(client_a, geographies=["geography_dach"], usages=["usage_print"])
    task = review_task(approval_run(asset, source="licence"))
    inputs = services.read_use_inputs({"use_countries": "de, us", "use_usages": ["usage_web"]}, legal)
    assert inputs["use"].countries == frozenset({"DE", "US"})
    with pytest.raises(services.DecisionRefused, match="Not licensed for: Web"):
        decide(task, actor=legal, outcome="approved", inputs=inputs)
    decision = decide(task, actor=legal, outcome="approved", reason="Web use cleared", inputs=inputs)
    assert any("US" in w for w in decision.warnings)
    assert services.read_use_inputs({}, legal) == {}


def test_unknown_terms_are_a_warning_not_an_approval(client_a):
    asset = licensed_asset(client_a, geographies=(), usages=())
    check = services.licence_check(asset, approval_run(asset))
    assert "The licence does not say where it may be used." in check.warnings


def test_a_change_request_shows_on_the_asset(task, legal):
    decide(task, actor=legal, outcome="changes_requested", reason="Crop the logo out")
    asset = Asset.objects.get(pk=task.run.subject_id)
    assert asset.approval_state == ApprovalState.CHANGES_REQUESTED


def test_a_decision_on_a_stale_form_is_refused_with_who_acted(task, legal, client_a):
    other = member(client_a, RoleCode.LEGAL, email="other-legal@acme.example")
    workflows.claim_task(task, actor=other)
    with pytest.raises(workflows.StaleTask, match=r"other-legal@acme\.example"):
        decide(task, actor=legal, outcome="approved", expected_version=1)
    with pytest.raises(workflows.StaleTask):
        decide(task, actor=legal, outcome="approved")


def test_a_task_is_decided_once(task, legal):
    decide(task, actor=legal, outcome="approved")
    with pytest.raises(workflows.StaleTask, match="already completed"):
        decide(task, actor=legal, outcome="rejected", reason="too late")
    with pytest.raises(IntegrityError), transaction.atomic():
        Decision.objects.create(client=task.client, run=task.run, task=task, actor=legal, outcome="rejected")


def test_an_outcome_the_task_does_not_offer_is_refused(task, legal):
    with pytest.raises(workflows.InvalidTransition, match="not an outcome"):
        decide(task, actor=legal, outcome="maybe", reason="hmm")


@pytest.mark.postgres
@pytest.mark.django_db(transaction=True)
def test_two_reviewers_deciding_at_once_give_exactly_one_decision_per_task(client_a):
    """C1: 40 trials, two reviewers each; one winner per task, the loser is told (StaleTask)."""
    first = member(client_a, RoleCode.LEGAL, email="first@acme.example")
    second = member(client_a, RoleCode.LEGAL, email="second@acme.example")
    for _ in range(40):
        task = review_task(approval_run(licensed_asset(client_a)))
        actors = iter([first, second])

        def attempt(actors=actors, task_id=task.pk):
            actor = next(actors)
            try:
                decide(Task.objects.get(pk=task_id), actor=actor, outcome="approved")
                return "won"
            except workflows.StaleTask:
                return "lost"

        assert sorted(at_once(attempt, 2)) == ["lost", "won"]
        assert Decision.objects.filter(task=task).count() == 1


# -- the cycle's end ---------------------------------------------------------------------------------------------
@pytest.mark.parametrize(
    ("outcome", "state"),
    [
        ("approved", ApprovalState.APPROVED),
        ("rejected", ApprovalState.REJECTED),
        ("withdrawn", ApprovalState.WITHDRAWN),
    ],
)
def test_the_cycles_outcome_sets_the_asset_and_sends_one_write_back(client_a, legal, outcome, state):
    asset = licensed_asset(client_a)
    run = approval_run(asset)
    task = review_task(run)
    decide(task, actor=legal, outcome="approved" if outcome == "approved" else "rejected", reason="because")
    assert workflows.apply_remote_end(run, outcome=outcome) is True
    assert workflows.apply_remote_end(run, outcome=outcome) is False  # a second report changes nothing
    asset.refresh_from_db()
    assert asset.approval_state == state
    write_back = OutboxMessage.objects.get(kind="smintio.workflow_status")
    assert write_back.payload["body"]["status"] == outcome
    assert write_back.payload["body"]["decided_by"] == legal.email
    assert write_back.idempotency_key == f"approval-outcome:{run.business_key}"
    if outcome == "approved":
        assert Asset.objects.available().filter(pk=asset.pk).exists()
    else:
        assert not Asset.objects.available().filter(pk=asset.pk).exists()


def test_only_approved_assets_with_rights_in_force_are_available(client_a):
    approved = licensed_asset(client_a, approval=ApprovalState.APPROVED)
    for approval, rights in [
        (ApprovalState.APPROVED, RightsState.EXPIRED),
        (ApprovalState.APPROVED, RightsState.WITHDRAWN),
        (ApprovalState.APPROVED, RightsState.UNKNOWN),
        (ApprovalState.PENDING, RightsState.VALID),
        (ApprovalState.IN_REVIEW, RightsState.VALID),
        (ApprovalState.REJECTED, RightsState.VALID),
    ]:
        licensed_asset(client_a, approval=approval, rights=rights)
    assert list(Asset.objects.available()) == [approved]


def test_an_asset_stops_being_available_the_minute_its_rights_lapse_before_any_job_runs(client_a):
    from apps.assets.services import refresh_rights

    asset = licensed_asset(client_a, approval=ApprovalState.APPROVED, valid_days=1)
    refresh_rights([asset.pk])
    asset.refresh_from_db()
    term_end = asset.license_purchases.get().terms.get().valid_until
    assert (asset.rights_state, asset.rights_until) == (RightsState.VALID, term_end)
    assert Asset.objects.available().filter(pk=asset.pk).exists()
    # The clock passes the end; nothing has recomputed the state yet, and still the asset is not offered.
    Asset.objects.filter(pk=asset.pk).update(rights_until=timezone.now() - timedelta(minutes=1))
    assert Asset.objects.get(pk=asset.pk).rights_state == RightsState.VALID
    assert not Asset.objects.available().filter(pk=asset.pk).exists()


def test_rights_end_is_the_latest_end_of_a_term_in_force_and_none_when_one_is_perpetual():
    from apps.assets.services import rights_end

    now = timezone.now()
    soon, later, past = now + timedelta(days=3), now + timedelta(days=30), now - timedelta(days=1)
    completed, cancelled = LicenseState.COMPLETED, LicenseState.CANCELLED
    assert rights_end([(completed, [(None, soon, None), (None, later, soon)])], now) == soon
    assert rights_end([(completed, [(None, soon, None)]), (completed, [(None, later, None)])], now) == later
    assert rights_end([(completed, [(None, soon, None), (None, None, None)])], now) is None  # perpetual
    assert rights_end([(completed, [(None, past, None)]), (cancelled, [(None, later, None)])], now) is None
    assert rights_end([(completed, [(None, past, None), (None, soon, None)])], now) == soon


# -- who sees which task ---------------------------------------------------------------------------------------
def test_reviewers_see_tasks_for_their_roles_and_regions_only(client_a, client_b):
    amer = RegionFactory(code="amer", name="AMER", countries=["US"])
    emea = RegionFactory(code="emea", name="EMEA", countries=["DE"])
    emea_marketing = member(client_a, RoleCode.MARKETING, email="m-emea@acme.example", regions=[emea])
    global_legal = member(client_a, RoleCode.LEGAL, email="legal-global@acme.example")
    admin = member(client_a, RoleCode.AGENCY_ADMIN, email="boss@acme.example")
    run = approval_run(licensed_asset(client_a))
    emea_task = review_task(run, "marketing", region="emea")
    amer_task = review_task(run, "marketing", region="amer")
    global_task = review_task(run, "marketing")
    legal_task = review_task(run, "legal", region="amer")
    foreign = review_task(approval_run(licensed_asset(client_b)), "marketing")
    assert set(Task.objects.visible_to(emea_marketing)) == {emea_task, global_task}
    assert set(Task.objects.visible_to(global_legal)) == {legal_task}
    assert set(Task.objects.visible_to(admin)) == {emea_task, amer_task, global_task, legal_task}
    assert amer not in emea_marketing.membership_list[0].regions.all()
    assert foreign not in Task.objects.visible_to(admin)
