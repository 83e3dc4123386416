"""QUALITY.md Q1, Q4, Q5 and the worker's lifecycle (issue 9) with real ``qcluster``/``run_worker`` processes on the
test database (PostgreSQL: the processes share it).

Waits are deadlines that poll a condition, generous (``PATIENCE``) so a loaded machine (a whole test run on two
shared cores) only makes them slower, never failing; what a test asserts does not depend on how fast it went.
"""

from __future__ import annotations

import logging
import os
import re
import signal
import subprocess
import sys
import time
from pathlib import Path

import pytest
from django.conf import settings as django_settings
from django.db import connection

from apps.integrations.worker import group_pids

ROOT = Path(__file__).resolve().parents[2]
PATIENCE = 120  # seconds; Django and q2 start in 2-5 s on an idle machine
log = logging.getLogger(__name__)  # measured times: pytest --log-cli-level=INFO
pytestmark = [pytest.mark.postgres, pytest.mark.django_db(transaction=True)]


def live_pids(pgids: set[int]) -> set[int]:
    """Running (not zombie) processes in any of the process groups ``pgids`` (the watchdog's own /proc reader)."""
    return set().union(*(group_pids(pgid) for pgid in pgids))


def wait_for(condition, what: str, seconds: float = PATIENCE) -> None:
    deadline = time.monotonic() + seconds
    while time.monotonic() < deadline:
        if condition():
            return
        time.sleep(0.2)
    raise AssertionError(f"timed out after {seconds:.0f} s waiting for {what}")


class Cluster:
    """A ``qcluster`` (or ``run_worker``) in its own process group, with short timeouts so scenarios take seconds."""

    def __init__(
        self, tmp_path: Path, *, timeout: int, retry: int, max_attempts: int, workers: int = 2, command=("qcluster",)
    ):
        self.command = list(command)
        settings = connection.settings_dict
        self.env = {
            **{k: v for k, v in os.environ.items() if k in {"PATH", "HOME", "LANG"}},
            "DJANGO_SETTINGS_MODULE": "portal.settings.test",
            "DATABASE_URL": f"postgres://{settings['USER']}@{settings['HOST']}:{settings['PORT']}/{settings['NAME']}",
            "SECRET_KEY": django_settings.SECRET_KEY,  # q2 signs queued jobs with it
            "Q_TIMEOUT": str(timeout),
            "Q_RETRY": str(retry),
            "Q_MAX_ATTEMPTS": str(max_attempts),
            "Q_WORKERS": str(workers),
            "PYTHONPATH": str(ROOT),
        }
        self.log = tmp_path / "cluster.log"
        self.process: subprocess.Popen | None = None
        self.pgids: set[int] = set()  # every process group seen: this command's and its clusters'

    def log_text(self) -> str:
        return self.log.read_text() if self.log.exists() else ""

    def start(self) -> None:
        runs = self.log_text().count(" running.")
        self.process = subprocess.Popen(
            [sys.executable, "manage.py", *self.command],
            cwd=ROOT,
            env=self.env,
            stdout=self.log.open("a"),
            stderr=subprocess.STDOUT,
            start_new_session=True,
        )
        self.pgids.add(self.process.pid)
        wait_for(lambda: self.log_text().count(" running.") > runs, "the cluster to start")

    def kill_all(self) -> None:
        os.killpg(self.process.pid, signal.SIGKILL)
        self.process.wait(timeout=10)

    def stop(self) -> None:
        """SIGTERM the main process only: a SIGTERM to a plain qcluster's whole group can hang it (the sentinel
        dies holding the stop event's lock). Then make sure nothing of ours is left for the next test."""
        if self.process and self.process.poll() is None:
            os.kill(self.process.pid, signal.SIGTERM)
            try:
                self.process.wait(timeout=30)
            except subprocess.TimeoutExpired:
                self.kill_all()
        for pid in live_pids(self.pgids):
            os.kill(pid, signal.SIGKILL)

    def worker_pids(self) -> list[int]:
        return [int(pid) for pid in re.findall(r"ready for work at (\d+)", self.log_text())]

    def cluster_pgid(self) -> int:
        """The process group of the cluster now running (``run_worker`` starts each cluster in its own)."""
        for pid in reversed(self.worker_pids()):
            try:
                pgid = os.getpgid(pid)
            except ProcessLookupError:
                continue
            self.pgids.add(pgid)
            return pgid
        raise AssertionError("no worker process is running")


