"""Events reach the right people once, in the centre and by e-mail through the outbox and a real SMTP server."""

from __future__ import annotations

from datetime import UTC, datetime, timedelta

import pytest
from django.utils import timezone

from apps.common.roles import RoleCode
from apps.notifications import tasks
from apps.notifications.choices import Kind, Mode
from apps.notifications.models import Notification
from apps.notifications.services import set_preference
from apps.outbox.models import OutboxMessage
from tests.factories import member
from tests.mail_fixtures import deliver_all, free_port

from .conftest import publish, task_data

pytestmark = pytest.mark.django_db


def test_an_assigned_task_mails_the_assignee_once_with_link_why_and_unsubscribe(smtp, client_a, legal, agency_admin):
    data = task_data(assignee=legal.pk, by=agency_admin.pk)
    publish("task.assigned", key="task.assigned:12:1", client=client_a, data=data, actor=agency_admin)
    publish("task.assigned", key="task.assigned:12:1", client=client_a, data=data, actor=agency_admin)  # re-published

    assert Notification.objects.filter(user=legal).count() == 1
    assert not Notification.objects.filter(user=agency_admin).exists()  # the actor is not told of their own act
    assert deliver_all() == {"done": 1}
    assert len(smtp.messages) == 1 and smtp.rcpt == [[legal.email]]
    message = smtp.messages[0]
    assert message["Subject"] == "Assigned to you: Legal review: Alpine hero"
    text, html = smtp.parts(message)
    link = "https://greenlight.example/tasks/12/decide/"
    assert link in text and f'href="{link}"' in html
    assert "Why you got this: This task was assigned to you." in text and "This task was assigned to you." in html
    assert message["List-Unsubscribe"].strip().startswith("<https://greenlight.example/notifications/unsubscribe/")
    assert message["List-Unsubscribe-Post"] == "List-Unsubscribe=One-Click"
    assert Notification.objects.get(user=legal).emailed_at is not None
    assert deliver_all() == {}  # nothing left, nothing sent twice


def test_task_available_reaches_the_roles_in_the_regions_and_is_batched(smtp, settings, client_a, emea, legal):
    apac = type(emea).objects.create(code="apac", name="APAC")
    emea_legal = member(client_a, RoleCode.LEGAL, email="emea-legal@acme.example", regions=[emea])
    apac_legal = member(client_a, RoleCode.LEGAL, email="apac-legal@acme.example", regions=[apac])
    brand = member(client_a, RoleCode.BRAND, email="brand@acme.example")
    ext = member(client_a, RoleCode.LEGAL, RoleCode.EXTERNAL, email="ext-legal@acme.example")
    for user in (legal, emea_legal):
        set_preference(user, Kind.TASK_AVAILABLE, Mode.IMMEDIATE, actor=user)
    for task in (1, 2):
        data = task_data(task, roles=["legal"], regions=["emea"])
        publish("task.available", key=f"task.available:{task}", client=client_a, data=data)

    people = set(Notification.objects.values_list("user__email", flat=True))
    assert people == {legal.email, emea_legal.email}  # not APAC, not brand, not the external member
    assert Notification.objects.filter(user=legal).count() == 2  # in-app: one row per task
    assert not {apac_legal.email, brand.email, ext.email} & people

    assert tasks.send_batches() == 0  # the batch window is still open
    assert tasks.send_batches(now=timezone.now() + timedelta(minutes=settings.NOTIFICATIONS_BATCH_MINUTES)) == 2
    deliver_all()
    assert sorted(r[0] for r in smtp.rcpt) == sorted([legal.email, emea_legal.email])  # one mail each
    assert all(m["Subject"] == "2 new tasks are open for you" for m in smtp.messages)
    text, _ = smtp.parts(smtp.messages[0])
    assert "/tasks/1/decide/" in text and "/tasks/2/decide/" in text


