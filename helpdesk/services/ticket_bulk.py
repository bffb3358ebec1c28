"""One change applied to many tickets: fields (``ticket_bulk_update``) and tags (``ticket_bulk_tag``).

Each ticket goes through ``ticket_update`` in a savepoint of its own, so it gets
its own version, timeline rows and event, and one refused ticket never undoes the
others. A refusal is reported per ticket in plain words that name the ticket
("HD-1159 is open and cannot go back to New."), because the person reading the
summary is looking at a list, not at that ticket.
"""

from __future__ import annotations

from collections.abc import Iterable
from dataclasses import dataclass, field

from django.contrib.auth.models import AbstractBaseUser
from django.db import transaction

from helpdesk import events, permissions
from helpdesk.errors import ActionForbidden, DomainError, InvalidInput, NotFound, TransitionNotAllowed
from helpdesk.models import Team, Ticket, TicketStatus
from helpdesk.services.tickets import UNSET, clean_tags, ticket_update


@dataclass
class BulkResult:
    """References changed, left as they were (they already had the value), and refused with the reason."""

    updated: list[str] = field(default_factory=list)
    unchanged: list[str] = field(default_factory=list)
    skipped: dict[str, str] = field(default_factory=dict)


def _label(status: str) -> str:
    return str(TicketStatus(status).label) if status in TicketStatus.values else status


def _either(labels: list[str]) -> str:
    return labels[0] if len(labels) == 1 else ", ".join(labels[:-1]) + " or " + labels[-1]


def status_refusal(reference: str, *, current: str, target: str) -> str:
    """Why a ticket in ``current`` cannot take ``target``, naming the ticket."""
    if current == TicketStatus.CLOSED:
        return f"{reference} is closed and can no longer change."
    now = _label(current).lower()
    if target == TicketStatus.NEW:
        return f"{reference} is {now} and cannot go back to New."
    allowed = [_label(s) for s in TicketStatus.values if s in Ticket.ALLOWED_TRANSITIONS.get(current, ())]
    return f"{reference} is {now} and cannot move to {_label(target)}: a {now} ticket can become {_either(allowed)}."


def _refusal(ticket: Ticket, error: DomainError, *, status: str) -> str:
    reference = ticket.reference
    if isinstance(error, NotFound):
        return f"{reference} was not found."
    if isinstance(error, TransitionNotAllowed) and error.field == "status" and status is not UNSET:
        # The ticket as it was when the change was refused (it may have moved since the list was loaded).
        current = Ticket.objects.filter(pk=ticket.pk).values_list("status", flat=True).first() or ticket.status
        return status_refusal(reference, current=current, target=status)
    return error.message if error.message.startswith(reference) else f"{reference}: {error.message}"


def _apply(result: BulkResult, ticket: Ticket, change, *, status: str = UNSET) -> None:
    """Run ``change()`` (one ticket_update) in a savepoint and file the ticket under its outcome."""
    try:
        with transaction.atomic():
            before = Ticket.objects.select_for_update().filter(pk=ticket.pk).values_list("version", flat=True).first()
            if before is None:
                raise NotFound("No such ticket.")
            after = change()
    except (InvalidInput, TransitionNotAllowed, ActionForbidden, NotFound) as error:
        result.skipped[ticket.reference] = _refusal(ticket, error, status=status)
    else:
        (result.unchanged if after.version == before else result.updated).append(ticket.reference)


def ticket_bulk_update(
    *,
    actor: AbstractBaseUser,
    tickets: Iterable[Ticket],
    status: str = UNSET,
    assignee: AbstractBaseUser | None = UNSET,
    priority: int | str = UNSET,
    team: Team | None = UNSET,
) -> BulkResult:
    """Apply one change to many tickets; each ticket succeeds, already had it, or is skipped with a reason."""
    if not permissions.can_work_tickets(actor):
        raise ActionForbidden("You may not change tickets.")
    result = BulkResult()
    # One desk message per hundred tickets rather than one per ticket (events.desk_batch).
    with transaction.atomic(), events.desk_batch():
        for ticket in tickets:
            _apply(
                result,
                ticket,
                lambda ticket=ticket: ticket_update(
                    actor=actor, ticket=ticket, status=status, assignee=assignee, priority=priority, team=team
                ),
                status=status,
            )
    return result


def ticket_bulk_tag(
    *,
    actor: AbstractBaseUser,
    tickets: Iterable[Ticket],
    add: Iterable[str] = (),
    remove: Iterable[str] = (),
) -> BulkResult:
    """Add and remove tags on many tickets, keeping each ticket's other tags.

    The new set is worked out under the ticket's row lock, so a tag someone else
    adds meanwhile is kept rather than overwritten.
    """
    if not permissions.can_work_tickets(actor):
        raise ActionForbidden("You may not change tickets.")
    to_add, to_remove = clean_tags(list(add)), clean_tags(list(remove))
    if not to_add and not to_remove:
        raise InvalidInput("Name at least one tag to add or to remove.", field="tags")
    both = sorted(set(to_add) & set(to_remove))
    if both:
        raise InvalidInput(f"{', '.join(both)}: a tag cannot be added and removed at once.", field="tags")
    result = BulkResult()

    def retag(ticket: Ticket) -> Ticket:
        # Runs inside _apply's savepoint, after its row lock.
        current = set(ticket.tags.values_list("name", flat=True))
        return ticket_update(actor=actor, ticket=ticket, tags=sorted((current | set(to_add)) - set(to_remove)))

    # One desk message per hundred tickets rather than one per ticket (events.desk_batch).
    with transaction.atomic(), events.desk_batch():
        for ticket in tickets:
            _apply(result, ticket, lambda ticket=ticket: retag(ticket))
    return result
