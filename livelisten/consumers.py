"""Live chat sockets: participants, listeners, the listeners' dashboard and the agents' queue.

Delivery does not trust the channel layer. Every line is in the database with its
number before it is announced; each socket remembers the highest number it has dealt
with (``last_seq``, whispers included even where they are not shown), drops what it
has already seen, and when an announcement skips numbers (the Redis layer drops
silently when a channel is over capacity; two processes' broadcasts may cross) it
reads the gap from the database in order. A client reconnecting with ``?after=N``
gets exactly what it missed. Pings (every 25 s from the pages) also re-join the
group and look for a gap, so a restarted Redis, which forgets group memberships,
costs at most one ping interval.

Refusals follow the desk's sockets: accepted, then closed with 4401 (not signed in),
4403 (not allowed) or 4404 (no such session, or not yours), so clients can read the
code and stop reconnecting. A bad frame gets an error frame; the socket stays open.
"""

from __future__ import annotations

import asyncio
import hashlib
import json
import logging
import time
from collections import deque
from urllib.parse import parse_qs

from django.contrib.auth import get_user_model

from helpdesk import access
from helpdesk.errors import DomainError, NotFound
from helpdesk.socketkit import AccessCheckedConsumer
from livelisten import events, housekeeping, permissions, selectors, services
from livelisten.dbthreads import on_chat_threads
from livelisten.models import ChatSession, MessageKind

logger = logging.getLogger(__name__)

CLOSE_NOT_FOUND = 4404
CLOSE_BAD_REQUEST = 4400
# Frames larger than this are refused with an error frame (the text itself: 8 KB).
MAX_FRAME_BYTES = 64 * 1024
# Lines (messages and whispers) one connection may send within the window.
RATE_LIMIT_COUNT = 20
RATE_LIMIT_SECONDS = 10.0
# Rights are re-checked on every command; before forwarding a line the account is, at most this often (a query), since
# sign-out, deactivation and role changes reach the socket at once (helpdesk.access).
FORWARD_CHECK_SECONDS = 30.0
# Rights checked for a command stand this long for the next one (each check is a query and a signature).
COMMAND_CHECK_SECONDS = 5.0
# An account's check stands this long for every socket of that person, browser session and right in the process.
ACCOUNT_CHECK_SECONDS = 5.0
TYPING_BROADCAST_SECONDS = 2.0
# A listen socket marks itself open at most this often (pings come every 25 s; a row unmarked for
# selectors.LISTENER_FRESH_SECONDS is a listener whose process died): one write per socket per minute or so.
LISTENER_TOUCH_SECONDS = selectors.LISTENER_FRESH_SECONDS / 2 - 5
CATCH_UP_BATCH = 500
# How long a line that skipped numbers waits for the missing ones before they are read from the database.
GAP_WAIT_SECONDS = 0.5

# What the customer's copy of the session object leaves out: who listens, and the count of
# every line (whispers included), which would tell them whispers were written.
CUSTOMER_HIDDEN_FIELDS = ("listeners", "offered_to", "last_seq")

ERROR_CODES = {
    "InvalidInput": "invalid",
    "TransitionNotAllowed": "not_allowed",
    "ActionForbidden": "forbidden",
    "NotFound": "not_found",
    "StaleVersion": "conflict",
    "RateLimited": "rate_limited",
}


# Account checks shared by one person's sockets: (user, browser session, by ticket, right) -> (until, code, user).
_account_checks: dict[tuple, tuple[float, int | None, object]] = {}
_ACCOUNT_CHECKS_MAX = 20_000


def forget_account_checks(user_id: int | None = None) -> None:
    """Drop the shared account checks of one person (an access event came), or all of them."""
    if user_id is None:
        _account_checks.clear()
        return
    for key in [key for key in list(_account_checks) if key[0] == user_id]:
        _account_checks.pop(key, None)


def _query(scope) -> dict[str, str]:
    parsed = parse_qs(scope.get("query_string", b"").decode("latin-1"), keep_blank_values=True)
    return {key: values[-1] for key, values in parsed.items()}


