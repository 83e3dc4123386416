"""S2: every URL pattern and API endpoint, walked as anonymous, as an outsider and as a member.

Each named route of the project must appear in ``ROUTES`` (a test fails otherwise), so a new page or endpoint
cannot ship without saying who may reach it. Objects always belong to client B ("Beta Brands"):
- anonymous: HTML redirects to the login page, the API answers 401, public routes answer 200;
- the outsider (agency admin of client A, every capability there) gets 404 for each of B's objects, by session and
  by API token, and lists that contain none of B's rows;
- the member (agency admin of client B) reaches the same objects, so the 404s above are not vacuous;
- POST-only routes refuse GET with 405;
- feed routes (a secret token in the URL, no session) answer 404 without their token, even to a signed-in person,
  and with a token show only what its holder may see.
"""

from __future__ import annotations

from collections.abc import Callable
from dataclasses import dataclass, field
from datetime import timedelta

import pytest
from django.test import Client as HttpClient
from django.urls import URLPattern, URLResolver, get_resolver, reverse
from django.utils import timezone

from apps.accounts.models import ApiToken
from apps.accounts.services import create_api_token
from apps.assets.models import Asset
from apps.audit import services as audit
from apps.campaigns import services as campaigns
from apps.clients.models import ConnectionStatus, SmintioConnection
from apps.common.roles import RoleCode
from apps.creative.models import CampaignType, CreativeRequest, Delivery, DeliveryItem, Format
from apps.exceptions import feeds
from apps.exceptions.models import Case
from apps.notifications.models import MailboxMessage, Notification
from apps.onboarding.models import Onboarding, OnboardingPolicy
from apps.outbox.models import OutboxMessage
from apps.reviews.models import ReviewLink
from apps.sharing.models import Share
from apps.webhooks import services as webhooks
from apps.workflows.models import Comment, Task, WorkflowRun
from tests.factories import ClientFactory, RegionFactory, member

pytestmark = pytest.mark.django_db

MARKER = "Beta Brands"  # client B's name: must never appear in a page or response shown to an outsider


@dataclass
class Route:
    kind: str  # "html", "api", "api_post", "public", "post" (POST-only HTML), "hint" (signed POST), "oauth", "feed",
    # "link" (a signed key in the path, no session; ``kwargs`` gives a forged one), "signed" (the same, refused 400)
    kwargs: Callable[[dict], dict] = field(default=lambda objs: {})
    lists_foreign_rows: bool = False  # a list that would show B's rows if tenancy failed
    token: Callable | None = None  # "feed": issues a user's token for the ``token`` query parameter
    member_status: int = 200  # what the member gets (a download redirects to the file)
    names_the_object: bool = True  # the member's answer names B (a fragment or an empty result may not)


def _b_event(objs):
    return {"pk": objs["event_b"].pk}


def _b_call(objs):
    return {"pk": objs["call_b"].pk}


def _beta(objs):
    return {"slug": "beta"}


def _b_task(objs):
    return {"pk": objs["task_b"].pk}


def _b_asset(objs):
    return {"pk": objs["asset_b"].pk}


def _b_run(objs):
    return {"pk": objs["run_b"].pk}


def _b_case(objs):
    return {"pk": objs["case_b"].pk}


def _b_share(objs):
    return {"pk": objs["share_b"].pk}


def _b_campaign(objs):
    return {"pk": objs["campaign_b"].pk}


def _b_request(objs):
    return {"pk": objs["request_b"].pk}


def _b_delivery(objs, **more):
    return {"pk": objs["request_b"].pk, "delivery_pk": objs["delivery_b"].pk, **more}


def _forged_link(objs, **more):
    return {"token": f"{objs['delivery_b'].pk}:forged-signature", **more}


def _b_format(objs):
    return {"pk": objs["format_b"].pk}


def _b_campaign_type(objs):
    return {"pk": objs["campaign_type_b"].pk}


