"""Escalation websockets: the open triage board and an open escalation page refresh themselves.

Both are for people who may see escalations (the desk); anyone else is closed after
the handshake with 4401 (not signed in), 4403 (not allowed) or 4404 (no such
escalation), so the page stops reconnecting. Rights are re-checked on every command
and before every event forwarded (``helpdesk.socketkit``).
"""

from __future__ import annotations

import json

from channels.db import database_sync_to_async

from escalations import events, permissions, selectors
from helpdesk import access
from helpdesk.errors import DomainError
from helpdesk.socketkit import AccessCheckedConsumer

CLOSE_NOT_FOUND = 4404


class BoardConsumer(AccessCheckedConsumer):
    """``/ws/escalations/``: every raise and change, as ``escalation.changed`` frames."""

    groups_joined: tuple[str, ...] = ()

    def is_allowed(self, user) -> bool:
        return permissions.can_view_escalations(user)

    def target_groups(self) -> list[str]:
        return [events.board_group()]

    @database_sync_to_async
    def _refusal(self, user) -> int | None:
        if user is None or not user.is_authenticated:
            return access.CLOSE_SIGNED_OUT
        return None if permissions.can_view_escalations(user) else access.CLOSE_FORBIDDEN

    async def connect(self) -> None:
        user = self.scope.get("user")
        code = await self._refusal(user)
        if code is None:
            code = await self.resolve(user)
        if code is not None:
            await self.accept()
            await self.end(code)
            return
        await self.start_access(user)
        self.groups_joined = tuple(self.target_groups())
        for group in self.groups_joined:
            await self.channel_layer.group_add(group, self.channel_name)
        await self.accept()
        await self.send(text_data=json.dumps({"type": "hello"}))

    async def resolve(self, user) -> int | None:
        return None

    async def disconnect(self, code: int) -> None:
        for group in self.groups_joined:
            await self.channel_layer.group_discard(group, self.channel_name)
        await super().disconnect(code)

    async def escalation_changed(self, event: dict) -> None:
        await self.forward(event)


class EscalationConsumer(BoardConsumer):
    """``/ws/escalations/<reference>/``: changes of one escalation."""

    escalation_id: int | None = None

    def target_groups(self) -> list[str]:
        return [events.escalation_group(self.escalation_id)]

    @database_sync_to_async
    def _find(self, user, reference: str) -> int | None:
        try:
            return selectors.escalation_get(user=user, reference=reference).pk
        except DomainError:
            return None

    async def resolve(self, user) -> int | None:
        reference = self.scope["url_route"]["kwargs"]["reference"]
        self.escalation_id = await self._find(user, reference)
        return CLOSE_NOT_FOUND if self.escalation_id is None else None