class ChatSocket(AccessCheckedConsumer):
    """What every chat socket shares: who the user is (cookie or ticket), frame limits, errors, rights."""

    by_ticket = False
    conn = ""
    checked_at = 0.0
    forward_checked_at = 0.0

    async def resolve_user(self):
        """The scope's user, or the one a ``?ticket=`` stands for (used once, within 30 s)."""
        key = _query(self.scope).get("ticket")
        if key is not None:
            self.by_ticket = True
            return await on_chat_threads(services.socket_ticket_redeem)(key=key)
        user = self.scope.get("user")
        return user if user is not None and user.is_authenticated else None

    async def refuse(self, code: int) -> None:
        await self.accept()
        await self.end(code)

    async def start(self, user) -> None:
        self.conn = hashlib.sha256(self.channel_name.encode()).hexdigest()[:32]
        await self.start_access(user)
        self.checked_at = time.monotonic()

    @on_chat_threads
    def _access_close_code(self) -> int | None:
        return self._access_close_code_now()

    # The right the account needs, whatever the session ("" for none beyond an active account);
    # part of the key of the account checks shared by one person's sockets in this process.
    account_right = ""

    def account_allowed(self, user) -> bool:
        return self.is_allowed(user)

    def session_allowed(self, user) -> bool:
        """What this socket's session asks beyond the account (a fresh user is passed in)."""
        return True

    def _account_close_code(self) -> tuple[int | None, object]:
        """(close code or None, the freshly loaded user) for this socket's account and right.

        Shared for ``ACCOUNT_CHECK_SECONDS`` by every socket of the same person, browser
        session and right in this process (a listener may shadow dozens of chats; each
        socket's own check was most of a server's work under load). Access events
        (sign-out, deactivation, changed roles) drop the person's entries at once.
        """
        key = (self.user.pk, self.session_key, self.by_ticket, self.account_right)
        now = time.monotonic()
        known = _account_checks.get(key)
        if known is not None and now < known[0]:
            return known[1], known[2]
        user = None
        if not self.by_ticket:
            holder = []

            def allowed(fresh) -> bool:
                holder.append(fresh)
                return self.account_allowed(fresh)

            code = access.socket_access(user_id=self.user.pk, session_key=self.session_key, allowed=allowed)
            user = holder[0] if holder else None
        else:
            # A ticket has no browser session to end: the account and the right are what count.
            user = get_user_model()._default_manager.filter(pk=self.user.pk, is_active=True).first()
            code = access.CLOSE_FORBIDDEN if user is None or not self.account_allowed(user) else None
        if len(_account_checks) >= _ACCOUNT_CHECKS_MAX:
            for stale in [k for k, v in list(_account_checks.items()) if v[0] <= now]:
                _account_checks.pop(stale, None)
            if len(_account_checks) >= _ACCOUNT_CHECKS_MAX:
                _account_checks.clear()
        _account_checks[key] = (now + ACCOUNT_CHECK_SECONDS, code, user)
        return code, user

    def _access_close_code_now(self) -> int | None:
        code, user = self._account_close_code()
        if code is not None:
            return code
        return None if self.session_allowed(user) else access.CLOSE_FORBIDDEN

    async def access_recheck(self, event: dict) -> None:
        forget_account_checks(self.user.pk)
        await super().access_recheck(event)

    async def access_revoked(self, event: dict) -> None:
        forget_account_checks(self.user.pk)
        await super().access_revoked(event)

    async def rejoin(self, *groups: str) -> None:
        """Join again every group this socket listens on: a Redis restart (or the layer's group expiry) forgets them."""
        for group in (*self.access_groups, *groups):
            await self.channel_layer.group_add(group, self.channel_name)

    async def ensure_access(self) -> bool:
        allowed = await super().ensure_access()
        self.checked_at = time.monotonic()
        return allowed

    async def ensure_access_for_command(self) -> bool:
        """Rights before a command; a check made within the last 5 seconds stands (a chat sends lines in bursts).

        Sign-out, deactivation and changed roles reach the socket at once as events
        (``helpdesk.access``), so this bound only covers changes made around the ORM.
        """
        if self.closing:
            return False
        if not self.command_check_due():
            return True
        return await self.ensure_access()

    def command_check_due(self) -> bool:
        return time.monotonic() - self.checked_at >= COMMAND_CHECK_SECONDS

    @on_chat_threads
    def _account_refusal(self) -> int | None:
        return self._account_close_code()[0]

    async def deliver(self, frame: dict) -> None:
        """Send a frame, re-checking the account when its last check is more than ``FORWARD_CHECK_SECONDS`` old.

        The account only (signed out, deactivated, the right withdrawn), shared by the
        person's sockets: what the session asks (a transfer, an end) comes as an event,
        and each of those is checked in full (``chat_session``).
        """
        if self.closing:
            return
        now = time.monotonic()
        if now - max(self.checked_at, self.forward_checked_at) > FORWARD_CHECK_SECONDS:
            self.forward_checked_at = now
            refusal = await self._account_refusal()
            if refusal is not None:
                await self.end(refusal)
                return
        await self.send(text_data=json.dumps(frame))

    async def send_error(self, code: str, detail: str, *, field: str | None = None, client_id=None) -> None:
        """An error frame; ``client_id`` names the refused line, so the client can mark it as not sent."""
        frame = {"type": "error", "code": code, "detail": detail}
        if field:
            frame["field"] = field
        if isinstance(client_id, str) and client_id:
            frame["client_id"] = client_id[:64]
        await self.send(text_data=json.dumps(frame))

    async def send_domain_error(self, error: DomainError, *, client_id=None) -> None:
        await self.send_error(
            ERROR_CODES.get(type(error).__name__, "invalid"), error.message, field=error.field, client_id=client_id
        )

    async def read_frame(self, text_data: str | None, bytes_data: bytes | None) -> dict | None:
        size = len(text_data.encode("utf-8", "surrogatepass")) if text_data is not None else len(bytes_data or b"")
        if size > MAX_FRAME_BYTES:
            await self.send_error("too_large", f"Frames are at most {MAX_FRAME_BYTES // 1024} KB.")
            return None
        return await super().read_frame(text_data, bytes_data)


