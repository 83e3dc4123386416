"""Sharing through ``/api/v1/shares/`` and through the control on a case's (and an asset's) page."""

from __future__ import annotations

from datetime import timedelta

import pytest
from django.db import connection
from django.template import Context, Template
from django.test import RequestFactory
from django.test.utils import CaptureQueriesContext
from django.utils import timezone

from apps.common.roles import RoleCode
from apps.sharing.models import Share
from tests.factories import member

pytestmark = pytest.mark.django_db


def _until(days=10) -> str:
    return (timezone.localdate() + timedelta(days=days)).isoformat()


def _post(http, url, body):
    return http.post(url, body, content_type="application/json")


# -- API -------------------------------------------------------------------------------------------------------------
def test_an_internal_member_shares_lists_and_revokes_through_the_api(world, legal, external, api_token, api):
    http = api(api_token(legal, "write"))
    body = {"subject_type": "asset", "subject": world["secret"].pk, "user": "EXTERNAL@acme.example", "until": _until()}
    created = _post(http, "/api/v1/shares/", body)
    assert created.status_code == 201, created.content
    share = created.json()
    assert {k: share[k] for k in ("client", "subject_type", "subject", "subject_label", "user", "state")} == {
        "client": "acme",
        "subject_type": "asset",
        "subject": world["secret"].pk,
        "subject_label": "Secret hero",
        "user": external.email,
        "state": "active",
    }
    assert share["shared_by"] == legal.email and share["revoked_at"] is None
    listed = http.get("/api/v1/shares/", {"subject_type": "asset", "state": "active", "user": external.email})
    assert {row["subject"] for row in listed.json()["results"]} == {world["shared"].pk, world["secret"].pk}
    assert http.get("/api/v1/shares/", {"subject_type": "case"}).json()["results"][0]["subject_label"] == "Shared case"
    revoked = _post(http, f"/api/v1/shares/{share['id']}/revoke/", {})
    assert revoked.status_code == 200 and revoked.json()["state"] == "revoked"
    assert revoked.json()["revoked_by"] == legal.email
    again = _post(http, f"/api/v1/shares/{share['id']}/revoke/", {})
    assert again.status_code == 400 and "status" in again.json()["errors"]
    assert http.get("/api/v1/shares/", {"state": "revoked"}).json()["results"][0]["id"] == share["id"]


@pytest.mark.parametrize(
    ("change", "field"),
    [
        ({"subject": 10**9}, "subject"),
        ({"subject": "²"}, "subject"),
        ({"subject_type": "client"}, "subject_type"),
        ({"user": "legal@acme.example"}, "user"),  # an internal member sees it anyway
        ({"user": "nobody@nowhere.example"}, "user"),
        ({"until": _until(400)}, "until"),
        ({"until": "2026-02-30"}, "until"),
    ],
)
def test_a_share_that_cannot_be_made_is_a_400_naming_the_field(world, legal, api_token, api, change, field):
    body = {"subject_type": "asset", "subject": world["secret"].pk, "user": "external@acme.example", "until": _until()}
    response = _post(api(api_token(legal, "write")), "/api/v1/shares/", {**body, **change})
    assert response.status_code == 400, response.content
    assert field in response.json()["errors"]
    assert not Share.objects.filter(subject_id=world["secret"].pk, subject_type="assets.asset").exists()


def test_another_clients_subject_cannot_be_shared(world, outsider, api_token, api):
    body = {"subject_type": "asset", "subject": world["secret"].pk, "user": "external@acme.example", "until": _until()}
    response = _post(api(api_token(outsider, "write")), "/api/v1/shares/", body)
    assert response.status_code == 400 and "subject" in response.json()["errors"]


def test_an_external_member_or_a_read_token_cannot_share_or_revoke(world, external, legal, api_token, api):
    body = {"subject_type": "asset", "subject": world["shared"].pk, "user": external.email, "until": _until(20)}
    own = api(api_token(external, "write"))
    assert _post(own, "/api/v1/shares/", body).status_code == 403
    assert _post(own, f"/api/v1/shares/{world['asset_share'].pk}/revoke/", {}).status_code == 403
    reader = api(api_token(legal, "read"))
    assert _post(reader, "/api/v1/shares/", body).status_code == 403
    assert _post(reader, f"/api/v1/shares/{world['asset_share'].pk}/revoke/", {}).status_code == 403
    assert reader.get(f"/api/v1/shares/{world['asset_share'].pk}/revoke/").status_code == 405
    assert Share.objects.get(pk=world["asset_share"].pk).state == "active"


