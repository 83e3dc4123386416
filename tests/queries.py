"""A page's queries as a person pays them on their next click.

The first request after a change reads the person's memberships, unread badge and session from the database; later
ones read them from the per-person cache (apps/common/user_cache.py). Query budgets are about the steady state, and
"5 rows cost what 50 cost" must not depend on which of the two requests came first after rows were added (adding
rows can make the cache forget): so each count is taken on a second request.
"""

from __future__ import annotations

from django.db import connection
from django.test.utils import CaptureQueriesContext


def page_queries(http, url: str, params: dict | None = None, *, status: int = 200, **more) -> int:
    """How many statements the second of two GETs of ``url`` runs (the first one warms the person's cache)."""
    params = {**(params or {}), **more}
    http.get(url, params)
    with CaptureQueriesContext(connection) as captured:
        response = http.get(url, params)
    assert response.status_code == status, (url, response.status_code)
    return len(captured)
