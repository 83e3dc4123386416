"""Issue 11, item 3: an external member sees only what was explicitly shared with them, in the pages and the API
alike: assets, review cycles and tasks, cases, usage events, comments, the audit trail and the member list."""

from __future__ import annotations

from datetime import timedelta

import pytest
from django.utils import timezone

from apps.common.roles import RoleCode
from apps.sharing import services as sharing
from apps.sharing.models import Share
from tests.factories import MembershipFactory

pytestmark = pytest.mark.django_db


def _ids(response) -> set[int]:
    assert response.status_code == 200, response.content[:300]
    return {row["id"] for row in response.json()["results"]}


@pytest.fixture
def external_api(external, api_token, api):
    return api(api_token(external, "write"))


def test_the_api_shows_an_external_member_only_what_was_shared(world, external_api):
    assert _ids(external_api.get("/api/v1/assets/")) == {world["shared"].pk}
    assert _ids(external_api.get("/api/v1/review-cycles/")) == {world["shared_run"].pk}
    assert _ids(external_api.get("/api/v1/cases/")) == {world["shared_case"].pk}
    assert _ids(external_api.get("/api/v1/comments/")) == {world["shared_comment"].pk}
    usage = external_api.get("/api/v1/usage-events/").json()["results"]
    assert [row["id"] for row in usage] == [world["shared_usage"].uuid]
    assert _ids(external_api.get("/api/v1/tasks/")) == set()  # no role of theirs is a task's candidate
    assert _client_events(external_api) == []
    assert _ids(external_api.get("/api/v1/shares/")) == {world["asset_share"].pk, world["case_share"].pk}
    for hidden in (
        f"/api/v1/assets/{world['secret'].pk}/",
        f"/api/v1/assets/{world['secret'].pk}/rights/",
        f"/api/v1/review-cycles/{world['secret_run'].pk}/",
        f"/api/v1/cases/{world['unshared_case'].pk}/",
        f"/api/v1/tasks/{world['secret_task'].pk}/",
        f"/api/v1/shares/{world['b_share'].pk}/",
    ):
        assert external_api.get(hidden).status_code == 404, hidden
    assert external_api.get(f"/api/v1/assets/{world['shared'].pk}/").status_code == 200
    comment = {"run": world["secret_run"].pk, "body": "Let me in"}
    assert external_api.post("/api/v1/comments/", comment, content_type="application/json").status_code == 400


def test_the_pages_show_an_external_member_only_what_was_shared(world, external, login):
    browser = login(external)
    library = browser.get("/assets/").content.decode()
    assert "Shared hero" in library and "Secret hero" not in library
    assert browser.get(f"/assets/{world['secret'].pk}/").status_code == 404
    page = browser.get(f"/assets/{world['shared'].pk}/").content.decode()
    assert "Shared remark" in page and "Secret remark" not in page
    cases = browser.get("/cases/").content.decode()
    assert "Shared case" in cases and "Unshared case" not in cases
    assert browser.get(f"/cases/{world['unshared_case'].pk}/").status_code == 404
    case_page = browser.get(f"/cases/{world['shared_case'].pk}/").content.decode()
    assert "Shared case" in case_page
    assert "secret-downloader@acme.example" not in case_page  # the case's asset was not shared, nor its usage
    assert "Shared with you until" in case_page
    assert 'action="/shares/"' not in case_page  # an external member does not pass on what they were given
    assert browser.post(f"/assets/{world['secret'].pk}/comment/", {"body": "x"}).status_code == 404
    calendar = browser.get("/cases/calendar/").content.decode()
    assert "Secret hero" not in calendar and "Unshared case" not in calendar


def test_an_external_member_sees_no_one_else_in_the_member_list(world, external, legal, login, api_token, api):
    """Issue 12 item 8: the client page (its policies, connection and members) is not for an external member at all;
    their own membership is what ``/api/v1/me/`` says."""
    response = login(external).get("/clients/acme/")
    assert response.status_code == 404 and legal.email not in response.content.decode()
    me = api(api_token(external)).get("/api/v1/me/").json()
    assert [m["roles"] for m in me["memberships"]] == [["external"]]


def test_internal_members_still_see_the_whole_client(world, legal, api_token, api):
    http = api(api_token(legal))
    assert _ids(http.get("/api/v1/assets/")) == {world["shared"].pk, world["secret"].pk}
    assert len(_ids(http.get("/api/v1/cases/"))) == 2
    assert len(http.get("/api/v1/usage-events/").json()["results"]) == 2


