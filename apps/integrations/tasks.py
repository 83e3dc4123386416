"""q2 jobs of the integrations app. Jobs take ids, are idempotent and safe to run twice (q2 re-delivers)."""

from __future__ import annotations

import logging

from django.conf import settings
from django.utils import timezone

from apps.clients.models import ConnectionStatus, SmintioConnection

from .choices import Platform
from .http import PlatformError
from .models import InboundEvent, WorkerHeartbeat

logger = logging.getLogger(__name__)


def heartbeat() -> None:
    """Prove that a worker is alive and takes jobs from the queue (scheduled every minute)."""
    WorkerHeartbeat.objects.update_or_create(cluster=settings.Q_CLUSTER["name"], defaults={"seen_at": timezone.now()})


def drain_outbox() -> dict:
    """Deliver due outbox rows (kicked on commit; scheduled every minute as the safety net)."""
    from .outbox import drain

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


def exchange_smintio_code(connection_id: int) -> str:
    """Finish an OAuth connect: trade the stored code for tokens (kept out of the web request)."""
    from .smintio.client import SmintioClient

    connection = SmintioConnection.objects.get(pk=connection_id)
    if connection.status != ConnectionStatus.CONNECTING or not connection.pending_code:
        return connection.status
    try:
        SmintioClient(connection).exchange_code(connection.pending_code, connection.pending_redirect_uri)
    except PlatformError as exc:
        SmintioConnection.objects.filter(pk=connection.pk).update(
            status=ConnectionStatus.BROKEN,
            status_reason=f"Smint.io refused the connection: {exc.message}",
            pending_code="",
        )
        return ConnectionStatus.BROKEN
    pull_smintio(connection.pk, full=True)
    return ConnectionStatus.CONNECTED


def poll_opentext() -> dict:
    from .opentext.sync import poll

    return poll()


def reconcile_opentext() -> dict:
    from .opentext.sync import reconcile

    return reconcile()


def process_inbound_event(event_id: int) -> str:
    """Act on a stored hint: pull what it points at. Safe to run twice (pulls are idempotent)."""
    event = InboundEvent.objects.get(pk=event_id)
    if event.source == Platform.SMINTIO:
        tenant = str(event.payload.get("tenant_id") or "")
        connections = SmintioConnection.objects.filter(status=ConnectionStatus.CONNECTED)
        if tenant:
            connections = connections.filter(tenant=tenant)
        for connection_id in connections.values_list("pk", flat=True):
            pull_smintio(connection_id)
    else:
        from apps.workflows.models import WorkflowRun

        from .opentext.sync import mirror_run

        key = str(event.payload.get("businessKey") or "")
        run = WorkflowRun.objects.filter(business_key=key).first() if key else None
        if run is not None:
            mirror_run(run)
        else:
            poll_opentext()
    InboundEvent.objects.filter(pk=event.pk, processed_at__isnull=True).update(processed_at=timezone.now())
    return "processed"


def probe(name: str) -> None:
    """Answer ``run_worker``'s watchdog: a job was taken and run."""
    WorkerHeartbeat.objects.update_or_create(cluster=name, defaults={"seen_at": timezone.now()})
