"""The README's production recipe, started as the README says: nginx (TLS) → gunicorn for HTTP, Daphne for /ws/.

A signed-in browser reads pages through nginx (served by gunicorn, compressed) and
holds a ticket socket (served by Daphne); a change saved through the page's form runs
in a gunicorn worker, and its ``ticket.changed`` event has to reach the socket in the
Daphne process through the Redis channel layer.
"""

from __future__ import annotations

import http.client
import json
import ssl
from urllib.parse import urlsplit

import pytest
from django.conf import settings
from django.db import connection

from tests import recipe
from tests.e2e.conftest import _database_env

pytestmark = [pytest.mark.e2e, pytest.mark.django_db(transaction=True)]

OPEN_SOCKET = """
(url) => new Promise((resolve) => {
  window.__frames = [];
  const ws = new WebSocket(url);
  window.__ws = ws;
  ws.onmessage = (event) => window.__frames.push(JSON.parse(event.data));
  ws.onopen = () => resolve("open");
  ws.onclose = (event) => { window.__closed = event.code; resolve("closed " + event.code); };
})
"""


@pytest.fixture(scope="module")
def production_recipe(django_db_setup, tmp_path_factory):
    if recipe.nginx_binary() is None:
        pytest.skip(f"nginx is missing: {recipe.NGINX_INSTALL_HINT} (.ci/run installs it)")
    if not settings.DATABASES["default"]["ENGINE"].endswith("postgresql"):
        pytest.skip("the production recipe runs on PostgreSQL (set DATABASE_URL)")
    if not settings.CHANNEL_LAYERS["default"]["BACKEND"].startswith("channels_redis"):
        pytest.skip("the production recipe needs REDIS_URL: events cross from gunicorn to Daphne through Redis")
    workdir = tmp_path_factory.mktemp("recipe")
    env = recipe.production_env(STATIC_ROOT=str(workdir / "static"))
    env.update({k: v for k, v in _database_env(connection.settings_dict).items() if v is not None})
    recipe.collect_static(env, workdir / "static")
    started = recipe.start_recipe(env=env, workdir=workdir)
    try:
        yield started
    finally:
        started.stop()


def _daphne_log(production_recipe) -> str:
    return "".join(p.log.read_text(errors="replace") for p in production_recipe.processes if p.name.startswith("daphne"))


def _get(base_url: str, path: str, **headers) -> http.client.HTTPResponse:
    target = urlsplit(base_url)
    if target.scheme == "https":
        conn = http.client.HTTPSConnection(target.hostname, target.port, context=ssl._create_unverified_context())
    else:
        conn = http.client.HTTPConnection(target.hostname, target.port)
    conn.request("GET", path, headers=headers)
    response = conn.getresponse()
    response.body = response.read()
    conn.close()
    return response


def test_pages_through_gunicorn_and_events_from_gunicorn_reach_daphnes_socket(
    production_recipe, chromium, agent, agent2, ticket
):
    base = production_recipe.base_url
    browser = chromium()
    context = browser.new_context(ignore_https_errors=True)
    page = context.new_page()
    page.goto(base + "/accounts/login/")
    page.fill("#id_username", "agent")
    page.fill("#id_password", "pw-agent")
    page.click("button[type=submit]")
    page.wait_for_url(lambda url: "/accounts/login/" not in url, timeout=15_000)

    inbox = page.goto(base + "/inbox/?view=all")
    assert inbox.status == 200
    assert inbox.all_headers().get("content-encoding") == "gzip"
    assert ticket.reference in page.content()

    watcher = context.new_page()
    watcher.goto(base + f"/tickets/{ticket.reference}/")
    socket_url = base.replace("https://", "wss://") + f"/ws/tickets/{ticket.reference}/"
    assert watcher.evaluate(OPEN_SOCKET, socket_url) == "open"
    watcher.wait_for_function("() => window.__frames.some(f => f.type === 'hello')", timeout=10_000)

    # The change is saved through the page's own form: nginx → gunicorn worker → Redis → Daphne.
    page.goto(base + f"/tickets/{ticket.reference}/")
    page.select_option("#f-priority", "urgent")
    page.click("#fields-form button[type=submit]")
    page.wait_for_load_state()
    watcher.wait_for_function("() => window.__frames.some(f => f.type === 'ticket.changed')", timeout=15_000)
    changed = [f for f in watcher.evaluate("() => window.__frames") if f["type"] == "ticket.changed"]
    assert changed[0]["ticket"] == ticket.reference
    assert changed[0]["by"] == "agent" and "priority" in changed[0]["changes"]

    daphne_log = _daphne_log(production_recipe)
    assert f"/ws/tickets/{ticket.reference}/" in daphne_log
    assert "/inbox/" not in daphne_log and "/update/" not in daphne_log, "HTTP must be served by gunicorn"


def test_plain_http_redirects_to_https_and_the_api_keeps_strong_etags(production_recipe, client_for_token):
    base = production_recipe.base_url
    redirect_server = next(
        line.split("listen 127.0.0.1:", 1)[1].split(";")[0]
        for line in (production_recipe.processes[-1].log.parent / "helpdesk.conf").read_text().splitlines()
        if "listen 127.0.0.1:" in line and "ssl" not in line
    )
    answer = _get(f"http://127.0.0.1:{redirect_server}", "/inbox/")
    assert answer.status == 301 and answer.getheader("Location", "").startswith("https://")

    reference, token = client_for_token
    response = _get(
        base, f"/api/v1/tickets/{reference}/", Authorization=f"Token {token}", **{"Accept-Encoding": "gzip"}
    )
    assert response.status == 200
    assert response.getheader("Content-Encoding") is None
    assert response.getheader("ETag") == '"1"'
    assert json.loads(response.body)["reference"] == reference


@pytest.fixture
def client_for_token(agent, ticket):
    from rest_framework.test import APIClient

    client = APIClient()
    answer = client.post("/api/v1/auth/token/", {"username": "agent", "password": "pw-agent"}, format="json")
    assert answer.status_code in (200, 201), answer.content
    return ticket.reference, answer.json()["token"]
