"""Real-time events of the ticketing app, sent only after the transaction commits.

Groups:
- ``ticket_group(id)``: everyone on the desk looking at that ticket (collision notices);
- ``user_group(id)``: every socket of one person (their access ended or changed);
- ``session_group(key)``: the sockets of one signed-in browser session (it signed out).

Payloads carry no message bodies: a listener learns *that* something changed and
fetches it through the selectors, which apply its permissions.
"""

from __future__ import annotations

import hashlib
import logging
from typing import Any

from asgiref.sync import async_to_sync
from channels.layers import get_channel_layer
from django.db import transaction

logger = logging.getLogger(__name__)

TICKET_CHANGED = "ticket.changed"


def ticket_group(ticket_id: int) -> str:
    return f"helpdesk.ticket.{ticket_id}"


def ticket_changed_payload(*, ticket, actor, changes: list[str]) -> dict[str, Any]:
    return {
        "type": TICKET_CHANGED,
        "ticket": ticket.reference,
        "version": ticket.version,
        "status": ticket.status,
        "by": actor.get_username() if actor is not None else None,
        "changes": sorted(set(changes)),
    }


def _send(groups: list[str], payload: dict[str, Any]) -> None:
    layer = get_channel_layer()
    if layer is None:
        return
    for group in groups:
        try:
            async_to_sync(layer.group_send)(group, payload)
        except Exception:  # a broadcast must never undo or fail a committed change
            logger.exception("broadcast to %s failed", group)


def broadcast_tickets_changed(*, tickets: list, actor, changes: list[str]) -> None:
    """Queue one ``ticket.changed`` per ticket changed in bulk (auto-close), after commit."""
    messages = [
        ([ticket_group(ticket.pk)], ticket_changed_payload(ticket=ticket, actor=actor, changes=changes))
        for ticket in tickets
    ]

    def send() -> None:
        for groups, payload in messages:
            _send(groups, payload)

    transaction.on_commit(send)


def broadcast_ticket_changed(*, ticket, actor, changes: list[str]) -> None:
    """Queue a ``ticket.changed`` event for after the current transaction commits."""
    payload = ticket_changed_payload(ticket=ticket, actor=actor, changes=changes)
    groups = [ticket_group(ticket.pk)]
    transaction.on_commit(lambda: _send(groups, payload))


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
