"""What no one person does: chats nobody finished end, offers nobody took pass on.

Run now and then by any chat socket's ping (``livelisten.housekeeping``) and by
``manage.py chat_upkeep`` (cron, for hours when nobody has the desk open). Any number of
processes may run them at once: each chat is re-checked under its row lock, so it ends or
passes on once.
"""

from __future__ import annotations

from datetime import timedelta

from django.conf import settings
from django.contrib.auth.base_user import AbstractBaseUser
from django.db import transaction
from django.db.models import OuterRef, Q, Subquery
from django.utils import timezone

from livelisten import events
from livelisten.models import ChatMessage, ChatSession, MessageKind, SessionStatus
from livelisten.services.messages import lock_session
from livelisten.services.sessions import announce_session, offer_to_next_agent, session_end

# Chats handled per pass: a backlog (the desk was down) drains over a few passes, none of them long.
BATCH = 100
LIVE_STATUSES = (SessionStatus.WAITING, SessionStatus.ACTIVE)


def _last_line_at() -> Subquery:
    """When the chat last had a line the people saw (whispers do not keep a chat open): one index probe per chat."""
    return Subquery(
        ChatMessage.objects.filter(session=OuterRef("pk"))
        .exclude(kind=MessageKind.WHISPER)
        .order_by("-seq")
        .values("created_at")[:1]
    )


def sessions_end_idle(*, actor: AbstractBaseUser | None = None, now=None) -> int:
    """End every waiting or active chat without a line for ``LIVELISTEN_IDLE_END_MINUTES``: how many ended.

    The customer closed the tab, the agent forgot it: left open, it would count against the
    customer's live chats and keep its transcript off the ticket. A waiting chat nobody
    answered ends the same way; the desk answers the ticket instead. ``actor`` is who ran the
    pass (none for the sockets' own); the chat is ended by the desk.
    """
    minutes = settings.LIVELISTEN_IDLE_END_MINUTES
    cutoff = (now or timezone.now()) - timedelta(minutes=minutes)
    idle = list(
        ChatSession.objects.filter(status__in=LIVE_STATUSES, created_at__lt=cutoff)
        .annotate(last_line_at=_last_line_at())
        .filter(last_line_at__lt=cutoff)
        .order_by("created_at", "pk")
        .values_list("pk", flat=True)[:BATCH]
    )
    ended = 0
    for session_id in idle:
        with transaction.atomic():
            session = lock_session(session_id)
            last = ChatSession.objects.filter(pk=session_id).annotate(at=_last_line_at()).values_list("at", flat=True).get()
            if session.status not in LIVE_STATUSES or last is None or last >= cutoff:
                continue  # a line came, or another process ended it, since the query
            if session.status == SessionStatus.WAITING:
                reason = (
                    f"Nobody could answer within {minutes} minutes, so the chat ended; "
                    f"the desk will answer on {session.ticket.reference}."
                )
            else:
                reason = (
                    f"The chat ended after {minutes} minutes without a message; "
                    f"the conversation goes on on {session.ticket.reference}."
                )
            session_end(actor=None, session_id=session_id, reason=reason)
            ended += 1
    return ended


def offers_pass_on(*, actor: AbstractBaseUser | None = None, now=None) -> int:
    """Waiting chats offered to an agent who has not accepted in ``LIVELISTEN_OFFER_SECONDS``: offered to the next.

    Round-robin goes on from where it was; an agent alone on the desk keeps the offer. How many moved.
    """
    now = now or timezone.now()
    cutoff = now - timedelta(seconds=settings.LIVELISTEN_OFFER_SECONDS)
    stale = list(
        ChatSession.objects.filter(status=SessionStatus.WAITING, offered_to__isnull=False)
        .filter(Q(offered_at__lt=cutoff) | Q(offered_at__isnull=True))  # null: offered before offers were timed
        .order_by("offered_at", "pk")
        .values_list("pk", flat=True)[:BATCH]
    )
    moved = 0
    for session_id in stale:
        with transaction.atomic():
            session = lock_session(session_id)
            fresh = session.offered_at is not None and session.offered_at >= cutoff
            if session.status != SessionStatus.WAITING or session.offered_to_id is None or fresh:
                continue
            if offer_to_next_agent(session, now=now, passing_from=session.offered_to_id):
                announce_session(session, change=events.SESSION_UPDATED)
                moved += 1
    return moved
