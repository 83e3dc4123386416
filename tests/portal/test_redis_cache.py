"""The Redis cache backend production uses (``apps.common.redis_cache``): Django's, keeping one client per connection
pool. Checked against the real Redis: every operation the code uses still works, across a fork too (a gunicorn
worker forked after the master touched the cache)."""

from __future__ import annotations

import os
import uuid

import pytest

from apps.common.redis_cache import RedisCache

REDIS_URL = os.environ.get("REDIS_URL") or "redis://127.0.0.1:6379/0"


@pytest.fixture
def backend():
    import redis

    try:
        redis.from_url(REDIS_URL, socket_connect_timeout=2, socket_timeout=2).ping()
    except Exception as exc:
        pytest.skip(f"Redis does not answer at {REDIS_URL}: {exc}")
    made = RedisCache(REDIS_URL, {"KEY_PREFIX": f"test-{uuid.uuid4().hex}"})
    yield made
    made.delete_many(["a", "b", "n", "gone"])


def test_one_client_per_pool_and_every_operation_works(backend):
    inner = backend._cache
    assert inner.get_client() is inner.get_client()
    assert inner.get_client(write=True) is inner.get_client(write=True)
    backend.set("a", {"user": 1}, 30)
    assert backend.get("a") == {"user": 1}
    assert backend.add("a", "other", 30) is False
    backend.set_many({"b": [1, 2]}, 30)
    assert backend.get_many(["a", "b", "missing"]) == {"a": {"user": 1}, "b": [1, 2]}
    backend.add("n", 0, None)
    assert backend.incr("n") == 1
    backend.set("gone", 1, 30)
    backend.delete_many(["gone"])
    assert backend.get("gone") is None
    assert backend.touch("a", 60) is True


def test_a_forked_process_reads_and_writes_through_its_own_connections(backend):
    backend.set("a", "before the fork", 30)
    read, write = os.pipe()
    pid = os.fork()
    if pid == 0:  # the child: the client made before the fork, a connection of its own
        try:
            backend.set("b", "from the child", 30)
            os.write(write, str(backend.get("a")).encode())
        finally:
            os._exit(0)
    os.waitpid(pid, 0)
    os.close(write)
    assert os.read(read, 100).decode() == "before the fork"
    assert backend.get("b") == "from the child"
