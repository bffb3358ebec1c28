"""The desk socket against a real Daphne process: it ends with its user's access, and refuses what it should.

Sockets are opened with a plain websocket client (``wsclient``), so the test process
keeps its database connection and changes are made exactly as a service, a script or
another request would make them. Changes made in this process reach the server's
sockets through the channel layer, which needs Redis; changes made through the
server itself (the admin, the password-change page, signing out) do not.
"""

from __future__ import annotations

import time

import psycopg
import pytest
from django.conf import settings
from django.contrib.auth import get_user_model
from django.db import connection
from django.test import Client

from helpdesk import services
from tests.e2e.wsclient import Closed, RawWebSocket

pytestmark = [pytest.mark.e2e, pytest.mark.django_db(transaction=True)]

# "Within a few seconds": the close must arrive before this.
REVOCATION_DEADLINE = 5.0


def needs_redis():
    if not settings.CHANNEL_LAYERS["default"]["BACKEND"].startswith("channels_redis"):
        pytest.skip("needs REDIS_URL: only Redis carries an event from the test process to the Daphne process")


def session_cookie(user) -> str:
    client = Client()
    client.force_login(user)
    return f"sessionid={client.cookies['sessionid'].value}"


def watch(base_url: str, ticket, cookie: str) -> RawWebSocket:
    ws = RawWebSocket(base_url, f"/ws/tickets/{ticket.reference}/", cookie=cookie)
    assert ws.status == 101
    assert ws.receive_json()["type"] == "hello"
    return ws


def assert_closed_before_any_event(ws: RawWebSocket, code: int) -> None:
    started = time.monotonic()
    assert ws.close_code(timeout=REVOCATION_DEADLINE) == code
    assert time.monotonic() - started < REVOCATION_DEADLINE


# --- deactivation, three ways ------------------------------------------------------------------------


def test_deactivation_through_the_service_closes_the_open_socket(live_server_url, agent, agent2, ticket):
    needs_redis()
    ws = watch(live_server_url, ticket, session_cookie(agent))

    services.user_set_active(actor=None, user=agent, is_active=False)
    services.ticket_update(actor=agent2, ticket=ticket, priority="urgent")  # must not reach the socket

    assert_closed_before_any_event(ws, 4403)


def test_deactivation_by_a_plain_save_closes_the_open_socket(live_server_url, agent, agent2, ticket):
    needs_redis()
    ws = watch(live_server_url, ticket, session_cookie(agent))

    user = get_user_model().objects.get(pk=agent.pk)
    user.is_active = False
    user.save()
    services.ticket_update(actor=agent2, ticket=ticket, priority="urgent")

    assert_closed_before_any_event(ws, 4403)


def test_deactivation_in_the_admin_closes_the_open_socket(live_server_url, chromium, sign_in, in_thread, agent, make_user, ticket):
    boss = make_user("root", role=None, is_staff=True)
    get_user_model().objects.filter(pk=boss.pk).update(is_superuser=True)
    ws = watch(live_server_url, ticket, session_cookie(agent))

    browser = chromium()
    page = sign_in(browser.new_context(), "root", "pw-root")
    page.goto(f"{live_server_url}/admin/auth/user/{agent.pk}/change/")
    page.uncheck("#id_is_active")
    page.click("input[name=_save]")
    page.wait_for_url(lambda url: url.rstrip("/").endswith("/admin/auth/user"), timeout=15_000)

    assert_closed_before_any_event(ws, 4403)
    assert not in_thread(lambda: get_user_model().objects.get(pk=agent.pk).is_active)


# --- password change and signing out --------------------------------------------------------------------


def test_a_password_change_on_its_page_closes_the_accounts_sockets(live_server_url, chromium, sign_in, agent, ticket):
    elsewhere = watch(live_server_url, ticket, session_cookie(agent))
    browser = chromium()
    page = sign_in(browser.new_context(), "agent", "pw-agent")
    page.goto(f"{live_server_url}/accounts/password_change/")
    page.fill("#id_old_password", "pw-agent")
    page.fill("#id_new_password1", "a-fresh-long-passphrase-31")
    page.fill("#id_new_password2", "a-fresh-long-passphrase-31")
    page.click("main form button[type=submit]")
    page.wait_for_url(lambda url: "/password_change/done/" in url, timeout=15_000)

    assert_closed_before_any_event(elsewhere, 4401)


