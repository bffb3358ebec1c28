"""Real-time events of the ticketing app, sent only after the transaction commits.

Groups:
- ``ticket_group(id)``: everyone on the desk looking at that ticket (collision notices).

Payloads carry no message bodies: a listener learns *that* something changed and
fetches it through the selectors, which apply its permissions.
"""

from __future__ import annotations

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
