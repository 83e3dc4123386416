"""Issue 17, aim 2: API list pages carry an ETag and answer 304 to a poller who holds the page, after authentication,
tenant scoping and throttling; a change to a row, to its licences or to which of its terms are in force gives a new
tag; a cached token lookup is forgotten when the token is revoked or its user changes."""

from __future__ import annotations

from datetime import timedelta

import pytest
from django.db import connection
from django.db.models import Value
from django.test.utils import CaptureQueriesContext
from django.utils import timezone

from apps.accounts.models import ApiToken, Role
from apps.accounts.services import revoke_api_token
from apps.assets.api.serializers import AssetSerializer
from apps.assets.choices import ApprovalState, LicenseState
from apps.assets.models import Asset, LicensePurchase, LicenseTerm
from apps.assets.services import change_approval
from apps.common.roles import RoleCode
from apps.workflows.services import claim_task
from tests.factories import MembershipFactory, member
from tests.reviews.factories import approval_run, licensed_asset, review_task

pytestmark = pytest.mark.django_db

ASSETS = "/api/v1/assets/"
TASKS = "/api/v1/tasks/?status=open"


@pytest.fixture
def legal_api(legal, api_token, api):
    return api(api_token(legal, "write"))


@pytest.fixture
def assets(client_a):
    return [licensed_asset(client_a, name=f"Asset {n}", approval=ApprovalState.APPROVED) for n in range(3)]


def _tag(response) -> str:
    assert response.status_code == 200, response.content
    tag = response["ETag"]
    assert tag.startswith('W/"') and tag.endswith('"')
    return tag


def test_an_unchanged_page_answers_304_with_its_tag_and_no_body(assets, legal_api):
    first = legal_api.get(ASSETS)
    tag = _tag(first)
    assert "Authorization" in first["Vary"]
    again = legal_api.get(ASSETS, headers={"If-None-Match": tag})
    assert again.status_code == 304
    assert again["ETag"] == tag and again.content == b""
    # a list of tags, the strong form of the same tag, and "*" match too (weak comparison, RFC 9110)
    for header in (f'W/"other", {tag}', tag.removeprefix("W/"), "*"):
        assert legal_api.get(ASSETS, headers={"If-None-Match": header}).status_code == 304
    assert legal_api.get(ASSETS, headers={"If-None-Match": 'W/"other"'}).status_code == 200


def test_the_304_loads_neither_the_page_nor_its_licences(assets, legal_api):
    tag = _tag(legal_api.get(ASSETS))
    with CaptureQueriesContext(connection) as full:
        legal_api.get(ASSETS, headers={"If-None-Match": 'W/"stale"'})
    with CaptureQueriesContext(connection) as conditional:
        assert legal_api.get(ASSETS, headers={"If-None-Match": tag}).status_code == 304
    assert len(conditional.captured_queries) < len(full.captured_queries)
    touched = " ".join(query["sql"] for query in conditional.captured_queries)
    assert '"assets_asset"."keywords"' not in touched  # the rows themselves are not read, only their tags


def test_a_change_to_one_asset_on_the_page_gives_a_200_with_a_new_tag(assets, legal_api, legal):
    tag = _tag(legal_api.get(ASSETS))
    change_approval(assets[1], ApprovalState.WITHDRAWN, action="assets.asset.withdraw", actor=legal, reason="no")
    changed = legal_api.get(ASSETS, headers={"If-None-Match": tag})
    assert _tag(changed) != tag
    row = next(row for row in changed.json()["results"] if row["id"] == assets[1].pk)
    assert row["approval_state"] == ApprovalState.WITHDRAWN and row["available"] is False
    assert legal_api.get(ASSETS, headers={"If-None-Match": changed["ETag"]}).status_code == 304


