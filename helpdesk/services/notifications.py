"""Telling agents what concerns them: in the desk (a list with an unread count) and by email.

``notify_ticket_change`` runs inside the transaction of every ticket write (the
ticket services call it with the timeline rows they wrote), so a notice exists
exactly when its change does, and its email goes through the outbox. Nobody is told
about their own change; each person gets one notice per change, for the first reason
that applies to them (assigned, mentioned, customer replied, new in my team, following).
"""

from __future__ import annotations

import re
from collections.abc import Iterable
from dataclasses import dataclass

from django.conf import settings as django_settings
from django.contrib.auth import get_user_model
from django.contrib.auth.models import AbstractBaseUser
from django.db import IntegrityError, transaction
from django.urls import reverse
from django.utils import timezone

from helpdesk import events, links, permissions
from helpdesk.errors import InvalidInput
from helpdesk.mail.models import OutboundEmail
from helpdesk.models import Ticket, TicketEvent
from helpdesk.notifications.models import Notification, NotificationReason, NotificationSettings
from helpdesk.participants.models import TicketFollower
from helpdesk.services.outbox import outbox_message_enqueue, ticket_values

Reason = NotificationReason
_MENTION = re.compile(r"(?<![\w@.])@([\w.+-]{1,150})")
_EXCERPT = 280


@dataclass
class _Notice:
    reason: str
    headline: str


def _name(user: AbstractBaseUser | None) -> str:
    if user is None:
        return "The system"
    return user.get_full_name() or user.get_username()


def _excerpt(text: str) -> str:
    text = " ".join((text or "").split())
    return text if len(text) <= _EXCERPT else text[: _EXCERPT - 1] + "…"


def mentioned_usernames(text: str) -> list[str]:
    return list(dict.fromkeys(_MENTION.findall(text or "")))


def _desk_users(ids: Iterable[int]):
    User = get_user_model()
    return {
        user.pk: user
        for user in User.objects.filter(pk__in=set(ids), is_active=True)
        if permissions.can_work_tickets(user) or permissions.can_see_internal(user)
    }


def notify_ticket_change(
    *, actor: AbstractBaseUser | None, ticket: Ticket, rows: list[TicketEvent], created: bool = False
) -> int:
    """Write the notices (and their emails) that ``rows`` call for; returns how many."""
    wanted: dict[int, _Notice] = {}
    me = actor.pk if actor is not None else None
    who = _name(actor)

    def offer(user_id: int | None, reason: str, headline: str) -> None:
        if user_id is None or user_id == me or user_id in wanted:
            return
        wanted[user_id] = _Notice(reason, headline)

    excerpt = ""
    User = get_user_model()
    for row in rows:
        if row.kind == TicketEvent.Kind.ASSIGNEE and row.new_value:
            assignee = User.objects.filter(username=row.new_value).values_list("pk", flat=True).first()
            offer(assignee, Reason.ASSIGNED, f"{who} assigned {ticket.reference} to you")
        elif row.kind == TicketEvent.Kind.NOTE:
            excerpt = _excerpt(row.body)
            for user_id in User.objects.filter(username__in=mentioned_usernames(row.body)).values_list("pk", flat=True):
                offer(user_id, Reason.MENTIONED, f"{who} mentioned you in a note on {ticket.reference}")
        elif row.kind == TicketEvent.Kind.REPLY:
            excerpt = _excerpt(row.body)
            if row.customer_id is not None and not created:
                customer = row.customer.name if row.customer else "The customer"
                offer(ticket.assignee_id, Reason.CUSTOMER_REPLIED, f"{customer} replied on {ticket.reference}")
    if created and ticket.assignee_id is not None:
        offer(ticket.assignee_id, Reason.ASSIGNED, f"{who} assigned the new ticket {ticket.reference} to you")
    if created and ticket.team_id is not None:
        members = ticket.team.members.values_list("pk", flat=True)
        for user_id in members:
            offer(user_id, Reason.TEAM_NEW_TICKET, f"New ticket {ticket.reference} in {ticket.team.name}")
    if not created:
        what = _describe(rows)
        for user_id in TicketFollower.objects.filter(ticket=ticket).values_list("user_id", flat=True):
            offer(user_id, Reason.FOLLOWING, f"{who} {what} on {ticket.reference}, which you follow")
    if not wanted:
        return 0
    users = _desk_users(wanted)
    choices = {s.user_id: s for s in NotificationSettings.objects.filter(user_id__in=users)}
    now = timezone.now()
    notices = []
    for user_id, notice in wanted.items():
        user = users.get(user_id)
        if user is None or not permissions.can_view_ticket(user, ticket):
            continue
        settings_row = choices.get(user_id) or NotificationSettings(user=user)
        if not settings_row.wants(notice.reason):
            continue
        notices.append(
            Notification(
                user=user,
                ticket=ticket,
                reason=notice.reason,
                headline=notice.headline[:255],
                excerpt=excerpt,
                created_at=now,
            )
        )
        if settings_row.by_email and user.email:
            _email(user, ticket, notice, excerpt)
    Notification.objects.bulk_create(notices)
    events.broadcast_notifications(user_ids=[notice.user_id for notice in notices])
    return len(notices)


