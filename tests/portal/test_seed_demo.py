import pytest
from django.core.management import CommandError, call_command
from django.test import Client as HttpClient

from apps.accounts.models import Membership, User
from apps.clients.models import Client

pytestmark = pytest.mark.django_db


def test_seed_demo_is_idempotent_and_prints_working_logins(settings, capsys):
    settings.DEBUG = True
    call_command("seed_demo")
    counts = (Client.objects.count(), User.objects.count(), Membership.objects.count())
    call_command("seed_demo")
    assert (Client.objects.count(), User.objects.count(), Membership.objects.count()) == counts
    assert counts == (2, 36, 37)  # Contoso's second brand reviewer and legal deputy, flow 5's three regional reviewers
    out = capsys.readouterr().out
    assert "legal@northwind.example" in out and "greenlight-demo" in out
    http = HttpClient()
    response = http.post("/accounts/login/", {"username": "reviewer@contoso.example", "password": "greenlight-demo"})
    assert response.status_code == 302
    reviewer = Membership.objects.get(user__email="reviewer@contoso.example")
    assert [r.code for r in reviewer.regions.all()] == ["emea"]
    other = Membership.objects.get(user__email="reviewer-amer@northwind.example")
    assert [r.code for r in other.regions.all()] == ["amer"]
    assert Client.objects.get(slug="northwind").review_regions == ["emea", "amer"]
    from apps.reviews import policy

    assert policy.variables_for(Client.objects.get(slug="contoso")) == {
        "approvalStages": [["legal", "brand", "marketing"]],
        "approvalQuorum": {"brand": 2},
        "stakeholderStep": True,
    }
    assert policy.variables_for(Client.objects.get(slug="northwind"))["stakeholderStep"] is False


def test_if_empty_leaves_existing_data_alone(settings, client_a, capsys):
    settings.DEBUG = True
    call_command("seed_demo", "--if-empty")
    assert Client.objects.count() == 1


def test_seed_demo_refuses_production_without_the_flag(settings):
    settings.DEBUG = False
    with pytest.raises(CommandError, match="allow-production"):
        call_command("seed_demo")


def test_seed_demo_gives_northwind_a_history_the_analytics_page_shows(settings):
    from datetime import timedelta

    from django.utils import timezone

    from apps.analytics import figures
    from apps.workflows.models import Task

    settings.DEBUG = True
    call_command("seed_demo", "--quiet-logins")
    northwind = Client.objects.get(slug="northwind")
    decided = Task.objects.filter(client=northwind, status="completed", remote_id__startswith="demo-history-")
    count = decided.count()
    assert count > 200
    call_command("seed_demo", "--quiet-logins")
    assert decided.count() == count  # once
    admin = User.objects.get(email="client-admin@northwind.example")
    http = HttpClient()
    http.force_login(admin)
    response = http.get("/analytics/", {"client": "northwind"})
    assert response.status_code == 200
    html = response.content.decode()
    assert "Where reviews wait: Northwind" in html
    assert "Marketing review" in html and 'data-chart="throughput"' in html
    now = timezone.now()
    scope = figures.Scope(client_id=northwind.pk, since=now - timedelta(days=90), until=now, now=now)
    stages = figures.stages(scope)
    assert {s["stage"] for s in stages} >= {"legal_review", "brand_review", "marketing_review", "triage"}
    assert sum(week["completed"] for week in figures.throughput(scope)) >= count
