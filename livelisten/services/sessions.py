"""A chat's life: started by a customer, offered round-robin, accepted, transferred, ended.

Every step holds the session's row lock, checks ``ChatSession.TRANSITIONS``, saves with
``update_fields``, writes its system line (numbered like any message, so everyone sees
"Alex joined" at the same place) and announces the session after commit.
"""

from __future__ import annotations

from django.contrib.auth import get_user_model
from django.contrib.auth.base_user import AbstractBaseUser
from django.db import transaction
from django.db.models import F
from django.utils import timezone

from helpdesk import permissions as desk_permissions
from helpdesk import selectors as desk_selectors
from helpdesk import services as desk_services
from helpdesk.errors import ActionForbidden, DomainError, InvalidInput, NotFound, RateLimited, StaleVersion
from helpdesk.models import UNSOLVED_STATUSES, TicketChannel, TicketEvent
from helpdesk.services.tickets import clean_subject
from helpdesk.services.transcripts import TranscriptLine, ticket_transcript_append, ticket_transcript_email
from livelisten import events, permissions, selectors
from livelisten.models import AgentChatSettings, ChatMessage, ChatSession, MessageKind, SenderRole, SessionStatus
from livelisten.services.messages import append_message, clean_chat_body, lock_session, system_line

# Live sessions one customer may hold at once (a stuck widget reopening chats cannot flood the queue).
MAX_LIVE_SESSIONS_PER_CUSTOMER = 3
OPEN_TICKET_STATUSES = UNSOLVED_STATUSES


def _name(user: AbstractBaseUser) -> str:
    return user.get_full_name() or user.get_username()


def announce_session(session: ChatSession, *, change: str, to_participants: bool = True) -> None:
    """After commit: the dashboard, the agents' queue and the session's sockets hear of the change.

    ``to_participants=False`` when only a count moved (a new line, a listener): the
    session's sockets already hear of that in their own frames.
    """
    events.broadcast_session(change=change, session_object=selectors.session_object(session), to_participants=to_participants)


def _refuse_stale(session: ChatSession, version: int | None) -> None:
    if version is not None and int(version) != session.version:
        raise StaleVersion(
            "This chat changed since you loaded it (someone else may have accepted it).",
            current=session,
        )


def offer_to_next_agent(session: ChatSession, *, now, passing_from: int | None = None) -> bool:
    """Offer a waiting session to the available agent offered one longest ago (round-robin): whether one was found.

    ``passing_from``: the agent it was offered to, who did not take it (skipped). With nobody else
    available the offer stays theirs while they still take chats (its clock starts again);
    otherwise the chat waits for anyone.
    """
    candidates = (
        AgentChatSettings.objects.select_for_update(skip_locked=True, of=("self",))
        .select_related("user")
        .filter(available=True, user__is_active=True)
        .exclude(user_id=session.customer_id)
        .exclude(user_id=passing_from)
        .order_by(F("last_offered_at").asc(nulls_first=True), "pk")[:10]
    )
    for row in candidates:
        if permissions.can_serve_chats(row.user):
            row.last_offered_at = now
            row.save(update_fields=["last_offered_at"])
            session.offered_to, session.offered_at = row.user, now
            session.save(update_fields=["offered_to", "offered_at"])
            return True
    if session.offered_to_id is not None:
        if agent_takes_chats(session.offered_to_id):
            session.offered_at = now
        else:
            session.offered_to, session.offered_at = None, None
        session.save(update_fields=["offered_to", "offered_at"])
    return False


def agent_takes_chats(user_id: int) -> bool:
    """Available, active, and allowed to answer chats: someone an offer may stay with."""
    row = AgentChatSettings.objects.select_related("user").filter(user_id=user_id, available=True, user__is_active=True).first()
    return row is not None and permissions.can_serve_chats(row.user)


