"""``qcluster`` under a watchdog.

django-q2 can stop taking jobs for good when a worker process dies while it waits on the cluster's internal queue
(django-q2#23, reproduced on 1.11.1 by tests/integrations/test_q2_cluster.py): the dead worker keeps the queue's
lock. This command runs the cluster as a child in its own process group and restarts it only when it is stalled:
its main process died, or jobs are due in the broker while no job is in flight and none started for
``--stall-seconds``. Liveness comes from the cluster's own worker processes (apps/integrations/worker.py), never
from a probe job, which would wait behind the very queue it measures: a cluster whose workers are all busy with
long jobs is healthy however long the queue behind them.

SIGTERM or SIGINT (Ctrl-C) stops it: the cluster is asked to stop (q2 takes no new job and lets running ones
finish; ``worker.stop_requested()`` turns true so long jobs can return early), whatever still runs after
``--stop-grace`` seconds is killed with its whole process group, the pull leases of killed processes are released,
and the command exits. A second signal skips the grace. The defaults fit honcho (``make run``), which SIGKILLs
5 s after the first process stopped; the cluster dies with this process even then (``PR_SET_PDEATHSIG``).
"""

from __future__ import annotations

import argparse
import contextlib
import functools
import logging
import os
import shutil
import signal
import subprocess
import sys
import tempfile
import time
from pathlib import Path

from django.core.management import call_command
from django.core.management.base import BaseCommand

from apps.integrations import worker

logger = logging.getLogger("greenlight.worker")


class Command(BaseCommand):
    help = "Run the django-q2 worker cluster, restart it when it stalls, stop it within seconds."

    def add_arguments(self, parser):
        parser.add_argument(
            "--stall-seconds",
            type=float,
            default=60.0,
            help="Restart when jobs are due but no job ran or started for this long (default 60).",
        )
        parser.add_argument(
            "--startup-seconds",
            type=float,
            default=300.0,
            help="Patience with a cluster none of whose workers is ready yet (default 300).",
        )
        parser.add_argument(
            "--stop-grace",
            type=float,
            default=3.0,
            help="Seconds running jobs get to finish when stopping before they are killed (default 3).",
        )
        parser.add_argument("--cluster", action="store_true", help=argparse.SUPPRESS)  # the supervised child

    def handle(self, *args, stall_seconds, startup_seconds, stop_grace, cluster, **options):
        if cluster:
            worker.install_in_cluster()
            call_command("qcluster")
            return
        Watchdog(stall_seconds=stall_seconds, startup_seconds=startup_seconds, stop_grace=stop_grace).run()


