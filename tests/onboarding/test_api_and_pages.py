"""Onboarding's API (runs, bulk enrichment, the per-client policy) and pages (the task form on the decision page
every flow uses, the asset page's section, the queue with bulk enrichment): tenancy, who may change what, refusals
shown in place with the focus on the field."""

from __future__ import annotations

import pytest

from apps.assets.models import Asset
from apps.audit.models import AuditEvent
from apps.common.roles import RoleCode
from apps.onboarding import services
from apps.onboarding.models import Onboarding, OnboardingPolicy
from apps.workflows.models import Decision, Task, WorkflowRun
from tests.factories import member

from .test_trigger_and_checks import make

pytestmark = pytest.mark.django_db


@pytest.fixture
def onboarding(client_a):
    OnboardingPolicy.objects.create(client=client_a, sources=["bynder"])
    client_a.required_metadata_fields = ["keywords"]
    client_a.save()
    make(client_a, "Older", provider="getty", licence_type="royalty_free", keywords=["alps", "summit"])
    asset = make(client_a, "Spring hero")
    services.onboard_new(client_a)
    return Onboarding.objects.get(asset=asset)


@pytest.fixture
def ops(client_a):
    return member(client_a, RoleCode.CONTENT_MANAGER, email="ops@acme.example")


def task_of(onboarding, key=services.ENRICH, outcomes=(("Enriched", "enriched"), ("Reject", "reject"))) -> Task:
    run = WorkflowRun.objects.get(process_key=services.PROCESS, subject_id=onboarding.asset_id)
    roles = ["legal"] if key == services.RIGHTS else ["content_manager"]
    return Task.objects.create(
        client=onboarding.client,
        run=run,
        remote_id=f"t-{key}",
        task_key=key,
        name=key.replace("_", " ").capitalize(),
        candidate_roles=roles,
        possible_outcomes=[list(o) for o in outcomes],
    )


def test_the_enrichment_form_suggests_the_clients_keywords_and_refuses_in_place(onboarding, ops, login):
    task = task_of(onboarding)
    http = login(ops)
    page = http.get(f"/tasks/{task.pk}/decide/").content.decode()
    assert 'name="keywords"' in page and "The client already uses: alps, summit." in page
    assert "Ingest checks that failed" in page and "File present and downloadable" in page
    refused = http.post(f"/tasks/{task.pk}/decide/", {"outcome": "enriched", "keywords": "", "version": task.version})
    body = refused.content.decode()
    assert refused.status_code == 400
    assert "The client requires: keywords." in body
    assert f'id="ob-keywords-{task.pk}" name="keywords" rows="2" lang="en" aria-describedby' in body
    assert 'aria-invalid="true" autofocus' in body
    done = http.post(
        f"/tasks/{task.pk}/decide/", {"outcome": "enriched", "keywords": "spring, hero", "version": task.version}
    )
    assert done.status_code == 302
    asset = Asset.objects.get(pk=onboarding.asset_id)
    assert asset.keywords == ["spring", "hero"] and asset.on_hold  # still held: published only at the end
    assert AuditEvent.objects.filter(action="assets.asset.metadata_edit", object_id=str(asset.pk)).exists()


def test_the_rights_form_names_the_field_to_fix(onboarding, client_a, login):
    legal = member(client_a, RoleCode.LEGAL, email="lex@acme.example")
    task = task_of(onboarding, services.RIGHTS, (("Rights valid", "rights_valid"), ("Reject", "reject")))
    http = login(legal)
    refused = http.post(
        f"/tasks/{task.pk}/decide/",
        {"outcome": "rights_valid", "ownership": "owned", "territories": "Atlantis", "version": task.version},
    )
    body = refused.content.decode()
    assert refused.status_code == 400 and "Not known: Atlantis." in body
    assert f'id="ob-territories-{task.pk}" name="territories" value="Atlantis"' in body


def test_the_asset_page_says_why_it_is_hidden(onboarding, ops, login):
    page = login(ops).get(f"/assets/{onboarding.asset_id}/").content.decode()
    assert 'id="onboarding"' in page and "Hidden until it is published" in page
    assert "Failed</strong>: File present and downloadable" in page


def test_a_required_field_the_form_cannot_fill_is_named_with_what_to_do(onboarding, ops, login):
    """A copyright notice comes from the source: the refusal says so instead of pointing at the keywords."""
    client = onboarding.client
    client.required_metadata_fields = ["keywords", "copyright"]
    client.save()
    Asset.objects.filter(pk=onboarding.asset_id).update(copyright_notices=[])
    task = task_of(onboarding)
    refused = login(ops).post(
        f"/tasks/{task.pk}/decide/", {"outcome": "enriched", "keywords": "spring, hero", "version": task.version}
    )
    assert refused.status_code == 400
    body = refused.content.decode()
    assert "The client requires: copyright notice, which comes from the source (bynder)" in body
    assert "Have it added there and synced again, or reject the onboarding." in body
    assert not Decision.objects.filter(task=task).exists()


