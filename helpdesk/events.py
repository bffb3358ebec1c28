"""Real-time events of the ticketing app, sent only after the transaction commits.

Groups:
- ``ticket_group(id)``: everyone on the desk looking at that ticket (collision notices);
- ``desk_group()``: every desk socket (the inboxes): one compact line per changed ticket,
  several lines to a message when many tickets change in one go;
- ``user_group(id)``: every socket of one person (their access ended or changed);
- ``session_group(key)``: the sockets of one signed-in browser session (it signed out).

Presence (who has a ticket open, who is typing on it) is not a database change: the
ticket socket sends ``ticket.presence`` to the ticket's group itself, as it happens,
with the payload built here (``presence_payload``).

Payloads carry no message bodies: a listener learns *that* something changed and
fetches it through the selectors, which apply its permissions.
"""

from __future__ import annotations

import hashlib
import logging
from collections.abc import Iterator
from contextlib import contextmanager
from typing import Any

from asgiref.sync import async_to_sync
from channels.layers import get_channel_layer
from django.db import transaction

logger = logging.getLogger(__name__)

TICKET_CHANGED = "ticket.changed"
TICKET_PRESENCE = "ticket.presence"
DESK_TICKETS_CHANGED = "desk.tickets_changed"
NOTIFICATION_NEW = "notification.new"
# Lines per desk message. Every desk socket checks its user's access (one query) before it
# forwards a message, so a bulk change of 500 tickets goes out as five messages, not 500.
DESK_LINES_PER_MESSAGE = 100


def ticket_group(ticket_id: int) -> str:
    return f"helpdesk.ticket.{ticket_id}"


def desk_group() -> str:
    """Every desk socket, whatever list it shows: hears that tickets changed (``desk.tickets_changed``)."""
    return "helpdesk.desk"


def _ticket_line(*, ticket, actor, changes: list[str]) -> dict[str, Any]:
    return {
        "ticket": ticket.reference,
        "version": ticket.version,
        "status": ticket.status,
        "by": actor.get_username() if actor is not None else None,
        "changes": sorted(set(changes)),
    }


def ticket_changed_payload(*, ticket, actor, changes: list[str]) -> dict[str, Any]:
    return {"type": TICKET_CHANGED, **_ticket_line(ticket=ticket, actor=actor, changes=changes)}


def desk_tickets_changed_payload(*, lines: list[dict[str, Any]]) -> dict[str, Any]:
    """What the desk group hears: for each ticket its reference, version, status, kinds of change and who.

    No subject, no message text: desk sockets fetch the rows they show through the
    selectors (``/inbox/rows/``), which apply the viewer's rights.
    """
    return {"type": DESK_TICKETS_CHANGED, "tickets": lines}


# What a person on a ticket page is doing, as the other viewers hear it.
VIEWING = "viewing"
TYPING = "typing"
LEFT = "left"
TYPING_MODES = ("reply", "note")


def presence_payload(
    *, conn: str, username: str, name: str, state: str, mode: str | None = None, reply_to: str | None = None
) -> dict[str, Any]:
    """One viewer's presence on a ticket (the group message; the socket sends its client ``presence_frame``).

    ``conn`` names the connection (a person may have the ticket open in two tabs);
    ``reply_to`` is set when a viewer arrives: the others answer that channel directly
    with their own presence, so the newcomer learns who was already there.
    """
    payload: dict[str, Any] = {
        "type": TICKET_PRESENCE,
        "conn": conn,
        "user": {"username": username, "name": name},
        "state": state,
        "mode": mode if state == TYPING else None,
    }
    if reply_to is not None:
        payload["reply_to"] = reply_to
    return payload


def presence_frame(payload: dict[str, Any]) -> dict[str, Any]:
    """What the client receives of a ``ticket.presence``: ``{"type": "presence", "conn", "user", "state", "mode"}``."""
    return {"type": "presence", **{key: payload[key] for key in ("conn", "user", "state", "mode")}}


def _send(groups: list[str], payload: dict[str, Any]) -> None:
    layer = get_channel_layer()
    if layer is None:
        return
    for group in groups:
        try:
            async_to_sync(layer.group_send)(group, payload)
        except Exception:  # a broadcast must never undo or fail a committed change
            logger.exception("broadcast to %s failed", group)


def _send_desk(lines: list[dict[str, Any]]) -> None:
    for start in range(0, len(lines), DESK_LINES_PER_MESSAGE):
        _send([desk_group()], desk_tickets_changed_payload(lines=lines[start : start + DESK_LINES_PER_MESSAGE]))


