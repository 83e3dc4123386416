"""q2 jobs of the integrations app. Jobs take ids, are idempotent and safe to run twice (q2 re-delivers)."""

from __future__ import annotations

import logging
import time
from datetime import timedelta

from django.conf import settings
from django.db import transaction
from django.db.models import Q
from django.utils import timezone

from apps.clients.models import ConnectionStatus, SmintioConnection
from apps.outbox.choices import Platform

from .models import InboundEvent, WorkerHeartbeat

logger = logging.getLogger(__name__)


def heartbeat() -> None:
    """Prove that a worker is alive and takes jobs from the queue (scheduled every minute; /healthz?worker=1 reads
    it). ``run_worker`` does not use it: its liveness comes from the cluster's processes (integrations.worker)."""
    WorkerHeartbeat.objects.update_or_create(cluster=settings.Q_CLUSTER["name"], defaults={"seen_at": timezone.now()})


def drain_outbox() -> dict:
    """Deliver due outbox rows (kicked on commit; scheduled every minute as the safety net)."""
    from apps.outbox.services import drain

    return drain()


def pull_smintio(connection_id: int, full: bool = False) -> dict:
    """One connection's pull; a pull already running elsewhere makes this a no-op."""
    from .smintio.sync import SyncBusy, pull

    connection = SmintioConnection.objects.select_related("client").get(pk=connection_id)
    if not connection.is_usable:
        return {"skipped": connection.get_status_display()}
    try:
        report = pull(connection, full=full)
    except SyncBusy:
        return {"skipped": "busy"}
    from apps.assets import events

    events.pulled(connection.client, report.changed_asset_ids)
    return report.counts()


def pull_all_smintio() -> int:
    """Schedule: queue a pull of every working connection."""
    from django_q.tasks import async_task

    ids = list(SmintioConnection.objects.filter(status=ConnectionStatus.CONNECTED).values_list("pk", flat=True))
    for connection_id in ids:
        async_task(pull_smintio, connection_id, task_name=f"smintio pull {connection_id}")
    return len(ids)


def exchange_smintio_attempt(attempt_id: int) -> str:
    """Finish an OAuth connect: trade the attempt's code for tokens and swap them into the client's connection
    (kept out of the web request); then pull everything once."""
    from .connections import exchange_attempt

    connection = exchange_attempt(attempt_id)
    if connection is None:
        return "not connected"
    pull_smintio(connection.pk, full=True)
    return ConnectionStatus.CONNECTED


def poll_opentext() -> dict:
    from .opentext.sync import poll

    return poll()


def reconcile_opentext() -> dict:
    from .opentext.sync import reconcile

    return reconcile()


def process_inbound_event(event_id: int) -> str:
    """Act on the hints of one target: take every hint of it not yet taken (hints that arrived while this job
    waited in the queue ride along) and pull once. While hints of the target keep coming (a burst), the job puts
    itself back in the queue instead (``_burst_goes_on``), so the burst costs one pull, not one per pass of the
    worker. Safe to run twice: a second run finds nothing to take."""
    from .inbox import target_of

    event = InboundEvent.objects.get(pk=event_id)
    target = event.target or target_of(event.source, event.payload)
    pause = _burst_goes_on(target)
    if pause:
        time.sleep(pause)  # not straight back: a Redis broker would hand the job out again at once
        _queue(event_id, target)
        return "waiting for the burst to end"
    now = timezone.now()
    with transaction.atomic():
        taken = list(
            InboundEvent.objects.select_for_update()
            .filter(Q(pk=event.pk) | Q(target=target), processed_at__isnull=True)
            .order_by("id")
        )
        InboundEvent.objects.filter(pk__in=[e.pk for e in taken]).update(processed_at=now)
    if not taken:
        return "already processed"
    result = _pull_for_hints(taken) if event.source == Platform.SMINTIO else _mirror_for_hints(taken)
    # A hint stored while this job took its hints (after the take began, before it committed) saw them untaken and
    # queued no job of its own (``inbox._enqueue``): without this look it waited for the next hint of its target.
    left = InboundEvent.objects.filter(target=target, processed_at__isnull=True).order_by("id")
    left = left.values_list("pk", flat=True).first()
    if left is not None:
        _queue(left, target)
    return result


def _queue(event_id: int, target: str) -> None:
    from django_q.tasks import async_task

    async_task("apps.integrations.tasks.process_inbound_event", event_id, task_name=f"hint {target}")


# A job that finds its burst still going looks again after at most this long.
BURST_RECHECK_SECONDS = 0.25


def _burst_goes_on(target: str) -> float:
    """How long to wait before looking again when hints of ``target`` are still arriving: the newest hint not yet
    taken is younger than ``HINT_QUIET_SECONDS`` and the oldest younger than ``HINT_MAX_DELAY_SECONDS`` (a stream
    that never pauses is still acted on that often). 0: act now. Two index probes on ``inbound_unprocessed_idx``."""
    quiet = timedelta(seconds=settings.HINT_QUIET_SECONDS)
    if not quiet:
        return 0
    waiting = InboundEvent.objects.filter(target=target, processed_at__isnull=True).values_list(
        "received_at", flat=True
    )
    newest, oldest = waiting.order_by("-id").first(), waiting.order_by("id").first()
    if newest is None:
        return 0
    now = timezone.now()
    if now - newest >= quiet or now - oldest >= timedelta(seconds=settings.HINT_MAX_DELAY_SECONDS):
        return 0
    return min(BURST_RECHECK_SECONDS, (quiet - (now - newest)).total_seconds())


def _pull_for_hints(events: list[InboundEvent]) -> str:
    tenant = str(events[0].payload.get("tenant_id") or "")
    connections = SmintioConnection.objects.filter(status=ConnectionStatus.CONNECTED)
    if tenant:
        connections = connections.filter(tenant=tenant)
    ids = list(connections.values_list("pk", flat=True))
    if tenant and not ids:
        note = (
            f"No connected client has the Smint.io tenant “{tenant}”: check the tenant of each client's connection "
            "(scheduled pulls still run)."
        )
        logger.warning("Ignored %d Smint.io hint(s): %s", len(events), note)
        InboundEvent.objects.filter(pk__in=[e.pk for e in events]).update(note=note[:500])
        return "no connection"
    for connection_id in ids:
        pull_smintio(connection_id)
    return f"pulled {len(ids)}"


# Hints naming at most this many runs mirror each run; more cost one poll of every open run (a few paged calls).
MIRROR_RUNS_AT_MOST = 5
# Hints naming more runs than that still pull the comments of the runs they name, up to this many (a burst of hints
# about every run leaves comments to the reconcile).
COMMENT_PULLS_AT_MOST = 50


def _mirror_for_hints(events: list[InboundEvent]) -> str:
    from apps.workflows.models import WorkflowRun

    from .opentext.sync import mirror_run

    keys = {str(e.payload.get("businessKey") or "") for e in events}
    runs = list(WorkflowRun.objects.filter(business_key__in=keys - {""}).order_by("id")[: COMMENT_PULLS_AT_MOST + 1])
    if "" in keys or len(runs) < len(keys) or len(runs) > MIRROR_RUNS_AT_MOST:
        poll_opentext()
        if len(runs) <= COMMENT_PULLS_AT_MOST:  # the poll mirrors tasks, not comments: the named runs' comments
            from .opentext.client import for_client
            from .opentext.sync import pull_comments

            for run in runs:  # each at its client's tenant
                pull_comments(run, for_client(run.client_id))
        return "polled"
    for run in runs:
        mirror_run(run)
    return f"mirrored {len(runs)}"