def _b_onboarding(objs):
    return {"pk": objs["onboarding_b"].pk}


def _b_onboarding_policy(objs):
    return {"pk": objs["onboarding_policy_b"].pk}


def _b_notification(objs):
    return {"pk": objs["notification_b"].pk}


def _b_webhook(objs):
    return {"pk": objs["webhook_b"].pk}


ROUTES: dict[str, Route] = {
    "dashboard": Route("html", lists_foreign_rows=True),
    "healthz": Route("public"),
    "accounts:login": Route("public"),
    "accounts:logout": Route("post"),
    "accounts:password_change": Route("html"),
    "accounts:password_reset": Route("public"),
    "accounts:password_reset_done": Route("public"),
    "accounts:password_reset_confirm": Route("public", lambda objs: {"uidb64": "MQ", "token": "forged-token"}),
    "accounts:password_reset_complete": Route("public"),
    "accounts:profile": Route("html", lists_foreign_rows=True),
    "accounts:delegation": Route("html", lists_foreign_rows=True),  # one's own memberships and their colleagues
    "accounts:token_create": Route("post"),
    "accounts:token_revoke": Route("post", lambda objs: {"pk": objs["token_b"].pk}),
    "clients:client_list": Route("html", lists_foreign_rows=True),
    "clients:client_switch": Route("post"),
    "clients:client_detail": Route("html", lambda objs: {"slug": "beta"}),
    "clients:client_policies": Route("html", lambda objs: {"slug": "beta"}),
    "analytics:bottlenecks": Route("html", lists_foreign_rows=True),
    "analytics:export": Route("html", lists_foreign_rows=True),
    "api:analytics": Route("api", lists_foreign_rows=True),
    "audit:event_list": Route("html", lists_foreign_rows=True),
    "audit:event_export": Route("html", lists_foreign_rows=True),
    "audit:event_detail": Route("html", _b_event),
    "api:me": Route("api", lists_foreign_rows=True),
    "api:client-list": Route("api", lists_foreign_rows=True),
    "api:client-detail": Route("api", lambda objs: {"slug": "beta"}),
    "api:auditevent-list": Route("api", lists_foreign_rows=True),
    "api:auditevent-detail": Route("api", _b_event),
    "api:schema": Route("public"),
    "api:docs": Route("public"),
    "integrations:sync_log": Route("html", lists_foreign_rows=True),
    "integrations:outbox_retry": Route("post", _b_call),
    "integrations:outbox_discard": Route("post", _b_call),
    "integrations:smintio_notify": Route("hint"),
    "integrations:opentext_callback": Route("hint"),
    "integrations:smintio_callback": Route("oauth"),
    "integrations:smintio_connect": Route("post", _beta),
    "integrations:smintio_disconnect": Route("post", _beta),
    "integrations:opentext_connection": Route("html", _beta),
    "integrations:opentext_connection_remove": Route("post", _beta),
    "integrations:smintio_sync_now": Route("post", _beta),
    "api:sync": Route("api", lists_foreign_rows=True),
    "api:outbox-list": Route("api", lists_foreign_rows=True),
    "api:outbox-detail": Route("api", _b_call),
    "api:outbox-retry": Route("api_post", _b_call),
    "api:outbox-discard": Route("api_post", _b_call),
    "reviews:task_bulk_approve": Route("post"),
    "reviews:task_claim": Route("post", _b_task),
    "reviews:task_unclaim": Route("post", _b_task),
    "reviews:task_decide": Route("html", _b_task),
    # review links (issue 15): the members' page lists their clients' links only; a link is its own key
    "reviews:link_list": Route("html", lists_foreign_rows=True),
    "reviews:link_revoke": Route("post", lambda objs: {"pk": objs["review_link_b"].pk}),
    "reviews:link_page": Route("link", lambda objs: {"token": "1.forged:signature"}),
    "reviews:agency_overview": Route("html", lists_foreign_rows=True),  # agency staff, across their own clients
    "assets:asset_list": Route("html", lists_foreign_rows=True),
    "assets:asset_detail": Route("html", _b_asset),
    "workflows:asset_comments": Route("html", _b_asset),
    "workflows:asset_comment": Route("post", _b_asset),
    "exceptions:case_comments": Route("html", _b_case),
    "exceptions:case_comment": Route("post", _b_case),
    "exceptions:case_list": Route("html", lists_foreign_rows=True),
    "exceptions:case_detail": Route("html", _b_case),
    "exceptions:compliance_rules": Route("html", _beta),
    "exceptions:rights_calendar": Route("html", lists_foreign_rows=True),
    "exceptions:calendar_feed": Route("feed", token=lambda user: feeds.token_of(feeds.rotate_feed(user))),
    "exceptions:calendar_feed_rotate": Route("post"),
    "exceptions:calendar_feed_stop": Route("post"),
    "api:case-list": Route("api", lists_foreign_rows=True),
    "api:case-detail": Route("api", _b_case),
    "api:case-decision": Route("api_post", _b_case),
    # exceptions (flow 4); an agency link is its own key: a forged, revoked or expired one is a 404 to anyone
    "exceptions:report_asset": Route("post", _b_asset),
    "exceptions:check_asset": Route("post", _b_asset),
    "exceptions:detect_client": Route("post", _beta),
    "exceptions:agency_link_create": Route("post", _b_case),
    "exceptions:agency_link_revoke": Route("post", lambda objs: {"pk": objs["case_b"].pk, "link_id": 1}),
    "exceptions:agency_page": Route("link", lambda objs: {"token": "1.forged:signature"}),
    "exceptions:exception_policy": Route("html", _beta),
    "exceptions:external_correction": Route("html", _b_case, member_status=404),  # external members only
    "api:exception-policy": Route("api", lambda objs: {"slug": "beta"}),
    "reviews:approval_policy": Route("html", _beta),
    "api:approval-policy": Route("api", lambda objs: {"slug": "beta"}),
    "api:case-report": Route("api_post", lists_foreign_rows=True),
    "api:case-detect": Route("api_post", lists_foreign_rows=True),
    "api:asset-list": Route("api", lists_foreign_rows=True),
    "api:asset-detail": Route("api", _b_asset),
    "api:asset-rights": Route("api", _b_asset),
    "api:usageevent-list": Route("api", lists_foreign_rows=True),
    "api:reviewcycle-list": Route("api", lists_foreign_rows=True),
    "api:reviewcycle-detail": Route("api", _b_run),
    "api:task-list": Route("api", lists_foreign_rows=True),
    "api:task-detail": Route("api", _b_task),
    "api:task-claim": Route("api_post", _b_task),
    "api:task-unclaim": Route("api_post", _b_task),
    "api:task-decision": Route("api_post", _b_task),
    "api:comment-list": Route("api", lists_foreign_rows=True),
    "sharing:share_create": Route("post"),
    "sharing:share_revoke": Route("post", _b_share),
    "creative:request_list": Route("html", lists_foreign_rows=True),
    "creative:request_new": Route("html"),
    "creative:request_detail": Route("html", _b_request),
    "creative:request_edit": Route("html", _b_request),
    "creative:request_matches": Route("html", _b_request),
    "creative:request_comments": Route("html", _b_request, names_the_object=False),  # the thread only
    "creative:request_comment": Route("post", _b_request),
    "creative:shortlist": Route("post", _b_request),
    "creative:delivery_manifest": Route("html", lambda objs: _b_delivery(objs, fmt="json")),
    # no binary on record: the member is sent back to the request page with the reason (never a 500)
    "creative:delivery_download": Route(
        "html", lambda objs: _b_delivery(objs, asset_pk=objs["asset_b"].pk), member_status=302
    ),
    "creative:delivery_share": Route("post", _b_delivery),
    "creative:shared_delivery": Route("link", _forged_link),
    "creative:shared_download": Route("link", lambda objs: _forged_link(objs, asset_pk=objs["asset_b"].pk)),
    "creative:shared_manifest": Route("link", lambda objs: _forged_link(objs, fmt="csv")),
    "api:creative-request-list": Route("api", lists_foreign_rows=True),
    "api:creative-request-detail": Route("api", _b_request),
    "api:creative-request-submit": Route("api_post", _b_request),
    "api:creative-request-decision": Route("api_post", _b_request),
    "api:creative-request-shortlist": Route("api_post", _b_request),
    "api:creative-request-matches": Route("api", _b_request, names_the_object=False),  # B has no cleared asset
    "api:creative-request-manifest": Route("api", _b_request),
    "api:campaign-type-list": Route("api", lists_foreign_rows=True),
    "api:campaign-type-archive": Route("api_post", _b_campaign_type),
    "api:format-list": Route("api", lists_foreign_rows=True),
    "api:format-archive": Route("api_post", _b_format),
    "api:share-list": Route("api", lists_foreign_rows=True),
    "api:share-detail": Route("api", _b_share),
    "api:share-revoke": Route("api_post", _b_share),
    # onboarding (flow 6): the queue with bulk enrichment, the runs and each client's policy in the API
    # outbound webhooks (issue 16): a client's admins only; the secret is shown once by create and rotate
    "webhooks:endpoint_list": Route("html", lists_foreign_rows=True),
    "webhooks:endpoint_create": Route("html"),
    "webhooks:endpoint_detail": Route("html", _b_webhook),
    "webhooks:endpoint_rotate": Route("post", _b_webhook),
    "webhooks:endpoint_test": Route("post", _b_webhook),
    "webhooks:endpoint_disable": Route("post", _b_webhook),
    "webhooks:endpoint_enable": Route("post", _b_webhook),
    "webhooks:endpoint_delete": Route("post", _b_webhook),
    "api:webhook-list": Route("api", lists_foreign_rows=True),
    "api:webhook-detail": Route("api", _b_webhook),
    "api:webhook-deliveries": Route("api", _b_webhook, names_the_object=False),
    "api:webhook-rotate": Route("api_post", _b_webhook),
    "api:webhook-test": Route("api_post", _b_webhook),
    "api:webhook-disable": Route("api_post", _b_webhook),
    "api:webhook-enable": Route("api_post", _b_webhook),
    "onboarding:queue": Route("html", lists_foreign_rows=True),
    "api:onboarding-list": Route("api", lists_foreign_rows=True),
    "api:onboarding-detail": Route("api", _b_onboarding),
    "api:onboarding-bulk-enrich": Route("api_post", lists_foreign_rows=True),
    "api:onboarding-policy-list": Route("api", lists_foreign_rows=True),
    "api:onboarding-policy-detail": Route("api", _b_onboarding_policy),
    # global campaigns (flow 5): the list, the form, the campaign page with its matrix, its actions, the API
    "campaigns:campaign_list": Route("html", lists_foreign_rows=True),
    "campaigns:campaign_new": Route("html"),
    "campaigns:campaign_detail": Route("html", _b_campaign),
    "campaigns:campaign_matrix": Route("html", _b_campaign),
    "campaigns:campaign_add_assets": Route("post", _b_campaign),
    "campaigns:campaign_start": Route("post", _b_campaign),
    "campaigns:cell_detail": Route("html", lambda objs: {"pk": objs["cell_b"].pk}, member_status=302),
    "api:campaign-list": Route("api", lists_foreign_rows=True),
    "api:campaign-detail": Route("api", _b_campaign),
    "api:campaign-assets": Route("api_post", _b_campaign),
    "api:campaign-start": Route("api_post", _b_campaign),
    # notifications: one's own centre, preferences and (development) mailbox; the unsubscribe link needs no session
    "notifications:list": Route("html", lists_foreign_rows=True),
    "notifications:notification_read": Route("post", _b_notification),
    "notifications:notification_read_all": Route("post"),
    "notifications:preferences": Route("html"),
    "notifications:unsubscribe": Route("signed", lambda objs: {"token": "forged:signature"}),
    "notifications:mailbox": Route("html", lists_foreign_rows=True),
    "notifications:mailbox_detail": Route("html", lambda objs: {"pk": objs["mail_b"].pk}),
    "api:notification-list": Route("api", lists_foreign_rows=True),
    "api:notification-detail": Route("api", _b_notification),
    "api:notification-read": Route("api_post", _b_notification),
    "api:notification-read-all": Route("api_post", lists_foreign_rows=True),
    "api:notification-preference-list": Route("api"),
}


