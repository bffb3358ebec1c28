"""Under concurrent requests a Daphne process keeps a bounded set of PostgreSQL sessions and reuses them.

Django's ASGI handler runs each request in a thread of its own, so without the pool
every request opened a session of its own and closed it at the end (CONN_MAX_AGE
keeps nothing across threads): the server's sessions came and went with the
requests, and piled up under load until PostgreSQL refused new clients.
"""

from __future__ import annotations

import threading
import urllib.request
from concurrent.futures import ThreadPoolExecutor

import pytest
from django.conf import settings
from django.db import connection
from django.test import Client

pytestmark = [pytest.mark.e2e, pytest.mark.postgresql, pytest.mark.django_db(transaction=True)]

CLIENTS = 8
REQUESTS = 48


def _server_sessions(cursor, database: str, mine: set[int]) -> set[int]:
    """Backends on the test database other than this test's own (``mine``, and the asking one)."""
    cursor.execute("SELECT pid FROM pg_stat_activity WHERE datname = %s AND pid <> pg_backend_pid()", [database])
    return {pid for (pid,) in cursor.fetchall()} - mine


def _burst(url: str, cookie: str) -> list[int]:
    def get(_):
        request = urllib.request.Request(url, headers={"Cookie": cookie})
        with urllib.request.urlopen(request, timeout=30) as response:
            response.read()
            return response.status

    with ThreadPoolExecutor(max_workers=CLIENTS) as pool:
        return list(pool.map(get, range(REQUESTS)))


def test_concurrent_requests_share_a_bounded_set_of_sessions(live_server_url, agent, make_ticket):
    pool = settings.DATABASES["default"].get("OPTIONS", {}).get("pool")
    assert pool, "with DATABASE_URL the pool is on by default (DB_POOL)"
    for number in range(3):
        make_ticket(subject=f"Pool probe {number}")
    client = Client()
    client.force_login(agent)
    cookie = f"sessionid={client.cookies['sessionid'].value}"
    database = connection.settings_dict["NAME"]
    url = live_server_url + "/inbox/?view=all"

    with connection.cursor() as cursor:
        cursor.execute("SELECT pg_backend_pid()")
        mine = {cursor.fetchone()[0]}
    peak = {"sessions": 0}
    stop = threading.Event()
    watching = threading.Event()

    def watch():
        from django.db import connections

        with connections["default"].cursor() as cursor:
            cursor.execute("SELECT pg_backend_pid()")
            mine.add(cursor.fetchone()[0])
            watching.set()
            while not stop.wait(0.02):
                peak["sessions"] = max(peak["sessions"], len(_server_sessions(cursor, database, mine)))
        connections.close_all()

    watcher = threading.Thread(target=watch)
    watcher.start()
    watching.wait(10)
    try:
        assert set(_burst(url, cookie)) == {200}
        with connection.cursor() as cursor:
            after_first = _server_sessions(cursor, database, mine)
        assert set(_burst(url, cookie)) == {200}
        with connection.cursor() as cursor:
            after_second = _server_sessions(cursor, database, mine)
    finally:
        stop.set()
        watcher.join()

    # The sessions outlive the requests and serve the next ones...
    assert after_first, "no session stayed open between requests: each request opened its own"
    assert after_first & after_second, "the second burst was served by new sessions"
    # ...and never exceed the pool's bound, whatever the concurrency.
    assert len(after_first | after_second) <= pool["max_size"]
    assert peak["sessions"] <= pool["max_size"]
