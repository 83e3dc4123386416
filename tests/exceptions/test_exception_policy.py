"""The client's exception policy page and API: agency admins change it (validated in place, audited with before and
after), other internal members read it, external members and other clients' people get a 404; a change is what the
next detection applies."""

from __future__ import annotations

import json

import pytest

from apps.assets.choices import ApprovalState
from apps.assets.models import Asset
from apps.audit.models import AuditEvent
from apps.common.roles import RoleCode
from apps.exceptions import detection
from apps.exceptions.models import Case, ExceptionPolicy
from tests.factories import member

pytestmark = pytest.mark.django_db

URL = "/clients/{}/exception-policy/"
API = "/api/v1/clients/{}/exception-policy/"


def form(**values) -> dict:
    base = {"accepted_providers": "", "accepted_license_types": "", "refused_flags": ""}
    base.update({f"sla_{f}": "" for f in ("metadata", "rights", "policy", "flagged", "report")})
    return {**base, **values}


def test_an_agency_admin_saves_the_policy_audited_and_the_next_checks_apply_it(client, client_a, agency_admin):
    client.force_login(agency_admin)
    page = client.get(URL.format(client_a.slug))
    assert page.status_code == 200 and "Accepted providers" in page.content.decode()
    saved = client.post(
        URL.format(client_a.slug),
        form(accepted_providers="getty, adobe_stock", refused_flags="is_ai", sla_metadata="48"),
    )
    assert saved.status_code == 302
    policy = ExceptionPolicy.objects.get(client=client_a)
    assert policy.accepted_providers == ["getty", "adobe_stock"] and policy.refused_flags == ["is_ai"]
    assert policy.sla_hours == {"metadata": 48}
    event = AuditEvent.objects.get(action="exceptions.policy.update")
    assert event.actor == agency_admin and event.before["accepted_providers"] == []
    assert event.after["sla_hours"] == {"metadata": 48}
    # the next checks apply it: an asset of a provider not accepted is held
    asset = Asset.objects.create(
        client=client_a, content_element_uuid="el-pond", name="Pond", provider="shutterstock",
        approval_state=ApprovalState.APPROVED,
    )  # fmt: skip
    detection.sweep(client=client_a)
    case = Case.objects.get(asset=asset, key="provider#1")
    assert case.evidence["accepted"] == ["getty", "adobe_stock"]
    # saving the same again changes nothing and audits nothing
    client.post(
        URL.format(client_a.slug),
        form(accepted_providers="getty, adobe_stock", refused_flags="is_ai", sla_metadata="48"),
    )
    assert AuditEvent.objects.filter(action="exceptions.policy.update").count() == 1


@pytest.mark.parametrize(
    ("values", "field", "words"),
    [
        ({"accepted_providers": "getty, <script>"}, "accepted_providers", "is not a provider key"),
        ({"refused_flags": "Is AI"}, "refused_flags", "is not a flag key"),
        ({"sla_rights": "0"}, "sla_rights", "between 1 and 8760 hours"),
        ({"sla_policy": "two days"}, "sla_policy", "a whole number of hours"),
    ],
)
def test_a_wrong_value_is_refused_at_its_field_and_nothing_is_saved(
    client, client_a, agency_admin, values, field, words
):
    client.force_login(agency_admin)
    refused = client.post(URL.format(client_a.slug), form(accepted_license_types="rf", **values))
    html = refused.content.decode()
    assert refused.status_code == 400 and words in html
    assert f'id="{field}"' in html and 'aria-invalid="true" autofocus' in html
    assert ExceptionPolicy.objects.filter(client=client_a, accepted_license_types=["rf"]).count() == 0
    assert not AuditEvent.objects.filter(action="exceptions.policy.update").exists()


def test_who_may_read_and_change_the_policy(client, client_a, client_b, external):
    manager = member(client_a, RoleCode.CONTENT_MANAGER, email="cm@acme.example")
    client.force_login(manager)
    page = client.get(URL.format(client_a.slug))
    assert page.status_code == 200 and "Only the client's agency admins can change it" in page.content.decode()
    assert client.post(URL.format(client_a.slug), form(refused_flags="is_ai")).status_code == 403
    assert client.get(URL.format(client_b.slug)).status_code == 404  # another client's
    client.force_login(external)
    assert client.get(URL.format(client_a.slug)).status_code == 404  # an external member
    assert not ExceptionPolicy.objects.filter(refused_flags=["is_ai"]).exists()


def test_the_api_reads_and_changes_the_policy_with_an_admin_token(client_a, client_b, agency_admin, api_token, api):
    reader = api(api_token(agency_admin, scope="read"))
    assert reader.get(API.format(client_a.slug)).json()["accepted_providers"] == []
    assert reader.get(API.format(client_b.slug)).status_code == 404
    body = json.dumps({"refused_flags": ["is_ai"]})
    assert reader.patch(API.format(client_a.slug), body, content_type="application/json").status_code == 403
    admin = api(api_token(agency_admin, scope="admin"))
    answer = admin.patch(
        API.format(client_a.slug),
        json.dumps({"refused_flags": ["is_ai"], "sla_hours": {"flagged": 24}, "reason": "AI content policy"}),
        content_type="application/json",
    )
    assert answer.status_code == 200, answer.content
    assert answer.json()["refused_flags"] == ["is_ai"] and answer.json()["sla_hours"] == {"flagged": 24}
    assert AuditEvent.objects.get(action="exceptions.policy.update").reason == "AI content policy"
    wrong = admin.patch(
        API.format(client_a.slug), json.dumps({"sla_hours": {"weather": 5}}), content_type="application/json"
    )
    assert wrong.status_code == 400 and "sla_hours" in wrong.json()["errors"]
    manager = member(client_a, RoleCode.CONTENT_MANAGER, email="cm@acme.example")
    denied = api(api_token(manager, scope="admin")).patch(
        API.format(client_a.slug), json.dumps({"refused_flags": []}), content_type="application/json"
    )
    assert denied.status_code == 403
    assert ExceptionPolicy.objects.get(client=client_a).refused_flags == ["is_ai"]
