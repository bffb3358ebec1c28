"""The chat sockets through the real ASGI application: every frame type, refusal, privacy rule and guarantee."""

from __future__ import annotations

import json
from datetime import timedelta

import pytest
from channels.db import database_sync_to_async
from channels.layers import get_channel_layer
from channels.testing import WebsocketCommunicator
from django.utils import timezone

from helpdesk.asgi import application
from livelisten import consumers, events, selectors, services
from livelisten.models import ChatMessage, ListenAudit, ListenerConnection
from tests.helpdesk.test_consumers import HOST, ORIGIN, _close_consumer_connections, session_cookie  # noqa: F401

pytestmark = pytest.mark.django_db(transaction=True)


async def open_socket(path: str, user=None, *, expect_connected: bool = True):
    headers = [HOST, ORIGIN]
    if user is not None:
        headers.append((b"cookie", await database_sync_to_async(session_cookie)(user)))
    ws = WebsocketCommunicator(application, path, headers=headers)
    connected, _ = await ws.connect(timeout=5)
    assert connected == expect_connected
    return ws


async def frames(ws, count: int) -> list[dict]:
    return [await ws.receive_json_from(timeout=5) for _ in range(count)]


async def until(ws, predicate, *, limit: int = 20) -> dict:
    for _ in range(limit):
        frame = await ws.receive_json_from(timeout=5)
        if predicate(frame):
            return frame
    raise AssertionError("the expected frame did not come")


async def closed_with(ws) -> int:
    output = await ws.receive_output(timeout=5)
    while output["type"] != "websocket.close":
        output = await ws.receive_output(timeout=5)
    return output.get("code")


def message_of(frame: dict) -> tuple:
    return frame["seq"], frame["kind"], frame["sender"]["role"], frame["body"]


def test_the_message_frame_payload(active_session, chat_customer):
    message = ChatMessage.objects.get(session=active_session, seq=1)
    assert events.message_frame(message) == {
        "type": "message",
        "seq": 1,
        "kind": "message",
        "sender": {"username": "customer", "name": "customer", "role": "customer"},
        "body": "The export times out.",
        "client_id": None,
        "created": message.created_at.isoformat(),
    }
    system = ChatMessage.objects.get(session=active_session, seq=2)
    assert events.message_frame(system)["sender"] == {"username": None, "name": "System", "role": "system"}


def test_the_session_event_payload(active_session, monkeypatch):
    sent = []
    monkeypatch.setattr(events, "group_send_soon", lambda sends, **_: sent.extend(sends))
    from django.db import transaction

    with transaction.atomic():
        events.broadcast_session(change=events.SESSION_UPDATED, session_object={"id": active_session.pk, "status": "active"})
    groups = [group for group, _ in sent]
    assert groups == [events.live_group(), events.queue_group(), events.session_group(active_session.pk)]
    assert sent[0][1] == {
        "type": "chat.session",
        "frame": {"type": "session.updated", "session": {"id": active_session.pk, "status": "active"}},
    }


async def test_participants_get_the_history_then_live_lines_with_their_own_echo(active_session, chat_customer, agent):
    path = f"/ws/sessions/{active_session.pk}/"
    customer_ws = await open_socket(path, chat_customer)
    assert [message_of(f) for f in await frames(customer_ws, 2)] == [
        (1, "message", "customer", "The export times out."),
        (2, "system", "system", "Alex Agent joined the chat."),
    ]
    agent_ws = await open_socket(path, agent)
    await frames(agent_ws, 3)  # two lines and the (empty) listeners list
    await customer_ws.send_json_to({"type": "message", "body": "Still broken", "client_id": "c-1"})
    echo = await customer_ws.receive_json_from(timeout=5)
    assert echo["seq"] == 3 and echo["client_id"] == "c-1" and echo["body"] == "Still broken"
    got = await until(agent_ws, lambda f: f["type"] == "message")
    assert got["seq"] == 3 and got["sender"]["username"] == "customer"
    # The same frame again (the client did not see the echo): stored once, the stored line back.
    await customer_ws.send_json_to({"type": "message", "body": "Still broken", "client_id": "c-1"})
    again = await customer_ws.receive_json_from(timeout=5)
    assert again["seq"] == 3 and again["client_id"] == "c-1"
    assert await agent_ws.receive_nothing(timeout=0.3)
    assert await database_sync_to_async(ChatMessage.objects.filter(session=active_session).count)() == 3
    await customer_ws.disconnect()
    await agent_ws.disconnect()