def test_bulk_enrichment_in_the_queue_audits_each_asset(onboarding, client_a, ops, login):
    second = make(client_a, "Autumn hero")
    services.onboard_new(client_a)
    http = login(ops)
    page = http.get("/onboarding/").content.decode()
    assert "Spring hero" in page and "Autumn hero" in page and "Older" not in page
    refused = http.post("/onboarding/", {"keywords": "brand"})
    assert refused.status_code == 400 and "Select the assets to enrich." in refused.content.decode()
    answer = http.post(
        "/onboarding/", {"asset": [onboarding.asset_id, second.pk], "keywords": "brand, 2027", "categories": "Brand"}
    )
    assert answer.status_code == 302
    for pk in (onboarding.asset_id, second.pk):
        asset = Asset.objects.get(pk=pk)
        assert asset.keywords[-2:] == ["brand", "2027"]
        assert services.categories_of(asset) == ["Brand"]
        assert AuditEvent.objects.filter(action="assets.asset.metadata_edit", object_id=str(pk)).count() == 1


def test_a_business_user_may_not_bulk_enrich(onboarding, client_a, login):
    viewer = member(client_a, RoleCode.REQUESTER, email="req@acme.example")
    http = login(viewer)
    assert "Add to the selected assets" not in http.get("/onboarding/").content.decode()
    http.post("/onboarding/", {"asset": [onboarding.asset_id], "keywords": "nope"})
    assert "nope" not in Asset.objects.get(pk=onboarding.asset_id).keywords


def test_the_api_lists_runs_and_enriches_in_bulk(onboarding, client_b, ops, api, api_token):
    make(client_b, "Beta hero")
    OnboardingPolicy.objects.create(client=client_b, sources=["bynder"])
    services.onboard_new(client_b)
    reader = api(api_token(ops))
    rows = reader.get("/api/v1/onboardings/").json()["results"]
    assert [row["asset"]["name"] for row in rows] == ["Spring hero"]  # never another client's
    row = rows[0]
    assert row["state"] == "open" and row["on_hold"] and {c["check"] for c in row["checks"]} >= {"binary"}
    assert reader.post("/api/v1/onboardings/bulk-enrich/", {"assets": [onboarding.asset_id]}).status_code == 403
    writer = api(api_token(ops, scope="write"))
    beta = Onboarding.objects.get(client=client_b).asset_id
    answer = writer.post(
        "/api/v1/onboardings/bulk-enrich/",
        {"assets": [onboarding.asset_id, beta], "keywords": ["brand"]},
        content_type="application/json",
    )
    assert answer.status_code == 200 and answer.json() == {"changed": 1}
    assert "brand" not in Asset.objects.get(pk=beta).keywords
    refused = writer.post(
        "/api/v1/onboardings/bulk-enrich/", {"assets": [onboarding.asset_id]}, content_type="application/json"
    )
    assert refused.status_code == 400 and "keywords" in refused.json()["errors"]


def test_agency_admins_choose_the_sources_in_the_api(onboarding, client_a, ops, api, api_token):
    admin = member(client_a, RoleCode.AGENCY_ADMIN, email="admin@acme.example")
    policy = OnboardingPolicy.objects.get(client=client_a)
    body = {"sources": ["bynder", "brandfolder", "in_house"], "approval_after": False, "shape": "parallel"}
    as_ops = api(api_token(ops, scope="write"))
    assert as_ops.get(f"/api/v1/onboarding-policies/{policy.pk}/").json()["sources"] == ["bynder"]
    assert (
        as_ops.put(f"/api/v1/onboarding-policies/{policy.pk}/", body, content_type="application/json").status_code
        == 403
    )
    as_admin = api(api_token(admin, scope="write"))
    answer = as_admin.put(f"/api/v1/onboarding-policies/{policy.pk}/", body, content_type="application/json")
    assert answer.status_code == 200
    policy.refresh_from_db()
    assert policy.sources == body["sources"] and policy.approval_after is False and policy.shape == "parallel"
    event = AuditEvent.objects.get(action="onboarding.policy.update")
    assert event.before["sources"] == ["bynder"] and event.after["approval_after"] is False
    assert event.before["shape"] == "sequential" and event.after["shape"] == "parallel"
    odd = as_admin.put(
        f"/api/v1/onboarding-policies/{policy.pk}/", {**body, "shape": "sideways"}, content_type="application/json"
    )
    assert odd.status_code == 400
    bad = as_admin.put(
        f"/api/v1/onboarding-policies/{policy.pk}/", {"sources": ["Not a key!"]}, content_type="application/json"
    )
    assert bad.status_code == 400


