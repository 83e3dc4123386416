"""QUALITY.md Q1, Q4, Q5 with real ``qcluster`` processes on the test database (PostgreSQL: the processes share it)."""

from __future__ import annotations

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

ROOT = Path(__file__).resolve().parents[2]
pytestmark = [pytest.mark.postgres, pytest.mark.django_db(transaction=True)]


class Cluster:
    """A ``qcluster`` in its own process group, with short timeouts so the scenarios take seconds."""

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

    def start(self) -> None:
        self.process = subprocess.Popen(
            [sys.executable, "manage.py", *self.command],
            cwd=ROOT,
            env=self.env,
            stdout=self.log.open("a"),
            stderr=subprocess.STDOUT,
            start_new_session=True,
        )
        self.wait_for(lambda: "running." in self.log.read_text(), 30, "the cluster to start")

    def kill_all(self) -> None:
        os.killpg(self.process.pid, signal.SIGKILL)
        self.process.wait(timeout=10)

    def stop(self) -> None:
        if self.process and self.process.poll() is None:
            os.killpg(self.process.pid, signal.SIGTERM)
            try:
                self.process.wait(timeout=40)  # run_worker waits up to 30 s for its cluster
            except subprocess.TimeoutExpired:
                self.kill_all()

    def worker_pids(self) -> list[int]:
        return [int(pid) for pid in re.findall(r"ready for work at (\d+)", self.log.read_text())]

    @staticmethod
    def wait_for(condition, seconds: float, what: str) -> None:
        deadline = time.monotonic() + seconds
        while time.monotonic() < deadline:
            if condition():
                return
            time.sleep(0.2)
        raise AssertionError(f"timed out waiting for {what}")


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
    Cluster.wait_for(lambda: len(_lines(attempts)) >= 3, 30, "three attempts")
    time.sleep(5)  # longer than another retry interval
    assert len(_lines(attempts)) == 3


def test_a_cluster_killed_mid_job_reruns_it_after_retry_and_the_effect_lands_once(cluster_factory, tmp_path):
    """Q1: kill -9 the whole cluster while a job runs; after restart the job runs again, once more, and its
    idempotent effect is applied exactly once."""
    from django_q.tasks import async_task

    cluster = cluster_factory(timeout=6, retry=8, max_attempts=3)
    async_task("tests.integrations.q2_jobs.slow_effect", str(tmp_path), "decision-42", 3)
    cluster.start()
    Cluster.wait_for(lambda: len(_lines(tmp_path / "starts.log")) == 1, 20, "the job to start")
    cluster.kill_all()
    assert _lines(tmp_path / "effects.log") == []
    cluster.start()
    Cluster.wait_for(lambda: _lines(tmp_path / "effects.log") == ["decision-42"], 40, "the re-run to finish")
    assert len(_lines(tmp_path / "starts.log")) == 2


def test_the_queue_keeps_draining_after_a_worker_is_killed(cluster_factory, tmp_path):
    """Q5 (django-q2#23): a worker killed while it waits for a job leaves the cluster's internal queue locked, and
    plain ``qcluster`` takes no job again. ``run_worker`` notices the unanswered probe and restarts the cluster, so
    the queue drains within twice the retry time."""
    from django_q.tasks import async_task

    cluster = cluster_factory(
        timeout=2,
        retry=6,
        max_attempts=2,
        workers=2,
        command=("run_worker", "--probe-interval", "1", "--probe-timeout", "2"),
    )
    cluster.start()
    Cluster.wait_for(lambda: len(cluster.worker_pids()) >= 2, 20, "two workers")
    os.kill(cluster.worker_pids()[0], signal.SIGKILL)
    time.sleep(1)
    for n in range(10):
        async_task("tests.integrations.q2_jobs.quick", str(tmp_path), n)
    Cluster.wait_for(lambda: len(_lines(tmp_path / "quick.log")) >= 10, 12, "all ten jobs within 2 x retry")
    assert sorted({int(n) for n in _lines(tmp_path / "quick.log")}) == list(range(10))
