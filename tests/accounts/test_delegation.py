"""Issue 15, item 8: delegation and out of office. A reviewer names a delegate for a period; during it their tasks
go to the delegate (the inbox shows them "for" the reviewer; the delegate may take over one the reviewer holds) and
are read-only for the reviewer; a delegate without the must-sign role (or the regions) is refused, in place; all
audited."""

from __future__ import annotations

import re
from datetime import timedelta

import pytest
from django.utils import timezone

from apps.accounts import delegation
from apps.accounts.models import Membership
from apps.audit.models import AuditEvent
from apps.common.roles import RoleCode
from apps.outbox.models import OutboxMessage
from apps.workflows import services as workflows
from apps.workflows.choices import TaskStatus
from tests.factories import RegionFactory, member
from tests.reviews.factories import approval_run, licensed_asset, review_task

pytestmark = pytest.mark.django_db


@pytest.fixture
def team(client_a):
    return {
        "lena": member(client_a, RoleCode.LEGAL, email="lena@acme.example"),
        "lars": member(client_a, RoleCode.LEGAL, RoleCode.BRAND, email="lars@acme.example"),
        "bea": member(client_a, RoleCode.BRAND, email="bea@acme.example"),
    }


def _membership(user, client):
    return Membership.objects.get(user=user, client=client)


def _away(user, client, delegate, days=(0, 5)):
    today = timezone.localdate()
    return delegation.set_delegation(
        _membership(user, client),
        actor=user,
        delegate_id=delegate.pk,
        start=today + timedelta(days=days[0]),
        end=today + timedelta(days=days[1]),
    )


def _fresh(user):
    """The user as a new request would load it (its membership list read again)."""
    return type(user).objects.get(pk=user.pk)


def test_a_delegate_without_the_must_sign_role_is_refused(client_a, team):
    with pytest.raises(delegation.DelegationRefused) as refused:
        _away(team["lena"], client_a, team["bea"])  # bea holds brand, not legal
    assert refused.value.field == "delegate" and "Legal" in str(refused.value) and "never skipped" in str(refused.value)
    with pytest.raises(delegation.DelegationRefused):
        _away(team["lars"], client_a, team["lena"])  # lars signs legal and brand; lena holds legal only
    assert _membership(team["lena"], client_a).delegate_id is None
    assert not AuditEvent.objects.filter(action__startswith="accounts.delegation.").exists()


def test_a_delegate_who_does_not_cover_the_regions_is_refused(client_a):
    emea, amer = RegionFactory(code="emea"), RegionFactory(code="amer", name="AMER", countries=["US"])
    anyone = member(client_a, RoleCode.LEGAL, email="all@acme.example")
    narrow = member(client_a, RoleCode.LEGAL, email="amer@acme.example", regions=[amer])
    with pytest.raises(delegation.DelegationRefused) as refused:
        _away(anyone, client_a, narrow)
    assert "AMER only" in str(refused.value)
    scoped = member(client_a, RoleCode.LEGAL, email="emea@acme.example", regions=[emea])
    assert _away(scoped, client_a, anyone).delegate_id == anyone.pk  # unscoped covers every region


def test_the_period_and_the_people_are_checked(client_a, client_b, team):
    today = timezone.localdate()
    lena = _membership(team["lena"], client_a)
    cases = [
        ({"delegate_id": team["lars"].pk, "start": today - timedelta(days=1), "end": today}, "start"),
        ({"delegate_id": team["lars"].pk, "start": today, "end": today - timedelta(days=1)}, "end"),
        ({"delegate_id": team["lars"].pk, "start": today, "end": today + timedelta(days=200)}, "end"),
        ({"delegate_id": team["lena"].pk, "start": today, "end": today}, "delegate"),  # oneself
        ({"delegate_id": member(client_b, RoleCode.LEGAL).pk, "start": today, "end": today}, "delegate"),
        (
            {"delegate_id": member(client_a, RoleCode.LEGAL, RoleCode.EXTERNAL).pk, "start": today, "end": today},
            "delegate",
        ),
    ]
    for kwargs, field in cases:
        with pytest.raises(delegation.DelegationRefused) as refused:
            delegation.set_delegation(lena, actor=team["lena"], **kwargs)
        assert refused.value.field == field, kwargs
    with pytest.raises(delegation.DelegationRefused):
        delegation.set_delegation(lena, actor=team["lars"], delegate_id=team["lars"].pk, start=today, end=today)


def test_during_the_delegation_the_reviewer_reads_and_the_delegate_signs(client_a, team):
    run = approval_run(licensed_asset(client_a, name="Harbour"))
    task = review_task(run, "legal")
    lena, lars = team["lena"], team["lars"]
    assert workflows.may_sign(task, _fresh(lena))
    _away(lena, client_a, lars)
    set_event = AuditEvent.objects.get(action="accounts.delegation.set")
    assert set_event.actor_id == lena.pk and set_event.after["delegate"] == lars.email
    refusal = workflows.signing_refusal(task, _fresh(lena))
    assert "read-only for you" in refusal and lars.email in refusal
    with pytest.raises(workflows.NotASigner):
        workflows.decide(task, actor=_fresh(lena), outcome="approved")
    decision = workflows.decide(task, actor=_fresh(lars), outcome="approved")
    assert decision.actor_id == lars.pk