def test_off_sends_nothing_and_the_centre_still_shows_it(smtp, client_a, legal):
    set_preference(legal, Kind.TASK_ASSIGNED, Mode.OFF, actor=legal)
    publish("task.assigned", key="task.assigned:12:2", client=client_a, data=task_data(assignee=legal.pk, by=None))
    assert Notification.objects.filter(user=legal).count() == 1
    assert not OutboxMessage.objects.exists()
    deliver_all()
    assert smtp.messages == []


def test_digest_waits_for_eight_in_each_persons_time_zone(smtp, client_a):
    berlin = member(client_a, RoleCode.REQUESTER, email="berlin@acme.example")
    tokyo = member(client_a, RoleCode.REQUESTER, email="tokyo@acme.example")
    berlin.time_zone, tokyo.time_zone = "Europe/Berlin", "Asia/Tokyo"
    berlin.save(), tokyo.save()
    for user in (berlin, tokyo):
        set_preference(user, Kind.REQUEST_STATUS, Mode.DIGEST, actor=user)
        data = {"url": "/requests/5/", "title": "Spring banner", "request": 5, "status": "in_progress"}
        data |= {"status_label": "In progress", "reason": "", "requested_by": user.pk}
        publish("request.status_changed", key=f"request.status_changed:5:{user.pk}", client=client_a, data=data)
    assert not OutboxMessage.objects.exists()  # nothing at once

    day = datetime(2026, 12, 8, tzinfo=UTC)
    Notification.objects.update(created_at=day - timedelta(hours=12))  # 7 Dec, 13:00 in Berlin, 21:00 in Tokyo
    assert tasks.send_digests(now=day - timedelta(hours=2)) == 0  # 23:00 in Berlin: its 08:00 came before
    assert tasks.send_digests(now=day.replace(hour=22, minute=0) - timedelta(days=1)) == 0  # 07:00 in Tokyo
    assert tasks.send_digests(now=day.replace(hour=23, minute=1) - timedelta(days=1)) == 1  # 08:01 in Tokyo
    assert tasks.send_digests(now=day.replace(hour=6, minute=59)) == 0  # 07:59 in Berlin; Tokyo's went out
    assert tasks.send_digests(now=day.replace(hour=7, minute=5)) == 1  # 08:05 in Berlin
    deliver_all()
    assert [r[0] for r in smtp.rcpt] == [tokyo.email, berlin.email]
    assert smtp.messages[0]["Subject"] == "Your Greenlight digest: 1 update"
    text, _ = smtp.parts(smtp.messages[0])
    assert "== A creative request of mine changed status ==" in text and "Spring banner" in text


def test_smtp_down_is_retried_then_delivered(smtp, settings, client_a, legal):
    settings.EMAIL_PORT = free_port()  # nothing listens there: connection refused
    publish("task.assigned", key="task.assigned:12:3", client=client_a, data=task_data(assignee=legal.pk, by=None))
    assert deliver_all() == {"pending": 1}
    row = OutboxMessage.objects.get()
    assert row.attempts == 1 and "unreachable" in row.last_error
    assert Notification.objects.get().emailed_at is None

    settings.EMAIL_PORT = smtp.port  # the server is back
    assert deliver_all() == {"done": 1}
    assert [r[0] for r in smtp.rcpt] == [legal.email]
    assert Notification.objects.get().emailed_at is not None


def test_a_recipient_the_server_refuses_for_good_is_parked_and_blocks_no_other(smtp, client_a, legal, requester):
    smtp.refuse = "550 5.1.1 no such mailbox"
    publish("task.assigned", key="task.assigned:12:4", client=client_a, data=task_data(assignee=legal.pk, by=None))
    assert deliver_all() == {"failed": 1}
    smtp.refuse = None
    data = task_data(13, assignee=requester.pk, by=None)
    publish("task.assigned", key="task.assigned:13:1", client=client_a, data=data)
    assert deliver_all() == {"done": 1}
    assert [r[0] for r in smtp.rcpt] == [requester.email]