async def test_resuming_with_after_gets_only_what_was_missed(active_session, chat_customer, agent):
    await database_sync_to_async(services.message_post)(actor=agent, session_id=active_session.pk, body="Hello")
    ws = await open_socket(f"/ws/sessions/{active_session.pk}/?after=2", chat_customer)
    assert [message_of(f) for f in await frames(ws, 1)] == [(3, "message", "agent", "Hello")]
    assert await ws.receive_nothing(timeout=0.3)
    await ws.disconnect()
    bad = await open_socket(f"/ws/sessions/{active_session.pk}/?after=minus", chat_customer)
    error = await bad.receive_json_from(timeout=5)
    assert error["type"] == "error" and error["field"] == "after"
    assert await closed_with(bad) == consumers.CLOSE_BAD_REQUEST


async def test_whispers_and_listeners_never_reach_the_customer(active_session, chat_customer, agent, listener):
    path = f"/ws/sessions/{active_session.pk}/"
    customer_ws = await open_socket(path, chat_customer)
    await frames(customer_ws, 2)
    agent_ws = await open_socket(path, agent)
    assert (await frames(agent_ws, 3))[-1] == {"type": "listeners", "listeners": []}

    listen_ws = await open_socket(f"{path}listen/", listener)
    replay = await frames(listen_ws, 5)
    assert [f["type"] for f in replay] == ["message", "message", "live", "mode", "listeners"]
    assert replay[2] == {"type": "live", "seq": 2} and replay[3] == {"type": "mode", "mode": "listen"}
    assert replay[4]["listeners"] == [{"username": "listener", "name": "Lee Listener"}]
    heard = await until(agent_ws, lambda f: f["type"] == "listeners")
    assert heard["listeners"] == [{"username": "listener", "name": "Lee Listener"}]

    await listen_ws.send_json_to({"type": "whisper", "body": "Offer the <b>workaround</b>", "client_id": "w1"})
    echo = await listen_ws.receive_json_from(timeout=5)
    assert echo["kind"] == "whisper" and echo["seq"] == 3
    whisper = await until(agent_ws, lambda f: f["type"] == "message")
    assert whisper["kind"] == "whisper" and whisper["body"] == "Offer the <b>workaround</b>"
    # The customer's socket has heard nothing at all: no whisper, no listener, no session object with listeners.
    assert await customer_ws.receive_nothing(timeout=0.5)

    # The next line the customer gets is numbered 4: the whisper took 3 and stays invisible to them.
    await agent_ws.send_json_to({"type": "message", "body": "Try this", "client_id": "a1"})
    got = await until(customer_ws, lambda f: f["type"] == "message")
    assert got["seq"] == 4 and got["kind"] == "message"
    for ws in (customer_ws, agent_ws, listen_ws):
        await ws.disconnect()


async def test_a_listener_writes_to_the_customer_only_after_barging(active_session, chat_customer, listener):
    path = f"/ws/sessions/{active_session.pk}/"
    customer_ws = await open_socket(path, chat_customer)
    await frames(customer_ws, 2)
    listen_ws = await open_socket(f"{path}listen/", listener)
    await frames(listen_ws, 5)
    await listen_ws.send_json_to({"type": "message", "body": "hello", "client_id": "m0"})
    error = await listen_ws.receive_json_from(timeout=5)
    assert error["type"] == "error" and error["code"] == "not_barged"
    assert await customer_ws.receive_nothing(timeout=0.3)

    await listen_ws.send_json_to({"type": "barge"})
    assert await until(listen_ws, lambda f: f["type"] == "mode") == {"type": "mode", "mode": "barge"}
    joined = await until(customer_ws, lambda f: f["type"] == "message")
    assert joined["kind"] == "system" and joined["body"] == "Lee Listener (support manager) joined the chat."
    await listen_ws.send_json_to({"type": "message", "body": "I'm on it.", "client_id": "m1"})
    line = await until(customer_ws, lambda f: f["type"] == "message")
    assert line["sender"]["role"] == "manager" and line["body"] == "I'm on it."

    # A barged manager may also use the participant socket.
    manager_ws = await open_socket(path, listener)
    assert [f["seq"] for f in await frames(manager_ws, 4)] == [1, 2, 3, 4]

    await listen_ws.send_json_to({"type": "leave"})
    assert await until(listen_ws, lambda f: f["type"] == "mode") == {"type": "mode", "mode": "listen"}
    left = await until(customer_ws, lambda f: f["type"] == "message")
    assert left["body"] == "Lee Listener left the chat."
    for ws in (customer_ws, listen_ws, manager_ws):
        await ws.disconnect()


