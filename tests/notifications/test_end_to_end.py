"""The whole path, nothing published by hand: a decision taken in the portal is carried to OpenText, the run ends,
the domain app publishes the outcome, the notifications app writes the rows and the worker mails them over real
SMTP, once (a creative request's requester: ``tests/creative/test_notified.py``)."""

from __future__ import annotations

import pytest

from apps.notifications.models import Notification
from apps.workflows import services as workflows
from tests.mail_fixtures import deliver_all
from tests.platform_fixtures import settle
from tests.reviews.test_flow import open_task as review

pytestmark = pytest.mark.django_db(transaction=True)


def mails_to(smtp, address: str) -> list:
    return [m for m, rcpt in zip(smtp.messages, smtp.rcpt, strict=True) if address in rcpt]


def test_an_approval_decided_here_mails_its_outcome_and_reason_to_the_contents_owner_once(
    platforms, cycle, reviewers, smtp
):
    workflows.decide(review(cycle, "legal"), actor=reviewers["legal"], outcome="approved", reason="Release on file")
    workflows.decide(review(cycle, "brand"), actor=reviewers["brand"], outcome="approved", reason="On brand")
    workflows.decide(
        review(cycle, "marketing"), actor=reviewers["marketing"], outcome="rejected", reason="Wrong season for us"
    )
    settle()
    deliver_all()
    deliver_all()  # a second drain sends nothing more

    [mail] = mails_to(smtp, "owner@acme.example")
    text, html = smtp.parts(mail)
    assert "rejected" in mail["Subject"] and "Wrong season for us" in html
    assert "content owner of" in text  # why they got it: the sync started this cycle, nobody by hand
    assert f"https://greenlight.example/assets/{cycle.subject_id}/" in text
    assert mail["List-Unsubscribe"]
    # the reviewers decided: they are not told of their own decisions' outcome as owners
    assert not mails_to(smtp, "legal@acme.example")
    assert Notification.objects.filter(user=reviewers["owner"], kind="asset.decided").count() == 1
