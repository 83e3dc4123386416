"""``/healthz``: liveness for load balancers and monitoring."""

from __future__ import annotations

import logging

from django.conf import settings
from django.db import connection as db_connection
from django.http import JsonResponse
from django.utils import timezone
from django.views.decorators.cache import never_cache
from django.views.decorators.http import require_safe

from ..models import WorkerHeartbeat

logger = logging.getLogger(__name__)


def _check_database() -> dict:
    with db_connection.cursor() as cursor:
        cursor.execute("SELECT 1")
        cursor.fetchone()
    return {"ok": True}


def _check_broker() -> dict:
    from django_q.brokers import get_broker

    broker = get_broker()
    if broker.ping() is False:
        return {"ok": False, "error": "broker did not answer"}
    return {"ok": True, "broker": broker.info(), "queued": broker.queue_size()}


def _check_worker() -> dict:
    beat = WorkerHeartbeat.objects.filter(cluster=settings.Q_CLUSTER["name"]).first()
    if beat is None:
        return {"ok": False, "error": "no heartbeat yet"}
    age = (timezone.now() - beat.seen_at).total_seconds()
    return {"ok": age <= settings.WORKER_HEARTBEAT_STALE_SECONDS, "last_heartbeat_seconds_ago": round(age)}


@never_cache
@require_safe
def healthz(request):
    """Liveness for load balancers: 200 when the database and the broker answer, 503 otherwise.

    The worker's heartbeat is reported but only decides the status with ``?worker=1`` (for monitoring): a
    stopped worker delays background work but must not take healthy web processes out of rotation.
    """
    checks = {}
    for name, check in (("database", _check_database), ("broker", _check_broker), ("worker", _check_worker)):
        try:
            checks[name] = check()
        except Exception as exc:  # any failure of a dependency is reported, never raised
            logger.warning("Health check %s failed: %s", name, exc)
            checks[name] = {"ok": False, "error": exc.__class__.__name__}
    required = ["database", "broker"] + (["worker"] if request.GET.get("worker") == "1" else [])
    healthy = all(checks[name]["ok"] for name in required)
    return JsonResponse(
        {"status": "ok" if healthy else "unavailable", "checks": checks}, status=200 if healthy else 503
    )