@pytest.mark.parametrize(
    "who,suffix,code",
    [
        ("anonymous", "", 4401),
        ("stranger", "", 4404),
        ("agent2", "", 4404),
        ("customer", "listen/", 4403),
        ("agent", "listen/", 4403),
        ("listener", "missing", 4404),
    ],
)
async def test_refusals(who, suffix, code, active_session, chat_customer, agent, agent2, listener, make_customer):
    users = {
        "anonymous": None,
        "stranger": (await database_sync_to_async(make_customer)("stranger")).user,
        "agent2": agent2,
        "customer": chat_customer,
        "agent": agent,
        "listener": listener,
    }
    path = "/ws/sessions/999999/listen/" if suffix == "missing" else f"/ws/sessions/{active_session.pk}/{suffix}"
    ws = await open_socket(path, users[who])
    assert await closed_with(ws) == code


@pytest.mark.parametrize("path,code", [("/ws/live/", 4403), ("/ws/chat/queue/", 4403)])
async def test_list_sockets_refuse_customers(path, code, chat_customer):
    ws = await open_socket(path, chat_customer)
    assert await closed_with(ws) == code
    anonymous = await open_socket(path)
    assert await closed_with(anonymous) == 4401


async def test_a_foreign_origin_is_refused_at_the_handshake(active_session, chat_customer):
    cookie = await database_sync_to_async(session_cookie)(chat_customer)
    ws = WebsocketCommunicator(
        application,
        f"/ws/sessions/{active_session.pk}/",
        headers=[HOST, (b"origin", b"http://evil.test"), (b"cookie", cookie)],
    )
    connected, _ = await ws.connect(timeout=5)
    assert not connected


async def test_bad_frames_get_error_frames_and_the_socket_stays_usable(active_session, chat_customer):
    ws = await open_socket(f"/ws/sessions/{active_session.pk}/", chat_customer)
    await frames(ws, 2)
    await ws.send_to(text_data="{not json")
    assert (await ws.receive_json_from(timeout=5))["code"] == "bad_json"
    await ws.send_json_to({"type": "shout"})
    assert (await ws.receive_json_from(timeout=5))["code"] == "unknown_type"
    await ws.send_json_to({"type": "message"})
    missing = await ws.receive_json_from(timeout=5)
    assert missing["code"] == "invalid" and missing["field"] == "body"
    await ws.send_json_to({"type": "message", "body": "é" * 5000})  # 10,000 bytes of UTF-8
    assert (await ws.receive_json_from(timeout=5))["field"] == "body"
    await ws.send_to(text_data=json.dumps({"type": "message", "body": "x" * (70 * 1024)}))
    assert (await ws.receive_json_from(timeout=5))["code"] == "too_large"
    await ws.send_json_to({"type": "message", "body": "x", "client_id": ["not", "text"]})
    assert (await ws.receive_json_from(timeout=5))["field"] == "client_id"
    await ws.send_json_to({"type": "message", "body": "<script>alert(1)</script>", "client_id": "ok"})
    stored = await ws.receive_json_from(timeout=5)
    assert stored["seq"] == 3 and stored["body"] == "<script>alert(1)</script>"  # text; pages escape it
    assert await database_sync_to_async(ChatMessage.objects.filter(session=active_session).count)() == 3
    await ws.disconnect()


