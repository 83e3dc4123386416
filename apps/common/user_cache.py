"""Per-person values every page reads, kept in the shared cache between the changes that move them.

Each signed-in page used to pay for the same reads again: the session, the user row and their memberships (clients,
roles, regions: three statements), whether notices wait, the unread badge, the count of open onboarding runs. None of
them changes between two clicks of one person unless something writes it, so they are kept in the cache under the
person's id, and the code that writes them forgets them (``forget``), once at once and once more when its
transaction commits (a page that read the old rows between the two does not keep them).

Only where the cache is shared by every process (``PER_USER_CACHE_SECONDS`` > 0: Redis in production; the tests'
single process): with a per-process memory cache, a change made by the worker or another web process could not make
this process forget, so development without Redis reads the database every time. ``PER_USER_CACHE_SECONDS`` also
bounds how long a value written behind the code's back (a raw SQL update, a shell) can be seen.
"""

from __future__ import annotations

from collections.abc import Callable, Iterable
from typing import TypeVar

from django.conf import settings
from django.core.cache import cache
from django.db import transaction

T = TypeVar("T")
PREFIX = "gl:user"
EVERYONE = f"{PREFIX}:generation"  # bumped by changes that touch everyone's values (a client renamed, a role)


def seconds() -> int:
    return getattr(settings, "PER_USER_CACHE_SECONDS", 0)


def _key(name: str, user_id) -> str:
    return f"{PREFIX}:{name}:{user_id}"


def remember(name: str, user_id, compute: Callable[[], T]) -> T:
    """``compute()``, or what it gave last time for this person since the last ``forget`` (``None`` is never kept)."""
    return remember_beside(None, name, user_id, compute)[1]


def remember_for_everyone(name: str, compute: Callable[[], T]) -> T:
    """``compute()`` for a value everyone reads alike (the regions), kept until a change bumps everyone's generation
    (``forget_everyone``)."""
    return remember(name, "everyone", compute)


def remember_key(key: str, compute: Callable[[], T]) -> T:
    """``compute()``, or what it gave last time under the shared entry ``key`` since ``forget_key(key)``: for a value
    that moves on its own writes, not with everyone's generation (the delegation periods)."""
    lifetime = seconds()
    if not lifetime:
        return compute()
    kept = cache.get(key)
    if kept is None:
        kept = compute()
        cache.set(key, kept, lifetime)
    return kept


def remember_beside(other: str | None, name: str, user_id, compute: Callable[[], T]) -> tuple:
    """``(the cache entry other, remember(name, user_id, compute))``, read in one round trip to the cache (an API
    token's entry beside its person's)."""
    lifetime = seconds()
    if not lifetime or user_id is None:
        return (cache.get(other) if other else None), compute()
    key = _key(name, user_id)
    found = cache.get_many([EVERYONE, key, *([other] if other else [])])
    generation = found.get(EVERYONE, 0)
    kept = found.get(key)
    if kept is not None and kept[0] == generation:
        return found.get(other), kept[1]
    value = compute()
    if value is not None:
        cache.set(key, (generation, value), lifetime)
    return found.get(other), value


def forget(name: str, user_ids: Iterable) -> None:
    """Drop ``name`` of these people now and again when the current transaction commits."""
    if not seconds():
        return
    keys = [_key(name, user_id) for user_id in set(user_ids) if user_id is not None]
    if keys:
        cache.delete_many(keys)
        transaction.on_commit(lambda: cache.delete_many(keys))


def forget_key(key: str) -> None:
    """Drop the shared entry ``key`` (``remember_key``) now and again when the current transaction commits."""
    if seconds():
        cache.delete(key)
        transaction.on_commit(lambda: cache.delete(key))


def forget_everyone() -> None:
    """Drop every person's values (a change many of them read: a client, a role, a region)."""
    bump_generation(EVERYONE)


def bump_generation(key: str) -> None:
    """Raise the generation counter ``key`` now and again when the current transaction commits (a value read from
    the database between the two is stored under the first bump's generation, which the second makes stale)."""
    if not seconds():
        return

    def bump():
        cache.add(key, 0, None)
        try:
            cache.incr(key)
        except ValueError:  # evicted between add and incr
            cache.set(key, 1, None)

    bump()
    transaction.on_commit(bump)
