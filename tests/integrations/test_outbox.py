"""The outbox relay's guarantees, exercised with local handlers (the platforms' own faults are exercised over HTTP
against the emulators in test_delivery.py): order per object, leases, retry schedule, parking, breaker, claims."""

import itertools
from datetime import timedelta

import pytest
from django.db import transaction
from django.utils import timezone

from apps.audit.models import AuditEvent
from apps.outbox import services as outbox
from apps.outbox.choices import OutboxStatus
from apps.outbox.errors import PermanentError, TransientError
from apps.outbox.models import CircuitBreaker, OutboxMessage
from tests.concurrency import at_once

CALLS: list[tuple[int, str]] = []
BEHAVIOUR: dict[str, list] = {}


@outbox.handler("tests.effect")
def _effect(message):
    """Fails as ``BEHAVIOUR[key]`` says (one entry per call), else succeeds; records every call."""
    CALLS.append((message.pk, message.idempotency_key))
    plan = BEHAVIOUR.get(message.payload.get("key", ""), [])
    if plan:
        outcome = plan.pop(0)
        if outcome is not None:
            raise outcome
    return {"ok": True}


@pytest.fixture(autouse=True)
def _reset():
    CALLS.clear()
    BEHAVIOUR.clear()
    yield
    CALLS.clear()
    BEHAVIOUR.clear()


def _enqueue(client, key="a", ordering_key="obj:1"):
    with transaction.atomic():
        return outbox.enqueue(
            client=client, platform="smintio", kind="tests.effect", ordering_key=ordering_key, payload={"key": key}
        )


def _drain():
    return outbox.drain(max_seconds=5)


def _row(message):
    return OutboxMessage.objects.get(pk=message.pk)


pytestmark = pytest.mark.django_db


def test_a_decision_rolled_back_leaves_no_outbox_row_and_no_queue_row(client_a):
    from django_q.models import OrmQ

    def decide_then_fail():
        with transaction.atomic():
            outbox.enqueue(client=client_a, platform="smintio", kind="tests.effect", ordering_key="x", payload={})
            raise RuntimeError("the decision failed after the row was written")

    with pytest.raises(RuntimeError):
        decide_then_fail()
    assert OutboxMessage.objects.count() == 0
    assert OrmQ.objects.count() == 0


def test_unknown_kinds_are_refused_at_enqueue(client_a):
    with pytest.raises(ValueError, match="No outbox handler"):
        outbox.enqueue(client=client_a, platform="smintio", kind="tests.nothing", ordering_key="x", payload={})


def test_500_then_200_is_two_calls_with_the_same_idempotency_key(client_a):
    message = _enqueue(client_a, key="flaky")
    BEHAVIOUR["flaky"] = [TransientError("Smint.io", "boom", status=500)]
    assert _drain() == {"pending": 1}
    OutboxMessage.objects.filter(pk=message.pk).update(next_attempt_at=timezone.now())
    assert _drain() == {"done": 1}
    assert [key for _pk, key in CALLS] == [message.idempotency_key] * 2
    assert _row(message).status == OutboxStatus.DONE and _row(message).attempts == 2


def test_retry_after_is_honoured(client_a):
    message = _enqueue(client_a, key="limited")
    BEHAVIOUR["limited"] = [TransientError("Smint.io", "slow down", status=429, retry_after=30)]
    before = timezone.now()
    _drain()
    assert _row(message).next_attempt_at >= before + timedelta(seconds=30)


def test_a_permanent_error_is_parked_at_once_without_retry(client_a):
    message = _enqueue(client_a, key="bad")
    BEHAVIOUR["bad"] = [PermanentError("Smint.io", "unprocessable", status=422)]
    assert _drain() == {"failed": 1}
    row = _row(message)
    assert (row.status, row.attempts, row.last_status_code) == (OutboxStatus.FAILED, 1, 422)
    assert "unprocessable" in row.last_error
    assert len(CALLS) == 1


