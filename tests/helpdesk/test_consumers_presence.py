"""Who is viewing and who is typing on a ticket, through the desk's ticket socket (the real ASGI application)."""

from __future__ import annotations

import pytest
from channels.db import database_sync_to_async

from helpdesk import events, services
from tests.helpdesk.test_consumers import _close_consumer_connections, connect  # noqa: F401

pytestmark = pytest.mark.django_db(transaction=True)


async def opened(reference: str, user):
    ws, connected, _ = await connect(reference, user=user)
    assert connected
    assert (await ws.receive_json_from(timeout=5))["type"] == "hello"
    return ws


def test_the_presence_payload_and_frame():
    payload = events.presence_payload(conn="c1", username="agent", name="Alex Agent", state="typing", mode="note")
    assert payload == {
        "type": "ticket.presence",
        "conn": "c1",
        "user": {"username": "agent", "name": "Alex Agent"},
        "state": "typing",
        "mode": "note",
    }
    assert events.presence_frame({**payload, "reply_to": "specific.abc"}) == {
        "type": "presence",
        "conn": "c1",
        "user": {"username": "agent", "name": "Alex Agent"},
        "state": "typing",
        "mode": "note",
    }  # never the channel name
    viewing = events.presence_payload(conn="c1", username="agent", name="Alex Agent", state="viewing", mode="reply")
    assert viewing["mode"] is None and "reply_to" not in viewing
    assert set(events.presence_frame(viewing)) == {"type", "conn", "user", "state", "mode"}


async def test_viewers_learn_of_each_other_both_ways(agent, agent2, ticket):
    first = await opened(ticket.reference, agent)
    second = await opened(ticket.reference, agent2)
    arrived = await first.receive_json_from(timeout=5)
    assert arrived["type"] == "presence" and arrived["state"] == "viewing"
    assert arrived["user"] == {"username": "agent2", "name": "Sam Second"} and arrived["mode"] is None
    already = await second.receive_json_from(timeout=5)
    assert already["state"] == "viewing" and already["user"]["username"] == "agent"
    assert already["conn"] != arrived["conn"] and len(arrived["conn"]) == 16
    # Nobody hears about themselves.
    assert await first.receive_nothing(timeout=0.3) and await second.receive_nothing(timeout=0.3)

    await second.disconnect()
    left = await first.receive_json_from(timeout=5)
    assert left["state"] == "left" and left["conn"] == arrived["conn"]
    await first.disconnect()


async def test_typing_is_heard_by_the_others_at_most_every_two_seconds(agent, agent2, ticket):
    first = await opened(ticket.reference, agent)
    second = await opened(ticket.reference, agent2)
    await first.receive_json_from(timeout=5)
    await second.receive_json_from(timeout=5)

    await second.send_json_to({"type": "typing", "mode": "note"})
    await second.send_json_to({"type": "typing", "mode": "note"})  # within the throttle: not broadcast
    frame = await first.receive_json_from(timeout=5)
    assert (frame["state"], frame["mode"], frame["user"]["username"]) == ("typing", "note", "agent2")
    assert await first.receive_nothing(timeout=0.3)
    assert await second.receive_nothing(timeout=0.1)  # no answer to typing, and no echo

    await first.send_json_to({"type": "typing"})
    assert (await second.receive_json_from(timeout=5))["mode"] == "reply"  # the default
    await first.disconnect()
    await second.disconnect()


async def test_a_ping_is_the_heartbeat_the_others_hear(agent, agent2, ticket):
    first = await opened(ticket.reference, agent)
    second = await opened(ticket.reference, agent2)
    await first.receive_json_from(timeout=5)
    await second.receive_json_from(timeout=5)
    await second.send_json_to({"type": "ping"})
    assert await second.receive_json_from(timeout=5) == {"type": "pong"}
    beat = await first.receive_json_from(timeout=5)
    assert beat["state"] == "viewing" and beat["user"]["username"] == "agent2"
    await first.disconnect()
    await second.disconnect()


async def test_bad_typing_frames_get_an_error_and_the_socket_stays_usable(agent, ticket):
    ws = await opened(ticket.reference, agent)
    await ws.send_json_to({"type": "typing", "mode": "shouting"})
    error = await ws.receive_json_from(timeout=5)
    assert error["type"] == "error" and error["code"] == "bad_mode"
    await ws.send_json_to({"type": "typing", "mode": ["reply"]})
    assert (await ws.receive_json_from(timeout=5))["code"] == "bad_mode"
    await ws.send_json_to({"type": "ping"})
    assert await ws.receive_json_from(timeout=5) == {"type": "pong"}
    await ws.disconnect()


async def test_other_tickets_viewers_are_not_heard(agent, agent2, make_ticket):
    one, other = await database_sync_to_async(make_ticket)(), await database_sync_to_async(make_ticket)()
    first = await opened(one.reference, agent)
    second = await opened(other.reference, agent2)
    await second.send_json_to({"type": "typing"})
    assert await first.receive_nothing(timeout=0.3)
    await first.disconnect()
    await second.disconnect()


async def test_a_viewer_whose_rights_went_hears_no_presence(agent, agent2, ticket):
    first = await opened(ticket.reference, agent)

    def deactivate():
        services.user_set_active(actor=None, user=agent, is_active=False)

    await database_sync_to_async(deactivate)()
    second = await opened(ticket.reference, agent2)
    # The presence of agent2 is not forwarded: the socket closes instead.
    output = await first.receive_output(timeout=5)
    assert output["type"] == "websocket.close" and output["code"] == 4403
    await second.disconnect()


async def test_a_persons_other_tab_is_not_announced_to_them(agent, ticket):
    first = await opened(ticket.reference, agent)
    second = await opened(ticket.reference, agent)
    await second.send_json_to({"type": "typing"})
    assert await first.receive_nothing(timeout=0.3) and await second.receive_nothing(timeout=0.1)
    await first.disconnect()
    await second.disconnect()
