"""The person behind a request, read once and kept (``accounts.backends.principal``, the per-person cache): a signed-in
page and an API token's request share the entry, and every change that moves what it holds is seen on the next
request, through either door."""

from __future__ import annotations

from datetime import timedelta

import pytest
from django.db import connection
from django.test.utils import CaptureQueriesContext
from django.utils import timezone

from apps.accounts.backends import principal
from apps.accounts.models import Membership, Role
from apps.assets.choices import ApprovalState
from apps.common.roles import RoleCode
from tests.factories import MembershipFactory, member
from tests.reviews.factories import licensed_asset

pytestmark = pytest.mark.django_db

ASSETS = "/api/v1/assets/"


def _names(response) -> list[str]:
    return sorted(row["name"] for row in response.json()["results"])


def test_a_token_request_and_a_page_share_the_person_read_once(legal, api_token, api):
    caller = api(api_token(legal))
    assert caller.get(ASSETS).status_code == 200
    with CaptureQueriesContext(connection) as queries:
        user, memberships = principal(legal.pk)
    assert len(queries) == 0  # kept by the token's request
    assert user.pk == legal.pk and [m.client.slug for m in memberships] == ["acme"]


def test_a_token_bound_to_a_client_acts_in_that_client_only(client_a, client_b, api_token, api):
    user = member(client_a, RoleCode.LEGAL, email="two@example.com")
    MembershipFactory(user=user, client=client_b, roles=[RoleCode.LEGAL])
    licensed_asset(client_a, name="A's asset", approval=ApprovalState.APPROVED)
    licensed_asset(client_b, name="B's asset", approval=ApprovalState.APPROVED)
    assert _names(api(api_token(user)).get(ASSETS)) == ["A's asset", "B's asset"]
    bound = api(api_token(user, client=client_b))
    assert _names(bound.get(ASSETS)) == ["B's asset"]
    assert _names(bound.get(ASSETS)) == ["B's asset"]  # the shared entry still holds both memberships


def test_a_membership_ended_is_seen_by_the_next_token_request_and_page(client_a, client_b, api_token, api, login):
    user = member(client_a, RoleCode.LEGAL, email="two@example.com")
    in_b = MembershipFactory(user=user, client=client_b, roles=[RoleCode.LEGAL])
    asset = licensed_asset(client_b, name="B's asset", approval=ApprovalState.APPROVED)
    caller, page = api(api_token(user)), login(user)
    assert _names(caller.get(ASSETS)) == ["B's asset"]
    assert page.get(f"/assets/{asset.pk}/").status_code == 200
    in_b.delete()
    assert _names(caller.get(ASSETS)) == []
    assert page.get(f"/assets/{asset.pk}/").status_code == 404


def test_a_role_taken_away_from_its_side_is_seen_at_once(client_a, legal, api_token, api):
    caller = api(api_token(legal))
    assert caller.get("/api/v1/tasks/").status_code == 200
    Role.objects.get(code=RoleCode.LEGAL).memberships.clear()  # the role's side: every holder's entry is old
    _, memberships = principal(legal.pk)
    assert [m.role_codes for m in memberships] == [[]]


def test_a_delegate_changed_is_seen_by_those_they_stand_in_for(client_a, legal):
    deputy = member(client_a, RoleCode.LEGAL, email="deputy@acme.example")
    Membership.objects.filter(user=legal).update(
        delegate=deputy, away_from=timezone.now(), away_until=timezone.now() + timedelta(days=3)
    )
    from apps.common import user_cache

    user_cache.forget("principal", [legal.pk])  # the update() above went behind the signals' back
    assert principal(legal.pk)[1][0].delegate.full_name == deputy.full_name
    deputy.full_name = "Renamed"
    deputy.save()
    assert principal(legal.pk)[1][0].delegate.full_name == "Renamed"
    deputy.last_login = timezone.now()
    with CaptureQueriesContext(connection) as queries:
        deputy.save(update_fields=["last_login"])  # a sign-in: nobody else's entry is touched
    assert not any("accounts_membership" in query["sql"] for query in queries)


def test_a_wrong_user_remembered_for_a_token_is_never_trusted(client_a, client_b, legal, outsider, api_token, api):
    """The process remembers which user a token's hash belongs to, to read both cache entries at once; a wrong
    entry there (ids are reused after a database is reset) is checked against the token and corrected."""
    from apps.accounts import authentication
    from apps.accounts.models import ApiToken

    licensed_asset(client_b, name="B's asset", approval=ApprovalState.APPROVED)
    key = api_token(legal)
    caller = api(key)
    assert caller.get(ASSETS).status_code == 200
    key_hash = ApiToken.hash_key(key)
    assert authentication._TOKEN_USERS[key_hash] == legal.pk
    authentication._TOKEN_USERS[key_hash] = outsider.pk  # client_b's member
    principal(outsider.pk)  # and their entry is in the cache
    assert caller.get("/api/v1/me/").json()["email"] == legal.email
    assert "B's asset" not in _names(caller.get(ASSETS))
    assert authentication._TOKEN_USERS[key_hash] == legal.pk
