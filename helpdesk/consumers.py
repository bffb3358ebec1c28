"""Desk websockets.

``AccessCheckedConsumer`` is the base of every socket a signed-in person opens: it
joins their user and session groups, closes when their access ends (deactivated,
password changed, signed out: ``helpdesk.access``), re-checks their rights when
their roles change, on every command and before every event it forwards, and reads
frames with ``helpdesk.jsonsafe``. ``TicketWatchConsumer`` is the "agent collision"
notice: agents watching a ticket hear when someone else changes it, and the page
offers to reload before they write over a change they have not seen (the version
check refuses it anyway); they also hear who else has the ticket open and who is
typing on it (``presence`` frames). ``DeskConsumer`` is the inbox's socket: every ticket
change on the desk as a compact line, from which the page decides whether to fetch
its rows again.
"""

from __future__ import annotations

import hashlib
import json
import time

from channels.db import database_sync_to_async
from channels.generic.websocket import AsyncWebsocketConsumer

from helpdesk import access, events, permissions, selectors
from helpdesk.errors import DomainError
from helpdesk.socketkit import AccessCheckedConsumer

# A client sends ``typing`` as keys are pressed; the others hear of it at most this often.
TYPING_BROADCAST_SECONDS = 2.0


class TicketWatchConsumer(AccessCheckedConsumer):
    """``/ws/tickets/<reference>/``: changes of one ticket, and the presence of the others looking at it.

    Client frames: ``ping`` (every 30 s; answered ``pong``, and tells the others this
    viewer is still here), ``{"type": "typing", "mode": "reply" | "note"}``. Server
    frames: ``hello``, ``ticket.changed``, ``presence`` (``events.presence_frame``) and
    ``error``. Nobody hears their own presence (nor that of their other tabs).
    """

    group: str | None = None
    conn: str = ""
    username: str = ""
    name: str = ""
    typing_sent_at: float = 0.0

    def is_allowed(self, user) -> bool:
        return permissions.can_watch_tickets_live(user)

    @database_sync_to_async
    def _ticket_for(self, user, reference: str):
        if not permissions.can_watch_tickets_live(user):
            return None
        try:
            ticket = selectors.ticket_get(user=user, reference=reference)
        except DomainError:
            return None
        self.username, self.name = user.get_username(), user.get_full_name() or user.get_username()
        return ticket

    async def connect(self) -> None:
        user = self.scope.get("user")
        ticket = await self._ticket_for(user, self.scope["url_route"]["kwargs"]["reference"])
        if ticket is None:
            # Not found and not allowed look the same. Accepting before closing lets
            # the client read the code (a refused handshake arrives as a bare 1006)
            # and stop reconnecting.
            await self.accept()
            await self.end(4404)
            return
        await self.start_access(user)
        self.group = events.ticket_group(ticket.pk)
        # Channel names are the layer's business: the clients see only a short hash of one.
        self.conn = hashlib.sha256(self.channel_name.encode()).hexdigest()[:16]
        await self.channel_layer.group_add(self.group, self.channel_name)
        await self.accept()
        await self.send(text_data=json.dumps({"type": "hello", "ticket": ticket.reference, "version": ticket.version}))
        await self._announce(events.VIEWING, reply_to=self.channel_name)

    async def disconnect(self, code: int) -> None:
        if self.group:
            if self.conn:
                await self._announce(events.LEFT)
            await self.channel_layer.group_discard(self.group, self.channel_name)
        await super().disconnect(code)

    def _presence(self, state: str, *, mode: str | None = None, reply_to: str | None = None) -> dict:
        return events.presence_payload(
            conn=self.conn, username=self.username, name=self.name, state=state, mode=mode, reply_to=reply_to
        )

    async def _announce(self, state: str, *, mode: str | None = None, reply_to: str | None = None) -> None:
        await self.channel_layer.group_send(self.group, self._presence(state, mode=mode, reply_to=reply_to))

    async def receive(self, text_data: str | None = None, bytes_data: bytes | None = None) -> None:
        frame = await self.read_frame(text_data, bytes_data)
        if frame is None:
            return
        kind = frame.get("type")
        if kind not in ("ping", "typing"):
            await self.send_error("unknown_type", "Frames here are ping and typing.")
            return
        mode = frame.get("mode", "reply")
        if kind == "typing" and mode not in events.TYPING_MODES:
            await self.send_error("bad_mode", "A typing frame's mode is reply or note.")
            return
        # Rights can be withdrawn while a socket is open: checked on every command.
        if not await self.ensure_access():
            return
        if kind == "ping":
            await self.send(text_data=json.dumps({"type": "pong"}))
            await self._announce(events.VIEWING)  # the heartbeat the others expire silent viewers by
            return
        now = time.monotonic()
        if now - self.typing_sent_at >= TYPING_BROADCAST_SECONDS:
            self.typing_sent_at = now
            await self._announce(events.TYPING, mode=mode)

    async def ticket_changed(self, event: dict) -> None:
        await self.forward(event)

    async def ticket_presence(self, event: dict) -> None:
        # Nobody hears of themselves, nor of their own other tabs on the ticket.
        if event.get("conn") == self.conn or event.get("user", {}).get("username") == self.username:
            return
        await self.forward(events.presence_frame(event))
        reply_to = event.get("reply_to")
        if reply_to and not self.closing:
            # A newcomer: tell them this viewer was already here.
            await self.channel_layer.send(reply_to, self._presence(events.VIEWING))


