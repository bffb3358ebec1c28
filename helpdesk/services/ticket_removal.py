"""Spam and deletion: tickets taken out of everyone's sight, restorable for a while, then purged.

Marking a ticket as spam hides it and blocks its requester (their email is ignored from
then on, the portal opens no ticket for them); its emails still waiting in the outbox
are not sent. Deleting hides it the same way without blocking anyone. Both are timeline
rows and audit rows, and either is undone by ``ticket_restore`` (which also unblocks a
spam sender) until ``tickets_purge_removed`` deletes the ticket, its timeline and its
files for good, ``HELPDESK_REMOVED_RETENTION_DAYS`` after removal.
"""

from __future__ import annotations

import logging
from datetime import timedelta

from django.conf import settings
from django.contrib.auth.models import AbstractBaseUser
from django.db import transaction
from django.db.models import Q
from django.utils import timezone

from helpdesk import events, permissions
from helpdesk.errors import ActionForbidden, InvalidInput, NotFound
from helpdesk.models import Attachment, Customer, InboundEmail, OutboundEmail, Ticket, TicketEvent, TicketRemoval
from helpdesk.services.audit import audit_record

log = logging.getLogger(__name__)

PURGE_BATCH = 200


def _lock_any(ticket: Ticket) -> Ticket:
    """The ticket locked, removed or not (the selectors would hide a removed one)."""
    found = (
        Ticket.objects.select_for_update(of=("self",))
        .defer("search_document")
        .select_related("requester")
        .filter(pk=ticket.pk)
        .first()
    )
    if found is None:
        raise NotFound("No such ticket.")
    return found


def _event(ticket: Ticket, actor, old: str, new: str, now) -> None:
    TicketEvent.objects.create(
        ticket=ticket,
        kind=TicketEvent.Kind.REMOVED,
        actor=actor if actor is not None and actor.pk is not None else None,
        old_value=old,
        new_value=new,
        created_at=now,
    )


def _remove(*, actor, ticket: Ticket, kind: str) -> Ticket:
    locked = _lock_any(ticket)
    if locked.removed:
        if locked.removed == kind:
            return locked  # already done: asking twice changes nothing
        raise InvalidInput(
            f"{locked.reference} is already {locked.get_removed_display().lower()}; restore it first.", field="ticket"
        )
    now = timezone.now()
    locked.removed, locked.removed_at, locked.removed_by = kind, now, actor
    locked.version += 1
    locked.save(update_fields=["removed", "removed_at", "removed_by", "version"])
    _event(locked, actor, "", kind, now)
    audit_record(
        actor=actor,
        action="ticket.marked_spam" if kind == TicketRemoval.SPAM else "ticket.deleted",
        obj=locked,
        changes={"removed": [None, kind]},
    )
    # Anyone looking at it, and every inbox listing it, hears that it changed (and then cannot load it).
    events.broadcast_ticket_changed(ticket=locked, actor=actor, changes=["removed"])
    return locked


@transaction.atomic
def ticket_mark_spam(*, actor: AbstractBaseUser | None, ticket: Ticket) -> Ticket:
    """Hide the ticket as spam and block its requester."""
    if actor is not None and not permissions.can_mark_spam(actor):
        raise ActionForbidden("You may not mark tickets as spam.")
    if actor is not None and not permissions.can_view_ticket(actor, ticket):
        raise NotFound("No such ticket.")
    locked = _remove(actor=actor, ticket=ticket, kind=TicketRemoval.SPAM)
    requester = Customer.objects.select_for_update().get(pk=locked.requester_id)
    if requester.blocked_at is None:
        requester.blocked_at = locked.removed_at
        requester.save(update_fields=["blocked_at"])
        audit_record(actor=actor, action="customer.updated", obj=requester, changes={"blocked": [False, True]})
    # Waiting ones, and ones a crashed worker left half-sent (their lease over); one a
    # worker is handing to the mail server this second cannot be called back.
    OutboundEmail.objects.filter(ticket=locked).filter(
        Q(status=OutboundEmail.Status.PENDING) | Q(status=OutboundEmail.Status.SENDING, lease_until__lt=timezone.now())
    ).update(status=OutboundEmail.Status.FAILED, lease_until=None, last_error="Not sent: the ticket was marked as spam.")
    return locked


