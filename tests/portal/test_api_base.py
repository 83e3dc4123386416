"""The API's shared behaviour: the committed schema, its docs, problem documents, throttling, pagination."""

import json
from pathlib import Path

import pytest
from django.core.management import call_command

ROOT = Path(__file__).resolve().parents[2]
SCHEMA = ROOT / "docs" / "api" / "openapi.json"


def test_committed_schema_matches_the_code(tmp_path):
    generated = tmp_path / "openapi.json"
    call_command("spectacular", "--file", str(generated), "--format", "openapi-json", "--validate", "--fail-on-warn")
    assert json.loads(generated.read_text()) == json.loads(SCHEMA.read_text()), (
        "The API changed: run `make schema` and commit docs/api/openapi.json."
    )


@pytest.mark.django_db
def test_schema_and_docs_are_served_without_any_cdn(client):
    schema = client.get("/api/v1/schema/", headers={"Accept": "application/vnd.oai.openapi+json"})
    assert schema.status_code == 200
    docs = client.get("/api/v1/docs/").content.decode()
    assert "/static/drf_spectacular_sidecar/swagger-ui-dist/swagger-ui-bundle.js" in docs
    assert "cdn" not in docs.lower() and "//unpkg" not in docs and "https://" not in docs
    init = client.get("/api/v1/docs/?script=")
    assert init.status_code == 200 and "SwaggerUIBundle" in init.content.decode()


@pytest.mark.django_db
def test_unknown_api_paths_answer_with_a_problem_document(client):
    response = client.get("/api/v1/no-such-thing/")
    assert response.status_code == 404
    assert response["Content-Type"] == "application/problem+json"
    body = response.json()
    assert body["type"] == "urn:greenlight:problem:not-found" and body["instance"] == "/api/v1/no-such-thing/"


@pytest.mark.django_db
def test_method_not_allowed_is_a_problem_document_with_allow(agency_admin, api_token, api):
    response = api(api_token(agency_admin, "admin")).delete("/api/v1/clients/acme/")
    assert response.status_code == 405
    assert response.json()["type"] == "urn:greenlight:problem:method-not-allowed"
    assert "PATCH" in response["Allow"]


@pytest.mark.django_db
def test_each_token_has_its_own_throttle_budget(agency_admin, api_token, api, settings):
    from django.core.cache import cache
    from rest_framework.settings import api_settings
    from rest_framework.throttling import SimpleRateThrottle

    cache.clear()
    rates = {"principal": "3/min"}
    original = SimpleRateThrottle.THROTTLE_RATES
    SimpleRateThrottle.THROTTLE_RATES = rates
    try:
        first, second = api(api_token(agency_admin)), api(api_token(agency_admin))
        assert [first.get("/api/v1/me/").status_code for _ in range(3)] == [200, 200, 200]
        limited = first.get("/api/v1/me/")
        assert limited.status_code == 429
        assert limited["Content-Type"] == "application/problem+json"
        assert int(limited["Retry-After"]) > 0
        assert second.get("/api/v1/me/").status_code == 200
    finally:
        SimpleRateThrottle.THROTTLE_RATES = original
        cache.clear()
    assert api_settings.DEFAULT_THROTTLE_CLASSES


@pytest.mark.django_db
def test_audit_api_pages_by_cursor_and_filters(client_a, legal, api_token, api):
    from tests.factories import AuditEventFactory

    AuditEventFactory.create_batch(7, client=client_a, action="clients.client.update_policies")
    AuditEventFactory.create_batch(2, client=client_a, action="accounts.apitoken.create")
    http = api(api_token(legal))
    page = http.get("/api/v1/audit-events/", {"page_size": 5, "client": "acme"}).json()
    assert len(page["results"]) == 5 and page["next"]
    rest = http.get(page["next"]).json()
    assert len(rest["results"]) == 4 and rest["next"] is None
    ids = [e["id"] for e in page["results"] + rest["results"]]
    assert ids == sorted(ids, reverse=True)
    filtered = http.get("/api/v1/audit-events/", {"action": "accounts.", "client": "acme"}).json()
    assert len(filtered["results"]) == 2


def _cursor(query: str) -> str:
    import base64

    return base64.b64encode(query.encode()).decode()


@pytest.mark.django_db
@pytest.mark.parametrize(
    "params",
    [
        {"cursor": _cursor("p=abc")},
        {"cursor": _cursor("p=" + "9" * 40)},
        {"cursor": _cursor("o=x")},
        {"cursor": "not base64 ²"},
        {"page_size": "null"},
        {"page_size": "²"},
        {"page_size": "0"},
        {"page_size": "501"},
        {"page_size": "9" * 400},
    ],
)
def test_a_cursor_or_page_size_the_api_never_handed_out_is_a_400_naming_it(legal, api_token, api, params):
    response = api(api_token(legal)).get("/api/v1/audit-events/", params)
    assert response.status_code == 400, response.content[:300]
    assert response["Content-Type"] == "application/problem+json"
    assert next(iter(params)) in response.json()["errors"]


@pytest.mark.django_db
def test_a_body_nested_beyond_any_reason_is_a_400_not_a_recursion_error(agency_admin, api_token, api):
    http = api(api_token(agency_admin, scope="write"))
    response = http.post("/api/v1/comments/", "[" * 200_000, content_type="application/json")
    assert response.status_code == 400
    assert response["Content-Type"] == "application/problem+json"
    assert "nested too deeply" in response.json()["detail"]


@pytest.mark.django_db
@pytest.mark.parametrize(
    "since", ["2026-01-01T00:00:00+23:00", "2026-01-01T00:00:00-16:00", "2024-13-45T00:00:00", "²", "9" * 400]
)
def test_a_date_time_no_database_stores_is_a_400_on_the_api_and_a_message_in_html(legal, api_token, api, login, since):
    response = api(api_token(legal)).get("/api/v1/audit-events/", {"since": since})
    assert response.status_code == 400, response.content[:300]
    assert "since" in response.json()["errors"]
    page = login(legal).get("/audit/", {"since": since})
    assert page.status_code in (200, 400)
    assert "Enter a valid date/time" in page.content.decode()


@pytest.mark.django_db
def test_the_largest_offset_a_database_stores_is_accepted(legal, api_token, api):
    assert api(api_token(legal)).get("/api/v1/audit-events/", {"since": "2026-01-01T00:00:00+15:59"}).status_code == 200


@pytest.mark.django_db
@pytest.mark.parametrize("param", ["occurred_after", "occurred_before"])
def test_usage_filters_refuse_offsets_no_database_stores(legal, api_token, api, param):
    response = api(api_token(legal)).get("/api/v1/usage-events/", {param: "2026-01-01T00:00:00+23:00"})
    assert response.status_code == 400
    assert param in response.json()["errors"]
