"""Real-time events of the escalations app: sent only after the transaction commits.

- ``board_group()``: every open triage board hears that an escalation was raised or changed;
- ``escalation_group(id)``: everyone on one escalation's page hears that it changed.

Payloads name the escalation, its status and version and what happened, never its
text: a page fetches what it shows through the selectors, which apply the viewer's rights.
"""

from __future__ import annotations

import logging
from typing import Any

from asgiref.sync import async_to_sync
from channels.layers import get_channel_layer
from django.db import transaction

logger = logging.getLogger(__name__)

ESCALATION_CHANGED = "escalation.changed"


def board_group() -> str:
    return "escalations.board"


def escalation_group(escalation_id: int) -> str:
    return f"escalations.escalation.{escalation_id}"


def board_socket_path() -> str:
    return "/ws/escalations/"


def escalation_socket_path(escalation) -> str:
    return f"/ws/escalations/{escalation.reference}/"


def escalation_changed_payload(*, escalation, actor, change: str) -> dict[str, Any]:
    """``change``: "raised", "linked", "commented", or the lifecycle action taken ("fix")."""
    return {
        "type": ESCALATION_CHANGED,
        "reference": escalation.reference,
        "status": escalation.status,
        "severity": escalation.severity,
        "feature": escalation.feature.key,
        "version": escalation.version,
        "change": change,
        "by": actor.get_username() if actor is not None else None,
    }


def _send(groups: list[str], payload: dict[str, Any]) -> None:
    layer = get_channel_layer()
    if layer is None:
        return
    for group in groups:
        try:
            async_to_sync(layer.group_send)(group, payload)
        except Exception:  # a broadcast lost never undoes the committed change; pages also reload on focus
            logger.exception("broadcast to %s failed", group)


def broadcast_escalation_changed(*, escalation, actor, change: str) -> None:
    """After commit: the board and the escalation's page hear of the change."""
    payload = escalation_changed_payload(escalation=escalation, actor=actor, change=change)
    groups = [board_group(), escalation_group(escalation.pk)]
    transaction.on_commit(lambda: _send(groups, payload))