def _named_routes(resolver=None, namespace=""):
    """Every named URL of the project, by its reversible name; the operator admin is covered separately."""
    names = set()
    for entry in (resolver or get_resolver()).url_patterns:
        if isinstance(entry, URLResolver):
            if entry.namespace == "admin" or (entry.namespace or "").startswith("emulator_"):
                continue  # the operator admin has its own test; emulators are platform stand-ins, not portal routes
            prefix = f"{namespace}{entry.namespace}:" if entry.namespace else namespace
            names |= _named_routes(entry, prefix)
        elif isinstance(entry, URLPattern) and entry.name:
            names.add(f"{namespace}{entry.name}")
    return names


def test_every_route_is_in_the_sweep():
    assert _named_routes() == set(ROUTES)


@pytest.fixture
def world(db, settings):
    """Client B with an agency admin, an audit event, an API token, a failed call, an asset in review with a task and
    a comment, a case in renewal with a comment, shared with B's external member; client A with its own admin (the
    outsider)."""
    client_a = ClientFactory(name="Acme Outdoor", slug="acme")
    client_b = ClientFactory(name=MARKER, slug="beta")
    outsider = member(
        client_a, RoleCode.AGENCY_ADMIN, RoleCode.COMPLIANCE, RoleCode.REQUESTER, email="admin@acme.example"
    )
    insider = member(
        client_b, RoleCode.AGENCY_ADMIN, RoleCode.COMPLIANCE, RoleCode.REQUESTER, email="admin@beta.example"
    )
    settings.EMAIL_BACKEND = "apps.notifications.mailbox.MailboxBackend"  # /mailbox/ exists only with it
    notification_b = Notification.objects.create(
        user=insider, client=client_b, kind="task.assigned", event_key="b:1", title=f"{MARKER} task", why="yours"
    )
    mail_b = MailboxMessage.objects.create(sender="greenlight@localhost", to=[insider.email], subject=f"{MARKER} mail")
    event_b = audit.record("clients.client.update_policies", actor=insider, client=client_b, obj=client_b)
    token_b = create_api_token(insider, actor=insider, name="beta key", scope="admin").token
    SmintioConnection.objects.create(client=client_b, tenant="beta", status=ConnectionStatus.CONNECTED)
    call_b = OutboxMessage.objects.create(
        client=client_b,
        platform="smintio",
        kind="smintio.workflow_status",
        ordering_key="beta:1",
        payload={},
        idempotency_key="beta-call",
        status="failed",
        last_error="Beta Brands call failed",
        next_attempt_at=timezone.now(),
        give_up_at=timezone.now(),
    )
    asset_b = Asset.objects.create(client=client_b, content_element_uuid="beta-element", name=f"{MARKER} hero")
    run_b = WorkflowRun.objects.create(
        client=client_b,
        process_key="asset_approval",
        business_key="beta:asset_approval:1",
        subject_type="assets.asset",
        subject_id=asset_b.pk,
        status="running",
        title=asset_b.name,
    )
    task_b = Task.objects.create(
        client=client_b,
        run=run_b,
        remote_id="beta-task",
        name="Legal review",
        candidate_roles=["legal"],
        possible_outcomes=[["Approve", "approved"]],
        due_at=timezone.now(),
    )
    Comment.objects.create(client=client_b, run=run_b, author=insider, author_label=insider.email, body=MARKER)
    case_b = Case.objects.create(
        client=client_b,
        kind="renewal",
        asset=asset_b,
        key="lapse:2030-01-01",
        title=f"{MARKER} renewal",
        due_at=timezone.now(),
    )
    case_run_b = WorkflowRun.objects.create(
        client=client_b,
        process_key="rights_renewal",
        business_key="beta:rights_renewal:1",
        subject_type="exceptions.case",
        subject_id=case_b.pk,
        status="running",
        title=case_b.title,
    )
    Comment.objects.create(client=client_b, run=case_run_b, author=insider, author_label=insider.email, body=MARKER)
    external_b = member(client_b, RoleCode.EXTERNAL, email="external@beta.example")
    share_b = Share.objects.create(
        client=client_b,
        subject_type="assets.asset",
        subject_id=asset_b.pk,
        subject_label=asset_b.name,
        user=external_b,
        shared_by=insider,
        expires_at=timezone.now() + timedelta(days=10),
    )
    request_b = CreativeRequest.objects.create(
        client=client_b, requester=insider, requester_email=insider.email, title=f"{MARKER} request", status="draft"
    )
    delivery_b = Delivery.objects.create(
        client=client_b,
        request=request_b,
        delivered_by=insider,
        link_version=7,
        expires_at=timezone.now() + timedelta(days=3),
    )
    DeliveryItem.objects.create(client=client_b, delivery=delivery_b, asset=asset_b)
    format_b = Format.objects.create(client=client_b, name=f"{MARKER} format")
    campaign_type_b = CampaignType.objects.create(client=client_b, name=f"{MARKER} launch")
    onboarding_b = Onboarding.objects.create(client=client_b, asset=asset_b, source="bynder")
    onboarding_policy_b = OnboardingPolicy.objects.create(client=client_b, sources=["bynder"])
    RegionFactory(code="emea", name="EMEA", countries=["DE", "FR"])
    today = timezone.localdate()
    campaign_b = campaigns.create(
        campaigns.Plan(
            name=f"{MARKER} campaign",
            channels=["usage_web"],
            run_from=today + timedelta(days=10),
            run_until=today + timedelta(days=40),
            regions=[campaigns.RegionPlan(code="emea")],
        ),
        client=client_b,
        actor=insider,
    )
    (entry_b,) = campaigns.add_assets(campaign_b, [asset_b], actor=insider)
    review_link_b = ReviewLink.objects.create(
        client=client_b,
        holder_name=f"{MARKER} stakeholder",
        holder_email="stakeholder@beta.example",
        nonce="beta-nonce",
        created_by=insider,
        expires_at=timezone.now() + timedelta(days=3),
    )
    review_link_b.assets.set([asset_b])
    webhook_b = webhooks.create_endpoint(
        client=client_b,
        url="https://93.184.215.14/hook",
        event_types=["asset.approved"],
        description=f"{MARKER} DAM",
        actor=insider,
    ).endpoint
    return {
        "webhook_b": webhook_b,
        "campaign_b": campaign_b,
        "cell_b": entry_b.cells.get(),
        "review_link_b": review_link_b,
        "onboarding_b": onboarding_b,
        "onboarding_policy_b": onboarding_policy_b,
        "request_b": request_b,
        "delivery_b": delivery_b,
        "format_b": format_b,
        "campaign_type_b": campaign_type_b,
        "share_b": share_b,
        "case_b": case_b,
        "asset_b": asset_b,
        "run_b": run_b,
        "task_b": task_b,
        "call_b": call_b,
        "client_a": client_a,
        "client_b": client_b,
        "outsider": outsider,
        "insider": insider,
        "notification_b": notification_b,
        "mail_b": mail_b,
        "event_b": event_b,
        "token_b": token_b,
    }


