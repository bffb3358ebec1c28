"""Who a ticket is for and who else hears of it: its requester, its CCs, its followers.

A requester change and every CC added or removed is a timeline row (actor, old,
new) in the same transaction, like any other field of the ticket. Following is a
personal choice and changes nothing others see.
"""

from __future__ import annotations

from django.contrib.auth.models import AbstractBaseUser
from django.core.exceptions import ValidationError
from django.core.validators import validate_email
from django.db import IntegrityError, transaction
from django.utils import timezone

from helpdesk import permissions
from helpdesk.errors import ActionForbidden, InvalidInput, NotFound
from helpdesk.models import Customer, Ticket, TicketEvent
from helpdesk.participants.models import TicketCC, TicketFollower
from helpdesk.services.search_index import search_document_refresh
from helpdesk.services.tickets import _Change, _lock

MAX_CCS = 20


def _check_desk(actor: AbstractBaseUser | None, ticket: Ticket, what: str) -> Ticket:
    locked = _lock(ticket)
    if actor is not None:
        if not permissions.can_view_ticket(actor, locked):
            raise NotFound("No such ticket.")
        if not permissions.can_work_tickets(actor):
            raise ActionForbidden(f"You may not change {what}.")
    return locked


def clean_email(value: str | None, *, field: str) -> str:
    email = (value or "").strip().lower()
    if len(email) > 254:
        raise InvalidInput("An email address has at most 254 characters.", field=field)
    try:
        validate_email(email)
    except ValidationError as error:
        message = f"{value!r} is not an email address." if value else "Enter an email address."
        raise InvalidInput(message, field=field) from error
    return email


@transaction.atomic
def ticket_requester_change(*, actor: AbstractBaseUser | None, ticket: Ticket, requester: Customer) -> Ticket:
    """Put the ticket under another customer (the wrong caller picked, a colleague taking over)."""
    locked = _check_desk(actor, ticket, "the requester")
    if locked.is_closed:
        raise InvalidInput(f"{locked.reference} is closed; its requester can no longer change.", field="requester")
    if locked.requester_id == requester.pk:
        return locked
    old = Customer.objects.only("name", "email").get(pk=locked.requester_id)
    change = _Change(ticket=locked, actor=actor, now=timezone.now())
    locked.requester = requester
    locked.organization_id = requester.organization_id
    change.fields.update({"requester", "organization"})
    change.record(TicketEvent.Kind.REQUESTER, f"{old.name} <{old.email}>", f"{requester.name} <{requester.email}>")
    change.save()
    search_document_refresh(actor=actor, ticket_ids=[locked.pk])
    return locked


@transaction.atomic
def ticket_cc_add(*, actor: AbstractBaseUser | None, ticket: Ticket, email: str) -> TicketCC | None:
    """Copy an address on the ticket's public replies; None when it is already copied (or the requester's)."""
    locked = _check_desk(actor, ticket, "who is copied")
    address = clean_email(email, field="cc")
    if locked.requester.email.lower() == address:
        return None
    existing = TicketCC.objects.filter(ticket=locked, email__iexact=address).first()
    if existing is not None:
        return None
    if TicketCC.objects.filter(ticket=locked).count() >= MAX_CCS:
        raise InvalidInput(f"A ticket can copy at most {MAX_CCS} addresses.", field="cc")
    customer = Customer.objects.filter(email__iexact=address).first()
    try:
        with transaction.atomic():
            cc = TicketCC.objects.create(
                ticket=locked,
                email=address,
                customer=customer,
                added_by=actor if actor is not None and actor.pk is not None else None,
                created_at=timezone.now(),
            )
    except IntegrityError:  # added by someone else at the same moment
        return None
    change = _Change(ticket=locked, actor=actor, now=cc.created_at)
    change.record(TicketEvent.Kind.CC, "", address)
    change.save()
    return cc


@transaction.atomic
def ticket_cc_remove(*, actor: AbstractBaseUser | None, ticket: Ticket, email: str) -> bool:
    locked = _check_desk(actor, ticket, "who is copied")
    deleted, _ = TicketCC.objects.filter(ticket=locked, email__iexact=(email or "").strip()).delete()
    if not deleted:
        return False
    change = _Change(ticket=locked, actor=actor, now=timezone.now())
    change.record(TicketEvent.Kind.CC, email.strip().lower(), "")
    change.save()
    return True


def ticket_ccs_from_email(*, ticket: Ticket, addresses: list[str], own: set[str]) -> int:
    """Copy the people a customer copied on their email (not the desk's own addresses); returns how many."""
    added = 0
    for address in addresses[:MAX_CCS]:
        if address in own:
            continue
        try:
            if ticket_cc_add(actor=None, ticket=ticket, email=address) is not None:
                added += 1
        except InvalidInput:
            continue  # an unusable address in a header is not the customer's mistake to fix
    return added


@transaction.atomic
def ticket_follow(*, actor: AbstractBaseUser, ticket: Ticket, following: bool = True) -> bool:
    """Start (or stop) following a ticket; returns whether the actor follows it now."""
    if not permissions.can_view_ticket(actor, ticket) or not permissions.can_see_internal(actor):
        raise NotFound("No such ticket.")
    if following:
        TicketFollower.objects.get_or_create(ticket=ticket, user=actor, defaults={"created_at": timezone.now()})
    else:
        TicketFollower.objects.filter(ticket=ticket, user=actor).delete()
    return following
