"""The base of every websocket a signed-in person opens, in any app (desk, escalations, live sessions).

``AccessCheckedConsumer`` joins its user's and session's groups, closes when their access
ends (deactivated, password changed, signed out: ``helpdesk.access``), re-checks their
rights when their roles change, on every command and before every event it forwards,
and reads frames with ``helpdesk.jsonsafe``. It lives outside ``helpdesk.consumers`` so
the other apps' consumers share it without importing the desk's sockets.
"""

from __future__ import annotations

import json
from typing import Any

from autobahn.exception import Disconnected
from channels.db import database_sync_to_async
from channels.generic.websocket import AsyncWebsocketConsumer

from helpdesk import access, events, jsonsafe


class AccessCheckedConsumer(AsyncWebsocketConsumer):
    """A socket that lives only as long as its user's access.

    Subclasses authorise in ``connect()``, then ``await self.start_access(user)``
    before accepting; they say in :meth:`is_allowed` which right the socket needs,
    read frames with :meth:`read_frame`, and send events with :meth:`forward`.
    """

    user: Any = None
    session_key: str | None = None
    access_groups: tuple[str, ...] = ()
    closing = False

    def is_allowed(self, user) -> bool:
        """The right this socket needs, asked of a freshly loaded user (runs in a database thread)."""
        raise NotImplementedError

    async def start_access(self, user) -> None:
        self.user = user
        session = self.scope.get("session")
        self.session_key = getattr(session, "session_key", None)
        groups = [events.user_group(user.pk)]
        if self.session_key:
            groups.append(events.session_group(self.session_key))
        for group in groups:
            await self.channel_layer.group_add(group, self.channel_name)
        self.access_groups = tuple(groups)

    async def disconnect(self, code: int) -> None:
        for group in self.access_groups:
            await self.channel_layer.group_discard(group, self.channel_name)

    @database_sync_to_async
    def _access_close_code(self) -> int | None:
        return access.socket_access(user_id=self.user.pk, session_key=self.session_key, allowed=self.is_allowed)

    async def send(self, text_data=None, bytes_data=None, close=False) -> None:
        """Send, unless the client has already gone: then the socket is closing and nothing is raised.

        Daphne drops sends only once the connection is fully closed; between the client's
        close frame and that, its WebSocket library raises ``Disconnected``. An event that
        was on its way (a listeners frame as a window closes) is not an error.
        """
        try:
            await super().send(text_data=text_data, bytes_data=bytes_data, close=close)
        except Disconnected:
            self.closing = True

    async def end(self, code: int) -> None:
        if not self.closing:
            self.closing = True
            await self.close(code=code)

    async def ensure_access(self) -> bool:
        """Whether the socket may go on; if not it is closed, with the code saying why."""
        if self.closing:
            return False
        code = await self._access_close_code()
        if code is not None:
            await self.end(code)
            return False
        return True

    async def forward(self, event: dict) -> None:
        """Send an event to the client, after checking that its user still may hear it."""
        if await self.ensure_access():
            await self.send(text_data=json.dumps(event))

    async def send_error(self, code: str, detail: str) -> None:
        await self.send(text_data=json.dumps({"type": "error", "code": code, "detail": detail}))

    async def read_frame(self, text_data: str | None, bytes_data: bytes | None) -> dict | None:
        """The frame as a JSON object, or None after answering with an error frame (the socket stays open)."""
        if self.closing:
            return None
        try:
            frame = jsonsafe.loads(text_data if text_data is not None else (bytes_data or b""))
        except jsonsafe.UnsafeJSON as error:
            await self.send_error("bad_json", f"Frames are JSON objects: {error}.")
            return None
        if not isinstance(frame, dict):
            await self.send_error("unknown_type", "Frames are JSON objects with a type.")
            return None
        return frame

    async def receive(self, text_data: str | None = None, bytes_data: bytes | None = None) -> None:
        """Sockets that take no commands understand ``ping`` (answered with ``pong`` while access holds)."""
        frame = await self.read_frame(text_data, bytes_data)
        if frame is None:
            return
        if frame.get("type") != "ping":
            await self.send_error("unknown_type", "Only ping is understood.")
            return
        # Rights can be withdrawn while a socket is open: checked on every command.
        if await self.ensure_access():
            await self.send(text_data=json.dumps({"type": "pong"}))

    # Group messages from helpdesk.access (never sent on to the client).
    async def access_revoked(self, event: dict) -> None:
        await self.end(access.close_code_for(event.get("reason", "")))

    async def access_recheck(self, event: dict) -> None:
        await self.ensure_access()

    # A new notice for this person (helpdesk.events.broadcast_notifications): only the
    # notification socket passes it on; every other socket in the user's group ignores it.
    async def notification_new(self, event: dict) -> None:
        return None
