"""Coaching marks: a listener's comment on one message, for the agent after the session."""

from __future__ import annotations

from django.contrib.auth.base_user import AbstractBaseUser
from django.db import transaction
from django.utils import timezone

from helpdesk.errors import ActionForbidden, InvalidInput, NotFound
from livelisten import permissions
from livelisten.models import ChatMessage, CoachingMark, MessageKind, SenderRole, SessionStatus

MAX_COMMENT = 4000


@transaction.atomic
def coaching_mark_add(*, actor: AbstractBaseUser, session_id: int, seq, comment) -> CoachingMark:
    if not permissions.can_mark_for_coaching(actor):
        raise NotFound("No such chat session.")
    try:
        seq = int(seq)
    except (TypeError, ValueError):
        raise InvalidInput("seq is the number of the message to mark.", field="seq") from None
    message = ChatMessage.objects.select_related("session").filter(session_id=session_id, seq=seq).first()
    if message is None:
        raise InvalidInput(f"This chat has no message {seq}.", field="seq")
    if message.kind != MessageKind.MESSAGE or message.sender_role != SenderRole.AGENT:
        raise InvalidInput("Coaching marks go on an agent's messages.", field="seq")
    text = comment.strip() if isinstance(comment, str) else ""
    if not text:
        raise InvalidInput("Say what the agent should learn from it.", field="comment")
    if len(text) > MAX_COMMENT or "\x00" in text:
        raise InvalidInput(f"A comment is at most {MAX_COMMENT} characters of text.", field="comment")
    return CoachingMark.objects.create(
        message=message, session=message.session, agent_id=message.sender_id, author=actor, comment=text
    )


@transaction.atomic
def coaching_marks_mark_seen(*, actor: AbstractBaseUser, session_id: int | None = None) -> int:
    """The agent has read the marks on their ended sessions (one session, or all)."""
    if not permissions.can_serve_chats(actor):
        raise ActionForbidden("You do not answer chats.")
    rows = CoachingMark.objects.filter(agent=actor, seen_at__isnull=True, session__status=SessionStatus.ENDED)
    if session_id is not None:
        rows = rows.filter(session_id=session_id)
    return rows.update(seen_at=timezone.now())
