"""``ticket.changed`` events: payload, groups, and nothing on the channel layer before commit.

These run against whichever channel layer the settings configure (in-memory, or
Redis when REDIS_URL is set), so the payload is also proven to survive the trip.
"""

from __future__ import annotations

import asyncio
import threading

import pytest
from channels.layers import get_channel_layer

from helpdesk import events, services

PAYLOAD_KEYS = {"type", "ticket", "version", "status", "by", "changes"}


@pytest.fixture
def listen():
    """Subscribe a fresh channel to groups; returns a function reading its next message (or None).

    The listener lives on one event loop in its own thread for the whole test: the
    Redis layer binds a channel's receive buffer to the loop that first read it.
    """
    layer = get_channel_layer()
    loop = asyncio.new_event_loop()
    thread = threading.Thread(target=loop.run_forever, daemon=True)
    thread.start()
    subscriptions = []

    def on_loop(coro, timeout=10):
        return asyncio.run_coroutine_threadsafe(coro, loop).result(timeout)

    def subscribe(*groups):
        channel = on_loop(layer.new_channel())
        for group in groups:
            on_loop(layer.group_add(group, channel))
            subscriptions.append((group, channel))

        async def _next(timeout):
            try:
                return await asyncio.wait_for(layer.receive(channel), timeout)
            except TimeoutError:
                return None

        def next_message(timeout: float = 2.0):
            return on_loop(_next(timeout), timeout + 5)

        return next_message

    yield subscribe
    for group, channel in subscriptions:
        on_loop(layer.group_discard(group, channel))
    loop.call_soon_threadsafe(loop.stop)
    thread.join(5)
    loop.close()


def test_group_names():
    assert events.ticket_group(42) == "helpdesk.ticket.42"
    # Channels accepts only ASCII letters, digits, hyphens, underscores and periods, under 100 chars.
    from channels.layers import BaseChannelLayer

    assert BaseChannelLayer().require_valid_group_name(events.ticket_group(2**63 - 1))


def test_payload_shape(agent, ticket):
    payload = events.ticket_changed_payload(ticket=ticket, actor=agent, changes=["status", "priority", "status"])
    assert payload == {
        "type": "ticket.changed",
        "ticket": ticket.reference,
        "version": ticket.version,
        "status": ticket.status,
        "by": "agent",
        "changes": ["priority", "status"],
    }
    assert events.ticket_changed_payload(ticket=ticket, actor=None, changes=["status"])["by"] is None


def test_create_event(agent, customer, monkeypatch, django_capture_on_commit_callbacks):
    # The new ticket's group is unknown before it exists, so capture the send itself.
    sent = []
    monkeypatch.setattr(events, "_send", lambda groups, payload: sent.append((groups, payload)))
    with django_capture_on_commit_callbacks(execute=False) as callbacks:
        ticket = services.ticket_create(actor=agent, requester=customer, subject="S", body="B")
    assert sent == [], "nothing is broadcast before commit"
    for callback in callbacks:
        callback()
    groups, message = sent[0]
    assert groups == [events.ticket_group(ticket.pk)]
    assert set(message) == PAYLOAD_KEYS
    assert message == {
        "type": "ticket.changed",
        "ticket": ticket.reference,
        "version": 1,
        "status": "new",
        "by": "agent",
        "changes": ["created"],
    }


def test_update_event_reaches_the_ticket_group(agent, ticket, listen, django_capture_on_commit_callbacks):
    next_ticket = listen(events.ticket_group(ticket.pk))
    with django_capture_on_commit_callbacks(execute=True):
        services.ticket_update(actor=agent, ticket=ticket, status="pending", priority="high", tags=["a"])
        assert next_ticket(0.2) is None
    expected = {
        "type": "ticket.changed",
        "ticket": ticket.reference,
        "version": 2,
        "status": "pending",
        "by": "agent",
        "changes": ["priority", "status", "tags"],
    }
    assert next_ticket() == expected
    assert next_ticket(0.2) is None, "one event per change"


