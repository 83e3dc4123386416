"""Keyset paging for HTML lists: the cost of a page does not grow with its depth (see QUALITY.md section 6)."""

from __future__ import annotations

from dataclasses import dataclass
from typing import Any

from django.db.models import Q, QuerySet

from .http import moment_or_none, whole_number


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
    before = whole_number(params.get(param, ""))
    if before is not None:
        queryset = queryset.filter(pk__lt=before)
    rows = list(queryset[: size + 1])
    has_more = len(rows) > size
    rows = rows[:size]
    return KeysetPage(items=rows, next_before=rows[-1].pk if has_more else None, is_first=before is None)


@dataclass(frozen=True)
class AscendingPage:
    """One page ordered by a timestamp then id, and the cursor of the next page ("<iso time>~<id>")."""

    items: list[Any]
    next_after: str | None
    is_first: bool


def ascending_page(queryset: QuerySet, params, *, field: str, size: int = 50, param: str = "after") -> AscendingPage:
    """Rows by ``field`` (never null) then id, ``size`` at a time, after the cursor in ``params[param]``.

    Keyset, not offset: the 200th page costs what the first costs. A malformed cursor starts at the beginning.
    """
    queryset = queryset.order_by(field, "pk")
    moment, _, pk = params.get(param, "").partition("~")
    when, after_pk = moment_or_none(moment), whole_number(pk)
    started = when is not None and after_pk is not None
    if started:
        queryset = queryset.filter(Q(**{f"{field}__gt": when}) | Q(**{field: when, "pk__gt": after_pk}))
    rows = list(queryset[: size + 1])
    has_more = len(rows) > size
    rows = rows[:size]
    cursor = f"{getattr(rows[-1], field).isoformat()}~{rows[-1].pk}" if has_more else None
    return AscendingPage(items=rows, next_after=cursor, is_first=not started)
