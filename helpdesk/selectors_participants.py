"""What the ticket page's people panel shows: CCs, followers, the requester's ways of hearing back."""

from __future__ import annotations

from dataclasses import dataclass, field
from datetime import datetime

from helpdesk import permissions
from helpdesk.mail.models import OutboundEmail
from helpdesk.models import AuditEvent, Ticket
from helpdesk.participants.models import TicketCC, TicketFollower


@dataclass
class TicketPeople:
    ccs: list[TicketCC] = field(default_factory=list)
    followers: list = field(default_factory=list)
    following: bool = False
    # "active" (signs in), "invited" (a link was sent) or "none".
    portal: str = "none"
    invited_at: datetime | None = None
    # The last error of an email to this ticket that was given up, or "".
    email_failure: str = ""

    @property
    def composer_warning(self) -> str:
        """Why a public reply may not reach the customer, or ""."""
        if not self.email_failure:
            return ""
        if self.portal == "active":
            return f"Emails on this ticket are failing ({self.email_failure}); the customer will see replies in the portal."
        return (
            f"This reply will reach the customer neither by email (the last one failed: {self.email_failure}) "
            "nor in the portal (they have no sign-in). Call them, or fix the address."
        )


def ticket_people(*, user, ticket: Ticket) -> TicketPeople:
    if not permissions.can_see_internal(user):
        return TicketPeople()
    people = TicketPeople(
        ccs=list(TicketCC.objects.filter(ticket=ticket).select_related("customer")),
        followers=[row.user for row in TicketFollower.objects.filter(ticket=ticket).select_related("user")],
    )
    people.following = any(follower.pk == user.pk for follower in people.followers)
    requester = ticket.requester
    account = requester.user if requester.user_id else None
    if account is not None and account.is_active and account.has_usable_password():
        people.portal = "active"
    else:
        invited = (
            AuditEvent.objects.filter(object_type="customer", object_id=str(requester.pk), action="customer.invited")
            .order_by("-created_at")
            .values_list("created_at", flat=True)
            .first()
            if account is not None
            else None
        )
        if invited is not None:
            people.portal, people.invited_at = "invited", invited
    failed = (
        OutboundEmail.objects.filter(ticket=ticket, kind=OutboundEmail.Kind.REPLY)
        .order_by("-created_at")
        .values_list("status", "last_error")
        .first()
    )
    if failed is not None and failed[0] == OutboundEmail.Status.FAILED:
        people.email_failure = failed[1][:160] or "refused"
    return people
