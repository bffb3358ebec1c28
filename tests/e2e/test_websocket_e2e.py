"""The ticket websocket against a real Daphne process, with a signed-in browser as the client.

The change is made by a service in the test process; the frame has to cross from
this process to the server's through the channel layer. Only Redis can carry it:
the in-memory layer lives inside one process.
"""

from __future__ import annotations

import json

import pytest
from django.conf import settings

from helpdesk import services

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


def ws_url(base_url: str, reference: str) -> str:
    return base_url.replace("http://", "ws://") + f"/ws/tickets/{reference}/"


def frames(page, kind: str) -> list[dict]:
    return [f for f in page.evaluate("() => window.__frames") if f["type"] == kind]


def test_change_in_another_process_reaches_the_browser(
    live_server_url, chromium, sign_in, in_thread, agent, agent2, ticket
):
    if not settings.CHANNEL_LAYERS["default"]["BACKEND"].startswith("channels_redis"):
        pytest.skip(
            "needs REDIS_URL: the in-memory channel layer cannot carry an event from the test process "
            "to the Daphne process"
        )
    browser = chromium()
    page = sign_in(browser.new_context(), "agent", "pw-agent")
    assert page.evaluate(OPEN_SOCKET, ws_url(live_server_url, ticket.reference)) == "open"
    page.wait_for_function("() => window.__frames.some(f => f.type === 'hello')", timeout=10_000)
    assert frames(page, "hello") == [{"type": "hello", "ticket": ticket.reference, "version": 1}]

    in_thread(services.ticket_update, actor=agent2, ticket=ticket, status="pending", priority="urgent")

    page.wait_for_function("() => window.__frames.some(f => f.type === 'ticket.changed')", timeout=10_000)
    assert frames(page, "ticket.changed") == [
        {
            "type": "ticket.changed",
            "ticket": ticket.reference,
            "version": 2,
            "status": "pending",
            "by": "agent2",
            "changes": ["priority", "status"],
        }
    ]
    # The socket is still a working conversation after the push.
    page.evaluate("() => window.__ws.send(JSON.stringify({type: 'ping'}))")
    page.wait_for_function("() => window.__frames.some(f => f.type === 'pong')", timeout=10_000)


def test_customer_session_cannot_open_the_desk_socket(live_server_url, chromium, sign_in, customer, ticket):
    """Works with any channel layer: the refusal happens in the server process alone."""
    browser = chromium()
    page = sign_in(browser.new_context(), "customer", "pw-customer")
    page.evaluate(OPEN_SOCKET, ws_url(live_server_url, ticket.reference))
    # Accepted only to carry the close code: 4404, the same as for a missing ticket.
    page.wait_for_function("() => window.__closed !== undefined", timeout=10_000)
    assert page.evaluate("() => window.__closed") == 4404
    assert page.evaluate("() => window.__frames") == []


def test_agent_socket_with_foreign_origin_is_refused(live_server_url, agent, ticket):
    """A page on another site must not ride an agent's cookie into the socket (checked without a browser)."""
    import base64
    import os
    import socket
    from urllib.parse import urlparse

    from django.test import Client

    def cookie():
        client = Client()
        client.force_login(agent)
        return client.cookies["sessionid"].value

    session = cookie()
    target = urlparse(live_server_url)

    def handshake(origin: str) -> str:
        key = base64.b64encode(os.urandom(16)).decode()
        request = (
            f"GET /ws/tickets/{ticket.reference}/ HTTP/1.1\r\nHost: {target.netloc}\r\nUpgrade: websocket\r\n"
            f"Connection: Upgrade\r\nSec-WebSocket-Key: {key}\r\nSec-WebSocket-Version: 13\r\n"
            f"Origin: {origin}\r\nCookie: sessionid={session}\r\n\r\n"
        )
        with socket.create_connection((target.hostname, target.port), timeout=10) as sock:
            sock.sendall(request.encode())
            return sock.recv(4096).decode("latin-1").split("\r\n", 1)[0]

    assert " 101 " in handshake(live_server_url)
    assert " 101 " not in handshake("https://evil.example")


def test_hello_frame_is_json(live_server_url, chromium, sign_in, agent, ticket):
    browser = chromium()
    page = sign_in(browser.new_context(), "agent", "pw-agent")
    assert page.evaluate(OPEN_SOCKET, ws_url(live_server_url, ticket.reference.lower())) == "open"
    page.wait_for_function("() => window.__frames.length > 0", timeout=10_000)
    hello = page.evaluate("() => window.__frames[0]")
    assert json.loads(json.dumps(hello)) == {"type": "hello", "ticket": ticket.reference, "version": 1}
