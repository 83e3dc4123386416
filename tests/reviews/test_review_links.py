"""Issue 15, item 7: a client stakeholder without an account reviews, through a signed, expiring, revocable link,
exactly the assets a member sent: the link shows nothing else, works neither expired nor revoked, and every view,
decision and comment is audited with the holder's name; their decision takes the one decision path (one completion
queued for OpenText in their name, a ``Decision`` carrying their e-mail)."""

from __future__ import annotations

import re
from datetime import timedelta

import pytest
from django.core.cache import cache
from django.utils import timezone

from apps.audit.models import AuditEvent
from apps.common import links as signed_links
from apps.common.roles import RoleCode
from apps.outbox.models import OutboxMessage
from apps.reviews import links
from apps.reviews.models import ReviewLink
from apps.workflows import services as workflows
from apps.workflows.choices import TaskStatus
from apps.workflows.models import Comment, Decision
from tests.factories import member
from tests.reviews.factories import approval_run, licensed_asset, review_task

pytestmark = pytest.mark.django_db

STAKEHOLDER = {"name": "Dana Stakeholder", "email": "dana@contoso-partner.example"}


@pytest.fixture(autouse=True)
def _clean_cache():
    cache.clear()
    yield
    cache.clear()


@pytest.fixture
def sender(client_a):
    return member(client_a, RoleCode.CONTENT_MANAGER, email="cm@acme.example")


@pytest.fixture
def review(client_a, sender):
    """Two assets waiting for the stakeholder step, a third one too (not sent), the link for the first two."""
    sent = [licensed_asset(client_a, name=name) for name in ("Harbour dawn", "Summit trail")]
    other = licensed_asset(client_a, name="Unsent canyon")
    steps = {asset.pk: review_task(approval_run(asset), RoleCode.EXTERNAL) for asset in [*sent, other]}
    link = links.create_link(actor=sender, assets=[a.pk for a in sent], **STAKEHOLDER)
    return {"link": link, "sent": sent, "other": other, "steps": steps, "url": f"/review/{links.token_for(link)}/"}


def _post(http, url, **data):
    return http.post(url, data)


def test_the_link_shows_the_assets_sent_and_nothing_else(client, review, login, sender):
    page = client.get(review["url"])
    assert page.status_code == 200
    html = page.content.decode()
    assert "Harbour dawn" in html and "Summit trail" in html
    assert "Unsent canyon" not in html
    assert "May be used" in html  # the licence in plain words
    assert 'class="nav' not in html and "Sign out" not in html  # no navigation
    # signed in as a member, the link still shows no navigation and nothing else
    member_view = login(sender).get(review["url"]).content.decode()
    assert "Sign out" not in member_view and "Unsent canyon" not in member_view
    # an asset the link does not name cannot be decided or commented through it
    other = review["other"]
    for action in ("decide", "comment"):
        refused = _post(client, review["url"], asset=other.pk, action=action, outcome="approved", body="x")
        assert refused.status_code == 404 and "Unsent canyon" not in refused.content.decode()
    assert review["steps"][other.pk].status == TaskStatus.OPEN
    assert not Decision.objects.exists() and not Comment.objects.exists()


def test_every_view_is_audited_with_the_holder_name(client, review):
    client.get(review["url"])
    views = AuditEvent.objects.filter(action="reviews.link.view")
    assert {e.object_id for e in views} == {str(a.pk) for a in review["sent"]}
    assert all("Dana Stakeholder" in e.actor_label and e.actor_id is None for e in views)
    review["link"].refresh_from_db()
    assert review["link"].uses == 1 and review["link"].last_used_at is not None