def test_a_new_licence_or_a_term_that_ends_gives_a_new_tag(assets, legal_api, client_a):
    tag = _tag(legal_api.get(ASSETS))
    lpt = LicensePurchase.objects.create(
        client=client_a, asset=assets[0], uuid="lpt-new", state=LicenseState.COMPLETED, version=1
    )
    LicenseTerm.objects.create(
        license_purchase=lpt, sequence_number=1, allowed_geographies=["geography_dach"], allowed_usages=["usage_print"]
    )
    licensed = _tag(legal_api.get(ASSETS, headers={"If-None-Match": tag}))
    assert licensed != tag
    # The clock passes a term's end: the same rows, but ``limits`` no longer counts the term (stood in for here by
    # moving its end into the past; the sync never rewrites a term).
    LicenseTerm.objects.filter(license_purchase=lpt).update(valid_until=timezone.now() - timedelta(seconds=1))
    ended = legal_api.get(ASSETS, headers={"If-None-Match": licensed})
    assert _tag(ended) not in {tag, licensed}
    row = next(row for row in ended.json()["results"] if row["id"] == assets[0].pk)
    assert "usage_print" not in row["limits"]["usages"]


def test_another_tenants_token_never_gets_a_304_for_this_tenants_page(assets, legal_api, outsider, api_token, api):
    tag = _tag(legal_api.get(ASSETS))
    theirs = api(api_token(outsider)).get(ASSETS, headers={"If-None-Match": tag})
    assert theirs.status_code == 200
    assert theirs.json()["results"] == [] and theirs["ETag"] != tag


def test_each_principal_has_its_own_tag_even_for_the_same_rows(assets, legal, legal_api, client_a, api_token, api):
    tag = _tag(legal_api.get(ASSETS))
    colleague = member(client_a, RoleCode.LEGAL, email="colleague@example.com")
    other = api(api_token(colleague)).get(ASSETS, headers={"If-None-Match": tag})
    assert other.status_code == 200 and other["ETag"] != tag
    assert [row["id"] for row in other.json()["results"]] == [row.pk for row in reversed(assets)]
    # a second token of the same person is another principal too
    assert api(api_token(legal)).get(ASSETS, headers={"If-None-Match": tag}).status_code == 200


def test_a_304_is_still_throttled(assets, legal_api, settings):
    tag = _tag(legal_api.get(ASSETS))
    from rest_framework.throttling import SimpleRateThrottle

    rates = {**settings.REST_FRAMEWORK["DEFAULT_THROTTLE_RATES"], "principal": "2/min"}
    settings.REST_FRAMEWORK = {**settings.REST_FRAMEWORK, "DEFAULT_THROTTLE_RATES": rates}
    original = SimpleRateThrottle.THROTTLE_RATES
    SimpleRateThrottle.THROTTLE_RATES = rates
    try:
        statuses = [legal_api.get(ASSETS, headers={"If-None-Match": tag}).status_code for _ in range(3)]
    finally:
        SimpleRateThrottle.THROTTLE_RATES = original
    assert statuses[-1] == 429


def test_other_pages_and_filters_have_their_own_tags(client_a, legal_api):
    for n in range(3):
        licensed_asset(client_a, name=f"Asset {n}")
    first = legal_api.get(ASSETS, {"page_size": 2})
    second = legal_api.get(first.json()["next"])
    filtered = legal_api.get(ASSETS, {"page_size": 2, "provider": "nobody"})
    assert len({_tag(first), _tag(second), _tag(filtered)}) == 3
    assert legal_api.get(first.json()["next"], headers={"If-None-Match": first["ETag"]}).status_code == 200


def test_list_rows_are_what_the_serializer_gives_for_the_whole_row(assets, legal_api):
    """The page loads only the columns a row shows: each row is what the serializer makes of the full asset."""
    for n, (state, geographies) in enumerate(
        [(LicenseState.COMPLETED, ["geography_united_states_us"]), (LicenseState.CANCELLED, ["geography_dach"])]
    ):
        lpt = LicensePurchase.objects.create(
            client=assets[0].client, asset=assets[0], uuid=f"lpt-more-{n}", state=state, version=1
        )
        for sequence, usages in enumerate([["usage_print"], ["usage_web", "usage_broadcast"]], start=1):
            LicenseTerm.objects.create(
                license_purchase=lpt,
                sequence_number=sequence,
                allowed_geographies=geographies,
                allowed_usages=usages,
                restricted_geographies=["geography_dach"] if sequence == 2 else [],
            )
    body = legal_api.get(ASSETS).json()["results"]
    full = (
        Asset.objects.filter(pk__in=[a.pk for a in assets])
        .annotate(available_now=Value(True))
        .prefetch_related("license_purchases__terms")
        .order_by("-id")
    )
    expected = AssetSerializer(full, many=True).data
    assert [dict(row) for row in expected] == body
    assert body[-1]["limits"]["usages"] == ["usage_print", "usage_web", "usage_broadcast"]  # newest licence first