def test_later_effects_of_the_same_object_wait_for_earlier_ones(client_a):
    first = _enqueue(client_a, key="first-fails", ordering_key="asset:7")
    second = _enqueue(client_a, key="second", ordering_key="asset:7")
    other = _enqueue(client_a, key="other", ordering_key="asset:8")
    BEHAVIOUR["first-fails"] = [TransientError("Smint.io", "down", status=503)]
    _drain()
    assert [pk for pk, _ in CALLS] == [first.pk, other.pk]  # the second waits behind the first
    assert _row(second).status == OutboxStatus.PENDING and _row(second).attempts == 0
    OutboxMessage.objects.filter(pk=first.pk).update(next_attempt_at=timezone.now())
    _drain()
    assert [pk for pk, _ in CALLS][2:] == [first.pk, second.pk]


def test_a_parked_row_holds_its_object_until_a_person_acts(client_a, agency_admin):
    first = _enqueue(client_a, key="bad", ordering_key="asset:9")
    second = _enqueue(client_a, key="next", ordering_key="asset:9")
    BEHAVIOUR["bad"] = [PermanentError("Smint.io", "no", status=422)]
    _drain()
    assert _row(second).status == OutboxStatus.PENDING and not any(pk == second.pk for pk, _ in CALLS)
    outbox.discard(_row(first), actor=agency_admin, reason="obsolete decision")
    _drain()
    assert _row(second).status == OutboxStatus.DONE
    assert AuditEvent.objects.get(action="integrations.outbox.discard").reason == "obsolete decision"


def test_retry_now_requeues_a_failed_row_and_is_audited(client_a, agency_admin):
    message = _enqueue(client_a, key="once-bad")
    BEHAVIOUR["once-bad"] = [PermanentError("Smint.io", "no", status=400)]
    _drain()
    outbox.retry_now(_row(message), actor=agency_admin)
    _drain()
    assert _row(message).status == OutboxStatus.DONE
    assert AuditEvent.objects.filter(action="integrations.outbox.retry", object_id=str(message.pk)).exists()
    with pytest.raises(ValueError, match="Only failed calls"):
        outbox.retry_now(_row(message), actor=agency_admin)


def test_discard_needs_a_reason(client_a, agency_admin):
    message = _enqueue(client_a)
    with pytest.raises(ValueError, match="Say why"):
        outbox.discard(message, actor=agency_admin, reason=" ")


def test_a_worker_that_died_mid_call_leaves_a_lease_that_expires(client_a):
    message = _enqueue(client_a)
    claimed = outbox.claim()
    assert [row.pk for row in claimed] == [message.pk]
    assert outbox.claim() == []  # held by the (dead) worker
    OutboxMessage.objects.filter(pk=message.pk).update(lease_until=timezone.now() - timedelta(seconds=1))
    assert _drain() == {"done": 1}
    assert _row(message).attempts == 2  # the lost attempt counts


def test_retry_schedule_grows_about_twofold_is_jittered_capped_and_gives_up_at_72_hours(client_a, settings):
    """O7 with a frozen clock: the mean delay doubles per attempt until the 15-minute cap."""
    means = []
    for attempts in range(1, 12):
        samples = [outbox.backoff_seconds(attempts) for _ in range(400)]
        assert all(0 <= s <= settings.OUTBOX_BACKOFF_CAP for s in samples)
        assert len({round(s, 3) for s in samples}) > 300  # jittered
        means.append(sum(samples) / len(samples))
    for earlier, later in itertools.pairwise(means[:8]):
        assert 1.6 < later / earlier < 2.5
    assert means[-1] == pytest.approx(settings.OUTBOX_BACKOFF_CAP / 2, rel=0.15)
    message = _enqueue(client_a, key="forever")
    BEHAVIOUR["forever"] = [TransientError("Smint.io", "down", status=503)] * 3
    OutboxMessage.objects.filter(pk=message.pk).update(give_up_at=timezone.now() - timedelta(seconds=1))
    assert _drain() == {"failed": 1}


def test_breaker_opens_after_five_failures_skips_without_counting_then_probes_once(client_a, settings):
    rows = [_enqueue(client_a, key=f"down{n}", ordering_key=f"obj:{n}") for n in range(6)]
    for n in range(6):
        BEHAVIOUR[f"down{n}"] = [TransientError("Smint.io", "down", status=503)]
    _drain()
    assert len(CALLS) == 5  # the sixth was not attempted: the breaker opened
    breaker = CircuitBreaker.objects.get(platform="smintio")
    assert breaker.consecutive_failures == 5 and breaker.open_until > timezone.now()
    assert _row(rows[5]).attempts == 0
    assert _row(rows[5]).next_attempt_at >= breaker.open_until - timedelta(seconds=1)
    # After the open period, exactly one probe; its success closes the breaker.
    CircuitBreaker.objects.filter(pk=breaker.pk).update(open_until=timezone.now() - timedelta(seconds=1))
    assert outbox.breaker_allows("smintio") is True
    assert outbox.breaker_allows("smintio") is False
    outbox.breaker_success("smintio")
    assert outbox.breaker_allows("smintio") is True