def test_message_events(agent, customer, ticket, listen, django_capture_on_commit_callbacks):
    next_ticket = listen(events.ticket_group(ticket.pk))
    with django_capture_on_commit_callbacks(execute=True):
        services.ticket_message_post(actor=agent, ticket=ticket, body="Hello")
    assert next_ticket() == {
        "type": "ticket.changed",
        "ticket": ticket.reference,
        "version": 2,
        "status": "open",
        "by": "agent",
        "changes": ["reply", "status"],
    }
    with django_capture_on_commit_callbacks(execute=True):
        services.ticket_message_post(actor=agent, ticket=ticket, body="Psst", internal=True)
    note = next_ticket()
    # A bare note bumps no version (customers see the version), but watchers still hear of it.
    assert (note["changes"], note["version"], note["status"]) == (["note"], 2, "open")
    with django_capture_on_commit_callbacks(execute=True):
        services.ticket_message_post(actor=customer.user, ticket=ticket, body="Thanks")
    reply = next_ticket()
    assert (reply["changes"], reply["by"]) == (["reply"], "customer")


def test_payload_never_carries_message_text(agent, ticket, listen, django_capture_on_commit_callbacks):
    next_ticket = listen(events.ticket_group(ticket.pk))
    with django_capture_on_commit_callbacks(execute=True):
        services.ticket_message_post(actor=agent, ticket=ticket, body="top secret note text", internal=True)
    assert "top secret" not in repr(next_ticket())


def test_other_tickets_group_hears_nothing(agent, make_ticket, listen, django_capture_on_commit_callbacks):
    a, b = make_ticket(), make_ticket()
    next_b = listen(events.ticket_group(b.pk))
    with django_capture_on_commit_callbacks(execute=True):
        services.ticket_update(actor=agent, ticket=a, priority="low")
    assert next_b(0.3) is None


def test_rolled_back_change_broadcasts_nothing(agent, ticket, listen, django_capture_on_commit_callbacks):
    from django.db import transaction

    next_ticket = listen(events.ticket_group(ticket.pk))
    with django_capture_on_commit_callbacks(execute=True) as callbacks:
        with pytest.raises(RuntimeError, match="abort"):
            with transaction.atomic():
                services.ticket_update(actor=agent, ticket=ticket, priority="low")
                raise RuntimeError("abort")
    assert callbacks == [], "the rolled-back change queued no broadcast"
    assert next_ticket(0.3) is None


def test_broadcast_failure_is_logged_not_raised(agent, ticket, monkeypatch, caplog, django_capture_on_commit_callbacks):
    class BrokenLayer:
        async def group_send(self, group, message):
            raise ConnectionError("redis is down")

    monkeypatch.setattr(events, "get_channel_layer", lambda: BrokenLayer())
    with django_capture_on_commit_callbacks(execute=True):
        services.ticket_update(actor=agent, ticket=ticket, priority="low")
    assert "broadcast to helpdesk.ticket." in caplog.text


# --- the desk group: one compact line per changed ticket ------------------------------------------------

DESK_LINE_KEYS = {"ticket", "version", "status", "by", "changes"}


def test_desk_group_name_is_valid():
    from channels.layers import BaseChannelLayer

    assert events.desk_group() == "helpdesk.desk"
    assert BaseChannelLayer().require_valid_group_name(events.desk_group())


def test_a_change_sends_its_line_to_the_desk_after_commit(agent, ticket, listen, django_capture_on_commit_callbacks):
    next_desk = listen(events.desk_group())
    with django_capture_on_commit_callbacks(execute=True):
        services.ticket_update(actor=agent, ticket=ticket, status="pending", tags=["vip"])
        assert next_desk(0.2) is None, "nothing before commit"
    message = next_desk()
    assert message == {
        "type": "desk.tickets_changed",
        "tickets": [
            {
                "ticket": ticket.reference,
                "version": 2,
                "status": "pending",
                "by": "agent",
                "changes": ["status", "tags"],
            }
        ],
    }
    assert set(message["tickets"][0]) == DESK_LINE_KEYS
    assert next_desk(0.2) is None