@transaction.atomic
def session_start(*, actor: AbstractBaseUser, subject: str, body, ticket_reference: str | None = None) -> ChatSession:
    """A customer opens a chat: a new ``chat`` ticket (or one of their open tickets) and the first line."""
    if not permissions.can_start_session(actor):
        raise ActionForbidden("Only customers start chats from the portal.")
    text = clean_chat_body(body)
    # The customer's row, locked: two starts at once count each other's chats.
    get_user_model()._default_manager.select_for_update().filter(pk=actor.pk).first()
    live = ChatSession.objects.filter(customer=actor).exclude(status=SessionStatus.ENDED).count()
    if live >= MAX_LIVE_SESSIONS_PER_CUSTOMER:
        raise RateLimited(
            f"You already have {live} chats open; finish one before starting another.", retry_after=60, field="subject"
        )
    if ticket_reference:
        try:
            ticket = desk_selectors.ticket_get(user=actor, reference=ticket_reference)
        except DomainError:
            raise InvalidInput("No such ticket of yours.", field="ticket") from None
        if ticket.status not in OPEN_TICKET_STATUSES:
            raise InvalidInput(f"{ticket.reference} is not open; start a new chat instead.", field="ticket")
        first = desk_services.ticket_message_post(actor=actor, ticket=ticket, body=text)
        subject_text = (subject or "").strip() or ticket.subject
    else:
        subject_text = clean_subject(subject)
        ticket = desk_services.ticket_create(actor=actor, subject=subject_text, body=text, channel=TicketChannel.CHAT)
        first = TicketEvent.objects.filter(ticket=ticket, kind=TicketEvent.Kind.REPLY).order_by("pk").first()
    now = timezone.now()
    session = ChatSession.objects.create(ticket=ticket, customer=actor, subject=subject_text[:200], created_at=now)
    session = lock_session(session.pk)
    append_message(session, kind=MessageKind.MESSAGE, sender=actor, role=SenderRole.CUSTOMER, body=text, ticket_event=first)
    offer_to_next_agent(session, now=now)
    announce_session(session, change=events.SESSION_STARTED)
    return session


@transaction.atomic
def session_accept(*, actor: AbstractBaseUser, session_id: int, version: int | None = None) -> ChatSession:
    session = lock_session(session_id)
    if not permissions.can_serve_chats(actor):
        if permissions.can_see_session(actor, session):
            raise ActionForbidden("You do not answer chats.")
        raise NotFound("No such chat session.")
    _refuse_stale(session, version)
    if not session.can("accept"):
        who = f" by {_name(session.agent)}" if session.agent_id else ""
        raise StaleVersion(f"This chat was already accepted{who}.", current=session)
    session.status = SessionStatus.ACTIVE
    session.agent = actor
    session.accepted_at = timezone.now()
    session.version += 1
    session.save(update_fields=["status", "agent", "accepted_at", "version"])
    system_line(session, f"{_name(actor)} joined the chat.")
    if session.ticket.assignee_id is None and desk_permissions.can_assign_to(actor):
        desk_services.ticket_update(actor=actor, ticket=session.ticket, assignee=actor)
    announce_session(session, change=events.SESSION_UPDATED)
    return session


@transaction.atomic
def session_transfer(*, actor: AbstractBaseUser, session_id: int, agent_username: str, version: int | None = None) -> ChatSession:
    session = lock_session(session_id)
    if not permissions.can_see_session(actor, session):
        raise NotFound("No such chat session.")
    if not isinstance(agent_username, str) or not agent_username.strip():
        raise InvalidInput("Name the agent to transfer to.", field="agent")
    if not permissions.can_transfer(actor, session):
        if session.status != SessionStatus.ACTIVE:
            raise InvalidInput("Only an active chat can be transferred.", field="agent")
        raise ActionForbidden("Only the chat's agent or a support manager may transfer it.")
    _refuse_stale(session, version)
    target = get_user_model()._default_manager.filter(username=agent_username.strip(), is_active=True).first()
    if target is None or not permissions.can_serve_chats(target):
        raise InvalidInput(f"{agent_username} does not answer chats.", field="agent")
    if target.pk == session.agent_id:
        raise InvalidInput(f"{_name(target)} already has this chat.", field="agent")
    previous = session.agent
    session.agent = target
    session.version += 1
    session.save(update_fields=["agent", "version"])
    system_line(session, f"{_name(previous)} transferred the chat to {_name(target)}.")
    announce_session(session, change=events.SESSION_UPDATED)
    return session


@transaction.atomic
def session_end(*, actor: AbstractBaseUser | None, session_id: int, reason: str | None = None) -> ChatSession:
    """End the chat (either side, a support manager, or the desk: ``actor`` None) and write its transcript on the ticket.

    ``reason``: the system line everyone sees instead of "… ended the chat." (the desk's own endings).
    """
    session = lock_session(session_id)
    if actor is not None:
        if not permissions.can_see_session(actor, session):
            raise NotFound("No such chat session.")
        if session.status == SessionStatus.ENDED:
            return session  # ending twice is a no-op
        if not permissions.can_end(actor, session):
            raise ActionForbidden("Only the customer, the agent or a support manager may end this chat.")
    elif session.status == SessionStatus.ENDED:
        return session
    now = timezone.now()
    ender = _name(actor) if actor is not None else "The desk"
    system_line(session, reason or f"{ender} ended the chat.")
    session.status = SessionStatus.ENDED
    session.ended_at = now
    session.ended_by = actor
    session.offered_to, session.offered_at = None, None
    session.version += 1
    session.save(update_fields=["status", "ended_at", "ended_by", "offered_to", "offered_at", "version"])
    _write_transcript(session, actor=actor)
    announce_session(session, change=events.SESSION_ENDED)
    return session


