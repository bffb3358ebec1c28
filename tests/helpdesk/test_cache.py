"""The Redis cache shares one connection pool per process (helpdesk/cache.py).

Django keeps a cache object per thread and Daphne runs each request in a thread of
its own; with Django's stock backend every such thread built a pool and opened a
Redis connection of its own.
"""

from __future__ import annotations

import os
import threading

import pytest
from django.core.cache import caches
from django.test import override_settings

REDIS_URL = os.environ.get("REDIS_URL", "").strip()
# No connection is made until a command runs, so the pools can be compared without Redis.
UNREACHED = "redis://127.0.0.1:6379/15"


@pytest.fixture(autouse=True)
def fresh_shared_clients():
    """Each test starts with no shared client, as a new process does (and leaves the others' alone)."""
    from helpdesk import cache

    saved = dict(cache._clients)
    cache._clients.clear()
    yield
    cache._clients.clear()
    cache._clients.update(saved)


def _cache_settings(backend: str, location: str) -> dict:
    return {
        "default": {
            "BACKEND": backend,
            "LOCATION": location,
            "KEY_PREFIX": f"test-cache-{os.getpid()}",
            "OPTIONS": {
                "socket_connect_timeout": 2,
                "socket_timeout": 2,
                "pool_class": "redis.BlockingConnectionPool",
                "max_connections": 50,
                "timeout": 2,
            },
        }
    }


def _in_new_threads(count: int, work) -> list:
    """Run ``work()`` in ``count`` new threads one after another, as Daphne runs requests."""
    results: list = []
    for _ in range(count):
        thread = threading.Thread(target=lambda: results.append(work()))
        thread.start()
        thread.join()
    return results


def _cache_and_pool():
    cache = caches["default"]
    return cache, cache._cache._get_connection_pool(write=True)


def test_stock_backend_builds_a_pool_per_thread():
    """The problem, pinned: without the shared client, each thread's cache has its own pool."""
    with override_settings(CACHES=_cache_settings("django.core.cache.backends.redis.RedisCache", UNREACHED)):
        seen = _in_new_threads(3, _cache_and_pool)
    assert len({id(cache) for cache, _ in seen}) == 3
    assert len({id(pool) for _, pool in seen}) == 3


def test_threads_share_one_pool():
    with override_settings(CACHES=_cache_settings("helpdesk.cache.SharedPoolRedisCache", UNREACHED)):
        seen = _in_new_threads(5, _cache_and_pool)
    caches_seen = {id(cache) for cache, _ in seen}
    pools = {id(pool) for _, pool in seen}
    assert len(caches_seen) == 5, "Django still gives each thread a cache object of its own"
    assert len(pools) == 1


def test_concurrent_first_use_builds_one_pool():
    with override_settings(CACHES=_cache_settings("helpdesk.cache.SharedPoolRedisCache", "redis://127.0.0.1:6379/14")):
        barrier = threading.Barrier(8)
        pools: list = []

        def first_use():
            barrier.wait()
            pools.append(_cache_and_pool()[1])

        threads = [threading.Thread(target=first_use) for _ in range(8)]
        for thread in threads:
            thread.start()
        for thread in threads:
            thread.join()
    assert len({id(pool) for pool in pools}) == 1


def test_settings_use_the_shared_pool_with_redis(settings):
    if not REDIS_URL:
        pytest.skip("needs REDIS_URL: without it the cache is local memory")
    assert settings.CACHES["default"]["BACKEND"] == "helpdesk.cache.SharedPoolRedisCache"


def test_requests_in_new_threads_reuse_one_connection():
    if not REDIS_URL:
        pytest.skip("needs REDIS_URL (a reachable Redis) to count the connections opened")
    with override_settings(CACHES=_cache_settings("helpdesk.cache.SharedPoolRedisCache", REDIS_URL)):
        pool = _cache_and_pool()[1]
        opened: list = []
        make_connection = pool.make_connection

        def counting_make_connection():
            connection = make_connection()
            opened.append(connection)
            return connection

        pool.make_connection = counting_make_connection
        try:

            def request():
                cache = caches["default"]
                cache.set("shared-pool-probe", threading.get_ident(), 30)
                return cache.get("shared-pool-probe")

            answers = _in_new_threads(10, request)
            caches["default"].delete("shared-pool-probe")
        finally:
            del pool.make_connection
    assert all(answers)
    assert len(opened) == 1
