"""``make run``'s console: the in-process emulators' own request lines are hidden unless asked for."""

from __future__ import annotations

import logging

EMULATOR_PATHS = ("/emulators/",)


class QuietEmulatorRequests(logging.Filter):
    """Drops runserver's request lines (``django.server``) and Django's 4xx warnings (``django.request``) for the
    emulators' URLs: thousands of them (Smint.io's sync pages, OpenText's task polling and its late history's 404s)
    buried the portal's own lines. ``EMULATOR_REQUEST_LOG=true`` keeps them."""

    def __init__(self, show: bool = False):
        super().__init__()
        self.show = show

    def filter(self, record: logging.LogRecord) -> bool:
        if self.show:
            return True
        request = getattr(record, "request", None)
        path = getattr(request, "path", None)
        if path is None:  # runserver passes the request line as the message's first argument
            args = record.args if isinstance(record.args, tuple) else ()
            line = str(args[0]) if args else record.getMessage()
            parts = line.split(" ")
            path = parts[1] if len(parts) > 1 else ""
        return not path.startswith(EMULATOR_PATHS)
