"""Sockets end with their user's access: revocation through the groups, checks on every event, odd frames.

Driven through the real ASGI application (origin check, session auth, routing);
changes are made in other threads and committed, as another request would.
"""

from __future__ import annotations

import pytest
from channels.db import database_sync_to_async
from channels.testing import WebsocketCommunicator
from django.contrib.auth import get_user_model
from django.contrib.sessions.models import Session
from django.db import connections
from django.test import Client

from helpdesk import jsonsafe, services
from helpdesk.asgi import application

pytestmark = pytest.mark.django_db(transaction=True)

HEADERS = [(b"host", b"testserver"), (b"origin", b"http://testserver")]


@pytest.fixture(autouse=True)
async def _close_consumer_connections():
    yield
    await database_sync_to_async(connections.close_all)()


def signed_in_client(user) -> Client:
    client = Client()
    client.force_login(user)
    return client


async def open_socket(reference: str, client: Client) -> WebsocketCommunicator:
    cookie = f"sessionid={client.cookies['sessionid'].value}".encode()
    ws = WebsocketCommunicator(application, f"/ws/tickets/{reference}/", headers=[*HEADERS, (b"cookie", cookie)])
    connected, _ = await ws.connect(timeout=5)
    assert connected
    assert (await ws.receive_json_from(timeout=5))["type"] == "hello"
    return ws


async def watch(user, ticket) -> tuple[WebsocketCommunicator, Client]:
    client = await database_sync_to_async(signed_in_client)(user)
    return await open_socket(ticket.reference, client), client


async def closed_with(ws) -> int:
    output = await ws.receive_output(timeout=5)
    assert output["type"] == "websocket.close", output
    return output["code"]


async def pong(ws) -> bool:
    await ws.send_json_to({"type": "ping"})
    return await ws.receive_json_from(timeout=5) == {"type": "pong"}


def _fresh(user):
    return get_user_model().objects.get(pk=user.pk)


# --- closed as soon as access ends, without waiting for a ping -----------------------------------------


async def test_deactivation_through_the_service_closes_the_socket(agent, ticket):
    ws, _ = await watch(agent, ticket)
    await database_sync_to_async(services.user_set_active)(actor=None, user=agent, is_active=False)
    assert await closed_with(ws) == 4403


async def test_deactivation_by_a_plain_save_closes_the_socket(agent, ticket):
    ws, _ = await watch(agent, ticket)

    def switch_off():
        user = _fresh(agent)
        user.is_active = False
        user.save()

    await database_sync_to_async(switch_off)()
    assert await closed_with(ws) == 4403


async def test_a_password_change_closes_the_socket(agent, ticket):
    ws, _ = await watch(agent, ticket)

    def change():
        user = _fresh(agent)
        user.set_password("an-entirely-new-passphrase")
        user.save()

    await database_sync_to_async(change)()
    assert await closed_with(ws) == 4401


async def test_signing_out_closes_that_sessions_sockets_only(agent, ticket):
    ws, client = await watch(agent, ticket)
    other_ws, _ = await watch(agent, ticket)  # the same agent in another browser

    await database_sync_to_async(client.post)("/accounts/logout/")

    assert await closed_with(ws) == 4401
    assert await pong(other_ws)
    await other_ws.disconnect()


async def test_losing_the_role_closes_the_socket_without_a_ping(agent, ticket):
    ws, _ = await watch(agent, ticket)
    await database_sync_to_async(lambda: services.user_set_roles(actor=None, user=_fresh(agent), role_names=[]))()
    assert await closed_with(ws) == 4403


async def test_a_roles_lost_permission_closes_its_members_sockets(agent, ticket):
    ws, _ = await watch(agent, ticket)

    def strip_agents_group():
        from django.contrib.auth.models import Group

        from helpdesk import roles

        Group.objects.get(name=roles.AGENTS).permissions.clear()

    await database_sync_to_async(strip_agents_group)()
    assert await closed_with(ws) == 4403


async def test_other_changes_of_the_user_leave_the_socket_open(agent, ticket):
    ws, _ = await watch(agent, ticket)

    def rename():
        user = _fresh(agent)
        user.first_name = "Alexandra"
        user.save()

    await database_sync_to_async(rename)()
    assert await pong(ws)
    await ws.disconnect()


# --- checked again before every forwarded event --------------------------------------------------------------


