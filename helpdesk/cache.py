"""Django's Redis cache with one connection pool per process instead of one per thread.

Django keeps a cache object per thread (``django.core.cache.caches`` is thread-local),
and each ``RedisCache`` object builds its own redis-py connection pool on first use.
Daphne runs every request's sync code in a thread of its own, so every request
built a new pool and opened a new Redis connection (~3 ms, docs/benchmarks.md). Here
every cache object with the same servers and options shares one client, and so one
pool, for the life of the process; redis-py pools are thread-safe and reset
themselves in a forked child.
"""

from __future__ import annotations

import threading
from typing import Any

from django.core.cache.backends.redis import RedisCache, RedisCacheClient
from django.utils.functional import cached_property

_clients: dict[tuple, RedisCacheClient] = {}
_clients_lock = threading.Lock()


class _LockedPoolClient(RedisCacheClient):
    """Django's client, with pool creation guarded: several threads share one instance."""

    def __init__(self, *args: Any, **kwargs: Any) -> None:
        super().__init__(*args, **kwargs)
        self._pools_lock = threading.Lock()

    def _get_connection_pool(self, write):
        index = self._get_connection_pool_index(write)
        pool = self._pools.get(index)
        if pool is None:
            with self._pools_lock:
                pool = self._pools.get(index)
                if pool is None:
                    pool = self._pools[index] = self._pool_class.from_url(self._servers[index], **self._pool_options)
        return pool


def _options_key(options: dict[str, Any]) -> tuple:
    return tuple(sorted((name, repr(value)) for name, value in options.items()))


class SharedPoolRedisCache(RedisCache):
    """``RedisCache`` whose client (and connection pool) is shared by every thread of the process."""

    @cached_property
    def _cache(self) -> RedisCacheClient:
        key = (tuple(self._servers), _options_key(self._options))
        client = _clients.get(key)
        if client is None:
            with _clients_lock:
                client = _clients.get(key)
                if client is None:
                    client = _clients[key] = _LockedPoolClient(self._servers, **self._options)
        return client