async def test_more_than_20_lines_in_10_seconds_get_an_error_not_a_closed_socket(active_session, chat_customer):
    ws = await open_socket(f"/ws/sessions/{active_session.pk}/", chat_customer)
    await frames(ws, 2)
    for number in range(20):
        await ws.send_json_to({"type": "message", "body": f"line {number}", "client_id": f"r{number}"})
        assert (await ws.receive_json_from(timeout=5))["type"] == "message"
    await ws.send_json_to({"type": "message", "body": "one too many", "client_id": "r20"})
    assert (await ws.receive_json_from(timeout=5))["code"] == "rate_limited"
    await ws.send_json_to({"type": "ping"})
    assert (await ws.receive_json_from(timeout=5)) == {"type": "pong", "seq": 22}
    assert await database_sync_to_async(ChatMessage.objects.filter(session=active_session).count)() == 22
    await ws.disconnect()


async def test_a_dropped_broadcast_is_read_from_the_database_in_order(active_session, chat_customer, agent, monkeypatch):
    ws = await open_socket(f"/ws/sessions/{active_session.pk}/", chat_customer)
    await frames(ws, 2)
    real_send = events._send
    monkeypatch.setattr(events, "_send", lambda group, payload: None)  # the layer loses this one
    await database_sync_to_async(services.message_post)(actor=agent, session_id=active_session.pk, body="lost?")
    monkeypatch.setattr(events, "_send", real_send)
    await database_sync_to_async(services.message_post)(actor=agent, session_id=active_session.pk, body="next")
    got = [message_of(f) for f in await frames(ws, 2)]
    assert got == [(3, "message", "agent", "lost?"), (4, "message", "agent", "next")]
    assert await ws.receive_nothing(timeout=0.3)
    await ws.disconnect()


async def test_lines_announced_out_of_order_are_shown_in_order_without_a_database_read(
    active_session, chat_customer, agent, monkeypatch
):
    ws = await open_socket(f"/ws/sessions/{active_session.pk}/", chat_customer)
    await frames(ws, 2)
    monkeypatch.setattr(events, "_send", lambda group, payload: None)  # stored, announced below by hand
    first, _ = await database_sync_to_async(services.message_post)(actor=agent, session_id=active_session.pk, body="a")
    second, _ = await database_sync_to_async(services.message_post)(actor=agent, session_id=active_session.pk, body="b")
    reads = []
    real_rows_after = consumers.SessionSocket._rows_after_now
    monkeypatch.setattr(
        consumers.SessionSocket, "_rows_after_now", lambda self, after: reads.append(after) or real_rows_after(self, after)
    )
    layer = get_channel_layer()
    group = events.session_group(active_session.pk)
    for message in (second, first):  # as when two processes' announcements cross
        await layer.group_send(group, {"type": events.CHAT_MESSAGE, "frame": events.message_frame(message)})
    assert [message_of(f) for f in await frames(ws, 2)] == [(3, "message", "agent", "a"), (4, "message", "agent", "b")]
    assert await ws.receive_nothing(timeout=consumers.GAP_WAIT_SECONDS + 0.2)
    assert reads == []  # the held line waited for the missing one; nothing was read
    await ws.disconnect()


async def test_a_line_after_the_rights_are_gone_is_refused_with_the_rights_check(active_session, agent, monkeypatch):
    """The check due before a line runs with it (one trip to the database threads): a changed account stops it."""
    ws = await open_socket(f"/ws/sessions/{active_session.pk}/", agent)
    await frames(ws, 3)
    monkeypatch.setattr(consumers, "COMMAND_CHECK_SECONDS", 0.0)
    monkeypatch.setattr(consumers, "ACCOUNT_CHECK_SECONDS", 0.0)
    user_model = type(agent)
    # Around the ORM's signals (no access event reaches the socket): only the check can see it.
    await database_sync_to_async(user_model.objects.filter(pk=agent.pk).update)(is_active=False)
    await ws.send_json_to({"type": "message", "body": "after", "client_id": "late-1"})
    assert await closed_with(ws) == 4403
    assert not await database_sync_to_async(ChatMessage.objects.filter(client_id="late-1").exists)()


async def test_a_ping_finds_a_gap_even_when_nothing_else_arrives(active_session, chat_customer, agent, monkeypatch):
    ws = await open_socket(f"/ws/sessions/{active_session.pk}/", chat_customer)
    await frames(ws, 2)
    monkeypatch.setattr(events, "_send", lambda group, payload: None)
    await database_sync_to_async(services.message_post)(actor=agent, session_id=active_session.pk, body="quiet")
    await ws.send_json_to({"type": "ping"})
    assert message_of(await ws.receive_json_from(timeout=5)) == (3, "message", "agent", "quiet")
    assert await ws.receive_json_from(timeout=5) == {"type": "pong", "seq": 3}
    await ws.disconnect()


