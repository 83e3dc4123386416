"""Rights renewal (flow 2) end to end over HTTP: the sweep over the Smint.io emulator's library, the
rights_renewal process in the OpenText emulator, and each disposition arriving at Smint.io exactly once."""

from __future__ import annotations

from datetime import timedelta

import pytest
from django.utils import timezone

from apps.assets.choices import ApprovalState, RightsState
from apps.assets.models import Asset
from apps.audit.models import AuditEvent
from apps.common.roles import RoleCode
from apps.exceptions import services
from apps.exceptions.choices import CaseState, Disposition, Trigger
from apps.exceptions.models import Case
from apps.integrations.smintio.sync import pull
from apps.workflows.choices import RunStatus, TaskStatus
from apps.workflows.models import Decision, Task, WorkflowRun
from apps.workflows.services import decide
from tests.concurrency import at_once
from tests.factories import member
from tests.reviews.test_flow import settle, statuses_at_smintio

pytestmark = pytest.mark.django_db(transaction=True)


@pytest.fixture
def people(client_a):
    return {
        "owner": member(client_a, RoleCode.CONTENT_OWNER, email="owner@acme.example"),
        "procurement": member(client_a, RoleCode.PROCUREMENT, email="procurement@acme.example"),
        "legal": member(client_a, RoleCode.LEGAL, email="legal@acme.example"),
    }


@pytest.fixture
def library(platforms, client_a):
    """The emulator's demo library synced, every asset approved (in circulation)."""
    platforms.opentext_tenant()
    pull(platforms.smintio_tenant(client_a, count=40), full=True)
    Asset.objects.filter(client=client_a).update(approval_state=ApprovalState.APPROVED)
    return client_a


def _lapsing(client):
    window = timezone.now() + timedelta(days=client.rights_warning_days)
    return Asset.objects.filter(
        client=client, rights_state=RightsState.VALID, rights_until__gt=timezone.now(), rights_until__lte=window
    )


def test_the_sweep_opens_one_case_per_lapsing_asset_and_never_twice(library):
    lapsing = set(_lapsing(library).values_list("pk", flat=True))
    assert lapsing, "the demo library has assets whose rights end within the warning window"
    first = services.sweep_rights()
    again = services.sweep_rights()
    cases = Case.objects.filter(client=library, trigger=Trigger.LAPSE)
    assert set(cases.values_list("asset_id", flat=True)) == lapsing
    assert first["opened"] >= len(lapsing) and again["opened"] == 0
    for case in cases:
        assert case.lapse_at == case.asset.rights_until and case.due_at <= case.lapse_at
        assert WorkflowRun.objects.filter(subject_type="exceptions.case", subject_id=case.pk).count() == 1
    settle()
    run = WorkflowRun.objects.filter(subject_type="exceptions.case").first()
    assert run.status == RunStatus.RUNNING
    assert Task.objects.get(run=run, status=TaskStatus.OPEN).candidate_roles == ["content_owner"]


def test_rights_past_their_end_are_expired_by_the_sweep_and_never_available(library):
    asset = _lapsing(library).order_by("rights_until").first()
    later = asset.rights_until + timedelta(minutes=1)  # the clock has passed the end
    assert not Asset.objects.filter(pk=asset.pk).filter(available_condition_at(later)).exists()
    services.sweep_rights(later)
    asset.refresh_from_db()
    assert asset.rights_state == RightsState.EXPIRED and asset.rights_until is None


def available_condition_at(moment):
    """``available_condition()`` with the clock at ``moment`` instead of the database's now()."""
    from django.db.models import Q

    return Q(approval_state=ApprovalState.APPROVED, rights_state=RightsState.VALID) & (
        Q(rights_until__isnull=True) | Q(rights_until__gt=moment)
    )


def test_a_download_limit_nearly_reached_opens_a_case(library):
    asset = Asset.objects.filter(client=library, rights_state=RightsState.VALID).exclude(pk__in=_lapsing(library))[0]
    lpt = asset.license_purchases.first()
    lpt.max_downloads, lpt.current_downloads = 10, 8  # 80 % = the client's threshold
    lpt.save()
    services.sweep_rights()
    case = Case.objects.get(asset=asset, trigger=Trigger.DOWNLOADS)
    assert case.summary == "8 of 10 licensed downloads used (80%)."
    assert case.evidence["license_purchase"] == lpt.uuid


