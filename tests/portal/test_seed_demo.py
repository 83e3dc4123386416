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