async def test_an_event_is_not_forwarded_once_the_account_is_off_even_without_the_revocation(agent, agent2, ticket):
    ws, _ = await watch(agent, ticket)
    # Around the ORM's signals: no revocation message is sent, only the row changes.
    await database_sync_to_async(lambda: get_user_model().objects.filter(pk=agent.pk).update(is_active=False))()

    await database_sync_to_async(services.ticket_update)(actor=agent2, ticket=ticket, priority="urgent")

    assert await closed_with(ws) == 4403  # the ticket.changed was not sent first


async def test_an_event_is_not_forwarded_once_the_session_is_gone(agent, agent2, ticket):
    ws, client = await watch(agent, ticket)
    key = client.cookies["sessionid"].value
    await database_sync_to_async(lambda: Session.objects.filter(session_key=key).delete())()

    await database_sync_to_async(services.ticket_update)(actor=agent2, ticket=ticket, priority="urgent")

    assert await closed_with(ws) == 4401


async def test_pings_stop_passing_after_a_password_change_made_around_the_orm(agent, ticket):
    ws, _ = await watch(agent, ticket)
    from django.contrib.auth.hashers import make_password

    await database_sync_to_async(
        lambda: get_user_model().objects.filter(pk=agent.pk).update(password=make_password("changed-elsewhere"))
    )()
    await ws.send_json_to({"type": "ping"})
    assert await closed_with(ws) == 4401


async def test_events_still_arrive_while_access_holds(agent, agent2, ticket):
    ws, _ = await watch(agent, ticket)
    await database_sync_to_async(services.ticket_update)(actor=agent2, ticket=ticket, priority="urgent")
    frame = await ws.receive_json_from(timeout=5)
    assert frame["type"] == "ticket.changed" and frame["changes"] == ["priority"]
    await ws.disconnect()


# --- odd frames and paths ---------------------------------------------------------------------------------


@pytest.mark.parametrize(
    "text, problem",
    [
        ("[" * 100_000, "nested deeper than"),
        ('{"type": "ping", "x": ' + "[" * (jsonsafe.MAX_DEPTH + 1) + "]" * (jsonsafe.MAX_DEPTH + 1) + "}", "nested"),
        ('{"type": "\\ud800"}', "lone surrogate"),
    ],
)
async def test_a_hostile_frame_gets_an_error_frame_and_the_socket_stays_usable(agent, ticket, text, problem):
    ws, _ = await watch(agent, ticket)
    await ws.send_to(text_data=text)
    error = await ws.receive_json_from(timeout=5)
    assert error["type"] == "error" and error["code"] == "bad_json" and problem in error["detail"]
    assert await pong(ws)
    await ws.disconnect()


@pytest.mark.parametrize("path", ["/ws/nope/", "/ws/", "/ws/tickets/", "/anything/else/"])
async def test_an_unrouted_path_is_refused_at_the_handshake(agent, path):
    client = await database_sync_to_async(signed_in_client)(agent)
    cookie = f"sessionid={client.cookies['sessionid'].value}".encode()
    ws = WebsocketCommunicator(application, path, headers=[*HEADERS, (b"cookie", cookie)])
    connected, code = await ws.connect(timeout=5)
    assert not connected
    await ws.wait(timeout=1)


async def test_an_unrouted_path_is_refused_anonymously_too(db):
    ws = WebsocketCommunicator(application, "/ws/nope/", headers=HEADERS)
    connected, _ = await ws.connect(timeout=5)
    assert not connected


@pytest.mark.parametrize(
    "origin, accepted",
    [
        ("http://testserver", True),  # the origin the socket was opened on
        ("https://support.example.com", True),  # listed in CSRF_TRUSTED_ORIGINS
        ("https://support.example.com:8443", False),  # another port is another origin
        ("http://support.example.com", False),  # another scheme too
        ("https://evil.example", False),
    ],
)
async def test_the_handshake_accepts_the_sockets_own_origin_and_the_trusted_ones_only(
    agent, ticket, settings, origin, accepted
):
    settings.ALLOWED_HOSTS = ["testserver"]
    settings.CSRF_TRUSTED_ORIGINS = ["https://support.example.com"]
    client = await database_sync_to_async(signed_in_client)(agent)
    cookie = f"sessionid={client.cookies['sessionid'].value}".encode()
    headers = [(b"host", b"testserver"), (b"origin", origin.encode()), (b"cookie", cookie)]
    ws = WebsocketCommunicator(application, f"/ws/tickets/{ticket.reference}/", headers=headers)
    connected, _ = await ws.connect(timeout=5)
    assert connected is accepted
    if accepted:
        assert (await ws.receive_json_from(timeout=5))["type"] == "hello"
        await ws.disconnect()