# -- tasks ------------------------------------------------------------------------------------------------------------
def test_a_task_page_answers_304_until_a_task_on_it_changes(client_a, legal, legal_api):
    run = approval_run(licensed_asset(client_a))
    task, other = review_task(run, "legal"), review_task(run, "legal")
    tag = _tag(legal_api.get(TASKS))
    assert legal_api.get(TASKS, headers={"If-None-Match": tag}).status_code == 304
    claim_task(task, actor=legal)
    changed = legal_api.get(TASKS, headers={"If-None-Match": tag})
    assert _tag(changed) != tag
    rows = {row["id"]: row for row in changed.json()["results"]}
    assert rows[task.pk]["version"] == 2 and rows[task.pk]["assignee_email"] == legal.email
    assert rows[other.pk]["version"] == 1


# -- the cached token lookup ----------------------------------------------------------------------------------------
def _token_queries(api_client, path="/api/v1/me/") -> int:
    with CaptureQueriesContext(connection) as queries:
        assert api_client.get(path).status_code == 200
    return sum('"accounts_apitoken"' in query["sql"] and "SELECT" in query["sql"] for query in queries)


def test_a_token_is_looked_up_once_then_served_from_the_cache(legal, api_token, api):
    caller = api(api_token(legal))
    assert _token_queries(caller) == 1
    assert _token_queries(caller) == 0


def test_a_revoked_token_is_refused_at_once_even_when_cached(legal, api_token, api):
    caller = api(api_token(legal))
    assert caller.get(ASSETS).status_code == 200  # now cached
    revoke_api_token(ApiToken.objects.get(), actor=legal)
    refused = caller.get(ASSETS, headers={"If-None-Match": "*"})
    assert refused.status_code == 401


def test_a_deactivated_user_or_a_new_external_role_is_seen_at_once(client_a, client_b, api_token, api):
    user = member(client_a, RoleCode.LEGAL, email="two@example.com")
    membership_b = MembershipFactory(user=user, client=client_b, roles=[RoleCode.LEGAL])
    licensed_asset(client_b, name="B's asset")
    caller = api(api_token(user))
    assert len(caller.get(ASSETS).json()["results"]) == 1  # cached: internal everywhere
    membership_b.roles.add(*Role.objects.for_codes([RoleCode.EXTERNAL]))
    assert caller.get(ASSETS).json()["results"] == []  # external in client_b: only what is shared with them
    user.is_active = False
    user.save(update_fields=["is_active"])
    assert caller.get(ASSETS).status_code == 401


def test_limits_are_the_limits_serializers_document(client_a, legal_api):
    """``limits`` is built without a serializer per row: the same document ``LimitsSerializer`` gives."""
    from apps.assets import rights
    from apps.assets.api.serializers import LimitsSerializer

    asset = licensed_asset(client_a, approval=ApprovalState.APPROVED, geographies=["geography_dach"], editorial=True)
    row = legal_api.get(ASSETS).json()["results"][0]
    found = rights.limits_of(Asset.objects.prefetch_related("license_purchases__terms").get(pk=asset.pk))
    expected = LimitsSerializer(
        {
            "countries": list(found.countries),
            "territories": list(found.territories),
            "except_territories": list(found.except_territories),
            "usages": list(found.usages),
            "except_usages": list(found.except_usages),
            "editorial_only": found.editorial_only,
            "until": found.until,
            "until_awaits_smintio": found.until_awaits_smintio,
        }
    ).data
    assert row["limits"] == dict(expected)
    assert row["limits"]["countries"] == ["AT", "CH", "DE"] and row["limits"]["editorial_only"] is True


