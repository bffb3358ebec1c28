"""Serving settings read from the environment: the database pool or PgBouncer, the shared Redis pool, WSGI."""

from __future__ import annotations

import json
import os
import subprocess
import sys
from pathlib import Path

ROOT = Path(__file__).resolve().parents[2]
PROBE = """
import json
import django
django.setup()
from django.conf import settings
db = settings.DATABASES["default"]
cache = settings.CACHES["default"]
from helpdesk.wsgi import application
print(json.dumps({
    "pool": db.get("OPTIONS", {}).get("pool"),
    "conn_max_age": db["CONN_MAX_AGE"],
    "server_side_cursors_off": db.get("DISABLE_SERVER_SIDE_CURSORS", False),
    "cache_backend": cache["BACKEND"],
    "cache_pool_class": cache.get("OPTIONS", {}).get("pool_class"),
    "cache_max_connections": cache.get("OPTIONS", {}).get("max_connections"),
    "wsgi": callable(application),
}))
"""


def settings_with(**env: str) -> dict:
    clean = {k: v for k, v in os.environ.items() if not k.startswith(("DB_", "DATABASE_URL", "REDIS", "DISABLE_"))}
    clean.update(DJANGO_SETTINGS_MODULE="helpdesk.settings", **env)
    result = subprocess.run(
        [sys.executable, "-c", PROBE], cwd=ROOT, env=clean, capture_output=True, text=True, timeout=60, check=True
    )
    return json.loads(result.stdout.strip().splitlines()[-1])


def test_postgresql_gets_a_bounded_pool_by_default():
    found = settings_with(DATABASE_URL="postgres://u@127.0.0.1:5432/x", DB_POOL_MAX_SIZE="7")
    assert found["pool"] == {"min_size": 1, "max_size": 7, "timeout": 10}
    assert found["conn_max_age"] == 0
    assert found["server_side_cursors_off"] is False
    assert found["wsgi"] is True


def test_behind_pgbouncer_no_pool_and_no_server_side_cursors():
    found = settings_with(
        DATABASE_URL="postgres://u@127.0.0.1:6432/x", DB_POOL="0", DISABLE_SERVER_SIDE_CURSORS="1", DB_CONN_MAX_AGE="5"
    )
    assert found["pool"] is None
    assert found["conn_max_age"] == 5
    assert found["server_side_cursors_off"] is True


def test_redis_cache_shares_one_bounded_pool_per_process():
    found = settings_with(REDIS_URL="redis://127.0.0.1:6379/9", REDIS_CACHE_MAX_CONNECTIONS="12")
    assert found["cache_backend"] == "helpdesk.cache.SharedPoolRedisCache"
    assert found["cache_pool_class"] == "redis.BlockingConnectionPool"
    assert found["cache_max_connections"] == 12
