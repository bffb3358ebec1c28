"""Real-time events of live chat: stored first, announced after commit.

Groups (one function names each):

- ``session_group(id)``: every socket on one session (customer, agent, barged managers,
  listeners). A ``chat.message`` event carries the stored message; each socket decides
  what its person may see and, when a number was skipped (the layer dropped one, or
  two processes' broadcasts crossed), reads the gap from the database;
- ``live_group()``: the listeners' dashboard (``session.started``/``updated``/``ended``
  with the session object);
- ``queue_group()``: the agents' consoles (the same frames, for the waiting queue and
  offers).

Typing is the only event not stored: it is sent at once, never after a commit.
"""

from __future__ import annotations

from typing import Any

from channels.layers import get_channel_layer
from django.db import transaction

from helpdesk.broadcast import group_send_latest, group_send_soon

CHAT_MESSAGE = "chat.message"
CHAT_TYPING = "chat.typing"
CHAT_LISTENERS = "chat.listeners"
CHAT_SESSION = "chat.session"

SESSION_STARTED = "session.started"
SESSION_UPDATED = "session.updated"
SESSION_ENDED = "session.ended"

# A busy chat's dashboard row (message count, listeners) changes with every line: at most
# one update a second per chat, the latest, instead of one per line.
COUNT_UPDATE_SECONDS = 1.0


def session_group(session_id: int) -> str:
    return f"livelisten.session.{session_id}"


def live_group() -> str:
    return "livelisten.live"


def queue_group() -> str:
    return "livelisten.queue"


def message_frame(message) -> dict[str, Any]:
    """The ``message`` frame every socket sends (``sender`` is null-safe for system lines)."""
    sender = message.sender
    if sender is None:
        who = {"username": None, "name": "System", "role": "system"}
    else:
        who = {
            "username": sender.get_username(),
            "name": sender.get_full_name() or sender.get_username(),
            "role": message.sender_role,
        }
    return {
        "type": "message",
        "seq": message.seq,
        "kind": message.kind,
        "sender": who,
        "body": message.body,
        "client_id": message.client_id or None,
        "created": message.created_at.isoformat(),
    }


def sender_of(user, role: str) -> dict[str, Any]:
    return {"username": user.get_username(), "name": user.get_full_name() or user.get_username(), "role": role}


def _send(group: str, payload: dict[str, Any]) -> None:
    """Hand the announcement to the event loop (helpdesk.broadcast): the line is stored, the sockets read gaps."""
    group_send_soon([(group, payload)])


def broadcast_message(message) -> None:
    """After commit: the session's sockets hear of a stored message (they filter by what each may see)."""
    payload = {"type": CHAT_MESSAGE, "session": message.session_id, "frame": message_frame(message)}
    group = session_group(message.session_id)
    transaction.on_commit(lambda: _send(group, payload))


def broadcast_listeners(*, session_id: int, listeners: list[dict[str, Any]]) -> None:
    """After commit: who listens now (sockets pass it on to those who may see it, never to the customer)."""
    payload = {"type": CHAT_LISTENERS, "session": session_id, "listeners": listeners}
    group = session_group(session_id)
    transaction.on_commit(lambda: _send(group, payload))


def broadcast_session(*, change: str, session_object: dict[str, Any], to_participants: bool = True) -> None:
    """After commit: the dashboard, the agents' queue and (unless only a count moved) the session's sockets hear of it."""
    frame = {"type": change, "session": session_object}
    payload = {"type": CHAT_SESSION, "frame": frame}

    # The agents' queue shows waiting chats: a line in an active one is only the dashboard's business.
    only_a_count = not to_participants and session_object.get("status") == "active"
    groups = [live_group()] + ([] if only_a_count else [queue_group()])
    if to_participants:
        groups.append(session_group(session_object["id"]))

    sends = [(group, payload) for group in groups]
    key = ("livelisten.session", session_object["id"])

    def send() -> None:
        if to_participants:
            group_send_soon(sends, supersedes=key)  # the full change makes a waiting count stale
        else:
            group_send_latest(key, sends, interval=COUNT_UPDATE_SECONDS)

    transaction.on_commit(send)


async def send_typing(*, session_id: int, sender: dict[str, Any], conn: str) -> None:
    """At once (nothing stored): someone in the session is typing."""
    layer = get_channel_layer()
    if layer is not None:
        await layer.group_send(session_group(session_id), {"type": CHAT_TYPING, "sender": sender, "conn": conn})