@pytest.mark.postgres
def test_two_sweeps_at_once_open_each_case_once(library):
    results = at_once(services.sweep_rights, 4)
    lapsing = _lapsing(library).count()
    assert sum(r["opened"] for r in results) == Case.objects.count() >= lapsing
    assert WorkflowRun.objects.filter(subject_type="exceptions.case").count() == Case.objects.count()


@pytest.fixture
def case(library):
    services.sweep_rights()
    settle()
    return Case.objects.filter(client=library, trigger=Trigger.LAPSE).order_by("pk").first()


def _task(case, key) -> Task:
    run = WorkflowRun.objects.get(subject_type="exceptions.case", subject_id=case.pk)
    return Task.objects.get(run=run, status=TaskStatus.OPEN, task_key=key)


def test_renewal_records_the_new_date_and_clears_the_asset_at_smintio_once(case, people):
    until = timezone.now() + timedelta(days=365)
    decide(_task(case, "owner_decision"), actor=people["owner"], outcome="renew")
    settle()
    procurement = _task(case, "procurement_renewal")
    with pytest.raises(services.CaseRefused):
        decide(procurement, actor=people["procurement"], outcome="renewed")  # no date
    decide(procurement, actor=people["procurement"], outcome="renewed", inputs={"renewed_until": until})
    settle()
    case.refresh_from_db()
    assert (case.state, case.disposition, case.closed_by) == (
        CaseState.CLOSED,
        Disposition.RENEWED,
        people["procurement"],
    )
    assert statuses_at_smintio(case.asset) == ["cleared"]
    from apps.emulators.smintio.models import WorkflowStatusRecord

    record = WorkflowStatusRecord.objects.get(content_element__uuid=case.asset.content_element_uuid)
    assert record.restrictions["valid_until"][:10] == until.isoformat()[:10]
    assert Decision.objects.filter(run__subject_id=case.pk).count() == 2
    settle()
    assert statuses_at_smintio(case.asset) == ["cleared"]  # once, also after another round of the worker


def test_a_takedown_needs_a_reason_and_legal_sign_off_then_the_asset_is_withdrawn(case, people):
    owner_task = _task(case, "owner_decision")
    with pytest.raises(services.CaseRefused):
        decide(owner_task, actor=people["owner"], outcome="take_down")
    decide(owner_task, actor=people["owner"], outcome="take_down", reason="Campaign ended")
    settle()
    decide(_task(case, "legal_signoff"), actor=people["legal"], outcome="signed_off")
    settle()
    case.refresh_from_db()
    asset = Asset.objects.get(pk=case.asset_id)
    assert case.disposition == Disposition.TAKEN_DOWN
    assert asset.approval_state == ApprovalState.WITHDRAWN and not asset.is_available
    assert statuses_at_smintio(asset) == ["withdrawn"]


def test_legal_refusing_sends_the_case_back_to_the_owner_who_replaces_it(case, people, library):
    replacement = Asset.objects.available().filter(client=library).exclude(pk=case.asset_id).first()
    decide(_task(case, "owner_decision"), actor=people["owner"], outcome="take_down", reason="Old")
    settle()
    decide(_task(case, "legal_signoff"), actor=people["legal"], outcome="refused", reason="Still in use")
    settle()
    owner_again = _task(case, "owner_decision")
    with pytest.raises(services.CaseRefused):
        decide(owner_again, actor=people["owner"], outcome="replace", inputs={"replacement": case.asset})  # itself
    decide(owner_again, actor=people["owner"], outcome="replace", inputs={"replacement": replacement})
    settle()
    decide(_task(case, "legal_signoff"), actor=people["legal"], outcome="signed_off")
    settle()
    case.refresh_from_db()
    assert (case.disposition, case.replacement) == (Disposition.REPLACED, replacement)
    assert statuses_at_smintio(case.asset) == ["withdrawn"]
    assert Asset.objects.available().filter(pk=replacement.pk).exists()
    assert not Asset.objects.available().filter(pk=case.asset_id).exists()


def test_an_overdue_case_is_escalated_once_to_the_clients_contacts(case, library, people, published):
    library.escalation_contacts = ["legal@acme.example", "nobody@elsewhere.example"]
    library.save()
    Case.objects.filter(pk=case.pk).update(due_at=timezone.now() - timedelta(hours=1))
    assert services.escalate_overdue() >= 1
    assert services.escalate_overdue() == 0
    [escalated] = [e for e in published.named("task.escalated") if e.data["subject_id"] == case.pk]
    waiting = _task(case, "owner_decision")  # the step the case waits at
    assert escalated.key == f"task.escalated:case-{case.pk}"
    assert escalated.data["recipients"] == [people["legal"].pk]
    assert escalated.data["task"] == waiting.pk and escalated.data["subject_type"] == "exceptions.case"
    assert escalated.data["url"] == f"/cases/{case.pk}/" and escalated.data["title"] == case.title
    event = AuditEvent.objects.get(action="exceptions.case.escalate", object_id=str(case.pk))
    assert event.after["notified"] == ["legal@acme.example"]


