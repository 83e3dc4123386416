"""How ``manage.py run_worker`` supervises its django-q2 cluster, and what the cluster's processes share with it.

The watchdog (``run_worker``) starts ``qcluster`` in its own process group with the environment variable
``GREENLIGHT_WORKER_STATE`` naming a private directory. In that directory:

- each q2 worker process keeps ``<pid>.json`` up to date: ready, busy with a job since when, idle since when
  (written from q2's ``post_spawn``, ``pre_execute`` and ``post_execute_in_worker`` signals). The watchdog reads
  these files to tell a busy cluster (a job is in flight: healthy, however long the queue) from a stalled one
  (jobs are due in the broker, no job in flight and none started for a while: django-q2#23);
- the watchdog creates ``stop`` when it is asked to stop: ``stop_requested`` (``apps.common.worker_state``, so the
  outbox relay reads it without importing this app) lets a long job end early.

Every process of the cluster dies with its parent (Linux ``PR_SET_PDEATHSIG``), so killing the watchdog, even with
SIGKILL, takes the whole cluster with it. Leases held by processes that were killed are released by the watchdog
(:func:`release_leases`).
"""

from __future__ import annotations

import contextlib
import ctypes
import json
import logging
import os
import signal
import socket
import sys
import time
from dataclasses import dataclass, field
from pathlib import Path

from apps.common.worker_state import STATE_ENV as STATE_ENV
from apps.common.worker_state import STOP_FILE as STOP_FILE
from apps.common.worker_state import state_dir as state_dir
from apps.common.worker_state import stop_requested as stop_requested  # kept here for the cluster's jobs

logger = logging.getLogger("greenlight.worker")

_PR_SET_PDEATHSIG = 1


# -- inside the cluster ----------------------------------------------------------------------------------------
def die_with_parent(parent_pid: int) -> None:
    """Have the kernel SIGKILL this process when its parent dies (Linux; elsewhere nothing). ``parent_pid`` is the
    parent we expect: if it died before the request took effect we are an orphan already and exit."""
    if not sys.platform.startswith("linux"):
        return
    libc = ctypes.CDLL(None, use_errno=True)
    if libc.prctl(_PR_SET_PDEATHSIG, signal.SIGKILL, 0, 0, 0) != 0:
        return
    if os.getppid() != parent_pid:
        os._exit(1)


_parent_before_fork = 0


def _remember_parent() -> None:
    global _parent_before_fork
    _parent_before_fork = os.getpid()


def _die_with_parent_after_fork() -> None:
    die_with_parent(_parent_before_fork)


def _write_state(**fields) -> None:
    directory = state_dir()
    if directory is None:
        return
    pid = os.getpid()
    record = {"pid": pid, "at": time.monotonic(), **fields}
    temporary = directory / f".{pid}.tmp"
    try:
        temporary.write_text(json.dumps(record))
        os.replace(temporary, directory / f"{pid}.json")
    except OSError:  # the watchdog removed the directory: it is stopping us
        pass


def _on_spawn(sender, proc_name, **kwargs) -> None:
    _write_state(state="idle")


def _on_pre_execute(sender, func, task, **kwargs) -> None:
    _write_state(state="busy", task=str(task.get("name") or ""), func=str(task.get("func") or "")[:200])


def _on_post_execute(sender, func, task, **kwargs) -> None:
    _write_state(state="idle")


def install_in_cluster() -> None:
    """Call in the cluster's main process before q2 starts: every process it forks (sentinel, pusher, monitor,
    workers) dies with its parent, and each worker process reports what it does (receivers and fork hooks are
    inherited across fork)."""
    from django_q.signals import post_execute_in_worker, post_spawn, pre_execute

    os.register_at_fork(before=_remember_parent, after_in_child=_die_with_parent_after_fork)
    post_spawn.connect(_on_spawn, dispatch_uid="greenlight.worker.spawn")
    pre_execute.connect(_on_pre_execute, dispatch_uid="greenlight.worker.pre_execute")
    post_execute_in_worker.connect(_on_post_execute, dispatch_uid="greenlight.worker.post_execute")


# -- in the watchdog ---------------------------------------------------------------------------------------------
def _proc_stat(pid: int) -> tuple[str, int] | None:
    """(state, process group) of a process from /proc, or None when it is gone."""
    try:
        raw = Path(f"/proc/{pid}/stat").read_text()
    except OSError:
        return None
    fields = raw[raw.rindex(")") + 2 :].split()
    return fields[0], int(fields[2])


