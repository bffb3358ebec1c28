"""The chat sockets' database calls run on a few threads of their own.

Channels' ``database_sync_to_async`` is thread-sensitive by default: every call of the
process, from every socket, runs on one thread, one after another, each waiting for
PostgreSQL in turn. With thousands of chat sockets their rights checks, gap reads and
lines queued there behind each other (docs/benchmarks.md, "The live chat benchmark").
A fixed pool lets calls of different sockets overlap (one socket's calls still run one
at a time: the socket awaits each) while bounding the pooled connections they hold to
``LIVELISTEN_DB_THREADS`` (under ``DB_POOL_MAX_SIZE``). A pool per event loop (the
loop's default executor) would hold connections for every loop a test suite runs.

SQLite takes one writer at a time anyway: there the pool has a single thread.
"""

from __future__ import annotations

import functools
from collections.abc import Callable
from concurrent.futures import ThreadPoolExecutor
from typing import Any

from channels.db import DatabaseSyncToAsync
from django.conf import settings
from django.db import close_old_connections, connection

_executor: ThreadPoolExecutor | None = None


def _pool() -> ThreadPoolExecutor:
    global _executor
    if _executor is None:
        threads = 1 if connection.vendor == "sqlite" else max(1, int(getattr(settings, "LIVELISTEN_DB_THREADS", 4)))
        _executor = ThreadPoolExecutor(max_workers=threads, thread_name_prefix="livelisten-db")
    return _executor


def on_chat_threads(function: Callable[..., Any]) -> DatabaseSyncToAsync:
    """``function`` as an awaitable that runs on the chat threads, old connections closed around it."""
    return _ChatThreadCall(_closing_connections(function))


def _closing_connections(function: Callable[..., Any]) -> Callable[..., Any]:
    """Close obsolete connections inside the call itself, not only around it as Channels does.

    asgiref 3.13 runs the function with the calling context's ``Local`` storage moved onto
    the worker thread; the connection opened there was not the one Channels' own
    ``close_old_connections`` (outside that context) looked at, so each chat thread kept a
    pooled connection checked out (the test suite's teardown found them still open).
    """

    @functools.wraps(function)
    def run(*args: Any, **kwargs: Any) -> Any:
        close_old_connections()
        try:
            return function(*args, **kwargs)
        finally:
            close_old_connections()

    return run


class _ChatThreadCall(DatabaseSyncToAsync):
    def __init__(self, function: Callable[..., Any]) -> None:
        # The executor is picked on the first call (settings and the database are known by then).
        super().__init__(function, thread_sensitive=False)

    async def __call__(self, *args: Any, **kwargs: Any) -> Any:
        self._executor = _pool()
        return await super().__call__(*args, **kwargs)