def test_a_revoked_or_expired_share_shows_nothing_any_more(world, external, legal, external_api):
    sharing.unshare(world["asset_share"], actor=legal)
    assert _ids(external_api.get("/api/v1/assets/")) == set()
    assert _ids(external_api.get("/api/v1/review-cycles/")) == set()
    assert external_api.get("/api/v1/usage-events/").json()["results"] == []
    Share.objects.filter(pk=world["case_share"].pk).update(
        created_at=timezone.now() - timedelta(days=2), expires_at=timezone.now() - timedelta(seconds=1)
    )
    assert _ids(external_api.get("/api/v1/cases/")) == set()
    assert external_api.get(f"/api/v1/cases/{world['shared_case'].pk}/").status_code == 404


def test_an_external_member_with_a_candidate_role_works_only_shared_tasks(world, client_a, external, api_token, api):
    """An outside legal counsel: ``external`` and ``legal``. They decide the legal tasks of what was shared with them,
    and their legal role grants no audit trail."""
    external.memberships.get(client=client_a).roles.add(*_roles(RoleCode.LEGAL))
    http = api(api_token(external, "write"))
    assert _ids(http.get("/api/v1/tasks/")) == {world["shared_task"].pk, world["case_task"].pk}
    assert http.post(f"/api/v1/tasks/{world['secret_task'].pk}/claim/").status_code == 404
    assert http.post(f"/api/v1/tasks/{world['shared_task'].pk}/claim/").status_code == 200
    assert _client_events(http) == []  # their claim is on record, but not for them to read
    assert not external.has_capability(client_a, "view_audit")


def test_an_external_member_holding_a_task_loses_it_with_the_share(world, client_a, external, legal, api_token, api):
    external.memberships.get(client=client_a).roles.add(*_roles(RoleCode.LEGAL))
    http = api(api_token(external, "write"))
    assert http.post(f"/api/v1/tasks/{world['shared_task'].pk}/claim/").status_code == 200
    sharing.unshare(world["asset_share"], actor=legal)
    assert http.get(f"/api/v1/tasks/{world['shared_task'].pk}/").status_code == 404
    body = {"outcome": "approved", "reason": "ok"}
    decided = http.post(f"/api/v1/tasks/{world['shared_task'].pk}/decision/", body, content_type="application/json")
    assert decided.status_code == 404


def test_external_in_one_client_and_internal_in_another_sees_the_other_whole(world, client_b, external, api_token, api):
    MembershipFactory(user=external, client=client_b, roles=[RoleCode.LEGAL])
    assets = {row["name"] for row in api(api_token(external)).get("/api/v1/assets/").json()["results"]}
    assert assets == {"Shared hero", "Beta hero"}
    bound = api(api_token(external, client=client_b)).get("/api/v1/assets/").json()["results"]
    assert [row["name"] for row in bound] == ["Beta hero"]


def _client_events(http) -> list:
    """The client's audit events the caller reads (their own sign-in and token events belong to no client)."""
    response = http.get("/api/v1/audit-events/")
    assert response.status_code == 200
    return [event for event in response.json()["results"] if event["client"] is not None]


def _roles(*codes):
    from apps.accounts.models import Role

    return Role.objects.for_codes(codes)


def test_the_review_inbox_shows_an_external_member_only_shared_tasks(world, client_a, external, legal, login):
    """Issue 15, item 7: an outside counsel (external + legal) finds in the inbox the legal tasks of what was shared
    with them, and neither the secret asset's task nor its page; once the share is revoked, nothing."""
    external.memberships.get(client=client_a).roles.add(*_roles(RoleCode.LEGAL))
    http = login(external)
    inbox = http.get("/?tab=team").content.decode()
    assert "Shared hero" in inbox and "Secret hero" not in inbox
    assert http.get(f"/tasks/{world['secret_task'].pk}/decide/").status_code == 404
    assert http.get(f"/assets/{world['secret'].pk}/").status_code == 404
    assert http.get("/agency/").status_code == 403 and http.get("/review-links/").status_code == 200
    assert "Secret hero" not in http.get("/review-links/").content.decode()
    sharing.unshare(world["asset_share"], actor=legal)
    assert "Shared hero" not in http.get("/?tab=team").content.decode()
