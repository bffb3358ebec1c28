"""The desk's ticket websocket, driven through the real ASGI application (origin check, auth, routing).

Changes are made by services in other threads and committed (``transaction=True``),
exactly as a second agent's request would: the event leaves only after commit.
"""

from __future__ import annotations

import pytest
from channels.db import database_sync_to_async
from channels.testing import WebsocketCommunicator
from django.db import connections
from django.test import Client

from helpdesk import services
from helpdesk.asgi import application

pytestmark = pytest.mark.django_db(transaction=True)

ORIGIN = (b"origin", b"http://testserver")
HOST = (b"host", b"testserver")


@pytest.fixture(autouse=True)
async def _close_consumer_connections():
    """Close the database connection the consumer's worker thread left open.

    The consumer's own ``database_sync_to_async`` calls leave their connection open
    in the shared worker thread (the close after each call does not see it here);
    on PostgreSQL that idle session would keep the test database from being dropped.
    """
    yield
    await database_sync_to_async(connections.close_all)()


def session_cookie(user) -> bytes:
    client = Client()
    client.force_login(user)
    return f"sessionid={client.cookies['sessionid'].value}".encode()


async def connect(reference: str, *, user=None, origin=ORIGIN):
    headers = [HOST, origin] if origin else [HOST]
    if user is not None:
        headers.append((b"cookie", await database_sync_to_async(session_cookie)(user)))
    communicator = WebsocketCommunicator(application, f"/ws/tickets/{reference}/", headers=headers)
    connected, code = await communicator.connect(timeout=5)
    return communicator, connected, code


async def test_agent_gets_hello(agent, ticket):
    ws, connected, _ = await connect(ticket.reference, user=agent)
    assert connected
    assert await ws.receive_json_from(timeout=5) == {"type": "hello", "ticket": ticket.reference, "version": 1}
    await ws.disconnect()


async def test_reference_forms_are_normalised(agent, ticket):
    ws, connected, _ = await connect(ticket.reference.lower(), user=agent)
    assert connected
    assert (await ws.receive_json_from(timeout=5))["ticket"] == ticket.reference
    await ws.disconnect()


async def test_change_by_another_agent_arrives(agent, agent2, ticket):
    ws, connected, _ = await connect(ticket.reference, user=agent)
    assert connected
    await ws.receive_json_from(timeout=5)  # hello

    await database_sync_to_async(services.ticket_update)(actor=agent2, ticket=ticket, status="pending", priority="high")
    frame = await ws.receive_json_from(timeout=5)
    assert frame == {
        "type": "ticket.changed",
        "ticket": ticket.reference,
        "version": 2,
        "status": "pending",
        "by": "agent2",
        "changes": ["priority", "status"],
    }

    await database_sync_to_async(services.ticket_message_post)(actor=agent2, ticket=ticket, body="secret", internal=True)
    frame = await ws.receive_json_from(timeout=5)
    assert frame["changes"] == ["note"] and frame["version"] == 2  # notes bump no version
    assert "secret" not in str(frame)
    await ws.disconnect()


async def test_changes_to_other_tickets_are_not_sent(agent, agent2, make_ticket):
    watched = await database_sync_to_async(make_ticket)()
    other = await database_sync_to_async(make_ticket)()
    ws, connected, _ = await connect(watched.reference, user=agent)
    assert connected
    await ws.receive_json_from(timeout=5)
    await database_sync_to_async(services.ticket_update)(actor=agent2, ticket=other, priority="low")
    assert await ws.receive_nothing(timeout=0.5)
    await ws.disconnect()


@pytest.mark.parametrize("who", ["customer", "customer2", "anonymous", "nobody", "agent-missing-ticket", "agent-garbage"])
async def test_refused_the_same_way_for_forbidden_and_missing(who, agent, customer, customer2, make_user, ticket):
    nobody = await database_sync_to_async(make_user)("nobody", role=None)
    user, reference = {
        "customer": (customer.user, ticket.reference),  # even the requester: this socket is for the desk
        "customer2": (customer2.user, ticket.reference),
        "anonymous": (None, ticket.reference),
        "nobody": (nobody, ticket.reference),
        "agent-missing-ticket": (agent, f"HD-{ticket.number + 50}"),
        "agent-garbage": (agent, "HD-²"),
    }[who]
    ws, connected, _ = await connect(reference, user=user)
    # Accepted only so that the close code reaches the client (and it stops retrying).
    assert connected
    assert await ws.receive_output(timeout=5) == {"type": "websocket.close", "code": 4404}


async def test_foreign_origin_is_refused(agent, ticket):
    ws, connected, _ = await connect(ticket.reference, user=agent, origin=(b"origin", b"https://evil.example"))
    assert not connected


async def test_missing_origin_is_refused(agent, ticket):
    ws, connected, _ = await connect(ticket.reference, user=agent, origin=None)
    assert not connected


async def test_bad_json_gets_error_and_socket_stays_usable(agent, ticket):
    ws, connected, _ = await connect(ticket.reference, user=agent)
    assert connected
    await ws.receive_json_from(timeout=5)

    await ws.send_to(text_data="{not json")
    error = await ws.receive_json_from(timeout=5)
    assert error["type"] == "error" and error["code"] == "bad_json" and error["detail"]

    await ws.send_json_to(["ping"])
    assert (await ws.receive_json_from(timeout=5))["code"] == "unknown_type"
    await ws.send_json_to({"type": "subscribe"})
    assert (await ws.receive_json_from(timeout=5))["code"] == "unknown_type"
    await ws.send_to(bytes_data=b"\x00\x01")
    assert (await ws.receive_json_from(timeout=5))["code"] == "bad_json"

    await ws.send_json_to({"type": "ping"})
    assert await ws.receive_json_from(timeout=5) == {"type": "pong"}
    await ws.disconnect()


async def test_withdrawn_rights_close_the_socket_on_next_command(agent, ticket):
    ws, connected, _ = await connect(ticket.reference, user=agent)
    assert connected
    await ws.receive_json_from(timeout=5)
    await ws.send_json_to({"type": "ping"})
    assert await ws.receive_json_from(timeout=5) == {"type": "pong"}

    def deactivate():
        services.user_set_active(actor=None, user=agent, is_active=False)

    await database_sync_to_async(deactivate)()
    await ws.send_json_to({"type": "ping"})
    output = await ws.receive_output(timeout=5)
    assert output == {"type": "websocket.close", "code": 4403}


async def test_role_removed_closes_the_socket_on_next_command(agent, ticket):
    ws, connected, _ = await connect(ticket.reference, user=agent)
    assert connected
    await ws.receive_json_from(timeout=5)
    await ws.send_json_to({"type": "ping"})
    assert await ws.receive_json_from(timeout=5) == {"type": "pong"}

    def demote():
        from django.contrib.auth import get_user_model

        user = get_user_model().objects.get(pk=agent.pk)
        services.user_set_roles(actor=None, user=user, role_names=[])

    await database_sync_to_async(demote)()
    await ws.send_json_to({"type": "ping"})
    output = await ws.receive_output(timeout=5)
    assert output == {"type": "websocket.close", "code": 4403}