def test_the_asset_page_works_the_open_task_and_shows_a_refusal_at_its_form(onboarding, client_a, ops, login):
    task = task_of(onboarding)
    http = login(ops)
    url = f"/assets/{onboarding.asset_id}/"
    page = http.get(url).content.decode()
    assert f'id="task-{task.pk}-decide"' in page and f'action="/tasks/{task.pk}/decide/"' in page
    assert f'href="#task-{task.pk}-decide"' in page  # the Review section's Decide stays on the page
    assert "The client already uses: alps, summit." in page
    typed = {"outcome": "enriched", "name": "Spring hero v2", "keywords": "", "next": url, "version": task.version}
    refused = http.post(f"/tasks/{task.pk}/decide/", typed)
    body = refused.content.decode()
    assert refused.status_code == 400
    assert refused.templates[0].name == "assets/asset_detail.html"  # back on the asset page, not the decision page
    form = body[body.index(f'id="task-{task.pk}-decide"') :]
    assert form.index("The client requires: keywords.") < form.index("</form>")  # at the form that was used
    assert f'id="ob-keywords-{task.pk}" name="keywords" rows="2" lang="en" aria-describedby' in form
    assert 'aria-invalid="true" autofocus' in form and 'value="Spring hero v2"' in form  # what was typed is kept
    assert 'value="enriched" required checked' in form
    assert f'id="reason-{task.pk}" name="reason" rows="2" maxlength="10000"' in form
    assert Asset.objects.get(pk=onboarding.asset_id).name == "Spring hero"  # nothing changed
    done = http.post(f"/tasks/{task.pk}/decide/", {**typed, "keywords": "spring, hero"})
    assert done.status_code == 302 and done["Location"] == url


def test_who_may_not_sign_follows_the_task_on_the_asset_page_without_a_form(onboarding, client_a, login):
    task = task_of(onboarding)  # a content manager's task
    admin = member(client_a, RoleCode.AGENCY_ADMIN, email="admin@acme.example")  # sees it, may not sign it
    page = login(admin).get(f"/assets/{onboarding.asset_id}/").content.decode()
    assert f'id="task-{task.pk}"' in page and f'id="task-{task.pk}-decide"' not in page
    assert "you can follow it here" in page
    refused = login(admin).post(
        f"/tasks/{task.pk}/decide/", {"outcome": "enriched", "keywords": "x", "version": task.version}
    )
    body = refused.content.decode()
    assert refused.status_code == 403 and "you can follow it here" in body
    assert body.index('role="alert"', body.index(f'id="task-{task.pk}"')) < body.index("you can follow it here")
    legal = member(client_a, RoleCode.LEGAL, email="lex@acme.example")  # not legal's task: not even shown
    assert f'id="task-{task.pk}"' not in login(legal).get(f"/assets/{onboarding.asset_id}/").content.decode()


@pytest.mark.parametrize(
    ("role", "shown"),
    [
        (RoleCode.CONTENT_MANAGER, True),
        (RoleCode.LEGAL, True),
        (RoleCode.AGENCY_ADMIN, True),
        (RoleCode.REVIEWER, False),
        (RoleCode.CREATIVE, False),
    ],
)
def test_the_navigation_leads_those_who_work_onboarding_to_the_queue_with_the_open_count(
    onboarding, client_a, client_b, login, role, shown
):
    OnboardingPolicy.objects.create(client=client_b, sources=["bynder"])
    make(client_b, "Other client's hero")
    services.onboard_new(client_b)  # another client's open run is not counted
    person = member(client_a, role, email=f"{role}@acme.example")
    page = login(person).get("/assets/").content.decode()
    link = '<a href="/onboarding/">Onboarding <span class="nav-count">1<span class="visually-hidden"> open</span>'
    assert (link in page) is shown
    services._move(onboarding, "rejected", reason="gone")
    page = login(person).get("/onboarding/").content.decode()
    assert ('<a href="/onboarding/" aria-current="page">Onboarding</a>' in page) is shown  # none open: no count


def test_an_external_member_has_no_onboarding_link(onboarding, client_a, login):
    person = member(client_a, RoleCode.EXTERNAL, RoleCode.CONTENT_MANAGER, email="ext@agency.example")
    assert 'href="/onboarding/"' not in login(person).get("/").content.decode()


def similar_library(client_a):
    """Assets of the client that look like the one onboarding, and some that do not."""
    make(client_a, "Spring hero banner", provider="getty", licence_type="royalty_free", keywords=["spring", "bloom"])
    make(client_a, "Hero portrait", provider="getty", licence_type="royalty_free", keywords=["portrait", "spring"])
    make(client_a, "Harbour at dusk", provider="getty", licence_type="royalty_free", keywords=["harbour", "dusk"])


