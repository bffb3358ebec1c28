"""The desk socket (``/ws/desk/``), driven through the real ASGI application (origin check, session auth, routing).

Changes are made by services in other threads and committed (``transaction=True``),
as a second agent's request would be: lines arrive only after commit.
"""

from __future__ import annotations

from datetime import timedelta

import pytest
from channels.db import database_sync_to_async
from channels.testing import WebsocketCommunicator
from django.contrib.auth import get_user_model
from django.db import connections
from django.test import Client
from django.utils import timezone

from helpdesk import events, services

pytestmark = pytest.mark.django_db(transaction=True)

HOST = (b"host", b"testserver")
ORIGIN = (b"origin", b"http://testserver")


@pytest.fixture(autouse=True)
async def _close_consumer_connections():
    yield
    await database_sync_to_async(connections.close_all)()


def _session_cookie(user) -> bytes:
    client = Client()
    client.force_login(user)
    return f"sessionid={client.cookies['sessionid'].value}".encode()


async def connect(user=None, *, origin=ORIGIN):
    from helpdesk.asgi import application

    headers = [HOST, origin] if origin else [HOST]
    if user is not None:
        headers.append((b"cookie", await database_sync_to_async(_session_cookie)(user)))
    ws = WebsocketCommunicator(application, "/ws/desk/", headers=headers)
    connected, _ = await ws.connect(timeout=5)
    return ws, connected


async def desk_socket(user) -> WebsocketCommunicator:
    ws, connected = await connect(user)
    assert connected
    assert await ws.receive_json_from(timeout=5) == {"type": "hello"}
    return ws


async def closed_with(ws) -> int:
    output = await ws.receive_output(timeout=5)
    assert output["type"] == "websocket.close", output
    return output["code"]


def _line(ticket, *, by, changes, status=None, version=None) -> dict:
    return {
        "ticket": ticket.reference,
        "version": version if version is not None else ticket.version,
        "status": status or ticket.status,
        "by": by,
        "changes": changes,
    }


# --- who may open it ------------------------------------------------------------------------------


@pytest.mark.parametrize("who, code", [("anonymous", 4401), ("customer", 4403), ("nobody", 4403)])
async def test_only_the_desk_may_listen(who, code, customer, make_user):
    nobody = await database_sync_to_async(make_user)("nobody", role=None)
    user = {"anonymous": None, "customer": customer.user, "nobody": nobody}[who]
    ws, connected = await connect(user)
    # Accepted only so that the close code reaches the page, which then stops reconnecting.
    assert connected
    assert await closed_with(ws) == code


async def test_product_managers_see_every_ticket_and_may_listen(product_manager):
    ws = await desk_socket(product_manager)
    await ws.disconnect()


async def test_a_foreign_or_missing_origin_is_refused_at_the_handshake(agent):
    for origin in ((b"origin", b"https://evil.example"), None):
        ws, connected = await connect(agent, origin=origin)
        assert not connected


# --- what it hears -------------------------------------------------------------------------------------


async def test_a_change_anywhere_on_the_desk_arrives_as_one_line(agent, agent2, ticket):
    ws = await desk_socket(agent)
    await database_sync_to_async(services.ticket_update)(actor=agent2, ticket=ticket, status="pending", priority="high")
    frame = await ws.receive_json_from(timeout=5)
    assert frame == {
        "type": "desk.tickets_changed",
        "tickets": [_line(ticket, by="agent2", changes=["priority", "status"], status="pending", version=2)],
    }
    await ws.disconnect()


async def test_a_new_ticket_and_a_customers_reply_arrive_without_their_words(agent, customer, ticket):
    ws = await desk_socket(agent)
    created = await database_sync_to_async(services.ticket_create)(
        actor=customer.user, requester=customer, subject="Secret subject", body="Secret body"
    )
    frame = await ws.receive_json_from(timeout=5)
    assert frame["tickets"] == [_line(created, by="customer", changes=["created"], status="new", version=1)]
    await database_sync_to_async(services.ticket_message_post)(actor=customer.user, ticket=ticket, body="Secret reply")
    frame = await ws.receive_json_from(timeout=5)
    assert [line["changes"] for line in frame["tickets"]] == [["reply"]]
    assert "Secret" not in str(frame)
    await ws.disconnect()