def _url(name, world):
    return reverse(name, kwargs=ROUTES[name].kwargs(world))


def _body(response) -> str:
    if getattr(response, "streaming", False):
        return b"".join(response.streaming_content).decode()
    return response.content.decode()


@pytest.mark.parametrize("name", sorted(ROUTES))
def test_anonymous(name, world):
    route = ROUTES[name]
    url = _url(name, world)
    http = HttpClient()
    if route.kind == "post":
        response = http.post(url)
        assert response.status_code == 302 and response.url.startswith("/accounts/login/")
    elif route.kind == "hint":
        assert http.get(url).status_code == 405
        assert http.post(url, b"{}", content_type="application/json").status_code == 401
    elif route.kind == "api_post":
        assert http.post(url).status_code == 401
    elif route.kind == "api":
        response = http.get(url)
        assert response.status_code == 401
        assert response["Content-Type"] == "application/problem+json"
    elif route.kind == "public":
        assert http.get(url).status_code == 200
    elif route.kind == "feed":
        assert http.get(url).status_code == 404
        assert http.get(url, {"token": f"{world['insider'].pk}:forged"}).status_code == 404
    elif route.kind == "link":
        response = http.get(url)
        assert response.status_code == 404 and MARKER not in _body(response)
    elif route.kind == "signed":  # a forged signed link is refused with a page that says so
        response = http.get(url)
        assert response.status_code == 400 and MARKER not in _body(response)
    else:
        response = http.get(url)
        assert response.status_code == 302
        assert response.url.startswith("/accounts/login/?next=")


