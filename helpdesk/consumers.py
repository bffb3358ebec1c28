"""Desk websocket: agents watching a ticket hear when someone else changes it.

This is the "agent collision" notice: the page offers to reload before the agent
writes over a change they have not seen (the version check refuses it anyway).
"""

from __future__ import annotations

import json

from channels.db import database_sync_to_async
from channels.generic.websocket import AsyncWebsocketConsumer
from django.contrib.auth import get_user_model

from helpdesk import events, permissions, selectors
from helpdesk.errors import DomainError


class TicketWatchConsumer(AsyncWebsocketConsumer):
    group: str | None = None

    @database_sync_to_async
    def _ticket_for(self, user, reference: str):
        if not permissions.can_view_all_tickets(user):
            return None
        try:
            return selectors.ticket_get(user=user, reference=reference)
        except DomainError:
            return None

    @database_sync_to_async
    def _still_allowed(self) -> bool:
        # A fresh row, not the handshake's user: that object caches its permissions
        # and its is_active flag for the whole life of the socket.
        user = get_user_model().objects.filter(pk=self.user.pk).first()
        return user is not None and permissions.can_view_all_tickets(user)

    async def connect(self) -> None:
        user = self.scope.get("user")
        ticket = await self._ticket_for(user, self.scope["url_route"]["kwargs"]["reference"])
        if ticket is None:
            # Not found and not allowed look the same. Accepting before closing lets
            # the client read the code (a refused handshake arrives as a bare 1006)
            # and stop reconnecting.
            await self.accept()
            await self.close(code=4404)
            return
        self.user = user
        self.reference = ticket.reference
        self.group = events.ticket_group(ticket.pk)
        await self.channel_layer.group_add(self.group, self.channel_name)
        await self.accept()
        await self.send(text_data=json.dumps({"type": "hello", "ticket": ticket.reference, "version": ticket.version}))

    async def disconnect(self, code: int) -> None:
        if self.group:
            await self.channel_layer.group_discard(self.group, self.channel_name)

    async def receive(self, text_data: str | None = None, bytes_data: bytes | None = None) -> None:
        try:
            frame = json.loads(text_data or "")
        except ValueError:
            await self.send(text_data=json.dumps({"type": "error", "code": "bad_json", "detail": "Frames are JSON."}))
            return
        if not isinstance(frame, dict) or frame.get("type") != "ping":
            await self.send(
                text_data=json.dumps({"type": "error", "code": "unknown_type", "detail": "Only ping is understood."})
            )
            return
        # Rights can be withdrawn while a socket is open: check on every command.
        if not await self._still_allowed():
            await self.close(code=4403)
            return
        await self.send(text_data=json.dumps({"type": "pong"}))

    async def ticket_changed(self, event: dict) -> None:
        await self.send(text_data=json.dumps(event))