def alive_in_group(pid: int, pgid: int) -> bool:
    """``pid`` runs (not a zombie) and belongs to process group ``pgid``."""
    if Path("/proc/self/stat").exists():
        stat = _proc_stat(pid)
        return stat is not None and stat[0] != "Z" and stat[1] == pgid
    try:
        return os.getpgid(pid) == pgid
    except ProcessLookupError:
        return False


def is_gone(pid: int) -> bool:
    if Path("/proc/self/stat").exists():
        stat = _proc_stat(pid)
        return stat is None or stat[0] == "Z"
    try:
        os.kill(pid, 0)
    except ProcessLookupError:
        return True
    except PermissionError:
        return False
    return False


def group_pids(pgid: int) -> set[int]:
    """Live processes of a process group (Linux /proc; elsewhere an empty set)."""
    pids = set()
    with contextlib.suppress(OSError):
        for entry in os.scandir("/proc"):
            if entry.name.isdigit():
                stat = _proc_stat(int(entry.name))
                if stat is not None and stat[0] != "Z" and stat[1] == pgid:
                    pids.add(int(entry.name))
    return pids


@dataclass
class ClusterState:
    """What the worker processes of one cluster reported; kept by the watchdog between reads."""

    directory: Path
    pgid: int
    last_activity: float = field(default_factory=time.monotonic)
    ready: bool = False
    pids: set[int] = field(default_factory=set)
    in_flight: dict[int, str] = field(default_factory=dict)
    died_busy: set[int] = field(default_factory=set)  # died in a job (q2 timed it out, OOM, kill): leases to free

    def refresh(self) -> None:
        """Read the state files: which jobs are in flight, and when a worker last became ready, started or
        finished a job. Files of processes that are gone are folded in and removed."""
        in_flight = {}
        for path in self.directory.glob("*.json"):
            try:
                record = json.loads(path.read_text())
            except (OSError, ValueError):
                continue  # being replaced
            pid = int(record["pid"])
            self.pids.add(pid)
            self.ready = True
            self.last_activity = max(self.last_activity, float(record["at"]))
            if not alive_in_group(pid, self.pgid):
                if record.get("state") == "busy":
                    self.died_busy.add(pid)
                with contextlib.suppress(OSError):
                    path.unlink()
            elif record.get("state") == "busy":
                in_flight[pid] = record.get("task") or record.get("func") or "?"
        self.in_flight = in_flight


def due_jobs() -> int:
    """Jobs waiting in the broker for a cluster to take them (the ORM broker counts rows whose lock has passed)."""
    from django_q.brokers import get_broker

    return int(get_broker().queue_size() or 0)


def release_leases(pids: set[int]) -> int:
    """Release the Smint.io pull leases and the outbox claims held by processes of this host that are gone (owner
    ``host:pid:nonce``, see ``smintio.sync.new_owner`` and ``outbox.new_lease_owner``); a pid that runs again is
    skipped, it may be someone else's now."""
    from django.db.models import Q

    from apps.clients.models import SmintioConnection
    from apps.outbox.choices import OutboxStatus
    from apps.outbox.models import OutboxMessage

    host = socket.gethostname()
    dead = [pid for pid in pids if is_gone(pid)]
    if not dead:
        return 0
    owners = Q()
    for pid in dead:
        owners |= Q(lease_owner__startswith=f"{host}:{pid}:")
    connections = list(SmintioConnection.objects.filter(owners).values_list("pk", "lease_owner"))
    released = 0
    for pk, owner in connections:
        if SmintioConnection.objects.filter(pk=pk, lease_owner=owner).update(lease_owner="", lease_until=None):
            released += 1
            logger.warning("Released the Smint.io pull lease of connection %s held by killed process %s", pk, owner)
    # outbox rows a killed drain had claimed go back to the queue now, not when their lease expires (the attempt
    # stays counted: the call may have been made)
    rows = OutboxMessage.objects.filter(owners, status=OutboxStatus.SENDING).update(
        status=OutboxStatus.PENDING, lease_owner="", lease_until=None
    )
    if rows:
        logger.warning("Put back %d outbox row(s) claimed by killed processes %s", rows, dead)
    return released + rows