def test_signing_out_closes_that_browsers_sockets_only(live_server_url, chromium, sign_in, agent, ticket):
    other_browser = watch(live_server_url, ticket, session_cookie(agent))
    browser = chromium()
    context = browser.new_context()
    page = sign_in(context, "agent", "pw-agent")
    cookie = next(c for c in context.cookies() if c["name"] == "sessionid")
    this_browser = watch(live_server_url, ticket, f"sessionid={cookie['value']}")

    page.click("form[action='/accounts/logout/'] button")
    page.wait_for_url(lambda url: "/accounts/login/" in url, timeout=15_000)

    assert_closed_before_any_event(this_browser, 4401)
    other_browser.send_json({"type": "ping"})
    assert other_browser.receive_json() == {"type": "pong"}
    other_browser.close()


# --- the handshake refuses what it should ------------------------------------------------------------------


def test_only_the_full_origin_of_the_server_is_accepted(live_server_url, agent, ticket):
    cookie = session_cookie(agent)
    path = f"/ws/tickets/{ticket.reference}/"
    host, port = live_server_url.rsplit(":", 1)
    same = RawWebSocket(live_server_url, path, cookie=cookie)
    assert same.status == 101
    same.close()
    for origin in (f"{host}:{int(port) + 1}", f"https://127.0.0.1:{port}", "http://localhost:" + port, "https://evil.example"):
        refused = RawWebSocket(live_server_url, path, cookie=cookie, origin=origin)
        assert refused.status == 403, origin
    assert RawWebSocket(live_server_url, path, cookie=cookie, origin=None).status == 403


def test_an_unrouted_path_is_refused_without_an_error(live_server_url, daphne_server, agent):
    cookie = session_cookie(agent)
    for path in ("/ws/nope/", "/ws/tickets/", "/not-a-socket/"):
        assert RawWebSocket(live_server_url, path, cookie=cookie).status == 403, path
    assert "Traceback" not in daphne_server.log()
    assert "No route found" not in daphne_server.log()


def test_a_deeply_nested_frame_gets_an_error_frame_and_the_socket_lives_on(live_server_url, agent, ticket):
    ws = watch(live_server_url, ticket, session_cookie(agent))
    ws.send_text("[" * 100_000)
    error = ws.receive_json()
    assert error["type"] == "error" and error["code"] == "bad_json" and "nested deeper" in error["detail"]
    ws.send_json({"type": "ping"})
    assert ws.receive_json() == {"type": "pong"}
    ws.close()


# --- connections are reused, not opened per ping --------------------------------------------------------------


def _sessions_opened(stats) -> int:
    """PostgreSQL's count of sessions ever opened on the test database, once it stops moving.

    Backends report their counts when idle (within about a second), so the figure is
    read until it has held for two seconds.
    """
    deadline = time.monotonic() + 20
    last, since = None, time.monotonic()
    while time.monotonic() < deadline:
        stats.execute("SELECT pg_stat_clear_snapshot()")
        value = stats.execute(
            "SELECT sessions FROM pg_stat_database WHERE datname = current_database()"
        ).fetchone()[0]
        if value != last:
            last, since = value, time.monotonic()
        elif time.monotonic() - since >= 2:
            return value
        time.sleep(0.2)
    raise AssertionError("the session count did not settle")


@pytest.mark.postgresql
def test_pings_reuse_pooled_database_connections(live_server_url, agent, ticket):
    params = connection.get_connection_params()
    params.pop("cursor_factory", None)
    params.pop("context", None)
    cookie = session_cookie(agent)
    with psycopg.connect(**params, autocommit=True) as stats:
        ws = watch(live_server_url, ticket, cookie)
        ws.send_json({"type": "ping"})
        assert ws.receive_json() == {"type": "pong"}
        before = _sessions_opened(stats)
        for _ in range(20):
            ws.send_json({"type": "ping"})
            assert ws.receive_json() == {"type": "pong"}
        after = _sessions_opened(stats)
        ws.close()
    assert after - before <= 2, f"{after - before} new PostgreSQL sessions for 20 pings"


def test_closed_sockets_raise_closed(live_server_url, agent, ticket):
    """The helper itself: a refused ticket closes with 4404 (so the tests above can trust close_code)."""
    ws = RawWebSocket(live_server_url, f"/ws/tickets/HD-{ticket.number + 99}/", cookie=session_cookie(agent))
    assert ws.status == 101
    with pytest.raises(Closed) as closed:
        ws.receive()
    assert closed.value.code == 4404