def test_desk_lines_carry_no_subject_or_text(agent, customer, listen, django_capture_on_commit_callbacks):
    next_desk = listen(events.desk_group())
    with django_capture_on_commit_callbacks(execute=True):
        ticket = services.ticket_create(
            actor=agent, requester=customer, subject="Private subject", body="Private body"
        )
    with django_capture_on_commit_callbacks(execute=True):
        services.ticket_message_post(actor=agent, ticket=ticket, body="Private note", internal=True)
    created, note = next_desk(), next_desk()
    assert created["tickets"][0]["changes"] == ["created"] and note["tickets"][0]["changes"] == ["note"]
    assert "Private" not in repr(created) + repr(note)


def test_a_bulk_change_sends_few_desk_messages(
    agent, make_ticket, listen, monkeypatch, django_capture_on_commit_callbacks
):
    tickets = [make_ticket() for _ in range(5)]
    monkeypatch.setattr(events, "DESK_LINES_PER_MESSAGE", 2)
    next_desk = listen(events.desk_group())
    next_ticket = listen(events.ticket_group(tickets[0].pk))
    with django_capture_on_commit_callbacks(execute=True):
        services.ticket_bulk_update(actor=agent, tickets=tickets, priority="high")
    messages = [next_desk(), next_desk(), next_desk()]
    assert [len(m["tickets"]) for m in messages] == [2, 2, 1]
    assert sorted(line["ticket"] for m in messages for line in m["tickets"]) == sorted(t.reference for t in tickets)
    assert next_desk(0.2) is None
    # Each ticket's own watchers still hear of it as before.
    assert next_ticket()["changes"] == ["priority"]


def test_a_refused_ticket_in_a_bulk_change_sends_no_line(
    agent, make_ticket, listen, django_capture_on_commit_callbacks
):
    fine, closed = make_ticket(), make_ticket()
    services.ticket_update(actor=agent, ticket=closed, status="solved")
    services.ticket_update(actor=agent, ticket=closed, status="closed")
    next_desk = listen(events.desk_group())
    with django_capture_on_commit_callbacks(execute=True):
        # The closed ticket's tags are written, then refused and rolled back with its savepoint: no line for it.
        result = services.ticket_bulk_tag(actor=agent, tickets=[fine, closed], add=["vip"])
    assert result.updated == [fine.reference] and closed.reference in result.skipped
    assert [line["ticket"] for line in next_desk()["tickets"]] == [fine.reference]
    assert next_desk(0.2) is None


def test_a_rolled_back_bulk_change_sends_nothing_to_the_desk(
    agent, make_ticket, listen, django_capture_on_commit_callbacks
):
    from django.db import transaction

    tickets = [make_ticket() for _ in range(2)]
    next_desk = listen(events.desk_group())
    with django_capture_on_commit_callbacks(execute=True) as callbacks:
        with pytest.raises(RuntimeError, match="abort"):
            with transaction.atomic():
                services.ticket_bulk_update(actor=agent, tickets=tickets, priority="low")
                raise RuntimeError("abort")
    assert callbacks == []
    assert next_desk(0.3) is None


def test_auto_close_sends_the_desk_its_lines(agent, make_ticket, listen, django_capture_on_commit_callbacks):
    from datetime import timedelta

    from django.utils import timezone

    tickets = [make_ticket() for _ in range(3)]
    for t in tickets:
        services.ticket_update(actor=agent, ticket=t, status="solved")
    next_desk = listen(events.desk_group())
    with django_capture_on_commit_callbacks(execute=True):
        assert services.ticket_close_solved(older_than_days=1, now=timezone.now() + timedelta(days=2)) == 3
    message = next_desk()
    assert sorted(line["ticket"] for line in message["tickets"]) == sorted(t.reference for t in tickets)
    assert all(line["status"] == "closed" and line["changes"] == ["status"] for line in message["tickets"])
    assert next_desk(0.2) is None