async def test_a_ping_sweeps_listeners_whose_process_died(active_session, agent, listener):
    await database_sync_to_async(services.listen_start)(actor=listener, session_id=active_session.pk, connection="dead")
    ws = await open_socket(f"/ws/sessions/{active_session.pk}/", agent)
    assert (await until(ws, lambda f: f["type"] == "listeners"))["listeners"][0]["username"] == "listener"
    # The listener's process was killed: its row stops being touched.
    await database_sync_to_async(ListenerConnection.objects.update)(seen_at=timezone.now() - timedelta(minutes=5))
    await ws.send_json_to({"type": "ping"})
    assert await until(ws, lambda f: f["type"] == "listeners") == {"type": "listeners", "listeners": []}
    stopped = ListenAudit.objects.filter(session_id=active_session.pk, action="listen_stopped")
    assert await database_sync_to_async(stopped.count)() == 1
    await ws.disconnect()


async def test_typing_reaches_the_other_side_and_listeners(active_session, chat_customer, agent, listener):
    path = f"/ws/sessions/{active_session.pk}/"
    customer_ws = await open_socket(path, chat_customer)
    await frames(customer_ws, 2)
    agent_ws = await open_socket(path, agent)
    await frames(agent_ws, 3)
    listen_ws = await open_socket(f"{path}listen/", listener)
    await frames(listen_ws, 5)
    await until(agent_ws, lambda f: f["type"] == "listeners")
    await customer_ws.send_json_to({"type": "typing"})
    for ws in (agent_ws, listen_ws):
        typing = await until(ws, lambda f: f["type"] == "typing")
        assert typing["sender"]["username"] == "customer" and typing["sender"]["role"] == "customer"
    assert await customer_ws.receive_nothing(timeout=0.3)  # nobody hears their own typing
    await listen_ws.send_json_to({"type": "typing"})  # a silent listener's typing goes nowhere
    assert await customer_ws.receive_nothing(timeout=0.3)
    for ws in (customer_ws, agent_ws, listen_ws):
        await ws.disconnect()


async def test_an_agent_who_hides_listeners_is_not_told(active_session, agent, listener):
    await database_sync_to_async(services.agent_chat_settings_save)(actor=agent, show_listeners=False)
    agent_ws = await open_socket(f"/ws/sessions/{active_session.pk}/", agent)
    assert [f["type"] for f in await frames(agent_ws, 2)] == ["message", "message"]
    listen_ws = await open_socket(f"/ws/sessions/{active_session.pk}/listen/", listener)
    await frames(listen_ws, 5)
    assert await agent_ws.receive_nothing(timeout=0.5)
    await agent_ws.disconnect()
    await listen_ws.disconnect()


async def test_the_dashboard_hears_sessions_start_change_and_end(chat_customer, agent, product_manager, start_chat):
    ws = await open_socket("/ws/live/", product_manager)
    assert await ws.receive_json_from(timeout=5) == {"type": "sessions", "sessions": []}
    session = await database_sync_to_async(start_chat)()
    started = await ws.receive_json_from(timeout=5)
    assert started["type"] == "session.started"
    body = started["session"]
    assert body["id"] == session.pk and body["status"] == "waiting" and body["customer"] == "customer"
    assert body["organization"] == "Acme Corp" and body["key_account"] is False and body["message_count"] == 1
    assert set(body) >= {"id", "status", "subject", "ticket", "customer", "agent", "listeners", "message_count", "started"}
    await database_sync_to_async(services.session_accept)(actor=agent, session_id=session.pk)
    updated = await ws.receive_json_from(timeout=5)
    assert updated["type"] == "session.updated" and updated["session"]["agent"] == "agent"
    await database_sync_to_async(services.session_end)(actor=agent, session_id=session.pk)
    ended = await until(ws, lambda f: f["type"] == "session.ended")
    assert ended["session"]["status"] == "ended"
    await ws.disconnect()

    queue = await open_socket("/ws/chat/queue/", agent)
    assert await queue.receive_json_from(timeout=5) == {"type": "sessions", "sessions": []}
    await database_sync_to_async(start_chat)()
    offered = await queue.receive_json_from(timeout=5)
    assert offered["type"] == "session.started" and "listeners" not in offered["session"]
    await queue.disconnect()