_DESK_BATCHES = "_helpdesk_desk_batches"


def _open_desk_batch() -> list[dict[str, Any]] | None:
    batches = getattr(transaction.get_connection(), _DESK_BATCHES, None)
    return batches[-1] if batches else None


@contextmanager
def desk_batch() -> Iterator[None]:
    """Gather the desk lines of every ticket change made inside into as few desk messages as possible.

    Each change still queues its own on-commit callback (so a rolled-back savepoint
    drops its line, as it drops its ``ticket.changed``); the callback adds the line
    to this batch, and the batch itself is sent by a callback registered after all
    of them. Used by the bulk services.
    """
    connection = transaction.get_connection()
    batches = connection.__dict__.setdefault(_DESK_BATCHES, [])
    lines: list[dict[str, Any]] = []
    batches.append(lines)
    try:
        yield
    finally:
        batches.pop()
    transaction.on_commit(lambda: _send_desk(lines))


def broadcast_tickets_changed(*, tickets: list, actor, changes: list[str]) -> None:
    """Queue one ``ticket.changed`` per ticket changed in bulk (auto-close), and their desk lines, after commit."""
    lines = [_ticket_line(ticket=ticket, actor=actor, changes=changes) for ticket in tickets]
    messages = [
        ([ticket_group(ticket.pk)], {"type": TICKET_CHANGED, **line}) for ticket, line in zip(tickets, lines)
    ]

    def send() -> None:
        for groups, payload in messages:
            _send(groups, payload)
        _send_desk(lines)

    transaction.on_commit(send)


def broadcast_ticket_changed(*, ticket, actor, changes: list[str]) -> None:
    """Queue a ``ticket.changed`` event, and its line for the desk group, for after the transaction commits."""
    line = _ticket_line(ticket=ticket, actor=actor, changes=changes)
    groups, payload = [ticket_group(ticket.pk)], {"type": TICKET_CHANGED, **line}
    batch = _open_desk_batch()

    def send() -> None:
        _send(groups, payload)
        if batch is not None:
            batch.append(line)
        else:
            _send_desk([line])

    transaction.on_commit(send)


# --- access: sockets end when their user's access does ---------------------------------------

ACCESS_REVOKED = "access.revoked"
ACCESS_RECHECK = "access.recheck"

# Why a socket's access ended (the consumer picks its close code from it).
DEACTIVATED = "deactivated"
PASSWORD_CHANGED = "password_changed"
SIGNED_OUT = "signed_out"
DELETED = "deleted"


def user_group(user_id: int) -> str:
    """Every socket a person has open, whatever it watches: hears that their access ended or changed."""
    return f"helpdesk.user.{user_id}"


def session_group(session_key: str) -> str:
    """The sockets of one signed-in browser session: hears that it signed out."""
    # The session key is a credential: group names show in Redis, so only its hash does.
    return "helpdesk.session." + hashlib.sha256(session_key.encode()).hexdigest()[:32]


def access_revoked_payload(*, reason: str) -> dict[str, Any]:
    return {"type": ACCESS_REVOKED, "reason": reason}


def access_recheck_payload() -> dict[str, Any]:
    return {"type": ACCESS_RECHECK}


def broadcast_access_revoked(*, user_id: int, reason: str) -> None:
    """After commit: close every socket of this user (deactivated, password changed, deleted)."""
    groups, payload = [user_group(user_id)], access_revoked_payload(reason=reason)
    transaction.on_commit(lambda: _send(groups, payload))


def broadcast_session_ended(*, session_key: str) -> None:
    """After commit: close the sockets opened by this browser session (it signed out)."""
    groups, payload = [session_group(session_key)], access_revoked_payload(reason=SIGNED_OUT)
    transaction.on_commit(lambda: _send(groups, payload))


def broadcast_access_recheck(*, user_ids: list[int]) -> None:
    """After commit: these people's roles or permissions changed; their sockets check their rights again."""
    groups, payload = [user_group(pk) for pk in sorted(set(user_ids))], access_recheck_payload()
    if groups:
        transaction.on_commit(lambda: _send(groups, payload))


def notification_new_payload() -> dict[str, Any]:
    """A person has a new notice: their notification socket tells the page to fetch the unread count."""
    return {"type": NOTIFICATION_NEW}


def broadcast_notifications(*, user_ids: list[int]) -> None:
    """After commit: these people have new notices (their bells update without a reload)."""
    groups, payload = [user_group(pk) for pk in sorted(set(user_ids))], notification_new_payload()
    if groups:
        transaction.on_commit(lambda: _send(groups, payload))

