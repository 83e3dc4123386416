"""Jobs for the django-q2 cluster tests; they run in a real ``qcluster`` process and report through files."""

import time
from pathlib import Path


def always_fail(path: str) -> None:
    with Path(path).open("a") as log:
        log.write("attempt\n")
    raise RuntimeError("this job always fails")


def slow_effect(path: str, key: str, seconds: float) -> str:
    """Start, take a while, then apply an effect idempotently by ``key`` (like an outbox call with its key)."""
    folder = Path(path)
    with (folder / "starts.log").open("a") as log:
        log.write("start\n")
    time.sleep(seconds)
    marker = folder / f"{key}.done"
    try:
        with marker.open("x"):
            pass
    except FileExistsError:
        return "already applied"
    with (folder / "effects.log").open("a") as log:
        log.write(f"{key}\n")
    return "applied"


def quick(path: str, n: int) -> None:
    with (Path(path) / "quick.log").open("a") as log:
        log.write(f"{n}\n")


def _write(path: Path, text: str) -> None:
    temporary = path.with_suffix(".tmp")
    temporary.write_text(text)
    temporary.replace(path)


def hold_pull_lease(path: str, connection_id: int, seconds: float) -> None:
    """Take a connection's pull lease as a pull does, then work a long time without looking up (a killed pull)."""
    from apps.clients.models import SmintioConnection
    from apps.integrations.smintio.sync import acquire_lease, new_owner

    owner = new_owner()
    if not acquire_lease(SmintioConnection.objects.get(pk=connection_id), owner):
        raise RuntimeError("the lease is taken")
    _write(Path(path) / "lease.owner", owner)
    time.sleep(seconds)


def work_until_stop_requested(path: str, seconds: float) -> str:
    """A long job that checks ``stop_requested()`` between its steps and returns early when asked."""
    from apps.integrations.worker import stop_requested

    _write(Path(path) / "polite.log", "started\n")
    deadline = time.monotonic() + seconds
    while time.monotonic() < deadline:
        if stop_requested():
            _write(Path(path) / "polite.log", "started\nstopped early\n")
            return "stopped early"
        time.sleep(0.1)
    return "done"