@pytest.mark.parametrize("name", sorted(n for n, r in ROUTES.items() if r.kind == "post"))
def test_post_only_routes_refuse_get(name, world):
    http = HttpClient()
    http.force_login(world["outsider"])
    assert http.get(_url(name, world)).status_code == 405


@pytest.mark.parametrize("name", sorted(n for n, r in ROUTES.items() if r.kind in {"html", "post", "api", "api_post"}))
def test_outsider_by_session(name, world):
    route = ROUTES[name]
    url = _url(name, world)
    http = HttpClient()
    http.force_login(world["outsider"])
    response = http.post(url) if route.kind in {"post", "api_post"} else http.get(url)
    _assert_outsider(route, response, world)


@pytest.mark.parametrize("name", sorted(n for n, r in ROUTES.items() if r.kind in {"api", "api_post"}))
def test_outsider_by_api_token(name, world):
    route = ROUTES[name]
    key = create_api_token(world["outsider"], actor=world["outsider"], name="k", scope="admin").key
    http = HttpClient(headers={"Authorization": f"Token {key}"})
    response = http.post(_url(name, world)) if route.kind == "api_post" else http.get(_url(name, world))
    _assert_outsider(route, response, world)


@pytest.mark.parametrize("name", sorted(n for n, r in ROUTES.items() if r.kind == "feed"))
def test_feeds_answer_only_to_their_token(name, world):
    """B's asset lapses within the window, so a feed or page that leaked it would show B's name."""
    Asset.objects.filter(pk=world["asset_b"].pk).update(rights_until=timezone.now() + timedelta(days=3))
    url = _url(name, world)
    http = HttpClient()
    http.force_login(world["outsider"])
    assert http.get(url).status_code == 404  # a session is not a token
    assert MARKER not in _body(http.get(reverse("exceptions:rights_calendar")))
    outsider_token = ROUTES[name].token(world["outsider"])
    own = HttpClient().get(url, {"token": outsider_token})
    assert own.status_code == 200 and MARKER not in _body(own)
    insider_token = ROUTES[name].token(world["insider"])
    _, _, signature = insider_token.partition(":")
    forged = HttpClient().get(url, {"token": f"{world['outsider'].pk}:{signature}"})
    assert forged.status_code == 404
    member = HttpClient().get(url, {"token": insider_token})
    assert member.status_code == 200 and MARKER in _body(member)  # so the absence above is not vacuous
    http.force_login(world["insider"])
    assert MARKER in _body(http.get(reverse("exceptions:rights_calendar")))


