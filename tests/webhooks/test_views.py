"""The pages: client admins only, other clients' endpoints are 404, every change is a POST and audited."""

from __future__ import annotations

import pytest

from apps.audit.models import AuditEvent
from apps.outbox.models import OutboxMessage
from apps.webhooks import services
from apps.webhooks.models import WebhookEndpoint

PUBLIC = "https://93.184.215.14/hook"


@pytest.fixture
def endpoint(client_a, agency_admin):
    return services.create_endpoint(
        client=client_a, url=PUBLIC, event_types=["asset.approved"], description="Acme DAM", actor=agency_admin
    ).endpoint


@pytest.fixture
def beta_endpoint(client_b, outsider):
    return services.create_endpoint(
        client=client_b, url=PUBLIC, event_types=["asset.approved"], description="Beta DAM", actor=outsider
    ).endpoint


def test_the_list_shows_only_the_admins_clients_endpoints(login, agency_admin, endpoint, beta_endpoint):
    page = login(agency_admin).get("/webhooks/")
    assert page.status_code == 200
    assert b"Acme DAM" in page.content and b"Beta DAM" not in page.content


@pytest.mark.parametrize("verb", ["", "rotate/", "test/", "disable/", "enable/", "delete/"])
def test_another_clients_endpoint_is_404(login, agency_admin, beta_endpoint, verb):
    http = login(agency_admin)
    response = http.post(f"/webhooks/{beta_endpoint.pk}/{verb}") if verb else http.get(f"/webhooks/{beta_endpoint.pk}/")
    assert response.status_code == 404
    assert WebhookEndpoint.objects.get(pk=beta_endpoint.pk).is_active


@pytest.mark.parametrize("persona", ["requester", "legal", "external"])
def test_members_who_are_not_admins_see_no_endpoint_and_cannot_create(request, login, persona, endpoint):
    http = login(request.getfixturevalue(persona))
    assert http.get(f"/webhooks/{endpoint.pk}/").status_code == 404
    assert http.get("/webhooks/new/").status_code == 403
    assert b"Acme DAM" not in http.get("/webhooks/").content


def test_anonymous_is_sent_to_sign_in(client, endpoint):
    assert client.get("/webhooks/").status_code == 302


@pytest.mark.parametrize("verb", ["rotate", "test", "disable", "enable", "delete"])
def test_changes_reject_get(login, agency_admin, endpoint, verb):
    assert login(agency_admin).get(f"/webhooks/{endpoint.pk}/{verb}/").status_code == 405


def test_creating_shows_the_secret_once(login, agency_admin, client_a):
    http = login(agency_admin)
    response = http.post(
        "/webhooks/new/",
        {"client": "acme", "url": PUBLIC, "description": "New hook", "event_types": ["asset.approved", "case.opened"]},
    )
    assert response.status_code == 200
    endpoint = WebhookEndpoint.objects.get(description="New hook")
    secret = endpoint.secrets.get().secret
    assert secret.encode() in response.content
    assert "no-cache" in response["Cache-Control"] or "no-store" in response["Cache-Control"]
    detail = http.get(f"/webhooks/{endpoint.pk}/")
    assert detail.status_code == 200 and secret.encode() not in detail.content
    assert AuditEvent.objects.filter(action="webhooks.endpoint.create", actor=agency_admin).exists()
    assert endpoint.event_types == ["asset.approved", "case.opened"]


def test_a_refused_url_is_shown_in_place(login, agency_admin, settings):
    settings.WEBHOOK_ALLOW_PRIVATE_TARGETS = False
    response = login(agency_admin).post(
        "/webhooks/new/",
        {"client": "acme", "url": "http://localhost:8000/x", "event_types": ["asset.approved"]},
        headers={"HX-Request": "true"},
    )
    assert response.status_code == 400
    assert b"internal address" in response.content
    assert b'id="endpoint-form"' in response.content and b"<html" not in response.content  # the fragment
    assert not WebhookEndpoint.objects.exists()


def test_an_admin_cannot_create_for_another_client(login, agency_admin, client_b):
    response = login(agency_admin).post(
        "/webhooks/new/", {"client": "beta", "url": PUBLIC, "event_types": ["asset.approved"]}
    )
    assert response.status_code == 404
    assert not WebhookEndpoint.objects.exists()


def test_send_test_queues_a_delivery_shown_in_the_log(login, agency_admin, endpoint):
    http = login(agency_admin)
    assert http.post(f"/webhooks/{endpoint.pk}/test/").status_code == 302
    message = OutboxMessage.objects.get(ordering_key=endpoint.ordering_key)
    assert message.payload["body"]["type"] == "webhook.test"
    page = http.get(f"/webhooks/{endpoint.pk}/")
    assert b"webhook.test" in page.content
    fragment = http.get(f"/webhooks/{endpoint.pk}/", headers={"HX-Request": "true"})
    assert b"webhook.test" in fragment.content and b"<html" not in fragment.content


def test_the_log_pages_by_keyset_with_a_bounded_number_of_queries(
    login, agency_admin, endpoint, django_assert_max_num_queries
):
    for _ in range(30):
        services.send_test(endpoint, actor=agency_admin)
    http = login(agency_admin)
    http.get("/webhooks/")  # warm the session
    with django_assert_max_num_queries(15):
        page = http.get(f"/webhooks/{endpoint.pk}/")
    assert page.content.count(b'class="delivery"') == 25
    older = http.get(f"/webhooks/{endpoint.pk}/?before={OutboxMessage.objects.order_by('-id')[24].pk}")
    assert older.content.count(b'class="delivery"') == 5


def test_rotate_disable_enable_delete_are_audited(login, agency_admin, endpoint):
    http = login(agency_admin)
    rotated = http.post(f"/webhooks/{endpoint.pk}/rotate/")
    assert rotated.status_code == 200 and b"whsec_" in rotated.content
    assert http.post(f"/webhooks/{endpoint.pk}/disable/", {"reason": "maintenance"}).status_code == 302
    endpoint.refresh_from_db()
    assert not endpoint.is_active and endpoint.disabled_reason == "maintenance"
    assert http.post(f"/webhooks/{endpoint.pk}/enable/").status_code == 302
    assert http.post(f"/webhooks/{endpoint.pk}/delete/").status_code == 302
    assert not WebhookEndpoint.objects.exists()
    actions = set(AuditEvent.objects.filter(actor=agency_admin).values_list("action", flat=True))
    assert {
        "webhooks.endpoint.rotate_secret",
        "webhooks.endpoint.disable",
        "webhooks.endpoint.enable",
        "webhooks.endpoint.delete",
    } <= actions


def test_the_csrf_token_is_required(login, agency_admin, endpoint):
    http = login(agency_admin, enforce_csrf_checks=True)
    assert http.post(f"/webhooks/{endpoint.pk}/disable/").status_code == 403