def test_decisions_reach_the_requester_with_the_reason_and_not_other_tenants(smtp, client_a, requester, outsider):
    data = {"url": "/assets/487/", "title": "Alpine hero", "asset": 487, "run": 42, "outcome": "rejected"}
    data |= {"reason": "No model release", "restrictions": None, "requested_by": requester.pk, "decided_by": "Legal"}
    publish("asset.rejected", key="asset.rejected:run-42", client=client_a, data=data)
    # a forged id of another tenant's member reaches no one
    publish("asset.approved", key="asset.approved:run-43", client=client_a, data=data | {"requested_by": outsider.pk})
    assert list(Notification.objects.values_list("user__email", flat=True)) == [requester.email]
    deliver_all()
    text, _ = smtp.parts(smtp.messages[0])
    assert "Reason: No model release" in text and "You asked for this asset to be approved." in text


def test_sync_broken_reaches_admins_and_operators_webhook_disabled_only_admins(client_a, agency_admin, legal):
    operator = member(client_a, RoleCode.LEGAL, email="ops@agency.example")
    operator.is_staff = True
    operator.save()
    publish(
        "sync.broken",
        key="sync.broken:1",
        client=client_a,
        data={"url": "/sync/", "title": "Smint.io"} | {"platform": "smintio", "reason": "refresh token revoked"},
    )
    assert set(Notification.objects.values_list("user__email", flat=True)) == {agency_admin.email, operator.email}
    data = {"url": "/webhooks/3/", "title": "ERP", "endpoint": 3, "target": "https://erp.example/h", "failures": 10}
    publish("webhook.disabled", key="webhook.disabled:3", client=client_a, data=data)
    assert list(Notification.objects.filter(kind=Kind.WEBHOOK_DISABLED).values_list("user__email", flat=True)) == [
        agency_admin.email
    ]
    assert not Notification.objects.filter(user=legal).exists()


def test_a_delegate_hears_of_an_away_members_task(client_a, legal):
    delegate = member(client_a, RoleCode.LEGAL, email="stand-in@acme.example")
    membership = legal.memberships.get()
    now = timezone.now()
    membership.delegate = delegate
    membership.away_from, membership.away_until = now - timedelta(days=1), now + timedelta(days=2)
    membership.save()
    publish("task.assigned", key="task.assigned:12:5", client=client_a, data=task_data(assignee=legal.pk, by=None))
    row = Notification.objects.get()
    assert row.user == delegate and "who is away" in row.why


def test_due_tomorrow_and_overdue_are_told_once_per_task(client_a, legal):
    from apps.workflows.models import Task, WorkflowRun

    run = WorkflowRun.objects.create(
        client=client_a,
        process_key="asset_approval",
        business_key="b-1",
        subject_type="assets.asset",
        subject_id=1,
        title="Alpine hero",
    )
    now = timezone.now()
    common = {"client": client_a, "run": run, "name": "Legal review", "candidate_roles": ["legal"]}
    soon = Task.objects.create(remote_id="t-1", due_at=now + timedelta(hours=20), **common)
    late = Task.objects.create(remote_id="t-2", assignee=legal, due_at=now - timedelta(hours=2), **common)
    assert tasks.remind_due() == 2
    assert tasks.remind_due() == 0  # once per task and kind
    assert set(Notification.objects.values_list("event_key", flat=True)) == {
        f"task.due_soon:{soon.pk}",
        f"task.overdue:{late.pk}",
    }


def test_a_4xx_reply_is_retried_and_an_unsubscribe_in_between_stops_the_mail(smtp, client_a, legal):
    smtp.refuse = "450 4.2.1 mailbox busy, try later"
    publish("task.assigned", key="task.assigned:12:6", client=client_a, data=task_data(assignee=legal.pk, by=None))
    assert deliver_all() == {"pending": 1}
    assert OutboxMessage.objects.get().last_status_code == 450
    smtp.refuse = None
    set_preference(legal, Kind.TASK_ASSIGNED, Mode.OFF, actor=legal)  # e.g. the one-click link of an earlier mail
    assert deliver_all() == {"done": 1}
    assert smtp.messages == [] and OutboxMessage.objects.get().result == {"skipped": "nothing left to send"}