def test_the_holder_approves_through_the_one_decision_path(client, review):
    asset = review["sent"][0]
    step = review["steps"][asset.pk]
    answer = _post(client, review["url"], asset=asset.pk, action="decide", outcome="approved", version=step.version)
    assert answer.status_code == 200
    assert "Your decision on “Harbour dawn” was recorded" in answer.content.decode()
    step.refresh_from_db()
    assert step.status == TaskStatus.COMPLETED and step.outcome == "approved"
    assert step.assignee_id is None and step.assignee_email == STAKEHOLDER["email"]
    decision = Decision.objects.get(task=step)
    assert decision.actor_id is None and decision.by == STAKEHOLDER["email"]
    completions = OutboxMessage.objects.filter(kind="opentext.complete", payload__task=step.pk)
    assert [m.payload["assignee"] for m in completions] == [STAKEHOLDER["email"]]
    claims = OutboxMessage.objects.filter(kind="opentext.claim", payload__task=step.pk)
    assert [m.payload["assignee"] for m in claims] == [STAKEHOLDER["email"]]
    audited = AuditEvent.objects.get(action="reviews.link.decide")
    assert audited.object_id == str(asset.pk) and "Dana Stakeholder" in audited.actor_label
    assert audited.after["outcome"] == "approved"
    completed = AuditEvent.objects.get(action="workflows.task.approved", object_id=str(step.pk))
    assert completed.after["by"] == STAKEHOLDER["email"] and completed.after["name"] == "Dana Stakeholder"
    # deciding again: the step is no longer open, said in place
    again = _post(client, review["url"], asset=asset.pk, action="decide", outcome="rejected", reason="late")
    assert again.status_code == 400 and "Nothing waits for your decision" in again.content.decode()
    assert Decision.objects.count() == 1


def test_a_reject_without_reason_is_refused_in_place_with_nothing_lost(client, review):
    asset = review["sent"][1]
    answer = _post(client, review["url"], asset=asset.pk, action="decide", outcome="rejected", reason="  ")
    assert answer.status_code == 400
    html = answer.content.decode()
    assert "needs a reason" in html
    reason_field = re.search(rf'<textarea id="decide-{asset.pk}-reason"[^>]*>', html).group(0)
    assert "autofocus" in reason_field and 'aria-invalid="true"' in reason_field
    assert re.search(r'value="rejected" checked', html)  # the choice is kept
    assert review["steps"][asset.pk].status == TaskStatus.OPEN and not Decision.objects.exists()
    done = _post(client, review["url"], asset=asset.pk, action="decide", outcome="rejected", reason="Wrong season")
    assert done.status_code == 200
    assert Decision.objects.get().reason == "Wrong season"


def test_an_unknown_outcome_is_refused_at_the_choice(client, review):
    asset = review["sent"][0]
    answer = _post(client, review["url"], asset=asset.pk, action="decide", outcome="")
    assert answer.status_code == 400
    assert re.search(r'value="approved" autofocus', answer.content.decode())


def test_the_holder_comments_on_the_asset_conversation(client, review):
    asset = review["sent"][0]
    empty = _post(client, review["url"], asset=asset.pk, action="comment", body="")
    assert empty.status_code == 400 and "cannot be empty" in empty.content.decode()
    assert _post(client, review["url"], asset=asset.pk, action="comment", body="Love the light").status_code == 200
    note = Comment.objects.get()
    assert note.author_id is None and note.author_label == STAKEHOLDER["email"]
    assert note.task_id == review["steps"][asset.pk].pk
    copies = OutboxMessage.objects.filter(kind="opentext.comment", payload__task=note.task_id)
    assert [m.payload["message"] for m in copies] == [f"{STAKEHOLDER['email']}: Love the light"]
    audited = AuditEvent.objects.get(action="reviews.link.comment")
    assert audited.object_id == str(asset.pk) and "Dana Stakeholder" in audited.actor_label


@pytest.mark.parametrize("how", ["expired", "revoked", "forged", "other purpose"])
def test_a_link_that_no_longer_works_shows_nothing(client, review, sender, how):
    link = review["link"]
    url = review["url"]
    if how == "expired":
        ReviewLink.objects.filter(pk=link.pk).update(
            created_at=timezone.now() - timedelta(days=20), expires_at=timezone.now() - timedelta(seconds=1)
        )
    elif how == "revoked":
        assert links.revoke_link(link, actor=sender)
        assert AuditEvent.objects.filter(action="reviews.link.revoke").count() == 2
    elif how == "forged":
        url = url[:-3] + ("A" if url[-3] != "A" else "B") + url[-2:]
    else:  # an exception agency link's signer over the same id and nonce
        from apps.exceptions.remediation import LINKS as AGENCY_LINKS

        url = f"/review/{AGENCY_LINKS.token(link)}/"
    for response in (
        client.get(url),
        _post(client, url, asset=review["sent"][0].pk, action="decide", outcome="approved"),
    ):
        assert response.status_code == 404
        html = response.content.decode()
        assert "This link no longer works" in html
        assert "Harbour dawn" not in html and "Dana" not in html
    assert not Decision.objects.exists()
    assert not AuditEvent.objects.filter(action__in=["reviews.link.view", "reviews.link.decide"]).exists()


