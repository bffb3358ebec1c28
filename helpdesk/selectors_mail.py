"""Reads about email: what the timeline says of each message's email, and the original of one received."""

from __future__ import annotations

from collections.abc import Iterable
from dataclasses import dataclass

from helpdesk import permissions
from helpdesk.errors import NotFound
from helpdesk.mail.models import InboundEmail, OutboundEmail
from helpdesk.models import Ticket


@dataclass(frozen=True)
class MailMark:
    """How one timeline message travelled by email (the desk shows it under the message)."""

    direction: str  # "in" or "out"
    recipients: tuple[str, ...] = ()
    status: str = ""  # an outgoing email's OutboundEmail.Status
    error: str = ""
    inbound_id: int | None = None

    @property
    def status_label(self) -> str:
        return {
            OutboundEmail.Status.PENDING: "waiting to be sent",
            OutboundEmail.Status.SENDING: "being sent",
            OutboundEmail.Status.SENT: "sent",
            OutboundEmail.Status.FAILED: "not delivered",
        }.get(self.status, self.status)


def timeline_mail_marks(*, user, ticket: Ticket, event_ids: Iterable[int]) -> dict[int, MailMark]:
    """Event id → its email, for the events of ``ticket`` given; two queries whatever their number."""
    if not permissions.can_see_internal(user):
        return {}
    ids = list(event_ids)
    if not ids:
        return {}
    marks: dict[int, MailMark] = {}
    for event_id, pk in InboundEmail.objects.filter(ticket=ticket, event_id__in=ids).values_list("event_id", "pk"):
        marks[event_id] = MailMark(direction="in", inbound_id=pk)
    sent = OutboundEmail.objects.filter(ticket=ticket, event_id__in=ids).values_list(
        "event_id", "to", "cc", "status", "last_error"
    )
    for event_id, to, cc, status, error in sent:
        marks[event_id] = MailMark(direction="out", recipients=tuple([*to, *cc]), status=status, error=error[:200])
    return marks


def inbound_email_original(*, user, ticket: Ticket, inbound_id: int) -> InboundEmail:
    """One received email of a ticket, whole, for the desk; NotFound for anyone else."""
    if not permissions.can_see_internal(user) or not permissions.can_view_ticket(user, ticket):
        raise NotFound("No such email.")
    found = InboundEmail.objects.filter(ticket=ticket, pk=inbound_id).first()
    if found is None:
        raise NotFound("No such email.")
    return found
