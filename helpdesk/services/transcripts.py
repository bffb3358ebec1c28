"""A live chat's words on its ticket: messages as public replies, private lines as internal notes.

Another app runs the chat (``livelisten``); when a session ends it hands the
transcript here, so the conversation goes on as a normal ticket. Nothing is emailed:
the customer read every line as it was written (they may ask for the transcript by
email, :func:`ticket_transcript_email`).
"""

from __future__ import annotations

from collections.abc import Iterable
from dataclasses import dataclass
from datetime import datetime

from django.contrib.auth.base_user import AbstractBaseUser
from django.db import transaction

from helpdesk import permissions
from helpdesk.errors import InvalidInput
from helpdesk.models import Ticket, TicketEvent, TicketStatus
from helpdesk.services.outbox import outbox_message_enqueue, ticket_values
from helpdesk.services.search_index import search_document_refresh
from helpdesk.services.tickets import _Change, _lock, clean_body


@dataclass(frozen=True)
class TranscriptLine:
    author: AbstractBaseUser | None
    body: str
    created_at: datetime
    internal: bool = False  # a whisper: an internal note, never shown to the customer


@transaction.atomic
def ticket_transcript_append(
    *, actor: AbstractBaseUser | None, ticket: Ticket, lines: Iterable[TranscriptLine]
) -> list[TicketEvent]:
    """Write the lines on the ticket's timeline in order; returns the new events, one per line.

    The customer's lines are theirs (``customer`` set, their clock restarts); the desk's
    count as replies (first response, agent reply time). A closed ticket takes the
    lines as internal notes, since nothing public may be added to it any more.
    """
    lines = list(lines)
    locked = _lock(ticket)
    if not lines:
        return []
    change = _Change(ticket=locked, actor=actor, now=lines[-1].created_at)
    requester_user_id = locked.requester.user_id if locked.requester_id else None
    closed = locked.status == TicketStatus.CLOSED
    for line in lines:
        is_customer = line.author is not None and line.author.pk == requester_user_id
        internal = line.internal or closed
        row = TicketEvent(
            ticket=locked,
            kind=TicketEvent.Kind.NOTE if internal else TicketEvent.Kind.REPLY,
            actor=line.author,
            customer=locked.requester if is_customer else None,
            body=clean_body(line.body),
            created_at=line.created_at,
        )
        change.rows.append(row)
        change.kinds.append(row.kind)
        if internal:
            continue
        if is_customer:
            locked.last_customer_message_at = line.created_at
            change.fields.add("last_customer_message_at")
        elif line.author is not None and permissions.is_desk_user(line.author):
            locked.last_agent_reply_at = line.created_at
            change.fields.add("last_agent_reply_at")
            if locked.first_response_at is None:
                locked.first_response_at = line.created_at
                change.fields.add("first_response_at")
    if not closed and locked.status == TicketStatus.NEW and "last_agent_reply_at" in change.fields:
        change.set_status(TicketStatus.OPEN)
    change.save()
    search_document_refresh(actor=actor, ticket_ids=[locked.pk])
    return change.rows


def ticket_transcript_email(*, actor: AbstractBaseUser | None, ticket: Ticket, transcript: str):
    """Queue the chat transcript to the ticket's requester (the outbox sends it)."""
    email = ticket.requester.email if ticket.requester_id else ""
    if not email:
        raise InvalidInput("This customer has no email address to send the transcript to.", field="email")
    values = {**ticket_values(ticket), "message.body": transcript}
    return outbox_message_enqueue(kind="transcript", key="chat_transcript", values=values, to=[email], ticket=ticket)