async def test_ending_the_session_closes_its_sockets(active_session, chat_customer, agent, listener):
    path = f"/ws/sessions/{active_session.pk}/"
    customer_ws = await open_socket(path, chat_customer)
    await frames(customer_ws, 2)
    listen_ws = await open_socket(f"{path}listen/", listener)
    await frames(listen_ws, 5)
    await database_sync_to_async(services.session_end)(actor=agent, session_id=active_session.pk)
    line = await until(customer_ws, lambda f: f["type"] == "message")
    assert line["body"] == "Alex Agent ended the chat."
    ended = await until(customer_ws, lambda f: f["type"] == "session.ended")
    assert "listeners" not in ended["session"]
    assert await closed_with(customer_ws) == 1000
    assert await closed_with(listen_ws) == 1000


async def test_a_transfer_closes_the_previous_agents_socket(active_session, agent, agent2):
    path = f"/ws/sessions/{active_session.pk}/"
    old = await open_socket(path, agent)
    await frames(old, 3)
    await database_sync_to_async(services.session_transfer)(actor=agent, session_id=active_session.pk, agent_username="agent2")
    assert await closed_with(old) == 4403
    new = await open_socket(path, agent2)
    assert [f["seq"] for f in (await frames(new, 3))[:3] if f["type"] == "message"] == [1, 2, 3]
    await new.disconnect()


async def test_a_socket_ticket_stands_for_the_cookie_once(active_session, chat_customer):
    key = await database_sync_to_async(services.socket_ticket_issue)(actor=chat_customer, session_id=active_session.pk)
    ws = await open_socket(f"/ws/sessions/{active_session.pk}/?ticket={key}")
    assert [f["seq"] for f in await frames(ws, 2)] == [1, 2]
    await ws.send_json_to({"type": "message", "body": "from a script", "client_id": "s1"})
    assert (await ws.receive_json_from(timeout=5))["seq"] == 3
    await ws.disconnect()
    again = await open_socket(f"/ws/sessions/{active_session.pk}/?ticket={key}")
    assert await closed_with(again) == 4401


async def test_deactivating_the_account_closes_its_chat_sockets(active_session, agent):
    ws = await open_socket(f"/ws/sessions/{active_session.pk}/", agent)
    await frames(ws, 3)

    def deactivate():
        agent.is_active = False
        agent.save()

    await database_sync_to_async(deactivate)()
    assert await closed_with(ws) == 4403


async def test_barging_is_asked_of_the_database_not_of_one_window(active_session, chat_customer, listener):
    path = f"/ws/sessions/{active_session.pk}/"
    customer_ws = await open_socket(path, chat_customer)
    await frames(customer_ws, 2)
    first = await open_socket(f"{path}listen/", listener)
    await frames(first, 5)
    second = await open_socket(f"{path}listen/", listener)
    await frames(second, 5)
    await first.send_json_to({"type": "barge"})
    await until(first, lambda f: f["type"] == "mode")
    await until(customer_ws, lambda f: f["type"] == "message")  # "… joined the chat."
    await second.send_json_to({"type": "message", "body": "from the other window", "client_id": "w2"})
    assert (await until(second, lambda f: f["type"] == "message" and f.get("client_id") == "w2"))["sender"]["role"] == "manager"
    await until(customer_ws, lambda f: f["type"] == "message")
    await second.send_json_to({"type": "leave"})
    await until(second, lambda f: f["type"] == "mode")
    await until(customer_ws, lambda f: f["type"] == "message")  # "… left the chat."
    # The first window still thinks it barged in: its typing and its messages reach nobody.
    await first.send_json_to({"type": "typing"})
    await first.send_json_to({"type": "message", "body": "stale window", "client_id": "w3"})
    refused = await until(first, lambda f: f["type"] == "error")
    assert refused["code"] == "not_barged" and refused["client_id"] == "w3"
    assert await customer_ws.receive_nothing(timeout=0.5)
    for ws in (customer_ws, first, second):
        await ws.disconnect()