def _write_transcript(session: ChatSession, *, actor) -> None:
    """Messages become public replies and whispers internal notes (system lines stay in the chat)."""
    pending = list(
        ChatMessage.objects.filter(session=session, ticket_event__isnull=True)
        .exclude(kind=MessageKind.SYSTEM)
        .select_related("sender")
        .order_by("seq")
    )
    if not pending:
        return
    lines = [
        TranscriptLine(
            author=message.sender,
            body=message.body if message.kind == MessageKind.MESSAGE else f"Whisper during the chat: {message.body}",
            created_at=message.created_at,
            internal=message.kind == MessageKind.WHISPER,
        )
        for message in pending
    ]
    written = ticket_transcript_append(actor=actor, ticket=session.ticket, lines=lines)
    for message, event in zip(pending, written):
        message.ticket_event = event
    ChatMessage.objects.bulk_update(pending, ["ticket_event"])


def session_transcript_email(*, actor: AbstractBaseUser, session_id: int):
    """The customer asks for their transcript by email (the outbox sends it)."""
    session = selectors.session_get(user=actor, session_id=session_id)
    if permissions.role_in(actor, session) != "customer":
        raise ActionForbidden("The customer of the chat asks for its transcript.")
    lines = []
    for message in selectors.messages_after(session_id=session.pk, after=0, role="customer"):
        who = "" if message.sender is None else f"**{_name(message.sender)}** "
        stamp = timezone.localtime(message.created_at).strftime("%H:%M")
        lines.append(f"{who}({stamp}): {message.body}")
    with transaction.atomic():
        return ticket_transcript_email(actor=actor, ticket=session.ticket, transcript="  \n".join(lines))


@transaction.atomic
def agent_chat_settings_save(
    *, actor: AbstractBaseUser, available: bool | None = None, show_listeners: bool | None = None
) -> AgentChatSettings:
    """An agent sets themselves available for offers, and whether their console shows who listens."""
    if not permissions.can_serve_chats(actor):
        raise ActionForbidden("You do not answer chats.")
    row, _ = AgentChatSettings.objects.select_for_update().get_or_create(user=actor)
    fields = []
    turned_available = bool(available) and not row.available
    turned_away = available is not None and not available and row.available
    if available is not None:
        row.available = bool(available)
        fields.append("available")
    if show_listeners is not None:
        row.show_listeners = bool(show_listeners)
        fields.append("show_listeners")
    if fields:
        row.save(update_fields=fields)
    if turned_available:
        _offer_waiting_to(actor, row)
    if turned_away:
        _pass_on_offers_of(actor)
    return row


def _pass_on_offers_of(agent: AbstractBaseUser) -> None:
    """An agent who stops taking chats: the chats offered to them go to the next available agent now."""
    now = timezone.now()
    offered = (
        ChatSession.objects.select_for_update(skip_locked=True, of=("self",))
        .select_related("customer", "agent", "offered_to", "ticket", "ticket__organization")
        .filter(status=SessionStatus.WAITING, offered_to=agent)
        .order_by("created_at", "pk")
    )
    for session in offered:
        offer_to_next_agent(session, now=now, passing_from=agent.pk)  # nobody else: it waits for anyone
        announce_session(session, change=events.SESSION_UPDATED)


def _offer_waiting_to(agent: AbstractBaseUser, row: AgentChatSettings) -> None:
    """An agent who turns available is offered the oldest waiting chat nobody was offered."""
    waiting = (
        ChatSession.objects.select_for_update(skip_locked=True, of=("self",))
        .select_related("customer", "agent", "offered_to", "ticket", "ticket__organization")
        .filter(status=SessionStatus.WAITING, offered_to__isnull=True)
        .exclude(customer=agent)
        .order_by("created_at", "pk")
        .first()
    )
    if waiting is None:
        return
    now = timezone.now()
    waiting.offered_to, waiting.offered_at = agent, now
    waiting.save(update_fields=["offered_to", "offered_at"])
    row.last_offered_at = now
    row.save(update_fields=["last_offered_at"])
    announce_session(waiting, change=events.SESSION_UPDATED)
