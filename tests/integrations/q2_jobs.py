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