# -- HTML ------------------------------------------------------------------------------------------------------------
def test_the_case_page_shares_and_revokes_with_its_control(world, legal, external, login):
    browser = login(legal)
    page = browser.get(f"/cases/{world['unshared_case'].pk}/").content.decode()
    assert 'action="/shares/"' in page and f'<option value="{external.email}">' in page
    assert "Not shared with anyone outside the client." in page
    response = browser.post(
        "/shares/",
        {
            "subject_type": "exceptions.case",
            "subject": world["unshared_case"].pk,
            "user": external.email,
            "until": _until(5),
            "next": f"/cases/{world['unshared_case'].pk}/",
        },
        follow=True,
    )
    assert response.redirect_chain[-1][0] == f"/cases/{world['unshared_case'].pk}/"
    page = response.content.decode()
    assert f"Shared “Unshared case” with {external.email}" in page
    share = Share.objects.get(subject_type="exceptions.case", subject_id=world["unshared_case"].pk)
    assert f'action="/shares/{share.pk}/revoke/"' in page
    assert "sharing.share.grant" in page  # on the case's timeline
    revoked = browser.post(f"/shares/{share.pk}/revoke/", {"next": "https://evil.example/"})
    assert (revoked.status_code, revoked.url) == (302, "/")
    share.refresh_from_db()
    assert share.state == "revoked"


@pytest.mark.parametrize(
    ("change", "message"),
    [
        ({"until": "2026-02-30"}, "Enter a valid date."),
        ({"until": _until(400)}, "Share until a day from today to 365 days ahead."),
        ({"user": "legal@acme.example"}, "Select a valid choice."),
        ({"subject": "²"}, "Enter a whole number."),
    ],
)
def test_a_share_form_that_cannot_be_used_is_a_400_with_its_message(world, legal, login, change, message):
    body = {"subject_type": "assets.asset", "subject": world["secret"].pk, "user": "external@acme.example"}
    response = login(legal).post("/shares/", {**body, "until": _until(), **change})
    assert response.status_code == 400
    assert message in response.content.decode()
    assert not Share.objects.filter(subject_id=world["secret"].pk, subject_type="assets.asset").exists()


def test_the_share_form_is_a_404_for_what_the_person_cannot_see_and_a_403_for_an_external(
    world, external, outsider, login
):
    body = {"subject_type": "assets.asset", "subject": world["shared"].pk, "user": external.email, "until": _until()}
    assert login(outsider).post("/shares/", body).status_code == 404
    assert login(external).post("/shares/", body).status_code == 403
    assert login(external).post(f"/shares/{world['asset_share'].pk}/revoke/").status_code == 403
    assert login(outsider).post(f"/shares/{world['asset_share'].pk}/revoke/").status_code == 404


def _control(user, subject) -> str:
    request = RequestFactory().get(f"/assets/{subject.pk}/")
    request.user = user
    return Template("{% load sharing %}{% share_control subject %}").render(
        Context({"request": request, "subject": subject, "csrf_token": "t"})
    )


def test_the_control_for_the_asset_page_shows_each_viewer_what_concerns_them(world, legal, external, outsider):
    inside = _control(legal, world["shared"])
    assert "Shared with external members" in inside and external.email in inside and "Unshare" in inside
    assert 'name="subject_type" value="assets.asset"' in inside
    assert f'name="subject" value="{world["shared"].pk}"' in inside
    assert "Shared with you until" in _control(external, world["shared"])
    assert "Unshare" not in _control(external, world["shared"])
    assert _control(outsider, world["shared"]).strip() == ""


def test_the_control_reads_the_external_members_once_to_offer_them(world, legal, external, client_a):
    """Whether there is anyone to share with and the picker's options come from one read of the external members
    (the field alone read them again to draw its options)."""
    later = member(client_a, RoleCode.EXTERNAL, email="zoe-external@acme.example")
    with CaptureQueriesContext(connection) as captured:
        html = _control(legal, world["shared"])
    picker = html[html.index('name="user"') :]
    assert picker.index(external.email) < picker.index(later.email)  # both offered, by e-mail
    assert "Choose an external member" in picker
    reads = [q["sql"] for q in captured if 'FROM "accounts_user"' in q["sql"].split(" WHERE ")[0]]
    assert len(reads) == 1, reads
    assert "no external members to share with" not in html