def test_suggestions_come_from_similar_assets_and_the_clients_keywords(onboarding, client_a, ops, login):
    similar_library(client_a)
    asset = Asset.objects.get(pk=onboarding.asset_id)
    similar = services.similar_assets(asset)
    assert {a.name for a in similar} == {"Spring hero banner", "Hero portrait"}  # a shared name word, not Harbour
    assert similar[0].name == "Spring hero banner"  # two shared words rank first
    found = services.suggestions_by_culture(asset, ["en"])["en"]
    assert found["similar"][0] == "spring" and set(found["similar"]) == {"spring", "bloom", "portrait"}
    assert "harbour" in found["client"] and "spring" not in found["client"]  # the client's others, not twice
    task = task_of(onboarding)
    page = login(ops).get(f"/assets/{onboarding.asset_id}/").content.decode()
    assert 'Similar assets use: <span lang="en">spring, bloom, portrait</span>.' in page
    assert "The client already uses: " in page and 'name="keywords_de"' not in page  # only en: one field
    assert f'id="ob-keywords-{task.pk}"' in page


def test_the_similar_assets_query_is_one_bounded_query(onboarding, client_a, django_assert_num_queries):
    similar_library(client_a)
    for index in range(services.SIMILAR_LIMIT + 5):
        make(client_a, f"Spring hero {index}", provider="getty", licence_type="royalty_free")
    asset = Asset.objects.get(pk=onboarding.asset_id)
    with django_assert_num_queries(1):
        found = services.similar_assets(asset)
    assert len(found) == services.SIMILAR_LIMIT
    assert services.similar_assets(Asset(client=client_a, name="IMG 01")) == []  # no name word: no query, none


def test_one_keywords_field_per_culture_the_client_uses_each_sent_to_smintio(onboarding, client_a, ops, login):
    OnboardingPolicy.objects.filter(client=client_a).update(cultures=["en", "de"])
    make(
        client_a,
        "Spring hero poster",
        provider="getty",
        licence_type="royalty_free",
        keywords=["spring"],
        metadata={"keywords": [{"culture": "de", "metadata_element": {"key": "fruehling", "name": "Frühling"}}]},
    )
    task = task_of(onboarding)
    http = login(ops)
    url = f"/assets/{onboarding.asset_id}/"
    page = http.get(url).content.decode()
    assert f'<label for="ob-keywords-{task.pk}">Keywords (en)</label>' in page
    assert f'<label for="ob-keywords_de-{task.pk}">Keywords (de)</label>' in page
    assert 'Similar assets use: <span lang="de">Frühling</span>.' in page
    too_many = ", ".join(f"wort{i}" for i in range(services.MAX_WORDS + 1))
    typed = {"outcome": "enriched", "keywords": "spring", "keywords_de": too_many, "next": url}
    refused = http.post(f"/tasks/{task.pk}/decide/", {**typed, "version": task.version})
    body = refused.content.decode()
    assert refused.status_code == 400 and f"At most {services.MAX_WORDS} keywords." in body
    assert (
        f'name="keywords_de" rows="2" lang="de" aria-describedby="ob-keywords_de-help-{task.pk}" aria-invalid' in body
    )
    assert "wort100" in body  # what was typed is kept
    done = http.post(f"/tasks/{task.pk}/decide/", {**typed, "keywords_de": "Frühling, Held", "version": task.version})
    assert done.status_code == 302
    onboarding.refresh_from_db()
    assert onboarding.localized_keywords == {"de": ["Frühling", "Held"]}
    event = AuditEvent.objects.get(action="onboarding.onboarding.localized_keywords")
    assert event.after == {"localized_keywords": {"de": ["Frühling", "Held"]}}
    body = services.publish_body(onboarding, Asset.objects.get(pk=onboarding.asset_id))
    assert [(k["culture"], k["metadata_element"]["key"]) for k in body["keywords"]] == [
        ("en", "spring"),
        ("de", "Frühling"),
        ("de", "Held"),
    ]


def test_an_enrichment_decided_in_the_api_carries_the_flows_fields(onboarding, ops, api, api_token):
    task = task_of(onboarding)
    http = api(api_token(ops, scope="write"))
    url = f"/api/v1/tasks/{task.pk}/decision/"
    refused = http.post(url, {"outcome": "enriched", "keywords": []}, content_type="application/json")
    assert refused.status_code == 400 and "keywords" in refused.json()["errors"]
    body = {"outcome": "enriched", "keywords": ["spring", "hero"], "description": "Our spring hero."}
    answer = http.post(url, body, content_type="application/json")
    assert answer.status_code == 201, answer.content
    asset = Asset.objects.get(pk=onboarding.asset_id)
    assert asset.keywords == ["spring", "hero"] and asset.description == "Our spring hero."
