"""Merging a ticket into another: one request asked twice (or by two colleagues) becomes one ticket.

The merged ticket (the source) is closed with a pointer to the ticket it went into (the
target). Its replies and notes, with their files and the emails that carried them, move
to the target's timeline in their own time order, so the conversation reads as one and a
reply by email to any of those emails lands on the target. The source's requester is
told (a public reply on the source, emailed like any other) and, when the target is
someone else's, becomes a CC of the target with the source's CCs, so they go on hearing
the answers.
"""

from __future__ import annotations

from django.contrib.auth.models import AbstractBaseUser
from django.db import transaction
from django.db.models import Max
from django.utils import timezone

from helpdesk import permissions
from helpdesk.errors import ActionForbidden, InvalidInput, NotFound, StaleVersion, TransitionNotAllowed
from helpdesk.models import (
    Attachment,
    InboundEmail,
    OutboundEmail,
    Ticket,
    TicketCC,
    TicketEvent,
    TicketFollower,
    TicketStatus,
)
from helpdesk.services.audit import audit_record
from helpdesk.services.outbox import outbox_reply_enqueue
from helpdesk.services.participants import ticket_cc_add
from helpdesk.services.search_index import search_document_refresh
from helpdesk.services.tickets import _Change, clean_body

MESSAGE_KINDS = [TicketEvent.Kind.REPLY, TicketEvent.Kind.NOTE]


def merge_notice(*, source: Ticket, target: Ticket) -> str:
    """What the source's requester is told unless the agent writes something else.

    A colleague's ticket is not named (its subject is theirs to share): the requester
    hears that the request goes on elsewhere and that they are copied on the answers.
    """
    if source.requester_id == target.requester_id:
        return (
            f"Thank you for your message. We have merged this request ({source.reference}) into "
            f"{target.reference} “{target.subject}”, where we are already handling it; we will "
            "answer you there."
        )
    return (
        f"Thank you for your message. We have merged this request ({source.reference}) into a request "
        "about the same problem from your organization, where we are already handling it. You are "
        "copied on our answers there and will hear from us by email."
    )


def same_customer_side(source: Ticket, target: Ticket) -> bool:
    """Whether a merge keeps the conversation among people who may read it.

    The source's messages and files move onto the target and its requester is copied on
    the target's replies, so both tickets must be one person's, or two people's of the
    same organization.
    """
    if source.requester_id == target.requester_id:
        return True
    org = source.requester.organization_id
    return org is not None and org == target.requester.organization_id


def _lock_both(source: Ticket, target: Ticket) -> tuple[Ticket, Ticket]:
    # Always in id order, so two merges of the same pair the other way round cannot deadlock.
    rows = {
        t.pk: t
        for t in Ticket.objects.select_for_update(of=("self",))
        .defer("search_document")
        .select_related("requester", "assignee", "team", "feature")
        .filter(pk__in=[source.pk, target.pk])
        .order_by("pk")
    }
    if source.pk not in rows or target.pk not in rows:
        raise NotFound("No such ticket.")
    return rows[source.pk], rows[target.pk]


def _check(actor: AbstractBaseUser | None, source: Ticket, target: Ticket, expected_version: int | None) -> None:
    if actor is not None:
        if not (permissions.can_view_ticket(actor, source) and permissions.can_view_ticket(actor, target)):
            raise NotFound("No such ticket.")
        if not permissions.can_merge_tickets(actor):
            raise ActionForbidden("You may not merge tickets.")
    if source.pk == target.pk:
        raise InvalidInput("A ticket cannot be merged into itself; name another ticket.", field="into")
    if source.is_closed:
        raise TransitionNotAllowed(f"{source.reference} is closed and can no longer be merged.", field="into")
    if target.is_closed:
        raise TransitionNotAllowed(
            f"{target.reference} is closed; merge into an open ticket (or reopen the conversation there).",
            field="into",
        )
    if not same_customer_side(source, target):
        raise InvalidInput(
            f"{target.reference} is another customer's ticket, outside {source.reference}'s organization: merging "
            "would show this customer's messages to them. Link the tickets in a note instead.",
            field="into",
        )
    if expected_version is not None and source.version != expected_version:
        raise StaleVersion(
            f"{source.reference} was changed by someone else since you opened it "
            f"(you had version {expected_version}, it is now {source.version}). Review it and merge again.",
            current=source,
        )


