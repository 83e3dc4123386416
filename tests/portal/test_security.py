"""S4, S5: CSRF on htmx posts and the security headers of every page."""

import pytest

pytestmark = pytest.mark.django_db


def test_pages_carry_the_security_headers(legal, login):
    response = login(legal).get("/")
    csp = response["Content-Security-Policy"]
    assert "script-src 'self' 'nonce-" in csp
    assert "unsafe-eval" not in csp and "unsafe-inline" not in csp
    assert "frame-ancestors 'none'" in csp and "object-src 'none'" in csp
    assert response["X-Frame-Options"] == "DENY"
    assert response["X-Content-Type-Options"] == "nosniff"
    assert response["Referrer-Policy"] == "same-origin"
    assert response["X-Request-ID"]
    nonce = csp.split("'nonce-")[1].split("'")[0]
    page = response.content.decode()
    assert page.count("<script") == page.count(f'nonce="{nonce}"')
    assert "<script>" not in page and " on" + "click=" not in page


def test_htmx_post_without_csrf_token_is_refused(client_a, agency_admin, login):
    browser = login(agency_admin, enforce_csrf_checks=True)
    response = browser.post("/clients/switch/", {"client": "acme"}, headers={"HX-Request": "true"})
    assert response.status_code == 403


def test_htmx_post_with_the_body_csrf_header_is_accepted(client_a, agency_admin, login):
    browser = login(agency_admin, enforce_csrf_checks=True)
    page = browser.get("/").content.decode()
    token = page.split('"X-CSRFToken": "')[1].split('"')[0]
    response = browser.post(
        "/clients/switch/", {"client": "acme"}, headers={"HX-Request": "true", "X-CSRFToken": token}
    )
    assert response.status_code == 302