class SessionSocket(ChatSocket):
    """A socket on one session's lines: replay, live delivery with gap reads, typing, rate limit."""

    session_id: int | None = None
    role: str | None = None  # "customer", "agent", "manager" on the participant socket; "listener" here
    last_seq = 0
    last_visible = 0  # the last line this socket showed (the customer's pong says this, not last_seq)
    joined = False
    typing_sent_at = 0.0
    shows_listeners = True
    last_listeners: list | None = None
    sent_times: deque

    def visible(self, frame: dict) -> bool:
        return frame["kind"] != MessageKind.WHISPER or permissions.can_see_whispers(self.role)

    def may_see_listeners(self) -> bool:
        return permissions.can_see_listeners(self.role, agent_shows_listeners=self.shows_listeners)

    async def after_or_refuse(self) -> int | None:
        """``?after=`` as a number, or None once the socket is refused with an error frame and 4400."""
        after = self.after_from_query()
        if after is None:
            await self.accept()
            await self.send_error("invalid", "after is the number of the last message you have (0 or more).", field="after")
            await self.end(CLOSE_BAD_REQUEST)
        return after

    def after_from_query(self) -> int | None:
        raw = _query(self.scope).get("after")
        if raw is None or raw == "":
            return 0
        try:
            after = int(raw)
        except ValueError:
            return None
        return after if after >= 0 else None

    @on_chat_threads
    def session_is_live(self) -> bool:
        return ChatSession.objects.filter(pk=self.session_id).exclude(status="ended").exists()

    @on_chat_threads
    def has_barged(self) -> bool:
        return self.user.pk in selectors.member_ids(self.session_id)

    async def join(self) -> None:
        await self.channel_layer.group_add(events.session_group(self.session_id), self.channel_name)
        self.joined = True
        self.sent_times = deque()

    def __init__(self, *args, **kwargs) -> None:
        super().__init__(*args, **kwargs)
        self.held: dict[int, dict] = {}  # lines above last_seq + 1, by number, until the gap closes
        self.gap_timer: asyncio.TimerHandle | None = None
        self.gap_task: asyncio.Future | None = None
        self.order = asyncio.Lock()  # one line at a time, in order: handlers and the gap timer's read

    async def disconnect(self, code: int) -> None:
        if self.gap_timer is not None:
            self.gap_timer.cancel()
        if self.gap_task is not None:
            self.gap_task.cancel()
        if self.joined:
            await self.channel_layer.group_discard(events.session_group(self.session_id), self.channel_name)
        await super().disconnect(code)

    @on_chat_threads
    def _rows_after(self, after: int) -> list[dict]:
        return self._rows_after_now(after)

    def _rows_after_now(self, after: int) -> list[dict]:
        rows = selectors.messages_after(session_id=self.session_id, after=after, role="listener", limit=CATCH_UP_BATCH)
        return [events.message_frame(row) for row in rows]

    async def catch_up(self) -> None:
        """Send, in order, every stored line above ``last_seq`` this socket may see."""
        if time.monotonic() - self.checked_at > FORWARD_CHECK_SECONDS and not await self.ensure_access():
            return
        async with self.order:
            while not self.closing:
                frames = await self._rows_after(self.last_seq)
                for frame in frames:
                    await self.show(frame)
                if len(frames) < CATCH_UP_BATCH:
                    break
            await self.show_held()

    async def show(self, frame: dict) -> None:
        """The next line in order: counted, and sent if this person may see it."""
        if frame["seq"] <= self.last_seq:
            return
        self.last_seq = frame["seq"]
        if self.visible(frame):
            self.last_visible = frame["seq"]
            await self.deliver(frame)

    async def show_held(self) -> None:
        """Lines held for a gap that has closed, in order; the gap timer goes once nothing waits."""
        while self.last_seq + 1 in self.held:
            await self.show(self.held.pop(self.last_seq + 1))
        for seq in [seq for seq in self.held if seq <= self.last_seq]:
            del self.held[seq]
        if not self.held and self.gap_timer is not None:
            self.gap_timer.cancel()
            self.gap_timer = None

    async def take(self, frame: dict) -> None:
        """A stored line from the group or the sender's echo: shown in order, held while numbers before it are missing.

        Announcements are sent in commit order per process, but the echo of one's own line
        may come before the group's copy of an earlier one, and two processes' announcements
        cross. Held lines wait ``GAP_WAIT_SECONDS`` for the missing ones; then (a dropped
        announcement) the gap is read from the database.
        """
        if self.closing:
            return
        async with self.order:
            seq = frame["seq"]
            if seq <= self.last_seq:
                return
            if seq > self.last_seq + 1:
                self.held[seq] = frame
                if self.gap_timer is None:
                    self.gap_timer = asyncio.get_running_loop().call_later(GAP_WAIT_SECONDS, self._gap_expired)
                return
            await self.show(frame)
            await self.show_held()

    def _gap_expired(self) -> None:
        self.gap_timer = None
        if self.held and not self.closing:
            self.gap_task = asyncio.ensure_future(self._fill_gap())

    async def _fill_gap(self) -> None:
        try:
            await self.catch_up()
        except Exception:  # the next line, ping or reconnect reads the gap again
            logger.exception("reading a chat gap failed (session %s)", self.session_id)

    async def chat_message(self, event: dict) -> None:
        await self.take(event["frame"])

    async def chat_typing(self, event: dict) -> None:
        if event.get("conn") == self.conn:
            return
        sender = event["sender"]
        if self.role == "customer" and sender.get("role") not in ("agent", "manager"):
            return
        await self.deliver({"type": "typing", "sender": sender})

    async def send_listeners(self, listeners: list[dict]) -> None:
        """The listeners frame, unless this socket was last told exactly that (its own arrival, say)."""
        if listeners != self.last_listeners:
            self.last_listeners = listeners
            await self.deliver({"type": "listeners", "listeners": listeners})

    async def chat_listeners(self, event: dict) -> None:
        if self.may_see_listeners():
            await self.send_listeners(event["listeners"])

    async def chat_session(self, event: dict) -> None:
        frame = event["frame"]
        # A transfer or an end may take this person out of the session: check now, not in 5 s.
        if not await self.ensure_access():
            return
        session = dict(frame["session"])
        if self.role == "customer":
            for private in CUSTOMER_HIDDEN_FIELDS:
                session.pop(private, None)
        if frame["type"] == events.SESSION_ENDED:
            await self.catch_up()  # the last lines before the end
        await self.send(text_data=json.dumps({"type": frame["type"], "session": session}))
        if frame["type"] == events.SESSION_ENDED:
            await self.end(1000)

    def rate_limited(self) -> bool:
        now = time.monotonic()
        while self.sent_times and now - self.sent_times[0] > RATE_LIMIT_SECONDS:
            self.sent_times.popleft()
        if len(self.sent_times) >= RATE_LIMIT_COUNT:
            return True
        self.sent_times.append(now)
        return False

    @on_chat_threads
    def _checked_store(self, function, frame: dict, check: bool):
        """(close code, None) when the rights check (if due) fails; else (None, (message, created)).

        The check and the line share one trip to a database thread: a line is the chat's
        hot path, and a second trip per line (to the thread every socket shares) was where
        lines queued under load.
        """
        if check:
            # The account only: the line itself asks whether this person is in the session
            # (its numbering row says who the customer and the agent are).
            refusal, _ = self._account_close_code()
            if refusal is not None:
                return refusal, None
        line = function(actor=self.user, session_id=self.session_id, body=frame.get("body"), client_id=frame.get("client_id"))
        return None, line

    async def post(self, function, frame: dict) -> None:
        """Store a line through ``function`` and echo it to its sender in order."""
        if self.rate_limited():
            await self.send_error(
                "rate_limited",
                f"At most {RATE_LIMIT_COUNT} messages in {int(RATE_LIMIT_SECONDS)} seconds; wait a moment.",
                client_id=frame.get("client_id"),
            )
            return
        if self.closing:
            return
        check = self.command_check_due()
        try:
            refusal, stored_line = await self._checked_store(function, frame, check)
        except DomainError as error:
            await self.send_domain_error(error, client_id=frame.get("client_id"))
            if isinstance(error, NotFound):
                await self.ensure_access()  # no longer in the session: the socket closes
            return
        if check:
            self.checked_at = time.monotonic()
        if refusal is not None:
            await self.end(refusal)
            return
        message, created = stored_line
        stored = events.message_frame(message)
        if message.seq > self.last_seq:
            await self.take(stored)  # after the lines before it, in order
        elif not created:
            # A resend of a line this socket already has: the stored line back, so the client settles it.
            await self.send(text_data=json.dumps(stored))

    async def typing(self, role: str) -> None:
        now = time.monotonic()
        if now - self.typing_sent_at >= TYPING_BROADCAST_SECONDS:
            self.typing_sent_at = now
            await events.send_typing(session_id=self.session_id, sender=events.sender_of(self.user, role), conn=self.conn)

    async def heartbeat(self) -> None:
        """``ping``: re-join the groups (a restarted Redis forgot them) and read any gap."""
        await self.rejoin(events.session_group(self.session_id))
        await self.catch_up()
        await self.send(text_data=json.dumps({"type": "pong", "seq": self.last_visible}))
        await housekeeping.sweep_now_and_then()


