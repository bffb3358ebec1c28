"""Storing a chat line: numbered under the session's row lock, announced after commit.

The lock serialises the lines of one session (never of two), so ``last_seq + 1`` is
the next number on every process, and a resent ``client_id`` is found before a new
number is taken: the resend gets the stored message back and nothing is announced twice.
"""

from __future__ import annotations

from django.contrib.auth.base_user import AbstractBaseUser
from django.db import connection, transaction
from django.utils import timezone

from helpdesk.errors import ActionForbidden, InvalidInput, NotFound, TransitionNotAllowed
from livelisten import events, permissions, selectors
from livelisten.models import ChatMessage, ChatSession, ListenAudit, MessageKind, SenderRole, SessionMember, SessionStatus

# A line's text, in UTF-8 bytes (frames themselves are bounded at 64 KB by the socket).
MAX_BODY_BYTES = 8 * 1024
MAX_CLIENT_ID = 64


def clean_chat_body(body) -> str:
    if not isinstance(body, str):
        raise InvalidInput("A message's body is text.", field="body")
    text = body.strip()
    if not text:
        raise InvalidInput("Write something first.", field="body")
    if "\x00" in text:
        raise InvalidInput("The message holds a NUL character.", field="body")
    if len(text.encode("utf-8")) > MAX_BODY_BYTES:
        raise InvalidInput(f"A message is at most {MAX_BODY_BYTES // 1024} KB.", field="body")
    return text


def clean_client_id(client_id) -> str:
    if client_id is None or client_id == "":
        return ""
    if not isinstance(client_id, str) or len(client_id) > MAX_CLIENT_ID or "\x00" in client_id:
        raise InvalidInput(f"client_id is a string of at most {MAX_CLIENT_ID} characters.", field="client_id")
    return client_id


def lock_session(session_id: int) -> ChatSession:
    try:
        return (
            ChatSession.objects.select_for_update(of=("self",))
            .select_related("customer", "agent", "offered_to", "ticket", "ticket__organization")
            .get(pk=session_id)
        )
    except (ChatSession.DoesNotExist, ValueError, TypeError):
        raise NotFound("No such chat session.") from None


def append_message(
    session: ChatSession,
    *,
    kind: str,
    sender: AbstractBaseUser | None,
    role: str,
    body: str,
    client_id: str = "",
    ticket_event=None,
) -> ChatMessage:
    """The next line of a session the caller holds locked (``lock_session``), announced after commit."""
    session.last_seq += 1
    fields = ["last_seq"]
    if kind == MessageKind.MESSAGE:
        session.message_count += 1
        fields.append("message_count")
    session.save(update_fields=fields)
    message = ChatMessage.objects.create(
        session=session,
        seq=session.last_seq,
        kind=kind,
        sender=sender,
        sender_role=role,
        body=body,
        client_id=client_id,
        created_at=timezone.now(),
        ticket_event=ticket_event,
    )
    events.broadcast_message(message)
    return message


def system_line(session: ChatSession, text: str) -> ChatMessage:
    return append_message(session, kind=MessageKind.SYSTEM, sender=None, role=SenderRole.SYSTEM, body=text)


class _AlreadyStored(Exception):  # noqa: N818 - not an error: the resend's line, found under the lock
    def __init__(self, message: ChatMessage) -> None:
        super().__init__("already stored")
        self.message = message


def _stored(session_id: int, actor, client_id: str) -> ChatMessage | None:
    if not client_id:
        return None
    with connection.cursor() as cursor:  # the hot path's lookup, by the unique index (session, sender, client_id)
        cursor.execute(
            f"SELECT id FROM {ChatMessage._meta.db_table} WHERE session_id = %s AND sender_id = %s AND client_id = %s",  # noqa: S608
            [session_id, actor.pk, client_id],
        )
        found = cursor.fetchone()
    return None if found is None else ChatMessage.objects.select_related("sender").get(pk=found[0])


def _take_number(session_id: int, *, counts_as_message: bool) -> tuple | None:
    """Raise the live session's counter and lock its row in one statement; None when it is missing or over.

    A line is the chat's hot path (hundreds a second): one UPDATE … RETURNING instead of
    locking, loading the session with its relations and saving it. It returns the
    columns the announcement needs too (``selectors.SESSION_ROW_COLUMNS``).
    """
    table = ChatSession._meta.db_table
    bump = ", message_count = message_count + 1" if counts_as_message else ""
    with connection.cursor() as cursor:
        cursor.execute(
            f"UPDATE {table} SET last_seq = last_seq + 1{bump} WHERE id = %s AND status <> %s "  # noqa: S608
            f"RETURNING {', '.join(selectors.SESSION_ROW_COLUMNS)}",
            [session_id, SessionStatus.ENDED],
        )
        return cursor.fetchone()