def _describe(rows: list[TicketEvent]) -> str:
    kinds = {row.kind for row in rows}
    if TicketEvent.Kind.REPLY in kinds:
        return "wrote"
    if TicketEvent.Kind.NOTE in kinds:
        return "added a note"
    if TicketEvent.Kind.LINKED_WORK in kinds:
        row = next(row for row in rows if row.kind == TicketEvent.Kind.LINKED_WORK)
        return f"{row.old_value} {row.new_value}"
    if TicketEvent.Kind.STATUS in kinds:
        status = next(row.new_value for row in rows if row.kind == TicketEvent.Kind.STATUS)
        return f"set the status to {status}"
    return "changed " + ", ".join(sorted(kind.replace("_", " ") for kind in kinds))


def _email(user, ticket: Ticket, notice: _Notice, excerpt: str) -> None:
    values = {
        **ticket_values(ticket),
        "notice.headline": notice.headline,
        "notice.excerpt": excerpt or "—",
        "settings_url": links.absolute_url(reverse("helpdesk:notification_settings")),
    }
    outbox_message_enqueue(
        kind=OutboundEmail.Kind.NOTIFICATION, key="notification", values=values, to=[user.email], ticket=ticket
    )


def notification_send(
    *,
    actor: AbstractBaseUser | None,
    user_ids: Iterable[int],
    reason: str,
    headline: str,
    url: str,
    key: str,
    excerpt: str = "",
) -> int:
    """Notices about something other than one ticket (another app's event); returns how many were written.

    Once per person and event: ``key`` names the event, and a person already told of it
    (the unique ``notification_once``) is not told again, in the desk or by email. Nobody
    is told of their own doing, nor anyone inactive, outside the desk, or who turned the
    reason off. Call inside the transaction of the event.
    """
    if reason not in Reason.values:
        raise InvalidInput(f"Unknown notification reason {reason!r}.", field="reason")
    me = actor.pk if actor is not None else None
    users = _desk_users(pk for pk in user_ids if pk is not None and pk != me)
    if not users:
        return 0
    choices = {s.user_id: s for s in NotificationSettings.objects.filter(user_id__in=users)}
    already = set(Notification.objects.filter(user_id__in=users, dedupe_key=key).values_list("user_id", flat=True))
    now = timezone.now()
    told = []
    for user_id, user in users.items():
        settings_row = choices.get(user_id) or NotificationSettings(user=user)
        if user_id in already or not permissions.is_desk_user(user) or not settings_row.wants(reason):
            continue
        try:
            with transaction.atomic():  # a notice written at the same moment by another process: theirs stands
                Notification.objects.create(
                    user=user,
                    ticket=None,
                    url=url[:500],
                    reason=reason,
                    headline=headline[:255],
                    excerpt=_excerpt(excerpt),
                    dedupe_key=key[:120],
                    created_at=now,
                )
        except IntegrityError:
            continue
        told.append(user_id)
        if settings_row.by_email and user.email:
            outbox_message_enqueue(
                kind=OutboundEmail.Kind.NOTIFICATION,
                key="desk_notice",
                values={
                    "desk.name": django_settings.HELPDESK_NAME,
                    "notice.headline": headline,
                    "notice.excerpt": _excerpt(excerpt) or "—",
                    "notice.url": links.absolute_url(url),
                    "settings_url": links.absolute_url(reverse("helpdesk:notification_settings")),
                },
                to=[user.email],
            )
    events.broadcast_notifications(user_ids=told)
    return len(told)


@transaction.atomic
def notifications_mark_read(*, actor: AbstractBaseUser, ids: Iterable[int] | None = None) -> int:
    """Mark the actor's notices read (all of them without ``ids``); returns how many changed."""
    qs = Notification.objects.filter(user=actor, read_at__isnull=True)
    if ids is not None:
        clean = []
        for value in ids:
            if not str(value).isdigit():
                raise InvalidInput("Notifications are named by number.", field="ids")
            clean.append(int(value))
        qs = qs.filter(pk__in=clean)
    return qs.update(read_at=timezone.now())


@transaction.atomic
def notification_settings_save(*, actor: AbstractBaseUser, values: dict[str, bool]) -> NotificationSettings:
    row, _ = NotificationSettings.objects.select_for_update().get_or_create(user=actor)
    fields = [name for name in (*Reason.values, "by_email") if name in values]
    for name in fields:
        setattr(row, name, bool(values[name]))
    if fields:
        row.save(update_fields=fields)
    return row
