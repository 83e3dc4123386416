"""Issue 15, item 9: the agency overview (``/agency/``) across an agency admin's clients, against crafted data: open
work per client and stage, overdue and escalated items, SLA breaches this week; each figure's inbox link shows as
many rows as the figure says; tenant isolation; constant queries."""

from __future__ import annotations

import re
from datetime import timedelta
from html import unescape

import pytest
from django.db import connection
from django.test.utils import CaptureQueriesContext
from django.utils import timezone

from apps.common.roles import RoleCode
from apps.exceptions.models import Case
from apps.reviews import overview
from apps.reviews.models import ApprovalEscalation
from apps.workflows.choices import RunStatus, TaskStatus
from apps.workflows.models import Task, WorkflowRun
from tests.factories import ClientFactory, MembershipFactory, member
from tests.reviews.factories import approval_run, licensed_asset, review_task

pytestmark = pytest.mark.django_db


@pytest.fixture
def boss(client_a, client_b):
    """Agency admin of Acme, brand reviewer at Beta: the overview covers both."""
    user = member(client_a, RoleCode.AGENCY_ADMIN, email="boss@agency.example")
    MembershipFactory(user=user, client=client_b, roles=[RoleCode.BRAND])
    return user


def _due(task, now, hours):
    Task.objects.filter(pk=task.pk).update(due_at=now + timedelta(hours=hours))
    return task


def _crafted(client_a, client_b, now=None):
    """Acme: 2 legal (1 overdue since yesterday), 1 brand; a legal task completed late this week; one escalated
    renewal case with its open run. Beta: 1 brand (overdue), 1 legal (the boss is only brand there)."""
    now = now or timezone.now()
    a1, a2, a3 = (licensed_asset(client_a, name=f"Acme {n}") for n in range(3))
    _due(review_task(approval_run(a1), "legal"), now, -0.2)
    _due(review_task(approval_run(a2), "legal"), now, 24)
    _due(review_task(approval_run(a3), "brand"), now, 48)
    late = _due(review_task(approval_run(licensed_asset(client_a, name="Acme late")), "legal"), now, -0.3)
    Task.objects.filter(pk=late.pk).update(status=TaskStatus.COMPLETED, completed_at=now - timedelta(minutes=1))
    case = Case.objects.create(
        client=client_a, kind="renewal", asset=a1, key="lapse:x", title="Lapse", escalated_at=timezone.now()
    )
    WorkflowRun.objects.create(
        client=client_a,
        process_key="rights_renewal",
        business_key="acme:rights_renewal:x",
        subject_type="exceptions.case",
        subject_id=case.pk,
        status=RunStatus.RUNNING,
    )
    b1, b2 = licensed_asset(client_b, name="Beta 1"), licensed_asset(client_b, name="Beta 2")
    escalated = _due(review_task(approval_run(b1), "brand"), now, -0.1)
    ApprovalEscalation.objects.create(client=client_b, task=escalated, escalated_at=now)
    _due(review_task(approval_run(b2), "legal"), now, 24)


def test_the_figures_count_the_crafted_work(client_a, client_b, boss):
    now = overview.week_start() + timedelta(days=2, hours=12)  # a Wednesday noon: the week has begun
    _crafted(client_a, client_b, now)
    acme, beta = overview.figures(boss, now=now)
    assert (acme.client, beta.client) == (client_a, client_b)
    assert acme.open == 3 and acme.overdue == 1
    assert {(s.name, s.open, s.overdue) for s in acme.stages} == {("Legal review", 2, 1), ("Brand review", 1, 0)}
    assert [(label, n) for label, n, _url in acme.escalated] == [("Rights renewal", 1)]
    assert (acme.breaches, acme.breaches_open) == (2, 1)  # the overdue legal task, and the one completed late
    # at Beta the boss is a brand reviewer: the legal task is not theirs to see, so not counted
    assert beta.open == 1 and beta.overdue == 1 and [s.name for s in beta.stages] == ["Brand review"]
    assert [(label, n) for label, n, _url in beta.escalated] == [("Approval tasks", 1)]
    assert (beta.breaches, beta.breaches_open) == (1, 1)


def test_each_figure_links_to_the_inbox_filtered_to_it(client_a, client_b, boss, login):
    _crafted(client_a, client_b)
    http = login(boss)
    page = http.get("/agency/")
    assert page.status_code == 200
    html = page.content.decode()
    acme = next(e for e in overview.figures(boss) if e.client == client_a)
    legal = next(s for s in acme.stages if s.name == "Legal review")
    for url, expected in ((acme.open_url, 3), (acme.overdue_url, 1), (legal.url, 2)):
        assert url.replace("&", "&amp;") in html
        inbox = http.get(url).content.decode()
        assert re.search(r'data-tab="all"[^>]*aria-current="page"', inbox)
        assert re.search(rf'data-tab="all"[^>]*>All open <span class="count">{expected}</span>', inbox), url
    assert "stage=legalReview" in unescape(legal.url) and "client=acme" in legal.url


def test_the_overview_is_for_agency_staff_only_and_shows_only_their_clients(client_a, client_b, legal, login, boss):
    _crafted(client_a, client_b)
    assert login(legal).get("/agency/").status_code == 403  # one client, no agency admin
    other = ClientFactory(name="Gamma", slug="gamma")
    outsider = member(other, RoleCode.AGENCY_ADMIN, email="gamma@agency.example")
    html = login(outsider).get("/agency/").content.decode()
    assert "Gamma" in html and "Acme" not in html and "Beta" not in html
    assert "No open work at Gamma" in html
    external = member(client_a, RoleCode.EXTERNAL, email="ext@partner.example")
    MembershipFactory(user=external, client=other, roles=[RoleCode.EXTERNAL])
    assert login(external).get("/agency/").status_code == 403


def test_the_overview_costs_the_same_queries_for_more_clients_and_tasks(client_a, boss, login):
    http = login(boss)

    def grow(n):
        for _ in range(n):
            client = ClientFactory()
            MembershipFactory(user=boss, client=client, roles=[RoleCode.AGENCY_ADMIN])
            review_task(approval_run(licensed_asset(client)), "legal", due_in_hours=-1)

    def queries():
        with CaptureQueriesContext(connection) as captured:
            assert http.get("/agency/").status_code == 200
        return len(captured)

    grow(2)
    few = queries()
    grow(20)
    many = queries()
    assert few == many <= 16, (few, many)
