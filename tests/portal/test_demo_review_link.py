"""Issue 15 demo: Contoso's stakeholder review link is sent once its assets are there, and seed_demo prints a URL
that opens it (no account), showing those assets only."""

import pytest
from django.core.management import call_command
from django.utils import timezone
from django_q.models import Schedule

from apps.accounts.models import Membership
from apps.assets.choices import ApprovalState
from apps.audit.models import AuditEvent
from apps.clients.models import Client
from apps.demo import review_links as demo
from tests.reviews.factories import approval_run, licensed_asset, review_task

pytestmark = pytest.mark.django_db


def test_the_demo_link_is_sent_once_assets_arrive_and_seed_prints_it(settings, capsys, client):
    settings.DEBUG = True
    settings.EMULATORS = False  # the emulators' own seed is not what this is about
    call_command("seed_demo")
    assert "sent by the worker once the first pull" in capsys.readouterr().out
    assert Schedule.objects.filter(name=demo.SCHEDULE).exists()
    assert demo.send_demo_link() == "waiting for a cycle to reach its stakeholder step"  # no asset yet
    contoso = Client.objects.get(slug="contoso")
    sent = [licensed_asset(contoso, name=f"Contoso {n}", approval=ApprovalState.IN_REVIEW) for n in range(4)]
    # Contoso's policy asks a client stakeholder last: the link waits for cycles that reached that step
    assert demo.send_demo_link() == "waiting for a cycle to reach its stakeholder step"
    for asset in sent:
        review_task(approval_run(asset), "external")
    licensed_asset(Client.objects.get(slug="northwind"), name="Northwind only")
    assert demo.send_demo_link().startswith("sent: ")
    assert not Schedule.objects.filter(name=demo.SCHEDULE).exists()
    call_command("seed_demo")
    out = capsys.readouterr().out
    url = next(line.strip() for line in out.splitlines() if "/review/" in line)
    assert url.startswith(settings.PORTAL_URL)
    page = client.get(url.removeprefix(settings.PORTAL_URL))
    html = page.content.decode()
    assert page.status_code == 200 and "Review for Sam Stakeholder" in html
    assert all(a.name in html for a in sent[:3]) and sent[3].name not in html and "Northwind only" not in html
    assert demo.send_demo_link().startswith("sent already")


def test_the_demo_delegation_starts_next_week(settings):
    settings.DEBUG = True
    settings.EMULATORS = False
    call_command("seed_demo", "--quiet-logins")
    call_command("seed_demo", "--quiet-logins")  # idempotent
    away = Membership.objects.get(user__email=demo.AWAY, client__slug="contoso")
    assert away.delegate.email == demo.DEPUTY[0] and not away.away()
    assert (timezone.localtime(away.away_from).date() - timezone.localdate()).days == demo.AWAY_IN_DAYS
    assert AuditEvent.objects.filter(action="accounts.delegation.set").count() == 1
