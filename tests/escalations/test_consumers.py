"""The live board, a live escalation page and the bell, through the real ASGI application."""

from __future__ import annotations

import pytest
from channels.db import database_sync_to_async
from channels.testing import WebsocketCommunicator

from escalations import events, services
from helpdesk.asgi import application
from tests.escalations.conftest import raise_on
from tests.helpdesk.test_consumers import HOST, ORIGIN, _close_consumer_connections, session_cookie  # noqa: F401

pytestmark = pytest.mark.django_db(transaction=True)


async def open_socket(path: str, user=None):
    headers = [HOST, ORIGIN]
    if user is not None:
        headers.append((b"cookie", await database_sync_to_async(session_cookie)(user)))
    ws = WebsocketCommunicator(application, path, headers=headers)
    connected, _ = await ws.connect(timeout=5)
    assert connected
    return ws


def test_the_escalation_changed_payload(ticket, feature, agent):
    escalation = raise_on(ticket, feature, agent)
    assert events.escalation_changed_payload(escalation=escalation, actor=agent, change="raised") == {
        "type": "escalation.changed",
        "reference": escalation.reference,
        "status": "open",
        "severity": "blocking",
        "feature": "billing.invoices",
        "version": 1,
        "change": "raised",
        "by": "agent",
    }
    assert events.escalation_changed_payload(escalation=escalation, actor=None, change="overdue")["by"] is None


async def test_the_board_hears_a_cord_pull_and_the_page_its_changes(agent, product_manager, ticket, feature):
    board = await open_socket("/ws/escalations/", product_manager)
    assert (await board.receive_json_from(timeout=5))["type"] == "hello"
    escalation = await database_sync_to_async(raise_on)(ticket, feature, agent)
    frame = await board.receive_json_from(timeout=5)
    assert frame["type"] == "escalation.changed" and frame["reference"] == escalation.reference and frame["change"] == "raised"

    page = await open_socket(f"/ws/escalations/{escalation.reference}/", agent)
    assert (await page.receive_json_from(timeout=5))["type"] == "hello"
    await database_sync_to_async(services.escalation_transition)(
        actor=product_manager, escalation=escalation, action="acknowledge"
    )
    for ws in (board, page):
        got = await ws.receive_json_from(timeout=5)
        assert got["change"] == "acknowledge" and got["status"] == "acknowledged" and got["by"] == "pm"
    await board.disconnect()
    await page.disconnect()


async def test_sockets_refuse_the_signed_out_customers_and_missing_escalations(customer, agent, ticket, feature):
    anonymous = await open_socket("/ws/escalations/")
    assert (await anonymous.receive_output(timeout=5))["code"] == 4401
    portal = await open_socket("/ws/escalations/", customer.user)
    assert (await portal.receive_output(timeout=5))["code"] == 4403
    missing = await open_socket("/ws/escalations/ESC-999999/", agent)
    assert (await missing.receive_output(timeout=5))["code"] == 4404
    escalation = await database_sync_to_async(raise_on)(ticket, feature, agent)
    theirs = await open_socket(f"/ws/escalations/{escalation.reference}/", customer.user)
    assert (await theirs.receive_output(timeout=5))["code"] == 4403


async def test_a_bad_frame_gets_an_error_and_the_socket_stays(product_manager):
    board = await open_socket("/ws/escalations/", product_manager)
    await board.receive_json_from(timeout=5)
    await board.send_to(text_data="{not json")
    assert (await board.receive_json_from(timeout=5))["type"] == "error"
    await board.send_json_to({"type": "ping"})
    assert (await board.receive_json_from(timeout=5)) == {"type": "pong"}
    await board.disconnect()


async def test_the_bell_hears_of_a_new_notice(agent, product_manager, ticket, feature):
    bell = await open_socket("/ws/notifications/", product_manager)
    await database_sync_to_async(raise_on)(ticket, feature, agent)  # blocking, on the pm's feature
    assert (await bell.receive_json_from(timeout=5)) == {"type": "notification.new"}
    await bell.disconnect()
