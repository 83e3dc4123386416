"""S7: API tokens are hashed, scoped, expiring, revocable and bound to their tenant."""

from datetime import timedelta

import pytest
from django.core.management import call_command
from django.utils import timezone

from apps.accounts.models import ApiToken
from apps.accounts.services import TokenError, create_api_token, revoke_api_token
from apps.audit.models import AuditEvent
from apps.common.roles import RoleCode
from tests.factories import member

pytestmark = pytest.mark.django_db


def test_only_a_hash_of_the_key_is_stored(agency_admin):
    issued = create_api_token(agency_admin, actor=agency_admin, name="ci", scope="write")
    token = ApiToken.objects.get()
    assert issued.key.startswith(token.prefix + "_")
    assert issued.key not in {token.key_hash, token.prefix, token.name}
    assert token.key_hash == ApiToken.hash_key(issued.key)
    assert AuditEvent.objects.filter(action="accounts.apitoken.create", object_id=str(token.pk)).exists()


def test_a_valid_token_authenticates_and_records_its_use(agency_admin, api_token, api):
    key = api_token(agency_admin)
    response = api(key).get("/api/v1/me/")
    assert response.status_code == 200
    assert response.json()["email"] == agency_admin.email
    assert response.json()["token"]["scope"] == "read"
    assert ApiToken.objects.get().last_used_at is not None


@pytest.mark.parametrize("state", ["revoked", "expired", "unknown", "inactive user"])
def test_refused_tokens_get_401_and_leave_last_used_unchanged(state, agency_admin, api_token, api):
    key = api_token(agency_admin)
    token = ApiToken.objects.get()
    if state == "revoked":
        revoke_api_token(token, actor=agency_admin)
    elif state == "expired":
        past = timezone.now() - timedelta(days=2)
        ApiToken.objects.filter(pk=token.pk).update(created_at=past, expires_at=past + timedelta(days=1))
    elif state == "unknown":
        key = key[:-4] + "XXXX"
    else:
        agency_admin.is_active = False
        agency_admin.save(update_fields=["is_active"])
    response = api(key).get("/api/v1/me/")
    assert response.status_code == 401
    assert response["Content-Type"] == "application/problem+json"
    assert response["WWW-Authenticate"] == "Token"
    assert response.json()["detail"] == "Invalid, expired or revoked token."
    assert ApiToken.objects.get().last_used_at is None


def test_a_read_token_cannot_write(agency_admin, client_a, api_token, api):
    response = api(api_token(agency_admin, "read")).patch(
        f"/api/v1/clients/{client_a.slug}/", {"rights_warning_days": 10}, content_type="application/json"
    )
    assert response.status_code == 403
    client_a.refresh_from_db()
    assert client_a.rights_warning_days == 30


def test_changing_policies_needs_an_admin_token_not_just_write(agency_admin, client_a, api_token, api):
    body = {"rights_warning_days": 10}
    write = api(api_token(agency_admin, "write")).patch(f"/api/v1/clients/{client_a.slug}/", body, "application/json")
    assert write.status_code == 403
    admin = api(api_token(agency_admin, "admin")).patch(f"/api/v1/clients/{client_a.slug}/", body, "application/json")
    assert admin.status_code == 200
    assert admin.json()["rights_warning_days"] == 10


def test_a_token_bound_to_one_client_sees_nothing_of_the_users_other_clients(client_a, client_b, api_token, api):
    user = member(client_a, RoleCode.AGENCY_ADMIN, email="both@example.com")
    from tests.factories import MembershipFactory

    MembershipFactory(user=user, client=client_b, roles=[RoleCode.AGENCY_ADMIN])
    bound = api(api_token(user, client=client_a))
    assert [c["slug"] for c in bound.get("/api/v1/clients/").json()["results"]] == ["acme"]
    assert bound.get(f"/api/v1/clients/{client_b.slug}/").status_code == 404
    unbound = api(api_token(user))
    assert sorted(c["slug"] for c in unbound.get("/api/v1/clients/").json()["results"]) == ["acme", "beta"]