def test_the_case_pages_list_show_usage_and_keep_a_refused_decision(case, people, login):
    http = login(people["owner"])
    listing = http.get("/cases/").content.decode()
    assert case.title in listing
    task = _task(case, "owner_decision")
    page = http.get(f"/cases/{case.pk}/").content.decode()
    assert f'id="task-{task.pk}-decide"' in page and "Where it is used" in page
    back = f"/cases/{case.pk}/"
    refused = http.post(f"/tasks/{task.pk}/decide/", {"outcome": "take_down", "reason": "", "next": back})
    assert refused.status_code == 400
    assert "needs a reason" in refused.content.decode()
    assert 'value="take_down" required checked' in refused.content.decode()  # what was chosen is kept
    done = http.post(f"/tasks/{task.pk}/decide/", {"outcome": "take_down", "reason": "Expired campaign", "next": back})
    assert (done.status_code, done["Location"]) == (302, back)
    assert Task.objects.get(pk=task.pk).outcome == "take_down"
    # the inbox sends case tasks to their case page, whose forms post to the one decision view of every flow
    inbox = login(people["legal"])
    settle()
    legal_task = _task(case, "legal_signoff")
    assert f"/cases/{case.pk}/#task-{legal_task.pk}-decide" in inbox.get("/?tab=team").content.decode()
    assert f'action="/tasks/{legal_task.pk}/decide/"' in inbox.get(back).content.decode()


def test_a_recorded_renewal_shows_its_new_date_at_once_marked_until_smintio_sends_the_term(case, people, login):
    """Issue 12, item 6: the asset, the case and the calendar show the renewed date as soon as procurement records
    it, marked "awaiting Smint.io"; the mark goes when a synced term reaches the date. Availability still follows
    Smint.io's terms only."""
    from apps.assets.models import LicenseTerm
    from apps.assets.services import refresh_rights

    until = timezone.now() + timedelta(days=40)  # within the calendar's 90 days, after the old end
    decide(_task(case, "owner_decision"), actor=people["owner"], outcome="renew")
    settle()
    decide(
        _task(case, "procurement_renewal"),
        actor=people["procurement"],
        outcome="renewed",
        inputs={"renewed_until": until},
    )
    asset = Asset.objects.get(pk=case.asset_id)
    old_end = asset.rights_until
    assert asset.renewal_recorded_until == until and old_end < until  # Smint.io's end is unchanged
    http = login(people["owner"])
    marked = "Renewed, awaiting Smint.io"
    page = http.get(f"/assets/{asset.pk}/").content.decode()
    assert f"{until:%-d %b %Y}" in page and marked in page
    case_page = http.get(f"/cases/{case.pk}/").content.decode()
    assert f"{until:%-d %b %Y}" in case_page and marked in case_page
    calendar = http.get("/cases/calendar/").content.decode()
    row = next(line for line in calendar.split("<tr>") if f"/assets/{asset.pk}/" in line)
    assert marked in row and f"{until:%-d %b %Y}" in row and f"{old_end:%-d %b %Y}" not in row
    assert AuditEvent.objects.filter(action="assets.asset.renewal_recorded", object_id=str(asset.pk)).exists()

    # Smint.io sends the new term (what the sync writes): the mark goes, the date stays
    LicenseTerm.objects.filter(license_purchase__asset=asset).update(valid_until=until)
    refresh_rights([asset.pk])
    asset.refresh_from_db()
    assert asset.renewal_recorded_until is None and asset.rights_until == until
    page = http.get(f"/assets/{asset.pk}/").content.decode()
    assert marked not in page and f"{until:%-d %b %Y}" in page


def test_a_term_short_of_the_recorded_renewal_keeps_the_mark(client_a):
    from apps.assets.services import record_renewal, refresh_rights
    from tests.reviews.factories import licensed_asset

    asset = licensed_asset(client_a, valid_days=10)
    refresh_rights([asset.pk])
    record_renewal(asset, timezone.now() + timedelta(days=400))
    refresh_rights([asset.pk])  # a sync with the old term
    asset.refresh_from_db()
    assert asset.renewal_recorded_until is not None