async def test_the_customer_session_frames_say_nothing_of_listeners_or_line_counts(active_session, chat_customer, agent, agent2):
    ws = await open_socket(f"/ws/sessions/{active_session.pk}/", chat_customer)
    await frames(ws, 2)
    await database_sync_to_async(services.session_transfer)(actor=agent, session_id=active_session.pk, agent_username="agent2")
    updated = await until(ws, lambda f: f["type"] == "session.updated")
    assert updated["session"]["agent"] == "agent2"
    assert not {"listeners", "offered_to", "last_seq"} & set(updated["session"])
    await ws.send_json_to({"type": "ping"})
    assert (await until(ws, lambda f: f["type"] == "pong"))["seq"] == 3  # the last line it was shown
    await ws.disconnect()


async def test_an_ended_chat_can_be_read_by_a_listener_who_then_is_closed(active_session, agent, listener):
    from livelisten.models import ListenerConnection

    await database_sync_to_async(services.session_end)(actor=agent, session_id=active_session.pk)
    ws = await open_socket(f"/ws/sessions/{active_session.pk}/listen/", listener)
    replay = await frames(ws, 4)
    assert [f["type"] for f in replay] == ["message", "message", "message", "live"]
    assert await closed_with(ws) == 1000
    assert not await database_sync_to_async(ListenerConnection.objects.exists)()


async def test_a_refused_line_names_its_client_id(active_session, chat_customer):
    ws = await open_socket(f"/ws/sessions/{active_session.pk}/", chat_customer)
    await frames(ws, 2)
    await ws.send_json_to({"type": "message", "body": "x" * 9000, "client_id": "too-long"})
    error = await ws.receive_json_from(timeout=5)
    assert error["field"] == "body" and error["client_id"] == "too-long"
    await ws.disconnect()


async def test_one_persons_sockets_share_the_account_check_until_an_access_event(
    active_session, chat_customer, listener, start_chat, monkeypatch
):
    """A listener shadowing many chats costs one account check per few seconds, not one per socket;
    a changed role still reaches every socket at once."""
    other = await database_sync_to_async(start_chat)()
    monkeypatch.setattr(consumers, "COMMAND_CHECK_SECONDS", 0.0)  # every command checks...
    monkeypatch.setattr(consumers, "ACCOUNT_CHECK_SECONDS", 60.0)  # ...and the account's check stands
    checks = []
    real_socket_access = consumers.access.socket_access
    monkeypatch.setattr(consumers.access, "socket_access", lambda **kw: checks.append(kw["user_id"]) or real_socket_access(**kw))
    cookie = await database_sync_to_async(session_cookie)(listener)  # one browser, two windows
    sockets = []
    for pk in (active_session.pk, other.pk):
        ws = WebsocketCommunicator(application, f"/ws/sessions/{pk}/listen/", headers=[HOST, ORIGIN, (b"cookie", cookie)])
        assert (await ws.connect(timeout=5))[0]
        sockets.append(ws)
    for ws in sockets:
        await until(ws, lambda f: f["type"] == "listeners")
        await ws.send_json_to({"type": "ping"})
        await until(ws, lambda f: f["type"] == "pong")
    assert checks == [listener.pk]

    await database_sync_to_async(listener.groups.clear)()  # the role goes: an access event, not the cache, decides
    for ws in sockets:
        assert await closed_with(ws) == 4403


async def test_opening_a_socket_keeps_what_the_sessions_announcements_need(active_session, chat_customer):
    """The first line of a chat then needs no query for its ticket, customer and organization (the hot path)."""
    selectors.forget_cached()
    ws = await open_socket(f"/ws/sessions/{active_session.pk}/", chat_customer)
    await frames(ws, 2)
    assert (active_session.pk, active_session.ticket_id, active_session.customer_id) in selectors._static
    await ws.disconnect()


