"""The desk ticket page's collision socket, driven by desk.js itself (not a hand-opened socket).

It pings every 30 seconds so the server can re-check the agent's rights; the server
closes it (4403) as soon as the account is switched off, without waiting for a ping,
and the page does not reconnect. The page's
timers run on Playwright's fake clock, so "30 seconds" and "five minutes" take none.
"""

from __future__ import annotations

import json
import time

import pytest
from django.conf import settings

from helpdesk import services

pytestmark = [pytest.mark.e2e, pytest.mark.django_db(transaction=True)]

PING_EVERY_MS = 30_000


def _until(page, condition, *, timeout: float = 10.0, what: str = "condition") -> None:
    # Playwright's sync API delivers events only while it is called: wait in small real-time steps.
    deadline = time.monotonic() + timeout
    while not condition():
        if time.monotonic() > deadline:
            raise AssertionError(f"timed out waiting for {what}")
        page.wait_for_timeout(50)


def _types(payloads: list) -> list[str]:
    types = []
    for payload in payloads:
        try:
            types.append(json.loads(payload).get("type"))
        except (TypeError, ValueError):
            types.append(None)
    return types


def test_desk_page_pings_and_gives_up_once_rights_are_withdrawn(
    live_server_url, chromium, sign_in, in_thread, agent, ticket
):
    browser = chromium()
    context = browser.new_context()
    context.clock.install()
    page = sign_in(context, "agent", "pw-agent")

    sockets, sent, received, closed = [], [], [], []

    def watch(ws):
        # Only the ticket page's socket: signing in lands on the inbox, whose desk socket is another.
        if "/ws/tickets/" not in ws.url:
            return
        sockets.append(ws)
        # Plain functions: Playwright tags its handlers with an attribute, which bound builtins refuse.
        ws.on("framesent", lambda payload: sent.append(payload))
        ws.on("framereceived", lambda payload: received.append(payload))
        ws.on("close", lambda _ws: closed.append(_ws))

    page.on("websocket", watch)
    page.goto(f"{live_server_url}/tickets/{ticket.reference}/")
    _until(page, lambda: "hello" in _types(received), what="the hello frame")
    assert "ping" not in _types(sent)

    # Thirty seconds on: a ping, and the server (rights intact) answers.
    page.clock.run_for(PING_EVERY_MS)
    _until(page, lambda: "pong" in _types(received), what="a pong")
    assert _types(sent).count("ping") == 1

    # Account switched off: the server closes the socket at once (4403), before any ping.
    # (The switch happens in this process: only Redis carries the news to the server's
    # socket; with the in-memory layer the next ping's check closes it instead.)
    in_thread(services.user_set_active, actor=None, user=agent, is_active=False)
    pings = 1 if settings.CHANNEL_LAYERS["default"]["BACKEND"].startswith("channels_redis") else 2
    if pings == 2:
        page.clock.run_for(PING_EVERY_MS)
    _until(page, lambda: bool(closed), what="the server to close the socket")
    assert _types(sent).count("ping") == pings

    # ...and the page does not come back for more: no reconnect, however long it stays open.
    page.clock.run_for(5 * 60_000)
    page.wait_for_timeout(500)
    assert len(sockets) == 1
    assert _types(sent).count("ping") == pings
