"""Keyset paging for HTML lists: the cost of a page does not grow with its depth (see QUALITY.md section 6)."""

from __future__ import annotations

from dataclasses import dataclass
from typing import Any

from django.db.models import QuerySet


@dataclass(frozen=True)
class KeysetPage:
    """One page of rows, newest first, and the key that starts the next (older) page."""

    items: list[Any]
    next_before: int | None
    is_first: bool


def keyset_page(queryset: QuerySet, params, *, size: int = 50, param: str = "before") -> KeysetPage:
    """Rows ordered by descending primary key, ``size`` at a time, starting below ``params[param]``.

    A malformed or missing key starts at the newest row, so a hand-edited URL never errors.
    """
    queryset = queryset.order_by("-pk")
    raw = params.get(param, "")
    before = int(raw) if raw.isdigit() else None
    if before is not None:
        queryset = queryset.filter(pk__lt=before)
    rows = list(queryset[: size + 1])
    has_more = len(rows) > size
    rows = rows[:size]
    return KeysetPage(items=rows, next_before=rows[-1].pk if has_more else None, is_first=before is None)
