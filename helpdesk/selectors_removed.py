"""Reads of spam and deleted tickets: the "Deleted and spam" list, the only way to them until restored."""

from __future__ import annotations

from datetime import timedelta

from django.conf import settings

from helpdesk import permissions
from helpdesk.errors import NotFound
from helpdesk.keyset import Page, SortKey, paginate
from helpdesk.models import Ticket, parse_reference

REMOVED_SORT = SortKey((("removed_at", True), ("id", True)))


def _removed_queryset(*, user):
    kinds = permissions.removed_kinds_visible_to(user)
    if not kinds:
        return Ticket.objects.none()
    return (
        Ticket.objects.filter(removed__in=kinds)
        .select_related("requester", "removed_by")
        .defer("search_document")
    )


def removed_tickets(*, user, cursor: str | None = None, page_size: int = 50) -> Page[Ticket]:
    """The spam and deleted tickets ``user`` may restore, most recently removed first."""
    return paginate(_removed_queryset(user=user), sort=REMOVED_SORT, cursor=cursor, page_size=page_size)


def removed_ticket_get(*, user, reference: str) -> Ticket:
    number = parse_reference(reference)
    ticket = _removed_queryset(user=user).filter(number=number).first() if number is not None else None
    if ticket is None:
        raise NotFound("No such ticket.")
    return ticket


def purge_date(ticket: Ticket):
    """When ``purge_removed_tickets`` deletes this ticket for good."""
    return ticket.removed_at + timedelta(days=settings.HELPDESK_REMOVED_RETENTION_DAYS)