def _insert(*, session_id: int, seq: int, kind: str, sender, role: str, body: str, client_id: str) -> ChatMessage:
    message = ChatMessage(
        session_id=session_id,
        seq=seq,
        kind=kind,
        sender=sender,
        sender_role=role,
        body=body,
        client_id=client_id,
        created_at=timezone.now(),
    )
    # The hot path's insert in plain SQL (the ORM's insert compiler cost more than the row).
    created_at = connection.ops.adapt_datetimefield_value(message.created_at)
    with connection.cursor() as cursor:
        cursor.execute(
            f"INSERT INTO {ChatMessage._meta.db_table} "  # noqa: S608
            "(session_id, seq, kind, sender_id, sender_role, body, client_id, created_at) "
            "VALUES (%s, %s, %s, %s, %s, %s, %s, %s) RETURNING id",
            [session_id, seq, kind, sender.pk if sender else None, role, body, client_id, created_at],
        )
        message.pk = cursor.fetchone()[0]
    message._state.adding = False
    return message


def _refuse_on_ended(actor, session_id: int, client_id: str, *, listener: bool) -> None:
    """The session is gone or over: a resend of a stored line gets it back; anything else is refused."""
    existing = _stored(session_id, actor, client_id)
    if existing is not None:
        raise _AlreadyStored(existing)
    session = ChatSession.objects.filter(pk=session_id).first()
    if session is None or not (listener or permissions.role_in(actor, session)):
        raise NotFound("No such chat session.")
    raise TransitionNotAllowed("This chat has ended; the conversation goes on on its ticket.", field="body")


@transaction.atomic
def _post_line(*, actor, session_id: int, text: str, client_id: str, kind: str) -> ChatMessage:
    whisper = kind == MessageKind.WHISPER
    if whisper and not permissions.can_listen(actor):
        raise NotFound("No such chat session.")
    try:
        session_id = int(session_id)
    except (TypeError, ValueError):
        raise NotFound("No such chat session.") from None
    taken = _take_number(session_id, counts_as_message=not whisper)
    if taken is None:
        _refuse_on_ended(actor, session_id, client_id, listener=whisper)
    row = dict(zip(selectors.SESSION_ROW_COLUMNS, taken))
    seq, customer_id, agent_id = row["last_seq"], row["customer_id"], row["agent_id"]
    # Every refusal below raises, so the transaction (and the number taken) is rolled back.
    if whisper:
        role = SenderRole.MANAGER
    else:
        role = permissions.role_from(
            actor,
            customer_id=customer_id,
            agent_id=agent_id,
            has_barged=lambda: SessionMember.objects.filter(session_id=session_id, user=actor).exists(),
        )
        if role is None and permissions.can_listen(actor):
            raise ActionForbidden("Listeners barge in before writing to the customer.", field="type")
        if role is None:
            raise NotFound("No such chat session.")
    existing = _stored(session_id, actor, client_id)  # under the row lock: resends are serialised
    if existing is not None:
        raise _AlreadyStored(existing)
    message = _insert(session_id=session_id, seq=seq, kind=kind, sender=actor, role=role, body=text, client_id=client_id)
    if whisper:
        # Whispering is one of the listen modes support managers audit, beside listen and barge.
        ListenAudit.objects.create(session_id=session_id, actor=actor, action=ListenAudit.Action.WHISPERED)
    events.broadcast_message(message)
    if not whisper:
        events.broadcast_session(
            change=events.SESSION_UPDATED, session_object=selectors.session_object_from_row(row), to_participants=False
        )
    return message


def message_post(*, actor: AbstractBaseUser, session_id: int, body, client_id="") -> tuple[ChatMessage, bool]:
    """A participant's line (customer, agent, barged manager): (the stored message, whether it is new)."""
    text = clean_chat_body(body)
    client_id = clean_client_id(client_id)
    try:
        return _post_line(actor=actor, session_id=session_id, text=text, client_id=client_id, kind=MessageKind.MESSAGE), True
    except _AlreadyStored as stored:
        return stored.message, False


def whisper_post(*, actor: AbstractBaseUser, session_id: int, body, client_id="") -> tuple[ChatMessage, bool]:
    """A listener's private note to the agent: stored and numbered, never shown to the customer."""
    text = clean_chat_body(body)
    client_id = clean_client_id(client_id)
    try:
        return _post_line(actor=actor, session_id=session_id, text=text, client_id=client_id, kind=MessageKind.WHISPER), True
    except _AlreadyStored as stored:
        return stored.message, False
