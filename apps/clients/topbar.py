"""The top bar's Smint.io state of a person's clients, kept in the shared cache between the writes that move it.

Every signed-in page shows it (connected, broken, syncing), so reading it from the database cost a query on every
page. It moves only when a connection row's shown columns are written (connect, disconnect, a pull's lease, start
and end) or a client is renamed: each such write raises one generation (``forget``: the connection queryset's
``update()``, a connection's or client's save and delete), now and again when its transaction commits, and an entry
of an older generation is read again. Like the per-person cache (``apps.common.user_cache``), only where every
process shares the cache (``PER_USER_CACHE_SECONDS`` > 0), and for that long at most.
"""

from __future__ import annotations

from django.core.cache import cache

from apps.common import user_cache

GENERATION = "gl:smintio-state:generation"
# what the top bar and the first-sync banner show (``SmintioState``): not the credentials (decrypted on load), the
# cursors or the vocabularies
FIELDS = ("client_id", "status", "lease_until", "last_pull_ok", "last_pull_finished_at")
COLUMNS = (*FIELDS, "client__name", "client__slug")


def _key(client_id) -> str:
    return f"gl:smintio-state:{client_id}"


def forget() -> None:
    """Every client's state is read again (a connection or a client changed)."""
    user_cache.bump_generation(GENERATION)


def _read(client_ids) -> list[dict]:
    from .models import SmintioConnection

    return list(SmintioConnection.objects.filter(client_id__in=client_ids).values(*COLUMNS))


def states(client_ids: list) -> list[dict]:
    """The ``COLUMNS`` of these clients' connections (a client without one is left out), by client name."""
    lifetime = user_cache.seconds()
    if not lifetime:
        rows = _read(client_ids)
    else:
        found = cache.get_many([GENERATION, *map(_key, client_ids)])
        generation = found.get(GENERATION, 0)
        rows, missing = [], []
        for client_id in client_ids:
            kept = found.get(_key(client_id))
            if kept is not None and kept[0] == generation:
                rows.extend(kept[1:])  # (generation,) when the client has no connection
            else:
                missing.append(client_id)
        if missing:
            read = {row["client_id"]: row for row in _read(missing)}
            entries = {_key(pk): (generation, read[pk]) if pk in read else (generation,) for pk in missing}
            cache.set_many(entries, lifetime)
            rows.extend(read.values())
    return sorted(rows, key=lambda row: (row["client__name"], row["client_id"]))
