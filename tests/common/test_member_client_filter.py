"""``?client=<slug>`` on the lists (inbox, asset library, cases, audit, their API): the person's own clients from the
membership list they already carry, never another tenant's, with the same answers as the queryset it replaced."""

from __future__ import annotations

import pytest
from django.db import connection
from django.test.utils import CaptureQueriesContext

from apps.common.roles import RoleCode
from tests.factories import member

pytestmark = pytest.mark.django_db


def test_the_options_are_the_persons_clients_and_another_tenant_is_refused(login, client_a, client_b, outsider):
    person = member(client_a, RoleCode.LEGAL, email="only-a@acme.example")
    http = login(person)
    page = http.get("/", {"tab": "team"}).content.decode()
    assert f'<option value="{client_a.slug}"' in page
    assert f'value="{client_b.slug}"' not in page  # another tenant is not offered
    refused = http.get("/", {"tab": "team", "client": client_b.slug})
    assert refused.status_code == 200
    assert "not one of the available choices" in refused.content.decode()


def test_the_api_refuses_another_tenants_slug_and_filters_by_its_own(api, api_token, client_a, client_b, legal):
    http = api(api_token(legal))
    refused = http.get("/api/v1/assets/", {"client": client_b.slug})
    assert refused.status_code == 400
    assert "client" in refused.json().get("errors", refused.json())
    http.get("/api/v1/assets/", {"client": client_a.slug})  # warm: token, person
    with CaptureQueriesContext(connection) as seen:
        assert http.get("/api/v1/assets/", {"client": client_a.slug}).status_code == 200
    assert not any('FROM "clients_client"' in q["sql"] and "slug" in q["sql"].split("WHERE")[-1] for q in seen)


def test_a_token_bound_to_one_client_is_offered_that_client_only(api, api_token, client_a, client_b, legal):
    from apps.accounts.models import Membership

    Membership.objects.create(user=legal, client=client_b)
    bound = api(api_token(legal, client=client_a))
    assert bound.get("/api/v1/assets/", {"client": client_a.slug}).status_code == 200
    assert bound.get("/api/v1/assets/", {"client": client_b.slug}).status_code == 400
    free = api(api_token(legal))
    assert free.get("/api/v1/assets/", {"client": client_b.slug}).status_code == 200
