"""Storing a chat line: numbered under the session's row lock, announced after commit.

The lock serialises the lines of one session (never of two), so ``last_seq + 1`` is
the next number on every process, and a resent ``client_id`` is found before a new
number is taken: the resend gets the stored message back and nothing is announced twice.
"""

from __future__ import annotations

from django.contrib.auth.base_user import AbstractBaseUser
from django.db import transaction
from django.utils import timezone

from helpdesk.errors import ActionForbidden, InvalidInput, NotFound, TransitionNotAllowed
from livelisten import events, permissions
from livelisten.models import ChatMessage, ChatSession, MessageKind, SenderRole

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


def _stored(session: ChatSession, actor, client_id: str) -> ChatMessage | None:
    if not client_id:
        return None
    return ChatMessage.objects.select_related("sender").filter(session=session, sender=actor, client_id=client_id).first()


@transaction.atomic
def message_post(*, actor: AbstractBaseUser, session_id: int, body, client_id="") -> tuple[ChatMessage, bool]:
    """A participant's line (customer, agent, barged manager): (the stored message, whether it is new)."""
    text = clean_chat_body(body)
    client_id = clean_client_id(client_id)
    session = lock_session(session_id)
    role = permissions.role_in(actor, session)
    if role is None:
        if permissions.can_listen(actor):
            raise ActionForbidden("Listeners barge in before writing to the customer.", field="type")
        raise NotFound("No such chat session.")
    existing = _stored(session, actor, client_id)
    if existing is not None:
        return existing, False
    if not session.is_live:
        raise TransitionNotAllowed("This chat has ended; the conversation goes on on its ticket.", field="body")
    message = append_message(session, kind=MessageKind.MESSAGE, sender=actor, role=role, body=text, client_id=client_id)
    from livelisten.services.sessions import announce_session

    announce_session(session, change=events.SESSION_UPDATED, to_participants=False)
    return message, True


@transaction.atomic
def whisper_post(*, actor: AbstractBaseUser, session_id: int, body, client_id="") -> tuple[ChatMessage, bool]:
    """A listener's private note to the agent: stored and numbered, never shown to the customer."""
    text = clean_chat_body(body)
    client_id = clean_client_id(client_id)
    session = lock_session(session_id)
    if not permissions.can_listen(actor):
        raise NotFound("No such chat session.")
    existing = _stored(session, actor, client_id)
    if existing is not None:
        return existing, False
    if not session.is_live:
        raise TransitionNotAllowed("This chat has ended.", field="body")
    message = append_message(
        session, kind=MessageKind.WHISPER, sender=actor, role=SenderRole.MANAGER, body=text, client_id=client_id
    )
    return message, True