async def test_a_bulk_change_is_one_frame_and_leaves_out_the_refused_ticket(agent, agent2, make_ticket):
    def setup():
        tickets = [make_ticket() for _ in range(3)]
        services.ticket_update(actor=agent, ticket=tickets[2], status="solved")
        services.ticket_update(actor=agent, ticket=tickets[2], status="closed")
        return tickets

    tickets = await database_sync_to_async(setup)()
    ws = await desk_socket(agent)

    result = await database_sync_to_async(services.ticket_bulk_update)(actor=agent2, tickets=tickets, status="open")

    assert sorted(result.updated) == sorted(t.reference for t in tickets[:2]) and list(result.skipped) == [
        tickets[2].reference
    ]
    frame = await ws.receive_json_from(timeout=5)
    assert frame["type"] == "desk.tickets_changed"
    assert sorted(frame["tickets"], key=lambda line: line["ticket"]) == sorted(
        [_line(t, by="agent2", changes=["status"], status="open", version=2) for t in tickets[:2]],
        key=lambda line: line["ticket"],
    )
    assert await ws.receive_nothing(timeout=0.3)
    await ws.disconnect()


async def test_auto_close_arrives_as_one_frame(agent, make_ticket):
    def setup():
        tickets = [make_ticket() for _ in range(2)]
        for t in tickets:
            services.ticket_update(actor=agent, ticket=t, status="solved")
        return tickets

    tickets = await database_sync_to_async(setup)()
    ws = await desk_socket(agent)

    closed = await database_sync_to_async(services.ticket_close_solved)(
        older_than_days=7, now=timezone.now() + timedelta(days=8)
    )

    assert closed == 2
    frame = await ws.receive_json_from(timeout=5)
    assert sorted(line["ticket"] for line in frame["tickets"]) == sorted(t.reference for t in tickets)
    assert {(line["status"], line["version"], line["by"]) for line in frame["tickets"]} == {("closed", 3, None)}
    await ws.disconnect()


async def test_ping_and_odd_frames(agent):
    ws = await desk_socket(agent)
    await ws.send_json_to({"type": "ping"})
    assert await ws.receive_json_from(timeout=5) == {"type": "pong"}
    await ws.send_to(text_data="[" * 100_000)
    assert (await ws.receive_json_from(timeout=5))["code"] == "bad_json"
    await ws.send_json_to({"type": "subscribe", "view": "all"})
    assert (await ws.receive_json_from(timeout=5))["code"] == "unknown_type"
    await ws.send_json_to({"type": "ping"})
    assert await ws.receive_json_from(timeout=5) == {"type": "pong"}
    await ws.disconnect()


# --- access ends, the socket closes -----------------------------------------------------------------------


async def test_deactivation_closes_the_desk_socket_at_once(agent):
    ws = await desk_socket(agent)
    await database_sync_to_async(services.user_set_active)(actor=None, user=agent, is_active=False)
    assert await closed_with(ws) == 4403


async def test_losing_the_role_closes_the_desk_socket(agent):
    ws = await desk_socket(agent)

    def demote():
        services.user_set_roles(actor=None, user=get_user_model().objects.get(pk=agent.pk), role_names=[])

    await database_sync_to_async(demote)()
    assert await closed_with(ws) == 4403


async def test_no_line_is_forwarded_once_the_account_is_off_even_without_the_revocation(agent, agent2, ticket):
    ws = await desk_socket(agent)
    # Around the ORM's signals: no revocation message goes out, only the row changes.
    await database_sync_to_async(lambda: get_user_model().objects.filter(pk=agent.pk).update(is_active=False))()

    await database_sync_to_async(services.ticket_update)(actor=agent2, ticket=ticket, priority="urgent")

    assert await closed_with(ws) == 4403  # closed instead of sending the line


async def test_leaving_discards_the_desk_group(agent, monkeypatch):
    ws = await desk_socket(agent)
    from channels.layers import get_channel_layer

    layer = get_channel_layer()
    discarded = []
    original = layer.group_discard

    async def spy(group, channel):
        discarded.append(group)
        await original(group, channel)

    monkeypatch.setattr(layer, "group_discard", spy)
    await ws.disconnect()
    assert events.desk_group() in discarded