class ParticipantConsumer(SessionSocket):
    """``/ws/sessions/<id>/``: the customer, the agent, and managers who barged in.

    Client frames: ``message`` (``body``, ``client_id``), ``typing``, ``ping``. Server
    frames: ``message``, ``typing``, ``listeners`` (never to the customer, and to the
    agent unless they hid it), ``session.updated``/``session.ended``, ``error``.
    """

    account_right = "participant"

    def is_allowed(self, user) -> bool:
        return self.session_allowed(user)

    def account_allowed(self, user) -> bool:
        return True  # any active account: what counts is its part in the session

    def session_allowed(self, user) -> bool:
        session = ChatSession.objects.filter(pk=self.session_id).only("customer_id", "agent_id", "status").first()
        return session is not None and permissions.role_in(user, session) is not None

    @on_chat_threads
    def _find(self, user, raw_id: str):
        try:
            session = selectors.session_get(user=user, session_id=raw_id)
        except DomainError:
            return None, None, True
        role = permissions.role_in(user, session)
        shows = selectors.shows_listeners(session.agent_id)
        selectors.remember_session(session)
        return session, role, shows

    @on_chat_threads
    def _listeners(self) -> list[dict]:
        return selectors.listeners_of(self.session_id)

    async def connect(self) -> None:
        user = await self.resolve_user()
        if user is None:
            await self.refuse(access.CLOSE_SIGNED_OUT)
            return
        session, role, shows = await self._find(user, self.scope["url_route"]["kwargs"]["session_id"])
        if session is None or role is None:
            await self.refuse(CLOSE_NOT_FOUND)
            return
        after = await self.after_or_refuse()
        if after is None:
            return
        self.session_id, self.role, self.shows_listeners, self.last_seq = session.pk, role, shows, after
        await self.start(user)
        await self.join()
        await self.accept()
        await self.catch_up()
        if self.may_see_listeners():
            await self.send_listeners(await self._listeners())
        # Read again now that the socket hears the group: an end committed while it connected
        # was announced before it joined.
        if not await self.session_is_live():
            await self.catch_up()
            await self.end(1000)

    async def receive(self, text_data: str | None = None, bytes_data: bytes | None = None) -> None:
        frame = await self.read_frame(text_data, bytes_data)
        if frame is None:
            return
        kind = frame.get("type")
        if kind not in ("message", "typing", "ping"):
            await self.send_error("unknown_type", "Frames here are message, typing and ping.", field="type")
            return
        if kind == "message":
            await self.post(services.message_post, frame)  # rights checked with the line, in one trip
            return
        if not await self.ensure_access_for_command():
            return
        if kind == "typing":
            await self.typing(self.role)
        else:
            await self.heartbeat()


