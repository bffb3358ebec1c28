"""Work other apps do about a ticket's problem, as the ticket's timeline tells it.

The escalations app calls these (``helpdesk`` never imports it): a ticket linked to an
escalation, the escalation's steps, and the customer-facing update when its fix ships.
The timeline line is for the desk only (customers see public replies, nothing else);
the update is a public reply the customer reads in the portal, the API and by email.
"""

from __future__ import annotations

from django.contrib.auth.models import AbstractBaseUser
from django.db import transaction
from django.utils import timezone

from helpdesk.models import Ticket, TicketEvent, TicketStatus
from helpdesk.services.outbox import outbox_reply_enqueue
from helpdesk.services.search_index import search_document_refresh
from helpdesk.services.tickets import _Change, _lock, clean_body

# Statuses in which a ticket waits for something other than its agent: news of a fix puts it back in their queue.
WOKEN_BY_UPDATE = frozenset({TicketStatus.PENDING, TicketStatus.ON_HOLD})


@transaction.atomic
def ticket_linked_work_record(
    *, actor: AbstractBaseUser | None, ticket: Ticket, what: str, reference: str, detail: str = ""
) -> TicketEvent:
    """One desk-only timeline line: ``<actor> <what> <reference>`` ("linked this ticket to escalation ESC-12").

    It bumps neither the ticket's version nor its "last activity" (both show to the customer).
    """
    locked = _lock(ticket)
    change = _Change(ticket=locked, actor=actor, now=timezone.now())
    change.record(TicketEvent.Kind.LINKED_WORK, what, reference, body=detail[:2000])
    change.save()
    return change.rows[0]


@transaction.atomic
def ticket_product_update_post(
    *, actor: AbstractBaseUser | None, ticket: Ticket, body: str, what: str, reference: str
) -> TicketEvent | None:
    """Tell the ticket's customer of a product fix: a public reply (by the support team) emailed once through the outbox.

    The desk timeline says why (``what`` ``reference``); a pending or on-hold ticket goes
    back to open for its agent. A closed ticket gets the reply too (the customer is
    told) but stays closed. Returns the reply, or None when the ticket was removed.
    The caller guarantees "once" (the escalations app's unique fix notice).
    """
    locked = _lock(ticket)
    if locked.removed:  # spam or deleted: nobody to tell
        return None
    text = clean_body(body)
    change = _Change(ticket=locked, actor=actor, now=timezone.now())
    change.record(TicketEvent.Kind.LINKED_WORK, what, reference)
    # The words go to the customer from the support team, whoever in product wrote them.
    reply = TicketEvent(ticket=locked, kind=TicketEvent.Kind.REPLY, actor=None, body=text, created_at=change.now)
    change.rows.append(reply)
    change.kinds.append(reply.kind)
    locked.last_agent_reply_at = change.now
    change.fields.add("last_agent_reply_at")
    if locked.status in WOKEN_BY_UPDATE:
        change.set_status(TicketStatus.OPEN)
    change.save()
    search_document_refresh(actor=actor, ticket_ids=[locked.pk])
    outbox_reply_enqueue(actor=None, event=reply)
    return reply
