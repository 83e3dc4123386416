import pytest

from apps.audit.models import AuditEvent
from apps.clients.models import Client
from apps.common.roles import RoleCode
from tests.factories import MembershipFactory, member

pytestmark = pytest.mark.django_db


def _policy_form(client, **overrides):
    data = {
        "name": client.name,
        "required_metadata_fields": "title\nkeywords",
        "rights_warning_days": 21,
        "usage_threshold_percent": 75,
        "escalation_contacts": "ops@acme.example, legal@acme.example",
        "reason": "New contract",
        "review_horizon_days": 180,
        "review_usages": ["usage_web", "usage_print"],
    }
    data.update(
        {
            f"sla_{kind}": 24
            for kind in [
                "approval",
                "renewal",
                "creative_request",
                "exception",
                "regional_review",
                "onboarding",
                "compliance",
            ]
        }
    )
    data.update(overrides)
    return data


def test_agency_admin_edits_policies_through_the_form(client_a, agency_admin, login):
    response = login(agency_admin).post("/clients/acme/policies/", _policy_form(client_a))
    assert response.status_code == 302
    client_a.refresh_from_db()
    assert client_a.rights_warning_days == 21
    assert client_a.required_metadata_fields == ["title", "keywords"]
    assert client_a.escalation_contacts == ["ops@acme.example", "legal@acme.example"]
    assert client_a.sla_hours["approval"] == 24
    assert AuditEvent.objects.get(action="clients.client.update_policies").reason == "New contract"


@pytest.mark.parametrize(
    ("field", "value", "message"),
    [
        ("rights_warning_days", "0", "greater than or equal to 1"),
        ("usage_threshold_percent", "150", "less than or equal to 100"),
        ("escalation_contacts", "not-an-email", "Not an e-mail address: not-an-email"),
        ("required_metadata_fields", "ok\n9bad", "9bad"),
        ("sla_approval", "0", "greater than or equal to 1"),
        ("name", "Beta Brands", "Another client already has this name"),
    ],
)
def test_bad_policies_are_refused_with_the_reason_and_nothing_is_lost(
    field, value, message, client_a, client_b, agency_admin, login
):
    data = _policy_form(client_a, **{field: value})
    response = login(agency_admin).post("/clients/acme/policies/", data)
    assert response.status_code == 400
    page = response.content.decode()
    assert message in page
    assert value.split("\n")[-1] in page  # what the person typed is still there
    assert "New contract" in page
    client_a.refresh_from_db()
    assert client_a.rights_warning_days == 30
    assert not AuditEvent.objects.filter(action="clients.client.update_policies").exists()


def test_members_without_the_admin_role_cannot_open_the_policy_form(client_a, legal, login):
    browser = login(legal)
    assert browser.get("/clients/acme/policies/").status_code == 403
    assert browser.post("/clients/acme/policies/", _policy_form(client_a)).status_code == 403
    assert "Edit policies" not in browser.get("/clients/acme/").content.decode()


def test_an_admin_of_two_clients_switches_between_them(client_a, client_b, login):
    admin = member(client_a, RoleCode.AGENCY_ADMIN, email="agency@example.com")
    MembershipFactory(user=admin, client=client_b, roles=[RoleCode.AGENCY_ADMIN])
    browser = login(admin)
    AuditEvent.objects.create(actor_label="x", client=client_a, action="tests.thing.acme_only", object_repr="A-thing")
    AuditEvent.objects.create(actor_label="x", client=client_b, action="tests.thing.beta_only", object_repr="B-thing")
    page = browser.get("/audit/").content.decode()
    assert "A-thing" in page and "B-thing" in page
    response = browser.post("/clients/switch/", {"client": "beta", "next": "/audit/"})
    assert response.status_code == 302 and response.url == "/audit/"
    page = browser.get("/audit/").content.decode()
    assert "B-thing" in page and "A-thing" not in page
    browser.post("/clients/switch/", {"client": ""})
    assert "A-thing" in browser.get("/audit/").content.decode()


def test_a_removed_membership_falls_back_to_all_my_clients(client_a, client_b, login):
    admin = member(client_a, RoleCode.AGENCY_ADMIN, email="agency@example.com")
    membership = MembershipFactory(user=admin, client=client_b, roles=[RoleCode.AGENCY_ADMIN])
    browser = login(admin)
    AuditEvent.objects.create(actor_label="x", client=client_a, action="tests.thing.acme_only", object_repr="A-thing")
    browser.post("/clients/switch/", {"client": "beta"})
    assert "A-thing" not in browser.get("/audit/").content.decode()
    membership.delete()
    assert "A-thing" in browser.get("/audit/").content.decode()


def test_switching_to_a_client_you_are_not_in_is_a_404(client_a, client_b, agency_admin, login):
    browser = login(agency_admin)
    assert browser.post("/clients/switch/", {"client": "beta"}).status_code == 404


def test_switch_ignores_an_external_next(client_a, agency_admin, login):
    response = login(agency_admin).post("/clients/switch/", {"client": "acme", "next": "https://evil.example/"})
    assert response.url == "/"


def test_client_list_shows_only_my_clients(client_a, client_b, legal, login):
    page = login(legal).get("/clients/").content.decode()
    assert "Acme Outdoor" in page and "Beta Brands" not in page
    assert Client.objects.count() == 2
