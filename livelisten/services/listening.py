"""Listening in: every listen start and stop and every mode change is audited; barging makes a listener visible.

Modes: ``listen`` (silent: nothing about it reaches the customer), ``barge`` (joined the
chat: a system line says so, and the listener's messages reach the customer). A
whisper is a line, not a mode (``services.messages.whisper_post``).
"""

from __future__ import annotations

from django.contrib.auth.base_user import AbstractBaseUser
from django.db import transaction
from django.utils import timezone

from helpdesk import roles
from helpdesk.errors import NotFound, TransitionNotAllowed
from livelisten import events, permissions, selectors
from livelisten.models import ChatSession, ListenAudit, ListenerConnection, SessionMember
from livelisten.services.messages import lock_session, system_line

LISTEN, BARGE = "listen", "barge"


def _name(user: AbstractBaseUser) -> str:
    return user.get_full_name() or user.get_username()


def _role_label(user: AbstractBaseUser) -> str:
    names = set(user.groups.values_list("name", flat=True))
    if roles.SUPPORT_MANAGERS in names:
        return "support manager"
    if roles.PRODUCT_MANAGERS in names:
        return "product manager"
    return "manager"


def _audit(session: ChatSession, actor, action: str, old: str, new: str) -> None:
    ListenAudit.objects.create(session=session, actor=actor, action=action, old_mode=old, new_mode=new)


def _announce_listeners(session: ChatSession) -> None:
    from livelisten.services.sessions import announce_session

    listeners = selectors.listeners_of(session.pk)
    usernames = [person["username"] for person in listeners]
    if usernames != session.listener_usernames:
        session.listener_usernames = usernames
        session.save(update_fields=["listener_usernames"])
    events.broadcast_listeners(session_id=session.pk, listeners=listeners)
    announce_session(session, change=events.SESSION_UPDATED, to_participants=False)


def _listenable(actor, session_id: int) -> ChatSession:
    session = lock_session(session_id)
    if not permissions.can_listen(actor):
        raise NotFound("No such chat session.")
    return session


@transaction.atomic
def listen_start(*, actor: AbstractBaseUser, session_id: int, connection: str) -> ChatSession:
    """A listen socket opened (one row per window; the person counts once)."""
    session = _listenable(actor, session_id)
    ListenerConnection.objects.update_or_create(
        connection=connection, defaults={"session": session, "user": actor, "seen_at": timezone.now()}
    )
    mode = BARGE if SessionMember.objects.filter(session=session, user=actor).exists() else LISTEN
    _audit(session, actor, ListenAudit.Action.LISTEN_STARTED, "", mode)
    _announce_listeners(session)
    return session


@transaction.atomic
def listen_stop(*, actor: AbstractBaseUser, session_id: int, connection: str) -> None:
    """A listen socket closed."""
    deleted, _ = ListenerConnection.objects.filter(connection=connection, session_id=session_id).delete()
    if not deleted:
        return
    session = lock_session(session_id)
    mode = BARGE if SessionMember.objects.filter(session=session, user=actor).exists() else LISTEN
    _audit(session, actor, ListenAudit.Action.LISTEN_STOPPED, mode, "")
    _announce_listeners(session)


def listen_touch(*, actor: AbstractBaseUser, connection: str) -> bool:
    """A listen socket's heartbeat: it is still open (rows of a killed process go stale instead)."""
    return bool(ListenerConnection.objects.filter(connection=connection, user=actor).update(seen_at=timezone.now()))


def listeners_sweep(*, actor: AbstractBaseUser | None = None) -> int:
    """Forget listen sockets whose process died (no heartbeat for ``LISTENER_FRESH_SECONDS``): how many went.

    They already stopped counting as listeners when they went stale; this records the stop
    (audited as the listener's, like a closed window) and tells the dashboard and the
    agent, who would otherwise see them until the next listener came or went. Any process
    may run it (each chat socket's ping does, at most every ``LISTENER_SWEEP_SECONDS`` per
    process): a row is removed, audited and announced once, by whichever deletes it.
    ``actor`` is who ran it (none for the sockets' own sweep); the audit names the listener.
    """
    stale = list(
        ListenerConnection.objects.filter(seen_at__lt=selectors.fresh_cutoff())
        .select_related("user")
        .order_by("session_id", "pk")[:500]
    )
    gone = 0
    for session_id in sorted({row.session_id for row in stale}):
        with transaction.atomic():
            session = lock_session(session_id)
            swept = 0
            for row in (row for row in stale if row.session_id == session_id):
                deleted, _ = ListenerConnection.objects.filter(pk=row.pk, seen_at__lt=selectors.fresh_cutoff()).delete()
                if deleted:
                    mode = BARGE if SessionMember.objects.filter(session=session, user=row.user).exists() else LISTEN
                    _audit(session, row.user, ListenAudit.Action.LISTEN_STOPPED, mode, "")
                    swept += 1
            if swept:
                _announce_listeners(session)
            gone += swept
    return gone


@transaction.atomic
def session_barge(*, actor: AbstractBaseUser, session_id: int) -> tuple[ChatSession, bool]:
    """The listener joins the chat visibly: (session, whether they joined now)."""
    session = _listenable(actor, session_id)
    if not session.is_live:
        raise TransitionNotAllowed("This chat has ended.", field="type")
    if session.customer_id == actor.pk or session.agent_id == actor.pk:
        raise TransitionNotAllowed("You already take part in this chat.", field="type")
    _, created = SessionMember.objects.get_or_create(session=session, user=actor)
    if created:
        _audit(session, actor, ListenAudit.Action.BARGED, LISTEN, BARGE)
        system_line(session, f"{_name(actor)} ({_role_label(actor)}) joined the chat.")
        _announce_listeners(session)
    return session, created


@transaction.atomic
def session_leave(*, actor: AbstractBaseUser, session_id: int) -> tuple[ChatSession, bool]:
    """A barged listener leaves the chat and listens silently again: (session, whether they had joined)."""
    session = _listenable(actor, session_id)
    deleted, _ = SessionMember.objects.filter(session=session, user=actor).delete()
    if deleted:
        _audit(session, actor, ListenAudit.Action.LEFT, BARGE, LISTEN)
        if session.is_live:
            system_line(session, f"{_name(actor)} left the chat.")
        _announce_listeners(session)
    return session, bool(deleted)