class ListenConsumer(SessionSocket):
    """``/ws/sessions/<id>/listen/``: a listener's shadow view (every line, whispers included).

    After the replay comes ``{"type": "live", "seq": N}``, then everything live. Client
    frames: ``whisper`` (``body``, ``client_id``), ``barge``, ``message`` (after barging),
    ``leave``, ``typing`` (heard only after barging), ``ping``.
    """

    role = "listener"
    registered = False
    touched_at = 0.0

    account_right = "listen"

    def is_allowed(self, user) -> bool:
        return self.account_allowed(user) and self.session_allowed(user)

    def account_allowed(self, user) -> bool:
        return permissions.can_listen(user)

    def session_allowed(self, user) -> bool:
        return ChatSession.objects.filter(pk=self.session_id).exists()

    @on_chat_threads
    def _find(self, user, raw_id: str):
        if not permissions.can_listen(user):
            return None, access.CLOSE_FORBIDDEN
        try:
            session = selectors.session_get(user=user, session_id=raw_id)
        except DomainError:
            return None, CLOSE_NOT_FOUND
        selectors.remember_session(session)
        return session, None

    @on_chat_threads
    def _register(self):
        services.listen_start(actor=self.user, session_id=self.session_id, connection=self.conn)
        return selectors.listeners_of(self.session_id), self.user.pk in selectors.member_ids(self.session_id)

    async def connect(self) -> None:
        user = await self.resolve_user()
        if user is None:
            await self.refuse(access.CLOSE_SIGNED_OUT)
            return
        session, code = await self._find(user, self.scope["url_route"]["kwargs"]["session_id"])
        if code is not None:
            await self.refuse(code)
            return
        after = await self.after_or_refuse()
        if after is None:
            return
        self.session_id, self.last_seq = session.pk, after
        await self.start(user)
        await self.join()
        if not session.is_live:
            # An ended chat can still be read from the start; nobody is listening to it any more.
            await self.accept()
            await self.catch_up()
            await self.send(text_data=json.dumps({"type": "live", "seq": self.last_seq}))
            await self.end(1000)
            return
        listeners, barged = await self._register()
        self.registered = True
        self.touched_at = time.monotonic()
        await self.accept()
        await self.catch_up()
        await self.send(text_data=json.dumps({"type": "live", "seq": self.last_seq}))
        await self.send(text_data=json.dumps({"type": "mode", "mode": "barge" if barged else "listen"}))
        await self.send_listeners(listeners)
        if not await self.session_is_live():
            await self.catch_up()
            await self.end(1000)

    async def disconnect(self, code: int) -> None:
        if self.registered:
            try:
                await on_chat_threads(services.listen_stop)(actor=self.user, session_id=self.session_id, connection=self.conn)
            except DomainError:
                pass
        await super().disconnect(code)

    async def receive(self, text_data: str | None = None, bytes_data: bytes | None = None) -> None:
        frame = await self.read_frame(text_data, bytes_data)
        if frame is None:
            return
        kind = frame.get("type")
        if kind not in ("whisper", "barge", "message", "leave", "typing", "ping"):
            await self.send_error(
                "unknown_type", "Frames here are whisper, barge, message, leave, typing and ping.", field="type"
            )
            return
        if not await self.ensure_access_for_command():
            return
        if kind == "whisper":
            await self.post(services.whisper_post, frame)
        elif kind == "message":
            # Asked of the database: the person may have barged in or left from another window.
            if not await self.has_barged():
                await self.send_error(
                    "not_barged",
                    "Barge in first: listeners' messages do not reach the customer.",
                    client_id=frame.get("client_id"),
                )
                return
            await self.post(services.message_post, frame)
        elif kind in ("barge", "leave"):
            function = services.session_barge if kind == "barge" else services.session_leave
            try:
                await on_chat_threads(function)(actor=self.user, session_id=self.session_id)
            except DomainError as error:
                await self.send_domain_error(error)
                return
            await self.send(text_data=json.dumps({"type": "mode", "mode": "barge" if kind == "barge" else "listen"}))
        elif kind == "typing":
            # A silent listener's typing reaches nobody (asked of the database, at most every 2 s).
            if time.monotonic() - self.typing_sent_at >= TYPING_BROADCAST_SECONDS and await self.has_barged():
                await self.typing("manager")
        else:
            if time.monotonic() - self.touched_at >= LISTENER_TOUCH_SECONDS:
                await on_chat_threads(services.listen_touch)(actor=self.user, connection=self.conn)
                self.touched_at = time.monotonic()
            await self.heartbeat()

    async def chat_session(self, event: dict) -> None:
        frame = event["frame"]
        if not await self.ensure_access():
            return
        if frame["type"] == events.SESSION_ENDED:
            await self.catch_up()
        await self.send(text_data=json.dumps(frame))
        if frame["type"] == events.SESSION_ENDED:
            await self.end(1000)