# -- the throttle ---------------------------------------------------------------------------------------------------
def test_the_throttle_budget_slides_over_the_last_period_and_refusals_are_not_counted(monkeypatch):
    from types import SimpleNamespace

    from django.core.cache import cache
    from rest_framework.throttling import SimpleRateThrottle

    from apps.common.api import PrincipalRateThrottle

    cache.clear()
    monkeypatch.setattr(SimpleRateThrottle, "THROTTLE_RATES", {"principal": "3/min"})
    clock = [600.0]  # the start of a clock minute
    monkeypatch.setattr(PrincipalRateThrottle, "timer", lambda self: clock[0])
    request = SimpleNamespace(auth=SimpleNamespace(pk=4242), user=None)

    def ask(at: float) -> tuple[bool, float | None]:
        clock[0] = at
        throttle = PrincipalRateThrottle()
        return throttle.allow_request(request, None), throttle.wait()

    assert [ask(600 + n)[0] for n in range(3)] == [True, True, True]
    assert ask(630) == (False, 30)  # this minute's budget is spent: wait for the next one
    assert ask(631)[0] is False  # refusals did not add to the count
    # The next minute starts with the last one's three requests still inside the sliding minute: a third of them
    # must slide out (20 s) before one more fits.
    assert ask(660) == (False, 20)
    assert ask(680)[0] is True
    assert ask(681)[0] is False
    cache.clear()


def test_the_planned_list_serializer_gives_drfs_documents(client_a):
    from rest_framework import serializers

    from apps.workflows.api.serializers import TaskSerializer
    from apps.workflows.models import Task

    run = approval_run(licensed_asset(client_a, approval=ApprovalState.APPROVED))
    review_task(run, "legal")
    review_task(run, "brand", assignee=member(client_a, RoleCode.BRAND, email="brand@example.com"))
    assets = Asset.objects.annotate(available_now=Value(True)).prefetch_related("license_purchases__terms")
    tasks = Task.objects.select_related("run", "client")
    for serializer, rows in [(AssetSerializer, assets), (TaskSerializer, tasks)]:
        planned = serializer(rows, many=True).data
        assert type(serializer(many=True)).__name__ == "PlannedListSerializer"
        assert planned == serializers.ListSerializer(rows, child=serializer()).data
        assert len(planned) == rows.count() > 0


def test_a_reviewers_new_region_shows_in_their_task_list_at_once(client_a, emea, api_token, api):
    """The memberships (roles, regions) are cached with the token; changing them is seen from the next request."""
    from apps.accounts.models import Region

    reviewer = member(client_a, RoleCode.LEGAL, email="scoped@example.com", regions=[emea])
    amer = Region.objects.create(code="amer", name="Americas", countries=["US"])
    run = approval_run(licensed_asset(client_a), region="amer")
    task = review_task(run, "legal")
    caller = api(api_token(reviewer))
    assert caller.get(TASKS).json()["results"] == []  # now cached: EMEA only
    reviewer.memberships.get().regions.add(amer)
    assert [row["id"] for row in caller.get(TASKS).json()["results"]] == [task.pk]
    assert _token_queries(caller, TASKS) == 0


def test_task_list_rows_are_what_the_serializer_gives_for_the_whole_task(client_a, legal, legal_api, emea):
    """The task page is loaded as plain rows: each is what the serializer makes of the full task."""
    from apps.accounts.models import Region
    from apps.workflows.api.serializers import TaskSerializer
    from apps.workflows.models import Task

    Region.objects.create(code="amer", name="Americas", countries=["US"])
    one = approval_run(licensed_asset(client_a), region="emea")
    several = approval_run(licensed_asset(client_a), regions=["emea", "amer"])
    review_task(one, "legal", assignee=legal)
    review_task(several, "legal")
    review_task(approval_run(licensed_asset(client_a)), "legal")
    body = legal_api.get(TASKS).json()["results"]
    full = Task.objects.select_related("run", "client").order_by("id")
    assert body == [dict(row) for row in TaskSerializer(full, many=True).data]
    assert {row["region"] for row in body} == {"emea", ""} and len(body) == 3