def _lines(path: Path) -> list[str]:
    return path.read_text().splitlines() if path.exists() else []


@pytest.fixture
def cluster_factory(tmp_path):
    clusters = []

    def make(**config) -> Cluster:
        cluster = Cluster(tmp_path, **config)
        clusters.append(cluster)
        return cluster

    yield make
    for cluster in clusters:
        cluster.stop()


def test_an_always_failing_job_is_tried_exactly_max_attempts_times(cluster_factory, tmp_path):
    """Q4 (guards django-q2#298): max_attempts=3 means three attempts, then it is acknowledged."""
    from django_q.tasks import async_task

    cluster = cluster_factory(timeout=2, retry=3, max_attempts=3)
    attempts = tmp_path / "attempts.log"
    async_task("tests.integrations.q2_jobs.always_fail", str(attempts))
    cluster.start()
    wait_for(lambda: len(_lines(attempts)) >= 3, "three attempts")
    time.sleep(5)  # longer than another retry interval
    assert len(_lines(attempts)) == 3


def test_a_cluster_killed_mid_job_reruns_it_after_retry_and_the_effect_lands_once(cluster_factory, tmp_path):
    """Q1: kill -9 the whole cluster while a job runs; after restart the job runs again, once more, and its
    idempotent effect is applied exactly once."""
    from django_q.tasks import async_task

    cluster = cluster_factory(timeout=6, retry=8, max_attempts=3)
    async_task("tests.integrations.q2_jobs.slow_effect", str(tmp_path), "decision-42", 3)
    cluster.start()
    wait_for(lambda: len(_lines(tmp_path / "starts.log")) == 1, "the job to start")
    cluster.kill_all()
    assert _lines(tmp_path / "effects.log") == []
    cluster.start()
    wait_for(lambda: _lines(tmp_path / "effects.log") == ["decision-42"], "the re-run to finish")
    assert len(_lines(tmp_path / "starts.log")) == 2


def run_worker(cluster_factory, *, stall: float = 2, grace: float = 3, timeout: int = 2, retry: int = 6) -> Cluster:
    return cluster_factory(
        timeout=timeout,
        retry=retry,
        max_attempts=2,
        workers=2,
        command=("run_worker", "--stall-seconds", str(stall), "--stop-grace", str(grace)),
    )


def test_a_stalled_cluster_is_restarted_and_drains_the_queue(cluster_factory, tmp_path):
    """Q5 (django-q2#23): a worker killed while it waits for a job leaves the cluster's internal queue locked, and
    plain ``qcluster`` takes no job again. Killing every idle worker makes sure the lock holder is among them.
    ``run_worker`` sees jobs due, none in flight and none started, restarts the cluster, and the queue drains."""
    from django_q.tasks import async_task

    cluster = run_worker(cluster_factory)
    cluster.start()
    wait_for(lambda: len(cluster.worker_pids()) >= 2, "two workers")
    stuck = cluster.cluster_pgid()
    for pid in cluster.worker_pids():
        os.kill(pid, signal.SIGKILL)
    wait_for(lambda: len(cluster.worker_pids()) >= 4, "q2 to replace both workers")
    for n in range(10):
        async_task("tests.integrations.q2_jobs.quick", str(tmp_path), n)
    wait_for(lambda: "restarting it" in cluster.log_text(), "the watchdog to restart the stalled cluster")
    assert re.search(r"stalled: \d+ job\(s\) due, no job in flight", cluster.log_text())
    wait_for(lambda: len(set(_lines(tmp_path / "quick.log"))) >= 10, "all ten jobs")
    assert sorted({int(n) for n in _lines(tmp_path / "quick.log")}) == list(range(10))
    assert cluster.cluster_pgid() != stuck
    assert live_pids({stuck}) == set()


