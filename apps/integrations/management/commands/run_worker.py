"""``qcluster`` under a watchdog. django-q2 can stop taking jobs for good when a worker process dies while it
waits on the internal queue (django-q2#23, reproduced on 1.11.1 by tests/integrations/test_q2_cluster.py): the
dead worker keeps the queue's lock. This command runs the cluster as a child, sends it a probe job every few
seconds, and restarts the whole cluster when a probe is not answered in time."""

from __future__ import annotations

import contextlib
import logging
import os
import signal
import subprocess
import sys
import time

from django.core.management.base import BaseCommand
from django.utils import timezone

from apps.integrations.models import WorkerHeartbeat

logger = logging.getLogger("greenlight.worker")


class Command(BaseCommand):
    help = "Run the django-q2 worker cluster and restart it when it stops taking jobs."

    def add_arguments(self, parser):
        parser.add_argument("--probe-interval", type=float, default=15.0, help="Seconds between probe jobs.")
        parser.add_argument(
            "--probe-timeout", type=float, default=90.0, help="Restart when a probe waits longer than this."
        )

    def handle(self, *args, probe_interval, probe_timeout, **options):
        from django_q.tasks import async_task

        name = f"probe:{os.uname().nodename}:{os.getpid()}"
        stopping = False
        child: subprocess.Popen | None = None

        def stop(signum, frame):
            nonlocal stopping
            stopping = True
            if child is not None and child.poll() is None:
                with contextlib.suppress(ProcessLookupError):
                    os.killpg(child.pid, signal.SIGTERM)

        signal.signal(signal.SIGTERM, stop)
        signal.signal(signal.SIGINT, stop)
        while not stopping:
            # Our own interpreter and manage.py, no outside input.
            child = subprocess.Popen([sys.executable, sys.argv[0], "qcluster"], start_new_session=True)  # noqa: S603
            pending_since: float | None = None
            next_probe = time.monotonic() + probe_interval
            while child.poll() is None and not stopping:
                time.sleep(0.5)
                now = time.monotonic()
                if pending_since is not None and self._answered(name):
                    pending_since = None
                if pending_since is not None and now - pending_since > probe_timeout:
                    logger.error("Worker cluster took no job for %.0f s; restarting it", now - pending_since)
                    os.killpg(child.pid, signal.SIGKILL)
                    break
                if pending_since is None and now >= next_probe:
                    pending_since, next_probe = now, now + probe_interval
                    self._sent_at = timezone.now()
                    async_task("apps.integrations.tasks.probe", name, task_name="worker probe", save=False)
            try:
                child.wait(timeout=30)  # q2 finishes the jobs in hand before it stops
            except subprocess.TimeoutExpired:
                logger.error("Worker cluster did not stop in 30 s; killing it")
                os.killpg(child.pid, signal.SIGKILL)
                child.wait()
            if not stopping:
                time.sleep(1)
        return None

    def _answered(self, name: str) -> bool:
        beat = WorkerHeartbeat.objects.filter(cluster=name).values_list("seen_at", flat=True).first()
        return beat is not None and beat >= self._sent_at
