"""The state directory a supervised worker cluster shares with its watchdog, as seen from inside the cluster.

``manage.py run_worker`` (``apps.integrations.worker``) names a private directory in ``GREENLIGHT_WORKER_STATE``
and creates ``stop`` in it when it is asked to stop. Long jobs of any app (the outbox relay, the Smint.io pull) ask
:func:`stop_requested` between steps; it lives here, model-free and below every app, so they need not import the
integrations.
"""

from __future__ import annotations

import os
from pathlib import Path

STATE_ENV = "GREENLIGHT_WORKER_STATE"
STOP_FILE = "stop"


def state_dir() -> Path | None:
    value = os.environ.get(STATE_ENV)
    return Path(value) if value else None


def stop_requested() -> bool:
    """True once ``run_worker`` was asked to stop (SIGTERM, Ctrl-C). A long job checks it between steps that leave
    its work resumable, and returns early: the watchdog kills what still runs a few seconds after asking.
    Always False outside a supervised cluster (``manage.py qcluster``, tests, the web process)."""
    directory = state_dir()
    return directory is not None and (directory / STOP_FILE).exists()