class DeskConsumer(AccessCheckedConsumer):
    """``/ws/desk/``: the inbox hears of every ticket change (``events.desk_group``) and refreshes its rows.

    A line names the ticket, its version and status, the kinds of change and who made
    them, never a subject or message text; the page fetches its rows through the
    selectors. Anyone not on the desk is refused after the handshake, so the page can
    read why and stop reconnecting: 4401 not signed in, 4403 not on the desk.
    """

    joined = False

    def is_allowed(self, user) -> bool:
        return permissions.can_watch_desk_live(user)

    @database_sync_to_async
    def _refusal(self, user) -> int | None:
        if user is None or not user.is_authenticated:
            return access.CLOSE_SIGNED_OUT
        return None if permissions.can_watch_desk_live(user) else access.CLOSE_FORBIDDEN

    async def connect(self) -> None:
        user = self.scope.get("user")
        code = await self._refusal(user)
        if code is not None:
            await self.accept()
            await self.end(code)
            return
        await self.start_access(user)
        await self.channel_layer.group_add(events.desk_group(), self.channel_name)
        self.joined = True
        await self.accept()
        await self.send(text_data=json.dumps({"type": "hello"}))

    async def disconnect(self, code: int) -> None:
        if self.joined:
            await self.channel_layer.group_discard(events.desk_group(), self.channel_name)
        await super().disconnect(code)

    async def desk_tickets_changed(self, event: dict) -> None:
        await self.forward(event)


class NotificationConsumer(AccessCheckedConsumer):
    """``/ws/notifications/``: the top bar's bell hears that its person has a new notice, and fetches the count.

    Frames carry no notice text (``{"type": "notification.new"}``); the page asks the
    selectors. Desk users only: 4401 not signed in, 4403 not on the desk.
    """

    def is_allowed(self, user) -> bool:
        return permissions.is_desk_user(user)

    @database_sync_to_async
    def _refusal(self, user) -> int | None:
        if user is None or not user.is_authenticated:
            return access.CLOSE_SIGNED_OUT
        return None if permissions.is_desk_user(user) else access.CLOSE_FORBIDDEN

    async def connect(self) -> None:
        user = self.scope.get("user")
        code = await self._refusal(user)
        if code is not None:
            await self.accept()
            await self.end(code)
            return
        await self.start_access(user)  # the user's group is where notices are announced
        await self.accept()

    async def notification_new(self, event: dict) -> None:
        await self.forward({"type": events.NOTIFICATION_NEW})


class NoRouteConsumer(AsyncWebsocketConsumer):
    """Any websocket path no route matches: the handshake is refused (403), not answered with a 500."""

    async def connect(self) -> None:
        await self.close()
