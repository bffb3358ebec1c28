"""The chat sockets' database threads give their pooled connections back after every call."""

from __future__ import annotations

import pytest
from django.db import connection, connections

from livelisten import dbthreads
from tests.livelisten.test_consumers import frames, open_socket

pytestmark = [
    pytest.mark.django_db(transaction=True),
    pytest.mark.skipif(connection.vendor != "postgresql", reason="the connection pool is PostgreSQL's"),
]


async def test_the_chat_threads_hold_no_connection_after_a_socket_is_served(active_session, chat_customer):
    ws = await open_socket(f"/ws/sessions/{active_session.pk}/", chat_customer)
    await frames(ws, 2)
    await ws.send_json_to({"type": "message", "body": "hello", "client_id": "c-1"})
    await frames(ws, 1)
    await ws.disconnect()
    pool = dbthreads._pool()
    # Every thread of the pool, asked directly (not through the wrapper that closes connections).
    futures = [pool.submit(lambda: connections["default"].connection is None) for _ in range(pool._max_workers * 4)]
    assert all(future.result() for future in futures)