def test_tokens_that_open_nothing_are_rate_limited_per_address(client, review):
    for n in range(signed_links.MISS_LIMIT):
        assert client.get(f"/review/{n}.guess:nosig/").status_code == 404
    assert client.get(f"/review/{n}.guess:nosig/").status_code == 429
    assert client.get(review["url"]).status_code == 429  # even a good token, from that address, for a while
    other = client.get(review["url"], REMOTE_ADDR="10.9.9.9")
    assert other.status_code == 200


def test_only_stakeholder_steps_can_be_decided_as_a_holder(client_a, review):
    legal_step = review_task(approval_run(licensed_asset(client_a)), RoleCode.LEGAL)
    holder = links.holder_of(review["link"])
    with pytest.raises(workflows.NotASigner):
        workflows.decide_as_holder(legal_step, holder=holder, outcome="approved")
    legal_step.refresh_from_db()
    assert legal_step.status == TaskStatus.OPEN


def test_who_may_send_a_link_and_what(client_a, client_b, sender, external):
    mine = licensed_asset(client_a, name="Mine")
    theirs = licensed_asset(client_b, name="Theirs")
    with pytest.raises(links.LinkRefused) as refused:
        links.create_link(actor=sender, assets=[mine.pk, theirs.pk], **STAKEHOLDER)
    assert refused.value.field == "assets"  # client B's asset is not among those the sender sees
    with pytest.raises(links.LinkRefused) as refused:
        links.create_link(actor=external, assets=[mine.pk], **STAKEHOLDER)
    assert refused.value.field == "assets"  # an external member sees no asset not shared with them
    for bad, field in (({"name": ""}, "name"), ({"email": "dana"}, "email"), ({"days": 0}, "days")):
        with pytest.raises(links.LinkRefused) as refused:
            links.create_link(actor=sender, assets=[mine.pk], **{**STAKEHOLDER, **bad})
        assert refused.value.field == field
    with pytest.raises(links.LinkRefused) as refused:
        links.create_link(actor=sender, assets=[], **STAKEHOLDER)
    assert refused.value.field == "assets"
    assert not ReviewLink.objects.exists()


def test_the_members_page_sends_lists_and_revokes_links(client_a, sender, login, outsider):
    asset = licensed_asset(client_a, name="Ready canyon")
    review_task(approval_run(asset), RoleCode.EXTERNAL)
    http = login(sender)
    page = http.get("/review-links/").content.decode()
    assert "Ready canyon" in page and "No link sent yet" in page
    refused = http.post(
        "/review-links/", {"name": "Dana", "email": "not-an-address", "days": "7", "assets": [asset.pk]}
    )
    assert refused.status_code == 400
    html = refused.content.decode()
    assert 'id="link-email"' in html and re.search(r'id="link-email"[^>]*autofocus', html)
    assert 'value="Dana"' in html  # nothing typed is lost
    sent = http.post("/review-links/", {"name": "Dana", "email": "dana@x.example", "days": "7", "assets": [asset.pk]})
    assert sent.status_code == 302
    link = ReviewLink.objects.get()
    listing = http.get("/review-links/").content.decode()
    assert f"/review/{links.token_for(link)}/" in listing
    assert AuditEvent.objects.filter(action="reviews.link.create", object_id=str(asset.pk)).count() == 1
    # another client's admin neither sees nor revokes it
    other = login(outsider)
    assert "dana@x.example" not in other.get("/review-links/").content.decode()
    assert other.post(f"/review-links/{link.pk}/revoke/").status_code == 404
    assert http.post(f"/review-links/{link.pk}/revoke/").status_code == 302
    link.refresh_from_db()
    assert link.state == "revoked"


def test_the_members_page_says_what_to_do_when_nothing_waits(sender, login):
    page = login(sender).get("/review-links/").content.decode()
    assert "No asset waits for a stakeholder" in page
