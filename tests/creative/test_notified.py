"""A creative request's requester hears of each decision on it by mail, over real SMTP, with the reason: the
content team's triage in the portal reaches OpenText, the request moves, the creative app publishes the move and
the notifications app mails it; who decided is not told of their own decision."""

from __future__ import annotations

import pytest

from apps.creative import services
from tests.mail_fixtures import deliver_all
from tests.platform_fixtures import settle

from .conftest import intake

pytestmark = pytest.mark.django_db(transaction=True)


def mails_to(smtp, address: str) -> list:
    return [m for m, rcpt in zip(smtp.messages, smtp.rcpt, strict=True) if address in rcpt]


def test_a_declined_request_mails_its_requester_the_reason_once(library, people, smtp):
    request = services.submit(actor=people["requester"], client=library, intake=intake(title="Spring hiking"))
    settle()
    services.triage(request, actor=people["ops"], outcome="decline", reason="No budget this quarter.")
    settle()
    deliver_all()
    deliver_all()

    declined = [m for m in mails_to(smtp, "asker@acme.example") if "Declined" in m["Subject"]]
    assert len(declined) == 1
    text, html = smtp.parts(declined[0])
    assert "No budget this quarter." in text and "No budget this quarter." in html
    assert "You made this creative request." in text
    assert f"https://greenlight.example/requests/{request.pk}/" in text
    assert not mails_to(smtp, "ops@acme.example")