def test_a_cluster_busy_with_long_jobs_and_a_long_queue_is_not_restarted(cluster_factory, tmp_path):
    """Both workers run long jobs while more jobs wait in the broker for much longer than ``--stall-seconds``:
    the cluster is healthy, it is left alone, and the queue drains after the long jobs."""
    from django_q.brokers import get_broker
    from django_q.tasks import async_task

    stall = 2
    cluster = run_worker(cluster_factory, stall=stall, timeout=30, retry=40)
    for key in ("long-a", "long-b"):
        async_task("tests.integrations.q2_jobs.slow_effect", str(tmp_path), key, 4 * stall + 4)
    cluster.start()
    wait_for(lambda: len(_lines(tmp_path / "starts.log")) == 2, "both long jobs to start")
    for n in range(12):  # more than q2's internal queue holds (queue_limit 8): the rest wait in the broker
        async_task("tests.integrations.q2_jobs.quick", str(tmp_path), n)
    busy_since = time.monotonic()
    time.sleep(3 * stall + 1)
    if len(_lines(tmp_path / "effects.log")) == 0:  # the long jobs still run (a slow machine may stretch them)
        assert get_broker().queue_size() > 0, "jobs wait in the broker behind the long jobs"
        assert time.monotonic() - busy_since > 3 * stall
    wait_for(lambda: len(set(_lines(tmp_path / "quick.log"))) >= 12, "the queue to drain")
    assert sorted(_lines(tmp_path / "effects.log")) == ["long-a", "long-b"]
    assert "restarting it" not in cluster.log_text()
    assert cluster.log_text().count(" running.") == 1


@pytest.mark.parametrize("signum", [signal.SIGTERM, signal.SIGINT])
def test_a_signal_stops_the_worker_within_ten_seconds_and_releases_the_pull_lease(
    cluster_factory, tmp_path, signum, client_a
):
    """honcho sends SIGTERM, Ctrl-C in a terminal SIGINT. One worker runs a job that ignores the stop and holds a
    connection's pull lease, the other a job that checks ``stop_requested()``: the first is killed after the
    grace and its lease released, the second returns early; nothing of the worker is left."""
    from django_q.tasks import async_task

    from apps.clients.models import SmintioConnection

    pull = SmintioConnection.objects.create(client=client_a, tenant="acme")
    cluster = run_worker(cluster_factory, grace=3, timeout=60, retry=90)
    async_task("tests.integrations.q2_jobs.hold_pull_lease", str(tmp_path), pull.pk, 50)
    async_task("tests.integrations.q2_jobs.work_until_stop_requested", str(tmp_path), 50)
    cluster.start()
    wait_for(lambda: (tmp_path / "lease.owner").exists() and (tmp_path / "polite.log").exists(), "both jobs")
    owner = (tmp_path / "lease.owner").read_text()
    pull.refresh_from_db()
    assert pull.lease_owner == owner
    groups = {cluster.process.pid, cluster.cluster_pgid()}
    assert len(live_pids(groups)) >= 6  # watchdog, cluster, sentinel, two workers, monitor, pusher

    started = time.monotonic()
    os.kill(cluster.process.pid, signum)
    cluster.process.wait(timeout=30)
    stopped_in = time.monotonic() - started
    log.info("%s: run_worker exited in %.2f s", signal.Signals(signum).name, stopped_in)
    assert stopped_in < 10
    assert live_pids(groups) == set()
    assert _lines(tmp_path / "polite.log") == ["started", "stopped early"]
    pull.refresh_from_db()
    assert (pull.lease_owner, pull.lease_until) == ("", None)