async def test_a_socket_ticket_stands_for_the_cookie_on_the_listen_and_dashboard_sockets(active_session, listener, chat_customer):
    issue = database_sync_to_async(services.socket_ticket_issue)
    key = await issue(actor=listener, session_id=active_session.pk)
    ws = await open_socket(f"/ws/sessions/{active_session.pk}/listen/?ticket={key}")
    assert [f["type"] for f in await frames(ws, 3)] == ["message", "message", "live"]
    await ws.disconnect()
    dashboard_key = await issue(actor=listener, session_id=active_session.pk)
    live = await open_socket(f"/ws/live/?ticket={dashboard_key}")
    first = await live.receive_json_from(timeout=5)
    assert first["type"] == "sessions" and [s["id"] for s in first["sessions"]] == [active_session.pk]
    await live.disconnect()
    customers_key = await issue(actor=chat_customer, session_id=active_session.pk)
    refused = await open_socket(f"/ws/live/?ticket={customers_key}")
    assert await closed_with(refused) == 4403  # the ticket is the customer's rights, no more


async def test_a_listener_resumes_with_after_and_gets_only_what_followed(active_session, agent, listener):
    path = f"/ws/sessions/{active_session.pk}/listen/"
    for number in range(3):
        await database_sync_to_async(services.message_post)(actor=agent, session_id=active_session.pk, body=f"line {number}")
    await database_sync_to_async(services.whisper_post)(actor=listener, session_id=active_session.pk, body="psst")
    ws = await open_socket(f"{path}?after=3", listener)
    replay = await frames(ws, 4)
    assert [(f["type"], f.get("seq")) for f in replay] == [("message", 4), ("message", 5), ("message", 6), ("live", 6)]
    assert replay[2]["kind"] == "whisper"
    await ws.disconnect()
    bad = await open_socket(f"{path}?after=minus-one", listener)
    error = await bad.receive_json_from(timeout=5)
    assert error["type"] == "error" and error["code"] == "invalid" and "after" in error["detail"]
    assert await closed_with(bad) == 4400


async def test_anyone_granted_listen_session_in_the_admin_may_listen(active_session, make_user):
    from django.contrib.auth.models import Permission

    def grant():
        executive = make_user("ceo", role=None, first_name="Chris", last_name="Chief")
        executive.user_permissions.add(Permission.objects.get(codename="listen_session", content_type__app_label="livelisten"))
        return executive

    executive = await database_sync_to_async(grant)()
    live = await open_socket("/ws/live/", executive)
    assert (await live.receive_json_from(timeout=5))["type"] == "sessions"
    ws = await open_socket(f"/ws/sessions/{active_session.pk}/listen/", executive)
    assert [f["type"] for f in await frames(ws, 3)] == ["message", "message", "live"]
    for socket in (live, ws):
        await socket.disconnect()


async def test_signing_out_closes_that_browsers_chat_sockets_only(active_session, chat_customer, agent, listener):
    from django.test import Client

    def signed_in_browser(user):
        browser = Client()
        browser.force_login(user)
        return browser, f"sessionid={browser.cookies['sessionid'].value}".encode()

    path = f"/ws/sessions/{active_session.pk}/"
    sockets = {}
    for name, user, suffix in (("agent", agent, ""), ("listener", listener, "listen/"), ("customer", chat_customer, "")):
        browser, cookie = await database_sync_to_async(signed_in_browser)(user)
        ws = WebsocketCommunicator(application, path + suffix, headers=[HOST, ORIGIN, (b"cookie", cookie)])
        assert (await ws.connect(timeout=5))[0]
        sockets[name] = (browser, ws)
    dashboard_browser, dashboard_cookie = await database_sync_to_async(signed_in_browser)(listener)
    dashboard = WebsocketCommunicator(application, "/ws/live/", headers=[HOST, ORIGIN, (b"cookie", dashboard_cookie)])
    assert (await dashboard.connect(timeout=5))[0]
    await dashboard.receive_json_from(timeout=5)

    for name in ("agent", "listener"):
        browser, ws = sockets[name]
        assert (await database_sync_to_async(browser.post)("/accounts/logout/")).status_code == 302
        assert await closed_with(ws) == 4401, name
    # The listener's other browser (the dashboard) and the customer are still connected.
    await dashboard.send_json_to({"type": "ping"})
    assert (await until(dashboard, lambda f: f["type"] == "pong"))["type"] == "pong"
    customer_ws = sockets["customer"][1]
    await customer_ws.send_json_to({"type": "ping"})
    assert (await until(customer_ws, lambda f: f["type"] == "pong"))["type"] == "pong"
    await customer_ws.disconnect()
    await dashboard.disconnect()