class SessionListConsumer(ChatSocket):
    """Sockets on the list of sessions: a snapshot of waiting and active ones, then every start, change and end."""

    group_name = ""
    joined = False
    with_listeners = True

    @on_chat_threads
    def _refusal_and_snapshot(self, user):
        if not self.is_allowed(user):
            return access.CLOSE_FORBIDDEN, []
        return None, selectors.session_objects(selectors.sessions_list(user=user, live_only=True))

    def shape(self, session: dict) -> dict:
        if not self.with_listeners:
            session = {key: value for key, value in session.items() if key != "listeners"}
        return session

    async def connect(self) -> None:
        user = await self.resolve_user()
        if user is None:
            await self.refuse(access.CLOSE_SIGNED_OUT)
            return
        code, snapshot = await self._refusal_and_snapshot(user)
        if code is not None:
            await self.refuse(code)
            return
        await self.start(user)
        await self.channel_layer.group_add(self.group_name, self.channel_name)
        self.joined = True
        await self.accept()
        await self.send(text_data=json.dumps({"type": "sessions", "sessions": [self.shape(s) for s in snapshot]}))

    async def disconnect(self, code: int) -> None:
        if self.joined:
            await self.channel_layer.group_discard(self.group_name, self.channel_name)
        await super().disconnect(code)

    async def receive(self, text_data: str | None = None, bytes_data: bytes | None = None) -> None:
        frame = await self.read_frame(text_data, bytes_data)
        if frame is None:
            return
        if frame.get("type") != "ping":
            await self.send_error("unknown_type", "Only ping is understood here.", field="type")
            return
        if await self.ensure_access():
            await self.rejoin(self.group_name)
            await self.send(text_data=json.dumps({"type": "pong"}))
            await housekeeping.sweep_now_and_then()

    async def chat_session(self, event: dict) -> None:
        frame = event["frame"]
        await self.deliver({"type": frame["type"], "session": self.shape(frame["session"])})


class LiveDashboardConsumer(SessionListConsumer):
    """``/ws/live/``: the listeners' dashboard (``livelisten.listen_session``)."""

    group_name = events.live_group()
    account_right = "listen"

    def is_allowed(self, user) -> bool:
        return permissions.can_listen(user)


class AgentQueueConsumer(SessionListConsumer):
    """``/ws/chat/queue/``: the agents' console hears of waiting chats, offers and changes (no listeners)."""

    group_name = events.queue_group()
    with_listeners = False
    account_right = "serve"

    def is_allowed(self, user) -> bool:
        return permissions.can_serve_chats(user)