def test_a_delegation_that_starts_later_changes_nothing_yet(client_a, team):
    task = review_task(approval_run(licensed_asset(client_a)), "legal")
    _away(team["lena"], client_a, team["lars"], days=(2, 4))
    assert workflows.may_sign(task, _fresh(team["lena"]))


def test_the_delegate_takes_over_a_task_the_reviewer_holds(client_a, team):
    lena, lars = team["lena"], team["lars"]
    task = review_task(approval_run(licensed_asset(client_a)), "legal", assignee=lena)
    stranger = member(client_a, RoleCode.LEGAL, email="other@acme.example")
    with pytest.raises(workflows.StaleTask):
        workflows.claim_task(task, actor=_fresh(stranger))
    _away(lena, client_a, lars)
    with pytest.raises(workflows.StaleTask):  # only the delegate takes it over
        workflows.claim_task(task, actor=_fresh(stranger))
    workflows.decide(task, actor=_fresh(lars), outcome="rejected", reason="Not this season")
    task.refresh_from_db()
    assert task.status == TaskStatus.COMPLETED and task.assignee_id == lars.pk
    calls = [m.payload.get("assignee") for m in OutboxMessage.objects.filter(payload__task=task.pk).order_by("id")]
    assert calls == [None, lars.email, lars.email]  # released at OpenText, claimed by the delegate, completed


def test_the_inbox_shows_the_delegate_the_reviewers_tasks_marked_for_them(client_a, team, login):
    lena, lars = team["lena"], team["lars"]
    held = review_task(approval_run(licensed_asset(client_a, name="Held harbour")), "legal", assignee=lena)
    open_one = review_task(approval_run(licensed_asset(client_a, name="Open summit")), "legal")
    _away(lena, client_a, lars)
    http = login(lars)
    mine = http.get("/?tab=mine").content.decode()
    assert "Held harbour" in mine and f"For {lena.email}" in mine
    team_tab = http.get("/?tab=team").content.decode()
    assert "Open summit" in team_tab and f"For {lena.email}" in team_tab
    own = login(lena).get("/?tab=team").content.decode()
    assert "Open summit" in own and f'value="{open_one.pk}" form="bulk-form"' not in own  # read-only: no select
    assert held.pk != open_one.pk


def test_the_inbox_reads_delegations_only_for_someone_who_stands_in_now(client_a, team, login):
    """Few people stand in for anyone at a time: the others' inbox statements leave the delegation out (the periods
    come from the shared cache, ``delegation.may_stand_in``). Setting, and ending, a delegation shows at once."""
    from django.db import connection
    from django.test.utils import CaptureQueriesContext

    lena, lars = team["lena"], team["lars"]
    review_task(approval_run(licensed_asset(client_a, name="Held harbour")), "legal", assignee=lena)
    http = login(lars)

    def inbox():
        http.get("/?tab=mine")
        with CaptureQueriesContext(connection) as captured:
            page = http.get("/?tab=mine").content.decode()
        return page, sum("away_until" in query["sql"] for query in captured)

    page, reads = inbox()
    assert reads == 0 and "Held harbour" not in page
    _away(lena, client_a, lars)
    page, reads = inbox()
    assert reads > 0 and "Held harbour" in page and f"For {lena.email}" in page
    delegation.end_delegation(_membership(lena, client_a), actor=lena)
    page, reads = inbox()
    assert reads == 0 and "Held harbour" not in page
    _away(lena, client_a, lars, days=(1, 5))  # from tomorrow: nothing yet
    page, reads = inbox()
    assert reads == 0 and "Held harbour" not in page


def test_the_page_refuses_in_place_and_ending_is_audited(client_a, team, login):
    lena = team["lena"]
    http = login(lena)
    page = http.get("/accounts/delegation/").content.decode()
    assert "Acme" in page and "bea@acme.example" in page
    today = timezone.localdate().isoformat()
    form = {"client": client_a.pk, "delegate": team["bea"].pk, "start": today, "end": today}
    refused = http.post("/accounts/delegation/", form)
    assert refused.status_code == 400
    html = refused.content.decode()
    assert "never skipped" in html
    assert re.search(rf'<select id="delegate-{client_a.pk}"[^>]*aria-invalid="true"[^>]*autofocus', html)
    assert re.search(rf'<option value="{team["bea"].pk}" selected>', html)  # the choice is kept
    assert http.post("/accounts/delegation/", {**form, "delegate": team["lars"].pk}).status_code == 302
    assert _membership(lena, client_a).delegate_id == team["lars"].pk
    assert http.post("/accounts/delegation/", {"client": client_a.pk, "action": "end"}).status_code == 302
    assert _membership(lena, client_a).delegate_id is None
    assert AuditEvent.objects.filter(action="accounts.delegation.end", actor=lena).count() == 1
    assert http.post("/accounts/delegation/", {"client": 999999, "action": "end"}).status_code == 404