def test_the_pull_lease_of_a_worker_process_killed_mid_job_is_released_at_once(cluster_factory, tmp_path, client_a):
    """A worker process killed in a job (the OOM killer, q2's hard timeout) cannot release its lease; the watchdog
    sees it die busy and releases it instead of letting the next pulls wait 10 minutes. The cluster carries on."""
    from django_q.tasks import async_task

    from apps.clients.models import SmintioConnection

    pull = SmintioConnection.objects.create(client=client_a, tenant="acme")
    cluster = run_worker(cluster_factory, timeout=60, retry=90)
    async_task("tests.integrations.q2_jobs.hold_pull_lease", str(tmp_path), pull.pk, 50)
    cluster.start()
    wait_for(lambda: (tmp_path / "lease.owner").exists(), "the job to take the lease")
    owner = (tmp_path / "lease.owner").read_text()
    os.kill(int(owner.split(":")[1]), signal.SIGKILL)

    def released() -> bool:
        pull.refresh_from_db()
        return pull.lease_owner == ""

    wait_for(released, "the lease to be released")
    assert pull.lease_until is None
    assert "restarting it" not in cluster.log_text()
    assert cluster.process.poll() is None


def test_sigkill_to_the_worker_leaves_no_cluster_process(cluster_factory, tmp_path):
    """Even a watchdog that cannot clean up (SIGKILL, as honcho does after its wait) takes its cluster along."""
    cluster = run_worker(cluster_factory)
    cluster.start()
    wait_for(lambda: len(cluster.worker_pids()) >= 2, "two workers")
    group = cluster.cluster_pgid()
    assert len(live_pids({group})) >= 5

    started = time.monotonic()
    os.kill(cluster.process.pid, signal.SIGKILL)
    cluster.process.wait(timeout=10)
    wait_for(lambda: live_pids({group}) == set(), "the cluster to die with its watchdog", seconds=30)
    log.info("SIGKILL: the cluster was gone %.2f s after its watchdog", time.monotonic() - started)


def test_ctrl_c_under_honcho_stops_the_worker_before_honcho_kills_it(cluster_factory, tmp_path):
    """``make run``: Ctrl-C reaches honcho, which SIGTERMs ``run_worker`` and SIGKILLs it 5 s after the first
    process stopped. The worker must be gone by then, with its cluster."""
    procfile = tmp_path / "Procfile"
    procfile.write_text(f"worker: exec {sys.executable} manage.py run_worker --stall-seconds 60\n")
    cluster = cluster_factory(timeout=2, retry=6, max_attempts=2, command=())
    honcho = Path(sys.executable).with_name("honcho")
    cluster.process = subprocess.Popen(
        [str(honcho), "-f", str(procfile), "-e", str(tmp_path / "no.env"), "--no-colour", "start"],
        cwd=ROOT,
        env=cluster.env,
        stdout=cluster.log.open("a"),
        stderr=subprocess.STDOUT,
        start_new_session=True,
    )
    cluster.pgids.add(cluster.process.pid)
    wait_for(lambda: " running." in cluster.log_text() and len(cluster.worker_pids()) >= 2, "the cluster to start")
    match = re.search(r"worker\.1 started \(pid=(\d+)\)", cluster.log_text())
    groups = {cluster.process.pid, int(match[1]), cluster.cluster_pgid()}

    started = time.monotonic()
    os.kill(cluster.process.pid, signal.SIGINT)
    cluster.process.wait(timeout=30)
    log.info("honcho: everything stopped %.2f s after Ctrl-C", time.monotonic() - started)
    assert "SIGKILL" not in cluster.log_text()
    assert re.search(r"worker\.1 stopped \(rc=", cluster.log_text())
    assert live_pids(groups) == set()