@transaction.atomic
def ticket_delete(*, actor: AbstractBaseUser | None, ticket: Ticket) -> Ticket:
    """Hide the ticket; it can be restored until it is purged."""
    if actor is not None and not permissions.can_delete_tickets(actor):
        raise ActionForbidden("Only support managers may delete tickets.")
    if actor is not None and not permissions.can_view_ticket(actor, ticket):
        raise NotFound("No such ticket.")
    return _remove(actor=actor, ticket=ticket, kind=TicketRemoval.DELETED)


@transaction.atomic
def ticket_restore(*, actor: AbstractBaseUser | None, ticket: Ticket) -> Ticket:
    """Bring a spam or deleted ticket back where it was; a spam sender is unblocked."""
    locked = _lock_any(ticket)
    if not locked.removed:
        return locked
    if actor is not None and not permissions.can_restore_ticket(actor, locked):
        # The "Deleted and spam" list never showed it to them: as if it did not exist.
        raise NotFound("No such ticket.")
    old, now = locked.removed, timezone.now()
    locked.removed, locked.removed_at, locked.removed_by = "", None, None
    locked.version += 1
    locked.save(update_fields=["removed", "removed_at", "removed_by", "version"])
    _event(locked, actor, old, "", now)
    audit_record(actor=actor, action="ticket.restored", obj=locked, changes={"removed": [old, None]})
    if old == TicketRemoval.SPAM:
        requester = Customer.objects.select_for_update().get(pk=locked.requester_id)
        still_spam = Ticket.objects.filter(requester=requester, removed=TicketRemoval.SPAM).exists()
        if requester.blocked_at is not None and not still_spam:
            requester.blocked_at = None
            requester.save(update_fields=["blocked_at"])
            audit_record(actor=actor, action="customer.updated", obj=requester, changes={"blocked": [True, False]})
    events.broadcast_ticket_changed(ticket=locked, actor=actor, changes=["restored"])
    return locked


def tickets_purge_removed(*, actor: AbstractBaseUser | None = None, now=None) -> int:
    """Delete for good the tickets removed longer ago than the retention; returns how many.

    In batches, each its own transaction; the files go from storage after their rows are
    gone (a file left behind by a crash costs space, never a dangling row).
    """
    now = now or timezone.now()
    cutoff = now - timedelta(days=settings.HELPDESK_REMOVED_RETENTION_DAYS)
    purged = 0
    while True:
        with transaction.atomic():
            tickets = list(
                Ticket.objects.select_for_update(skip_locked=True)
                .exclude(removed="")
                .filter(removed_at__lt=cutoff)
                .only("id", "number", "subject", "removed", "removed_at")
                .order_by("removed_at")[:PURGE_BATCH]
            )
            if not tickets:
                return purged
            files = list(Attachment.objects.filter(ticket__in=tickets).values_list("file", "thumbnail"))
            for ticket in tickets:
                audit_record(
                    actor=actor,
                    action="ticket.purged",
                    obj=ticket,
                    changes={"removed": [ticket.removed, "purged"]},
                )
            # The emails that opened or answered them go too (their raw text is the customer's data);
            # tickets merged into one of these keep their pointer's absence (SET_NULL).
            InboundEmail.objects.filter(ticket__in=tickets).delete()
            Ticket.objects.filter(pk__in=[t.pk for t in tickets]).delete()
            transaction.on_commit(lambda files=files: _delete_files(files))
            purged += len(tickets)


def _delete_files(files: list[tuple[str, str]]) -> None:
    storage = Attachment._meta.get_field("file").storage
    for names in files:
        for name in names:
            if not name:
                continue
            try:
                storage.delete(name)
            except OSError:
                log.warning("could not delete the purged file %s", name)