@pytest.mark.parametrize("name", sorted(n for n, r in ROUTES.items() if r.kind == "link" and n.startswith("creative:")))
def test_share_links_open_only_with_their_live_token(name, world):
    """Anyone holding the live link opens the delivery without an account; a forged, replaced or revoked link
    answers 404 (anonymous above: forged)."""
    from apps.creative import delivery as deliveries

    delivery = world["delivery_b"]
    kwargs = {**ROUTES[name].kwargs(world), "token": deliveries.token_of(delivery)}
    url = reverse(name, kwargs=kwargs)
    response = HttpClient().get(url)
    if name == "creative:shared_download":
        assert response.status_code == 503  # no binary on record: the shared page says why
        assert 'class="alert alert-error" role="alert"' in _body(response)
    else:
        assert response.status_code == 200 and MARKER in _body(response)
    Delivery.objects.filter(pk=delivery.pk).update(revoked_at=timezone.now())
    assert HttpClient().get(url).status_code == 404


def test_oauth_callback_without_a_flow_started_here_is_refused(world):
    http = HttpClient()
    http.force_login(world["outsider"])
    url = _url("integrations:smintio_callback", world)
    assert http.get(url).status_code == 400
    assert http.get(url, {"code": "stolen", "state": "not-mine"}).status_code == 403


