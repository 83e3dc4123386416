"""Issue 12 item 11: the sync log lists every call with filters and keyset paging, names assets, and its counts agree
with what it says is waiting."""

from datetime import timedelta
from itertools import count

import pytest
from django.utils import timezone

from apps.outbox.models import OutboxMessage
from tests.reviews.factories import licensed_asset

pytestmark = pytest.mark.django_db
_n = count(1)


def call(client, *, platform="smintio", kind="smintio.workflow_status", status="done", element="", attempts=1):
    now = timezone.now()
    return OutboxMessage.objects.create(
        client=client,
        platform=platform,
        kind=kind,
        ordering_key=f"k{next(_n)}",
        payload={"content_element_uuid": element, "body": {"status": "approved"}} if element else {},
        idempotency_key=f"idem-{next(_n)}",
        status=status,
        attempts=attempts,
        next_attempt_at=now,
        give_up_at=now + timedelta(hours=72),
        sent_at=now if status == "done" else None,
    )


def _calls(page: str) -> str:
    return page.split('id="calls-title"', 1)[1].split("</section>", 1)[0]


def test_calls_are_filtered_by_platform_state_client_and_asset_name(client_a, client_b, agency_admin, login):
    hero = licensed_asset(client_a, name="Alpine hero")
    other = licensed_asset(client_a, name="Beach banner")
    mine = call(client_a, element=hero.content_element_uuid)
    beach = call(client_a, element=other.content_element_uuid, status="failed")
    ot = call(client_a, platform="opentext", kind="opentext.complete_task")
    foreign = call(client_b, kind="smintio.secret_kind")
    http = login(agency_admin)
    everything = _calls(http.get("/sync/").content.decode())
    assert all(f'<td class="call-id">{m.pk}</td>' in everything for m in (mine, beach, ot))
    assert (
        f'<td class="call-id">{foreign.pk}</td>' not in everything
        and "secret_kind" not in http.get("/sync/").content.decode()
    )
    assert "<td>Alpine hero</td>" in everything  # the asset by name, not a truncated id
    by_name = _calls(http.get("/sync/", {"asset": "alpine"}).content.decode())
    assert f'<td class="call-id">{mine.pk}</td>' in by_name and f'<td class="call-id">{beach.pk}</td>' not in by_name
    failed = _calls(http.get("/sync/", {"status": "failed"}).content.decode())
    assert f'<td class="call-id">{beach.pk}</td>' in failed and f'<td class="call-id">{mine.pk}</td>' not in failed
    opentext = _calls(http.get("/sync/", {"platform": "opentext", "client": "acme"}).content.decode())
    assert f'<td class="call-id">{ot.pk}</td>' in opentext and f'<td class="call-id">{mine.pk}</td>' not in opentext
    assert http.get("/sync/", {"client": "beta"}).status_code == 200  # not theirs: a form error, nothing listed
    assert "Some filters are not valid" in http.get("/sync/", {"client": "beta"}).content.decode()


def test_calls_page_by_keyset(client_a, agency_admin, login):
    made = [call(client_a) for _ in range(30)]
    http = login(agency_admin)
    first = _calls(http.get("/sync/").content.decode())
    assert f'<td class="call-id">{made[-1].pk}</td>' in first and f'<td class="call-id">{made[0].pk}</td>' not in first
    assert f"before={made[5].pk}" in first  # 25 a page: the next page starts below the 25th newest
    second = _calls(http.get("/sync/", {"before": made[5].pk}).content.decode())
    assert (
        all(f'<td class="call-id">{m.pk}</td>' in second for m in made[:5])
        and f'<td class="call-id">{made[5].pk}</td>' not in second
    )


def test_the_waiting_message_agrees_with_the_counts(client_a, agency_admin, login):
    for _ in range(3):
        call(client_a, status="sending", attempts=1)
    page = login(agency_admin).get("/sync/").content.decode()
    assert "<strong>3</strong> sending" in page
    assert "Nothing is waiting" not in page and "No call needs a person: 3 on their way" in page