@pytest.mark.postgres
@pytest.mark.django_db(transaction=True)
def test_four_workers_drain_a_thousand_rows_each_sent_once(client_a):
    """C2: SKIP LOCKED claims; no row is sent twice, none is left."""
    OutboxMessage.objects.bulk_create(
        [
            OutboxMessage(
                client=client_a,
                platform="opentext",
                kind="tests.effect",
                ordering_key=f"obj:{n}",
                payload={},
                idempotency_key=f"key-{n}",
                next_attempt_at=timezone.now(),
                give_up_at=timezone.now() + timedelta(hours=1),
            )
            for n in range(1000)
        ]
    )
    at_once(lambda: outbox.drain(max_seconds=60, batch=20), 4)
    sent = [pk for pk, _ in CALLS]
    assert len(sent) == 1000 and len(set(sent)) == 1000
    assert OutboxMessage.objects.filter(status=OutboxStatus.DONE).count() == 1000


def test_a_stopping_worker_hands_claimed_rows_back_at_once(client_a, tmp_path, monkeypatch):
    """run_worker asks its cluster to stop (a flag file) while a drain is under way: the row in hand is finished,
    the other rows it claimed go back to the queue at once, their claim not counted, not after their lease."""
    from apps.integrations import worker

    rows = [_enqueue(client_a, key=f"k{n}", ordering_key=f"obj:{n}") for n in range(3)]
    monkeypatch.setenv(worker.STATE_ENV, str(tmp_path))
    deliver = outbox.deliver

    def deliver_then_stop(row):
        (tmp_path / worker.STOP_FILE).touch()  # SIGTERM arrives while the first call is made
        return deliver(row)

    monkeypatch.setattr(outbox, "deliver", deliver_then_stop)
    assert outbox.drain(max_seconds=5) == {OutboxStatus.DONE: 1}
    states = [(_row(r).status, _row(r).attempts, _row(r).lease_until) for r in rows]
    assert states == [(OutboxStatus.DONE, 1, None)] + [(OutboxStatus.PENDING, 0, None)] * 2
    assert outbox.drain(max_seconds=5) == {}  # nothing more while stopping


def test_a_batch_that_outlives_its_lease_is_never_sent_twice(client_a):
    """A drain claims a batch and sends it row by row; if its lease runs out meanwhile, another drain recovers and
    sends the rows. The first drain, when it reaches them, finds them no longer its own and sends nothing."""
    rows = [_enqueue(client_a, key=f"k{n}", ordering_key=f"obj:{n}") for n in range(3)]
    slow = outbox.claim(10)  # worker A's batch
    assert len(slow) == 3
    OutboxMessage.objects.update(lease_until=timezone.now() - timedelta(seconds=1))  # A took too long
    assert outbox.drain(max_seconds=5) == {OutboxStatus.DONE: 3}  # worker B recovers and sends them
    assert [outbox.deliver(row) for row in slow] == [OutboxStatus.SENDING] * 3  # A: not ours any more
    assert sorted(pk for pk, _key in CALLS) == sorted(r.pk for r in rows)  # each sent once
    assert {(_row(r).status, _row(r).attempts) for r in rows} == {(OutboxStatus.DONE, 2)}


def test_each_row_of_a_batch_gets_a_full_lease_when_its_turn_comes(client_a, settings):
    """A batch whose calls are slow does not run out of lease: each row's lease starts when it is sent."""
    settings.OUTBOX_LEASE_SECONDS = 60
    row = _enqueue(client_a)
    (claimed,) = outbox.claim(10)
    OutboxMessage.objects.filter(pk=row.pk).update(lease_until=timezone.now() + timedelta(seconds=1))
    assert outbox.deliver(claimed) == OutboxStatus.DONE
    assert claimed.lease_until > timezone.now() + timedelta(seconds=50)