@transaction.atomic
def ticket_merge(
    *,
    actor: AbstractBaseUser | None,
    source: Ticket,
    target: Ticket,
    expected_version: int | None = None,
    notice: str | None = None,
) -> Ticket:
    """Merge ``source`` into ``target``; returns the target.

    ``notice`` is what the source's requester is told (``merge_notice`` when None);
    ``expected_version`` is the source's version as the agent saw it.
    """
    source, target = _lock_both(source, target)
    _check(actor, source, target, expected_version)
    text = clean_body(merge_notice(source=source, target=target) if notice is None else notice, field_name="notice")
    now = timezone.now()

    # The notice first, so its email threads with the customer's emails before they move.
    source_change = _Change(ticket=source, actor=actor, now=now)
    told = TicketEvent(ticket=source, kind=TicketEvent.Kind.REPLY, actor=actor, body=text, created_at=now)
    source_change.rows.append(told)
    source_change.kinds.append(told.kind)

    moved = list(TicketEvent.objects.filter(ticket=source, kind__in=MESSAGE_KINDS).values_list("pk", flat=True))
    TicketEvent.objects.filter(pk__in=moved).update(ticket=target)
    Attachment.objects.filter(event_id__in=moved).update(ticket=target)
    latest = TicketEvent.objects.filter(pk__in=moved, kind=TicketEvent.Kind.REPLY, customer__isnull=False).aggregate(
        at=Max("created_at")
    )["at"]

    source.merged_into = target
    source_change.fields.add("merged_into")
    source_change.record(TicketEvent.Kind.MERGED, "", target.reference, body=f"Merged into {target.reference}.")
    # Closing from any status: a merge is the end of the source whatever it was.
    source_change.record(TicketEvent.Kind.STATUS, source.status, TicketStatus.CLOSED)
    source.status = TicketStatus.CLOSED
    source.closed_at = now
    source_change.fields.update({"status", "closed_at"})
    source_change.save()
    outbox_reply_enqueue(actor=actor, event=told)
    # Emails of the source (the notice's included) now thread into the target.
    InboundEmail.objects.filter(ticket=source).update(ticket=target)
    OutboundEmail.objects.filter(ticket=source).update(ticket=target)

    target_change = _Change(ticket=target, actor=actor, now=now)
    if latest is not None and (target.last_customer_message_at is None or latest > target.last_customer_message_at):
        target.last_customer_message_at = latest
        target_change.fields.add("last_customer_message_at")
    target_change.record(
        TicketEvent.Kind.MERGED,
        source.reference,
        target.reference,
        body=f"{source.reference} “{source.subject}” merged into this ticket: {len(moved)} message(s) moved here.",
    )
    target_change.save()
    TicketFollower.objects.bulk_create(
        [
            TicketFollower(ticket=target, user_id=user_id, created_at=now)
            for user_id in TicketFollower.objects.filter(ticket=source).values_list("user_id", flat=True)
        ],
        ignore_conflicts=True,
    )
    audit_record(
        actor=actor,
        action="ticket.merged",
        obj=source,
        changes={"merged_into": [None, target.reference], "status": [source_change.rows[-1].old_value, "closed"]},
    )
    search_document_refresh(actor=actor, ticket_ids=[source.pk, target.pk])

    # Whoever asked on the source goes on hearing the answers (the CC service locks the target again).
    addresses = [source.requester.email, *TicketCC.objects.filter(ticket=source).values_list("email", flat=True)]
    for address in addresses:
        if address and address.lower() != target.requester.email.lower():
            try:
                ticket_cc_add(actor=actor, ticket=target, email=address)
            except InvalidInput:  # one address the target cannot copy (full, or malformed): the merge still holds
                continue
    return Ticket.objects.defer("search_document").select_related("requester").get(pk=target.pk)
