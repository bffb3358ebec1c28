"""End-to-end fixtures: a real Daphne server on the test database, and headless Chromium.

Data must be committed for the server process to see it, so e2e tests use
``transactional_db`` (``@pytest.mark.django_db(transaction=True)``).

Playwright's sync API keeps an asyncio loop marked as running in the calling
thread for as long as it is open. Django refuses ORM calls from a thread with a
running loop (``SynchronousOnlyOperation``), so instead of switching that check
off with ``DJANGO_ALLOW_ASYNC_UNSAFE``:

- the browser is started from inside the test (``chromium()``), after the
  fixtures have written their data, and closed before the database is flushed;
- while it is open, the test reaches the database through ``in_thread(...)``,
  which runs the call in a worker thread with its own connection.
"""

from __future__ import annotations

import contextlib
import os
import socket
import subprocess
import sys
import time
import urllib.error
import urllib.request
from concurrent.futures import ThreadPoolExecutor
from dataclasses import dataclass
from pathlib import Path
from urllib.parse import quote

import pytest

ROOT = Path(__file__).resolve().parents[2]
CHROMIUM = "/usr/bin/chromium"
CHROMIUM_ARGS = [
    "--no-sandbox",
    "--disable-gpu",
    "--disable-background-networking",
    "--disable-component-update",
    "--disable-sync",
]
SERVER_START_TIMEOUT = 60


def _free_port() -> int:
    with socket.socket(socket.AF_INET, socket.SOCK_STREAM) as sock:
        sock.bind(("127.0.0.1", 0))
        return sock.getsockname()[1]


def _database_env(settings_dict: dict) -> dict[str, str | None]:
    """Environment that points the server's settings at the test database (None = unset)."""
    engine = settings_dict["ENGINE"]
    name = str(settings_dict["NAME"])
    if engine.endswith("postgresql"):
        user = quote(settings_dict.get("USER") or "", safe="")
        password = settings_dict.get("PASSWORD") or ""
        credentials = f"{user}:{quote(password, safe='')}@" if password else (f"{user}@" if user else "")
        host = settings_dict.get("HOST") or "127.0.0.1"
        port = settings_dict.get("PORT") or "5432"
        return {"DATABASE_URL": f"postgres://{credentials}{host}:{port}/{quote(name, safe='')}"}
    if engine.endswith("sqlite3"):
        if name == ":memory:" or name.startswith("file:") or "mode=memory" in name:
            pytest.skip("the SQLite test database is in memory; a server process cannot share it")
        return {"DATABASE_URL": None, "SQLITE_PATH": name}
    pytest.skip(f"no e2e server support for {engine}")


def _wait_until_up(url: str, process: subprocess.Popen, log_path: Path) -> None:
    deadline = time.monotonic() + SERVER_START_TIMEOUT
    while time.monotonic() < deadline:
        if process.poll() is not None:
            raise RuntimeError(f"Daphne exited with {process.returncode}:\n{log_path.read_text()[-4000:]}")
        try:
            with urllib.request.urlopen(url, timeout=2):
                return
        except urllib.error.HTTPError:
            return  # it answered; the status does not matter here
        except (urllib.error.URLError, ConnectionError, TimeoutError, OSError):
            time.sleep(0.2)
    raise RuntimeError(f"Daphne did not answer within {SERVER_START_TIMEOUT}s:\n{log_path.read_text()[-4000:]}")


@dataclass(frozen=True)
class LiveServer:
    url: str
    log_path: Path
    # Where the server stores attachments (a test's own code reads them from there too).
    media_root: Path

    def log(self) -> str:
        return self.log_path.read_text(errors="replace")


@pytest.fixture(scope="session")
def live_server_url(daphne_server) -> str:
    return daphne_server.url


@pytest.fixture(scope="session")
def daphne_server(django_db_setup, tmp_path_factory) -> LiveServer:
    """A real Daphne process serving ``helpdesk.asgi:application`` on the test database (``.url``, ``.log()``).

    Depends on ``django_db_setup`` so the test database exists first and is only
    dropped after the server (and its connections) are gone.
    """
    from django.db import connection

    env = dict(os.environ)
    for key, value in _database_env(connection.settings_dict).items():
        if value is None:
            env.pop(key, None)
        else:
            env[key] = value
    # REDIS_URL and HELPDESK_VAR_DIR pass through unchanged from this process.
    env["DJANGO_SETTINGS_MODULE"] = "helpdesk.settings"
    env["PYTHONUNBUFFERED"] = "1"
    media_root = tmp_path_factory.mktemp("daphne-uploads")
    env["MEDIA_ROOT"] = str(media_root)

    port = _free_port()
    log_path = tmp_path_factory.mktemp("daphne") / "daphne.log"
    with open(log_path, "wb") as log:
        process = subprocess.Popen(
            [sys.executable, "-m", "daphne", "-b", "127.0.0.1", "-p", str(port), "helpdesk.asgi:application"],
            cwd=ROOT,
            env=env,
            stdout=log,
            stderr=subprocess.STDOUT,
        )
    base_url = f"http://127.0.0.1:{port}"
    try:
        _wait_until_up(base_url + "/accounts/login/", process, log_path)
        yield LiveServer(url=base_url, log_path=log_path, media_root=media_root)
    finally:
        process.terminate()
        try:
            process.wait(timeout=10)
        except subprocess.TimeoutExpired:
            process.kill()
            process.wait(timeout=10)


@pytest.fixture
def chromium():
    """Call it to launch headless Chromium (after the test's data exists); closed after the test."""
    if not Path(CHROMIUM).exists():
        pytest.skip(f"{CHROMIUM} is missing (CI installs Debian's chromium package)")
    from playwright.sync_api import sync_playwright

    stack = contextlib.ExitStack()

    def launch():
        playwright = stack.enter_context(sync_playwright())
        browser = playwright.chromium.launch(executable_path=CHROMIUM, headless=True, args=CHROMIUM_ARGS)
        stack.callback(browser.close)
        return browser

    try:
        yield launch
    finally:
        stack.close()


def _run_and_close(fn, args, kwargs):
    from django.db import connections

    try:
        return fn(*args, **kwargs)
    finally:
        connections.close_all()


@pytest.fixture
def in_thread():
    """``in_thread(fn, *args, **kwargs)``: run an ORM/service call where no asyncio loop is running."""
    with ThreadPoolExecutor(max_workers=1, thread_name_prefix="e2e-orm") as pool:

        def run(fn, *args, **kwargs):
            return pool.submit(_run_and_close, fn, args, kwargs).result(timeout=60)

        yield run


@pytest.fixture
def sign_in(live_server_url):
    """``sign_in(context, username, password)``: log in through the real login page; returns the page."""

    def login(context, username: str, password: str):
        page = context.new_page()
        page.goto(live_server_url + "/accounts/login/")
        page.fill("#id_username", username)
        page.fill("#id_password", password)
        page.click("button[type=submit]")
        page.wait_for_url(lambda url: "/accounts/login/" not in url, timeout=15_000)
        return page

    return login
