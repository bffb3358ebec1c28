"""Every read of live chat, scoped to the viewer: what they may not see looks like nothing at all."""

from __future__ import annotations

import json
import time
from datetime import UTC, timedelta
from typing import Any

from django.db.models import Q, QuerySet
from django.utils import timezone
from django.utils.dateparse import parse_datetime

from helpdesk.errors import InvalidInput, NotFound
from helpdesk.keyset import Page, SortKey, paginate
from livelisten import permissions
from livelisten.models import (
    AgentChatSettings,
    ChatMessage,
    ChatSession,
    CoachingMark,
    ListenAudit,
    ListenerConnection,
    MessageKind,
    SessionMember,
    SessionStatus,
)

# A listen socket pings every 30 s; one not heard from for this long is gone (its process died).
LISTENER_FRESH_SECONDS = 90
SESSION_LIST_LIMIT = 200


def fresh_cutoff():
    return timezone.now() - timedelta(seconds=LISTENER_FRESH_SECONDS)


def visible_sessions(*, user) -> QuerySet[ChatSession]:
    """Desk chat agents and listeners see every session; anyone else only those they take part in."""
    rows = ChatSession.objects.select_related("customer", "agent", "offered_to", "ticket", "ticket__organization")
    if permissions.can_serve_chats(user) or permissions.can_listen(user):
        return rows
    if user is None or not user.is_authenticated or not user.is_active:
        return rows.none()
    return rows.filter(Q(customer=user) | Q(agent=user) | Q(members__user=user)).distinct()


def session_get(*, user, session_id) -> ChatSession:
    try:
        session_id = int(session_id)
    except (TypeError, ValueError):
        raise NotFound("No such chat session.") from None
    session = visible_sessions(user=user).filter(pk=session_id).first()
    if session is None:
        raise NotFound("No such chat session.")
    return session


def sessions_list(
    *, user, status: str | None = None, live_only: bool = False, agent=None, limit: int = SESSION_LIST_LIMIT
) -> list[ChatSession]:
    """Newest first; ``live_only``: waiting and active (few at any moment); ended ones are bounded by ``limit``."""
    rows = visible_sessions(user=user)
    if live_only:
        rows = rows.exclude(status=SessionStatus.ENDED)
    if agent is not None:
        rows = rows.filter(agent=agent)
    return list(_with_status(rows, status).order_by("-created_at", "-pk")[:limit])


def _with_status(rows: QuerySet[ChatSession], status: str | None) -> QuerySet[ChatSession]:
    if not status:
        return rows
    if status not in SessionStatus.values:
        raise InvalidInput("status is waiting, active or ended.", field="status")
    return rows.filter(status=status)


# Keyset orders for the API's lists (contract: `{"results", "next"}`, no OFFSET).
NEWEST_FIRST = SortKey((("created_at", True), ("id", True)))
IN_ORDER = SortKey((("seq", False),))


def sessions_page(*, user, status: str | None, cursor: str | None, page_size: int) -> Page[ChatSession]:
    """Every session the viewer may see, newest first, one page at a time (ended ones included, however old)."""
    return paginate(_with_status(visible_sessions(user=user), status), sort=NEWEST_FIRST, cursor=cursor, page_size=page_size)


def live_session_on_ticket(*, user, ticket) -> ChatSession | None:
    """The viewer's waiting or active chat on this ticket, if any (the portal links back to it)."""
    return (
        visible_sessions(user=user)
        .filter(ticket=ticket, status__in=(SessionStatus.WAITING, SessionStatus.ACTIVE))
        .order_by("-created_at", "-pk")
        .first()
    )


def listeners_by_session(session_ids: list[int]) -> dict[int, list[dict[str, str]]]:
    """Who listens to each session now (one entry per person, however many windows): one query."""
    found: dict[int, dict[str, dict[str, str]]] = {}
    rows = (
        ListenerConnection.objects.filter(session_id__in=session_ids, seen_at__gte=fresh_cutoff())
        .values_list("session_id", "user__username", "user__first_name", "user__last_name")
        .order_by("started_at", "pk")
    )
    for session_id, username, first, last in rows:
        name = f"{first} {last}".strip() or username
        found.setdefault(session_id, {}).setdefault(username, {"username": username, "name": name})
    return {session_id: list(people.values()) for session_id, people in found.items()}


def listeners_of(session_id: int) -> list[dict[str, str]]:
    return listeners_by_session([session_id]).get(session_id, [])


def session_objects(sessions: list[ChatSession]) -> list[dict[str, Any]]:
    """The session object of the API and the dashboard frames, for rows from :func:`visible_sessions`."""
    listeners = listeners_by_session([session.pk for session in sessions])
    return [session_object(session, listeners=listeners.get(session.pk, [])) for session in sessions]