def test_a_token_cannot_be_bound_to_a_client_the_user_is_not_in(agency_admin, client_b):
    with pytest.raises(TokenError):
        create_api_token(agency_admin, actor=agency_admin, name="x", client=client_b)


@pytest.mark.parametrize("days", [0, 731])
def test_token_lifetime_is_bounded(agency_admin, days):
    with pytest.raises(TokenError):
        create_api_token(agency_admin, actor=agency_admin, name="x", expires_days=days)


def test_revoking_from_the_profile_page_stops_the_key_at_once(agency_admin, login, api_token, api):
    key = api_token(agency_admin, "write")
    token = ApiToken.objects.get()
    browser = login(agency_admin)
    assert browser.post(f"/accounts/tokens/{token.pk}/revoke/").status_code == 302
    assert api(key).get("/api/v1/me/").status_code == 401


def test_someone_elses_token_cannot_be_revoked(agency_admin, legal, login, api_token):
    api_token(agency_admin)
    token = ApiToken.objects.get()
    assert login(legal).post(f"/accounts/tokens/{token.pk}/revoke/").status_code == 404
    assert ApiToken.objects.get().revoked_at is None


def test_the_profile_page_shows_a_new_key_once(agency_admin, login):
    browser = login(agency_admin)
    response = browser.post("/accounts/tokens/new/", {"name": "DAM job", "scope": "write", "expires_days": 30})
    assert response.status_code == 201
    assert response["Cache-Control"] == "no-store"
    token = ApiToken.objects.get()
    page = response.content.decode()
    key = page.split('id="issued-key"')[1].split('value="')[1].split('"')[0]
    assert ApiToken.hash_key(key) == token.key_hash
    assert key not in browser.get("/accounts/profile/").content.decode()


def test_the_profile_form_refuses_bad_input_and_keeps_what_was_typed(agency_admin, login):
    response = login(agency_admin).post(
        "/accounts/tokens/new/", {"name": "DAM job", "scope": "root", "expires_days": 9999}
    )
    assert response.status_code == 400
    assert ApiToken.objects.count() == 0
    assert 'value="DAM job"' in response.content.decode()


def test_the_profile_form_binds_a_key_to_one_of_my_clients_only(agency_admin, client_a, client_b, login):
    browser = login(agency_admin)
    page = browser.get("/accounts/profile/").content.decode()
    assert f'<option value="{client_a.pk}">{client_a.name}</option>' in page
    assert client_b.name not in page  # the choice is built from the user's own memberships
    body = {"name": "DAM job", "scope": "read", "expires_days": 30}
    assert browser.post("/accounts/tokens/new/", {**body, "client": client_b.pk}).status_code == 400
    assert ApiToken.objects.count() == 0
    assert browser.post("/accounts/tokens/new/", {**body, "client": client_a.pk}).status_code == 201
    assert ApiToken.objects.get().client == client_a
    assert browser.post("/accounts/tokens/new/", {**body, "client": ""}).status_code == 201
    assert ApiToken.objects.filter(client__isnull=True).count() == 1


def test_command_prints_the_key_once_on_stdout(agency_admin, client_a, capsys):
    call_command("create_api_token", agency_admin.email, "--scope", "write", "--expires-days", "7", "--client", "acme")
    out, err = capsys.readouterr()
    key = out.strip()
    token = ApiToken.objects.get()
    assert token.key_hash == ApiToken.hash_key(key)
    assert token.scope == "write" and token.client == client_a
    assert (token.expires_at - token.created_at).days == 7
    assert key not in err and token.prefix in err


def test_command_binds_only_to_a_client_the_user_is_a_member_of(agency_admin, client_a, client_b):
    from django.core.management.base import CommandError

    for slug in (client_b.slug, "nowhere"):
        with pytest.raises(CommandError, match=f"not a member of a client with slug '{slug}'"):
            call_command("create_api_token", agency_admin.email, "--client", slug)
    assert ApiToken.objects.count() == 0


def test_command_refuses_unknown_users_clearly(db):
    from django.core.management.base import CommandError

    with pytest.raises(CommandError, match="No active user"):
        call_command("create_api_token", "ghost@example.com")