class Watchdog:
    def __init__(self, *, stall_seconds: float, startup_seconds: float, stop_grace: float, interval: float = 0.5):
        self.stall_seconds = stall_seconds
        self.startup_seconds = startup_seconds
        self.stop_grace = stop_grace
        self.interval = interval
        self.broker_interval = min(5.0, max(interval, stall_seconds / 6))
        self.child: subprocess.Popen | None = None
        self.asked: subprocess.Popen | None = None  # the child already asked to stop
        self.state: worker.ClusterState | None = None
        self.root: Path | None = None
        self.stopping = False
        self.hurry = False
        self.stop_asked_at: float | None = None
        self.broker_error_logged = False

    # -- signals -----------------------------------------------------------------------------------------------
    def _on_signal(self, signum, frame) -> None:
        if self.stopping:
            self.hurry = True  # asked twice: no grace
            return
        self.stopping = True
        self.stop_asked_at = time.monotonic()
        if self.root is not None:
            with contextlib.suppress(OSError):
                (self.root / worker.STOP_FILE).touch()
        self._ask_cluster_to_stop()

    def _ask_cluster_to_stop(self) -> None:
        # The main process only: its handler stops q2 in order. A SIGTERM to the whole group kills the sentinel
        # (SIG_DFL) while it may hold the stop event's lock, and the main process then hangs on it for good.
        # Once: q2's handler is not meant to be re-entered.
        if self.child is not None and self.child.returncode is None and self.asked is not self.child:
            self.asked = self.child
            with contextlib.suppress(ProcessLookupError):
                os.kill(self.child.pid, signal.SIGTERM)

    # -- the loop ----------------------------------------------------------------------------------------------
    def run(self) -> None:
        signal.signal(signal.SIGTERM, self._on_signal)
        signal.signal(signal.SIGINT, self._on_signal)
        _remove_stale_state()
        self.root = Path(tempfile.mkdtemp(prefix=f"greenlight-worker-{os.getpid()}-"))
        delay = 0.5
        try:
            while not self.stopping:
                started = time.monotonic()
                self._start()
                reason = self._supervise()
                if self.stopping:
                    break
                logger.error("Worker cluster %s; restarting it", reason)
                self._kill()
                delay = 1.0 if time.monotonic() - started > 60 else min(delay * 2, 30.0)
                self._sleep(delay)
        finally:
            self._stop()
            shutil.rmtree(self.root, ignore_errors=True)

    def _start(self) -> None:
        for path in self.root.glob("*.json"):
            path.unlink(missing_ok=True)
        env = {**os.environ, worker.STATE_ENV: str(self.root)}
        # Our own interpreter and manage.py, no outside input.
        self.child = subprocess.Popen(  # noqa: S603
            [sys.executable, sys.argv[0], "run_worker", "--cluster"],
            env=env,
            start_new_session=True,
            preexec_fn=functools.partial(worker.die_with_parent, os.getpid()),  # the watchdog runs no threads
        )
        self.state = worker.ClusterState(self.root, pgid=self.child.pid)
        logger.info("Worker cluster started (pid %s)", self.child.pid)
        if self.stopping:  # a signal arrived while starting
            self._ask_cluster_to_stop()

    def _supervise(self) -> str:
        """Watch the cluster until it must be restarted (returns why) or we are asked to stop (returns "")."""
        child, state = self.child, self.state
        started = time.monotonic()
        waiting_since: float | None = None
        next_broker_check = 0.0
        while not self.stopping:
            code = child.poll()
            if code is not None:
                return f"exited with code {code}"
            state.refresh()
            if state.died_busy:  # e.g. q2 killed a job at its timeout: its lease need not wait to expire
                self._release_leases(state.died_busy)
                state.died_busy.clear()
            now = time.monotonic()
            if state.in_flight:
                waiting_since = None
            elif now >= next_broker_check:
                next_broker_check = now + self.broker_interval
                due = self._due_jobs()
                if not due:
                    waiting_since = None
                elif waiting_since is None or state.last_activity > waiting_since:
                    waiting_since = now
                else:
                    patience = self.stall_seconds if state.ready else max(self.stall_seconds, self.startup_seconds)
                    if now - waiting_since >= patience:
                        idle = now - max(state.last_activity, started)
                        return f"stalled: {due} job(s) due, no job in flight and none started for {idle:.0f} s"
            self._sleep(self.interval)
        return ""

    def _due_jobs(self) -> int:
        try:
            due = worker.due_jobs()
        except Exception:  # the broker is down: nothing to judge by, and a restart would not help
            if not self.broker_error_logged:
                logger.exception("Worker watchdog cannot read the broker's queue")
                self.broker_error_logged = True
            return 0
        self.broker_error_logged = False
        return due

    def _sleep(self, seconds: float) -> None:
        end = time.monotonic() + seconds
        while not self.stopping and (left := end - time.monotonic()) > 0:
            time.sleep(min(left, 0.1))

    # -- stopping ----------------------------------------------------------------------------------------------
    def _stop(self) -> None:
        """Ask the cluster to stop, give running jobs the grace, kill what is left, release its leases."""
        if self.child is None:
            return
        began = self.stop_asked_at or time.monotonic()
        self._ask_cluster_to_stop()
        deadline = began + self.stop_grace
        while self.child.poll() is None and time.monotonic() < deadline and not self.hurry:
            time.sleep(0.05)
        graceful = self.child.returncode is not None
        killed = self._kill()
        how = "cleanly" if graceful and not killed else f"after killing {killed} process(es)"
        logger.info("Worker stopped %s in %.1f s", how, time.monotonic() - began)

    def _kill(self) -> int:
        """SIGKILL the cluster's process group, wait for it to be gone, release the leases of its processes.
        Returns how many processes were still running."""
        child, pgid = self.child, self.child.pid
        running = worker.group_pids(pgid)
        if child.returncode is None:
            running.add(child.pid)
        with contextlib.suppress(ProcessLookupError, PermissionError):
            os.killpg(pgid, signal.SIGKILL)
        child.wait()
        deadline = time.monotonic() + 5
        while worker.group_pids(pgid) and time.monotonic() < deadline:
            time.sleep(0.02)
        if running:
            logger.warning("Killed worker cluster processes %s", sorted(running))
        self._release_leases(running | self.state.pids)
        return len(running)

    def _release_leases(self, pids: set[int]) -> None:
        try:
            worker.release_leases(pids)
        except Exception:  # a lease that stays simply expires; supervising and stopping must not fail on it
            logger.exception("Could not release the leases of dead worker processes")


def _remove_stale_state() -> None:
    """State directories of watchdogs that were SIGKILLed (named ``greenlight-worker-<pid>-*``)."""
    for path in Path(tempfile.gettempdir()).glob("greenlight-worker-*-*"):
        pid = path.name.split("-")[2]
        if pid.isdigit() and worker.is_gone(int(pid)):
            shutil.rmtree(path, ignore_errors=True)
