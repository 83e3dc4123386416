"""Settings of the processes ``test_production_topology.py`` starts (two gunicorns, two q2 clusters).

The test settings (emulators mounted; OpenText, Smint.io, notification and field-encryption secrets derived from the
``SECRET_KEY`` the test passes, so the test process that seeds the database and these processes agree on them),
with what production has and the test settings take away: the Redis cache beside the Redis broker, persistent
database connections. Everything the run writes to Redis carries the run's own name, so parallel test workers never
share a queue or a cache key:

- ``GREENLIGHT_TOPOLOGY_RUN``: the q2 cluster name (queue ``django_q:<name>:q``, stats ``django_q:<name>:*``) and the
  cache's key prefix (``<name>:*``);
- ``GREENLIGHT_TOPOLOGY_LEASE_SECONDS``: the outbox lease (production: 120 s), shorter so rows a SIGKILLed cluster
  held are retried within the test's time budget. It must stay well above the time a drain holds a claimed batch.
"""

import os

from portal.settings.test import *  # noqa: F403
from portal.settings.test import DATABASES, Q_CLUSTER

_RUN = os.environ["GREENLIGHT_TOPOLOGY_RUN"]
_REDIS_URL = os.environ["REDIS_URL"]

Q_CLUSTER = {**Q_CLUSTER, "name": _RUN, "redis": _REDIS_URL}
Q_CLUSTER.pop("orm", None)
CACHES = {"default": {"BACKEND": "apps.common.redis_cache.RedisCache", "LOCATION": _REDIS_URL, "KEY_PREFIX": _RUN}}
DATABASES["default"]["CONN_MAX_AGE"] = 60  # as in production (DB_CONN_MAX_AGE); the test settings use 0
OUTBOX_LEASE_SECONDS = int(os.environ.get("GREENLIGHT_TOPOLOGY_LEASE_SECONDS", "120"))