def session_object(session: ChatSession, *, listeners: list[dict[str, str]] | None = None) -> dict[str, Any]:
    if listeners is None:
        listeners = listeners_of(session.pk)
    ticket = session.ticket
    organization = getattr(ticket, "organization", None) if ticket is not None else None
    customer = session.customer
    return {
        "id": session.pk,
        "status": session.status,
        "subject": session.subject,
        "ticket": ticket.reference,
        "customer": customer.get_username(),
        "customer_name": customer.get_full_name() or customer.get_username(),
        "organization": organization.name if organization else None,
        "key_account": bool(organization and organization.is_key_account),
        "agent": session.agent.get_username() if session.agent_id else None,
        "offered_to": session.offered_to.get_username() if session.offered_to_id else None,
        "listeners": [person["username"] for person in listeners],
        "message_count": session.message_count,
        "last_seq": session.last_seq,
        "started": session.created_at.isoformat(),
        "accepted": session.accepted_at.isoformat() if session.accepted_at else None,
        "ended": session.ended_at.isoformat() if session.ended_at else None,
        "version": session.version,
    }


# The session's own columns an announcement needs, as ``UPDATE … RETURNING`` gives them.
SESSION_ROW_COLUMNS = (
    "id", "status", "subject", "ticket_id", "customer_id", "agent_id", "offered_to_id", "message_count",
    "last_seq", "created_at", "accepted_at", "ended_at", "version", "listener_usernames",
)  # fmt: skip
_STATIC_CACHE_SIZE = 10_000
_USERNAME_SECONDS = 60.0
# Per process: what never changes once a session exists (its ticket, customer, organization),
# and people's usernames for a minute. A renamed agent shows their new name within the minute.
_static: dict[tuple[int, int, int], dict[str, Any]] = {}
_usernames: dict[int, tuple[str, float]] = {}


def forget_cached() -> None:
    """Drop the per-process caches (tests, whose databases hand out the same ids again)."""
    _static.clear()
    _usernames.clear()


def _remember_static(session: ChatSession) -> dict[str, Any]:
    organization = session.ticket.organization
    part = {
        "ticket": session.ticket.reference,
        "customer": session.customer.get_username(),
        "customer_name": session.customer.get_full_name() or session.customer.get_username(),
        "organization": organization.name if organization else None,
        "key_account": bool(organization and organization.is_key_account),
    }
    if len(_static) >= _STATIC_CACHE_SIZE:
        _static.pop(next(iter(_static)))
    _static[(session.pk, session.ticket_id, session.customer_id)] = part
    return part


def remember_session(session: ChatSession) -> None:
    """Keep what a session's announcements need, from a session loaded with its ticket, organization and customer.

    A socket opening on a session calls this (its process is where that person's lines are
    stored): the first line of each chat then costs no query for it either.
    """
    _remember_static(session)


def _static_part(session_id: int, ticket_id: int, customer_id: int) -> dict[str, Any]:
    part = _static.get((session_id, ticket_id, customer_id))
    if part is None:
        session = ChatSession.objects.select_related("ticket", "ticket__organization", "customer").get(pk=session_id)
        part = _remember_static(session)
    return part


def _username(user_id: int | None) -> str | None:
    if user_id is None:
        return None
    now = time.monotonic()
    known = _usernames.get(user_id)
    if known is None or now - known[1] > _USERNAME_SECONDS:
        from django.contrib.auth import get_user_model

        name = get_user_model()._default_manager.filter(pk=user_id).values_list("username", flat=True).first()
        if len(_usernames) >= _STATIC_CACHE_SIZE:
            _usernames.pop(next(iter(_usernames)))
        known = _usernames[user_id] = (name, now)
    return known[0]


def _aware(value):
    """Raw SQL on SQLite gives naive UTC datetimes (the ORM makes them aware; here it is done by hand)."""
    if value is None or timezone.is_aware(value):
        return value
    return timezone.make_aware(value, UTC)


