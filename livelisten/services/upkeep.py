"""What no one person does: chats nobody finished end, offers nobody took pass on.

Run now and then by any chat socket's ping (``livelisten.housekeeping``) and by
``manage.py chat_upkeep`` (cron, for hours when nobody has the desk open). Any number of
processes may run them at once: each chat is re-checked under its row lock, so it ends or
passes on once.
"""

from __future__ import annotations

import logging
from datetime import timedelta

from django.conf import settings
from django.contrib.auth.base_user import AbstractBaseUser
from django.db import transaction
from django.db.models import Exists, F, OuterRef, Q, Subquery
from django.utils import timezone

from livelisten import events
from livelisten.models import AgentChatSettings, ChatMessage, ChatSession, MessageKind, SessionStatus
from livelisten.services.messages import lock_session
from livelisten.services.sessions import agent_takes_chats, announce_session, offer_to_next_agent, session_end

logger = logging.getLogger(__name__)

# Chats handled per pass: a backlog (the desk was down) drains over a few passes, none of them long
# (a socket's ping asks for fewer: ``housekeeping.PING_BATCH``).
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


def sessions_end_idle(*, actor: AbstractBaseUser | None = None, now=None, batch: int = BATCH) -> int:
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
        .values_list("pk", flat=True)[:batch]
    )
    ended = 0
    for session_id in idle:
        try:
            ended += _end_if_idle(session_id, cutoff=cutoff, minutes=minutes)
        except Exception:  # one chat that cannot end (a broken ticket) must not keep the others open
            logger.exception("ending idle chat %s failed", session_id)
    return ended


@transaction.atomic
def _end_if_idle(session_id: int, *, cutoff, minutes: int) -> int:
    """1 when this chat ended, 0 when it turned out not to be idle (re-checked under its lock)."""
    session = lock_session(session_id)
    last = ChatSession.objects.filter(pk=session_id).annotate(at=_last_line_at()).values_list("at", flat=True).get()
    if session.status not in LIVE_STATUSES or last is None or last >= cutoff:
        return 0  # a line came, or another process ended it, since the query
    if session.status == SessionStatus.WAITING:
        reason = (
            f"Nobody could answer within {minutes} minutes, so the chat ended; "
            f"the desk will answer on {session.ticket.reference}."
        )
    else:
        reason = (
            f"The chat ended after {minutes} minutes without a message; the conversation goes on on {session.ticket.reference}."
        )
    session_end(actor=None, session_id=session_id, reason=reason)
    return 1


def offers_pass_on(*, actor: AbstractBaseUser | None = None, now=None, batch: int = BATCH) -> int:
    """Round-robin's loose ends: how many waiting chats were offered on.

    An offer not accepted in ``LIVELISTEN_OFFER_SECONDS``, or made to an agent who no longer
    takes chats, goes to the next available agent (an agent alone on the desk keeps theirs);
    a waiting chat offered to nobody (nobody was available, or they went away) is offered
    once someone is.
    """
    now = now or timezone.now()
    cutoff = now - timedelta(seconds=settings.LIVELISTEN_OFFER_SECONDS)
    offered_to_available = Exists(AgentChatSettings.objects.filter(user_id=OuterRef("offered_to_id"), available=True))
    loose = Q(offered_at__lt=cutoff) | Q(offered_at__isnull=True, offered_to__isnull=False) | ~offered_to_available
    if AgentChatSettings.objects.filter(available=True).exists():
        loose |= Q(offered_to__isnull=True)  # offered to nobody: worth a try only when someone takes chats
    else:
        loose &= Q(offered_to__isnull=False)  # nobody to offer to: only offers to agents who left are cleared
    loose_ids = list(
        ChatSession.objects.filter(status=SessionStatus.WAITING)
        .filter(loose)
        .order_by(F("offered_at").asc(nulls_first=True), "created_at", "pk")
        .values_list("pk", flat=True)[:batch]
    )
    moved = 0
    for session_id in loose_ids:
        with transaction.atomic():
            session = lock_session(session_id)
            if session.status != SessionStatus.WAITING:
                continue
            previous = session.offered_to_id
            fresh = previous is not None and session.offered_at is not None and session.offered_at >= cutoff
            if fresh and agent_takes_chats(previous):
                continue  # accepted or re-offered by another process since the query
            if offer_to_next_agent(session, now=now, passing_from=previous) or session.offered_to_id != previous:
                announce_session(session, change=events.SESSION_UPDATED)
                moved += session.offered_to_id is not None
    return moved
