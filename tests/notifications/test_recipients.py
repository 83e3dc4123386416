"""Each notifying event reaches exactly the people the agreed data and the memberships say, once."""

from __future__ import annotations

import pytest

from apps.common.roles import RoleCode
from apps.notifications.choices import Kind
from apps.notifications.models import Notification
from apps.workflows.models import WorkflowRun
from tests.factories import member

from .conftest import publish, task_data

pytestmark = pytest.mark.django_db


@pytest.fixture
def people(client_a, requester, legal, agency_admin, outsider):
    return {
        "requester": requester,
        "legal": legal,
        "admin": agency_admin,
        "outsider": outsider,
        "brand": member(client_a, RoleCode.BRAND, email="brand@acme.example"),
    }


def _emails(event_key):
    return sorted(Notification.objects.filter(event_key=event_key).values_list("user__email", flat=True))


CASES = [
    # (event, data builder(people), who is told, kind)
    (
        "task.delegated",
        lambda p: task_data(delegate=p["brand"].pk, on_behalf_of=p["legal"].pk),
        ["brand"],
        Kind.TASK_DELEGATED,
    ),
    (
        "task.escalated",
        lambda p: task_data(recipients=[p["admin"].pk, p["requester"].pk, p["outsider"].pk]),
        ["admin", "requester"],
        Kind.TASK_ESCALATED,
    ),
    (
        "comment.mentioned",
        lambda p: (
            {"url": "/assets/487/", "title": "Alpine hero", "comment": 9, "run": 42, "task": None}
            | {"author_label": "Lena", "excerpt": "@brand look", "mentioned": [p["brand"].pk, p["outsider"].pk]}
        ),
        ["brand"],
        Kind.COMMENT_MENTIONED,
    ),
    (
        "case.opened",
        lambda p: (
            {"url": "/cases/3/", "title": "Alpine hero renewal", "case": 3, "kind": "Rights renewal"}
            | {"asset": 487, "asset_owner": p["requester"].pk}
        ),
        ["requester"],
        Kind.CASE_OPENED,
    ),
    (
        "case.decided",
        lambda p: (
            {"url": "/cases/3/", "title": "Alpine hero renewal", "case": 3, "outcome": "renewed", "reason": ""}
            | {"asset": 487, "requested_by": p["legal"].pk, "asset_owner": p["requester"].pk}
        ),
        ["legal", "requester"],
        Kind.CASE_DECIDED,
    ),
    (
        "request.delivered",
        lambda p: (
            {"url": "/requests/5/", "title": "Spring banner", "request": 5, "assets": [1, 2]}
            | {"requested_by": p["requester"].pk}
        ),
        ["requester"],
        Kind.REQUEST_STATUS,
    ),
]


@pytest.mark.parametrize(("name", "build", "told", "kind"), CASES, ids=[c[0] for c in CASES])
def test_each_event_reaches_the_right_people_once(name, build, told, kind, client_a, people):
    data = build(people)
    publish(name, key=f"{name}:1", client=client_a, data=data)
    publish(name, key=f"{name}:1", client=client_a, data=data)  # re-published: nothing more
    assert _emails(f"{name}:1") == sorted(people[who].email for who in told)
    assert set(Notification.objects.values_list("kind", flat=True)) == {kind}
    assert all(n.why and n.url == data["url"] for n in Notification.objects.all())


def test_the_actor_of_a_mention_is_not_told_and_inactive_people_are_not(client_a, people):
    people["brand"].is_active = False
    people["brand"].save()
    data = {"url": "/assets/487/", "title": "Alpine hero", "comment": 9, "run": 42, "task": None}
    data |= {"author_label": "Lena", "excerpt": "hi", "mentioned": [people["legal"].pk, people["brand"].pk]}
    publish("comment.mentioned", key="comment.mentioned:9", client=client_a, data=data, actor=people["legal"])
    assert not Notification.objects.exists()


def test_a_withdrawn_asset_reaches_who_started_its_approval(client_a, people):
    WorkflowRun.objects.create(
        client=client_a,
        process_key="asset_approval",
        business_key="w-1",
        subject_type="assets.asset",
        subject_id=487,
        started_by=people["requester"],
    )
    data = {"url": "/assets/487/", "title": "Alpine hero", "asset": 487, "reason": "Rights expired"}
    publish("asset.withdrawn", key="asset.withdrawn:487:1", client=client_a, data=data)
    (row,) = Notification.objects.all()
    assert row.user == people["requester"] and "Rights expired" in row.body


def test_an_event_of_one_client_never_reaches_members_of_another(client_a, client_b, people):
    """The outsider is an agency admin of client B: a sync break at A is not theirs to hear of."""
    publish(
        "sync.broken",
        key="sync.broken:a",
        client=client_a,
        data={"url": "/sync/", "title": "OpenText"} | {"platform": "opentext", "reason": "refused"},
    )
    assert _emails("sync.broken:a") == [people["admin"].email]


@pytest.mark.parametrize(
    ("name", "extra"),
    [
        ("case.opened", {"case": 5, "kind": "Rights issue", "asset_owner": None}),
        ("asset.withdrawn", {"reason": "Rights expired"}),
        ("asset.approved", {"run": 3, "outcome": "approved", "reason": "", "requested_by": None, "decided_by": "L"}),
    ],
)
def test_an_asset_nobody_asked_to_approve_by_hand_reaches_the_clients_content_owners(client_a, people, name, extra):
    """The sync starts approval cycles on its own: then "my asset" is the content owners' (not an external one)."""
    owner = member(client_a, RoleCode.CONTENT_OWNER, email="owner@acme.example")
    member(client_a, RoleCode.CONTENT_OWNER, RoleCode.EXTERNAL, email="ext-owner@acme.example")
    data = {"url": "/assets/487/", "title": "Alpine hero", "asset": 487} | extra
    publish(name, key=f"{name}:nobody", client=client_a, data=data)
    assert _emails(f"{name}:nobody") == [owner.email]
    assert "content owner of" in Notification.objects.get(event_key=f"{name}:nobody").why