def session_object_from_row(row: dict[str, Any]) -> dict[str, Any]:
    """The session object from the row ``UPDATE … RETURNING`` gave (after each line), the rest from caches.

    The same dict as :func:`session_object` (a test compares them): it runs for every line
    of every chat, where loading the session with its relations through the ORM (and
    PostgreSQL planning that six-table join) cost more than storing the line itself
    (docs/benchmarks.md, "The live chat benchmark").
    """
    listeners = row["listener_usernames"]
    if isinstance(listeners, str):  # SQLite hands JSON back as text to raw SQL
        listeners = json.loads(listeners)
    created, accepted, ended = _aware(row["created_at"]), _aware(row["accepted_at"]), _aware(row["ended_at"])
    if isinstance(created, str):
        created, accepted, ended = (parse_datetime(v) if v else None for v in (created, accepted, ended))
        created, accepted, ended = _aware(created), _aware(accepted), _aware(ended)
    return {
        "id": row["id"],
        "status": row["status"],
        "subject": row["subject"],
        **_static_part(row["id"], row["ticket_id"], row["customer_id"]),
        "agent": _username(row["agent_id"]),
        "offered_to": _username(row["offered_to_id"]),
        "listeners": list(listeners or []),
        "message_count": row["message_count"],
        "last_seq": row["last_seq"],
        "started": created.isoformat(),
        "accepted": accepted.isoformat() if accepted else None,
        "ended": ended.isoformat() if ended else None,
        "version": row["version"],
    }


def transfer_candidates(*, user) -> list:
    """The colleagues a chat can be handed to: active people who serve chats, other than ``user``, by name."""
    if not permissions.can_serve_chats(user) and not permissions.can_manage_chats(user):
        return []
    from django.contrib.auth import get_user_model

    rows = get_user_model()._default_manager.filter(permissions.serves_chats_condition()).exclude(pk=user.pk)
    return list(rows.distinct().order_by("first_name", "last_name", "username"))


def member_ids(session_id: int) -> set[int]:
    return set(SessionMember.objects.filter(session_id=session_id).values_list("user_id", flat=True))


def messages_after(*, session_id: int, after: int, role: str | None, limit: int | None = None) -> list[ChatMessage]:
    """Lines numbered above ``after`` that someone in ``role`` may see, in order (customers: no whispers)."""
    rows = _lines_seen_by(role, session_id=session_id).filter(seq__gt=after).order_by("seq")
    if limit is not None:
        rows = rows[:limit]
    return list(rows)


def _lines_seen_by(role: str | None, *, session_id: int) -> QuerySet[ChatMessage]:
    rows = ChatMessage.objects.filter(session_id=session_id).select_related("sender")
    return rows if permissions.can_see_whispers(role) else rows.exclude(kind=MessageKind.WHISPER)


def transcript_page(*, user, session_id, cursor: str | None, page_size: int) -> Page[ChatMessage]:
    """The caller's visible transcript, in order, one page at a time."""
    session = session_get(user=user, session_id=session_id)
    role = permissions.role_in(user, session) or "listener"
    return paginate(_lines_seen_by(role, session_id=session.pk), sort=IN_ORDER, cursor=cursor, page_size=page_size)


def shows_listeners(agent_id: int | None) -> bool:
    """The agent's setting (on unless they hid it)."""
    if agent_id is None:
        return True
    row = AgentChatSettings.objects.filter(user_id=agent_id).values_list("show_listeners", flat=True).first()
    return True if row is None else bool(row)


def agent_settings(*, user) -> AgentChatSettings:
    return AgentChatSettings.objects.filter(user=user).first() or AgentChatSettings(user=user)


def visible_coaching_marks(*, user) -> QuerySet[CoachingMark]:
    """Support managers see every mark; an agent sees the marks on their own ended sessions."""
    rows = CoachingMark.objects.select_related("message", "message__sender", "session", "session__ticket", "author", "agent")
    if permissions.can_view_all_coaching(user):
        return rows
    if not permissions.can_serve_chats(user):
        return rows.none()
    return rows.filter(agent=user, session__status=SessionStatus.ENDED)


def coaching_marks_unseen_count(*, user) -> int:
    """An agent's marks not yet read (the console's "Coaching (n new)")."""
    if not permissions.can_serve_chats(user):
        return 0
    return CoachingMark.objects.filter(agent=user, session__status=SessionStatus.ENDED, seen_at__isnull=True).count()


def coaching_marks_page(*, user, cursor: str | None, page_size: int) -> Page[CoachingMark]:
    """Newest first, every mark the viewer may see, one page at a time."""
    return paginate(visible_coaching_marks(user=user), sort=NEWEST_FIRST, cursor=cursor, page_size=page_size)


def listen_audit_page(*, user, cursor: str | None, page_size: int, session_id: int | None = None) -> Page[ListenAudit]:
    """Every listen start, stop, whisper and mode change, newest first, one page at a time (support managers)."""
    rows = ListenAudit.objects.select_related("actor", "session")
    if not permissions.can_view_listen_audit(user):
        rows = rows.none()
    elif session_id is not None:
        rows = rows.filter(session_id=session_id)
    return paginate(rows, sort=NEWEST_FIRST, cursor=cursor, page_size=page_size)