def _assert_outsider(route, response, world):
    if route.lists_foreign_rows or (route.kind == "post" and not route.kwargs(world)):
        assert response.status_code in {200, 201, 302, 400}, response.status_code
        assert MARKER not in _body(response)
        if route.kind == "api" and "results" in (data := response.json()):
            assert all("beta" not in str(row) for row in data["results"])
    elif route.kwargs(world):
        assert response.status_code == 404, f"{response.status_code} for a foreign object"
        assert MARKER not in _body(response)
    else:
        assert response.status_code == 200
        assert MARKER not in _body(response)


@pytest.mark.parametrize("name", sorted(n for n, r in ROUTES.items() if r.kind in {"html", "api"}))
def test_member_reaches_the_same_routes(name, world, settings):
    http = HttpClient()
    http.force_login(world["insider"])
    response = http.get(_url(name, world))
    assert response.status_code == ROUTES[name].member_status
    if response.status_code == 302:
        assert MARKER in _body(http.get(response.url))  # where it sends the member says why
    elif (ROUTES[name].kwargs(world) and ROUTES[name].names_the_object) or name in {
        "clients:client_list",
        "api:client-list",
        "api:me",
    }:
        assert MARKER in _body(response) or "beta" in _body(response)


def test_member_revokes_their_own_token(world):
    http = HttpClient()
    http.force_login(world["insider"])
    assert http.post(_url("accounts:token_revoke", world)).status_code == 302
    assert ApiToken.objects.get(pk=world["token_b"].pk).revoked_at is not None


def test_outsider_lists_contain_zero_foreign_rows_in_the_api(world):
    key = create_api_token(world["outsider"], actor=world["outsider"], name="k").key
    http = HttpClient(headers={"Authorization": f"Token {key}"})
    assert [c["slug"] for c in http.get("/api/v1/clients/").json()["results"]] == ["acme"]
    assert all(e["client"] != "beta" for e in http.get("/api/v1/audit-events/").json()["results"])
    assert http.get("/api/v1/audit-events/", {"client": "beta"}).status_code == 400


def test_operator_admin_is_closed_to_non_staff(world):
    anonymous = HttpClient().get("/admin/")
    assert anonymous.status_code == 302
    http = HttpClient()
    http.force_login(world["outsider"])
    response = http.get("/admin/", follow=True)
    assert response.status_code == 403
    assert MARKER not in response.content.decode()


def test_admin_login_goes_through_the_portal_login(world):
    response = HttpClient().get("/admin/login/?next=/admin/")
    assert response.status_code == 302
    assert response.url.startswith("/accounts/login/")
