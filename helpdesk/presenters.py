"""Who wrote a timeline entry, named for whoever is looking; and an audit row, as people read it.

The desk, the portal and the API all name authors through these functions, so a
customer sees an agent under one name everywhere (first name, or "Support team")
and never learns an agent's username, while the desk sees full names and
usernames.

Pure functions: they read ``event.actor`` and ``event.customer``, which the
selectors fetch with the events (``select_related``); nothing here queries.
"""

from __future__ import annotations

from dataclasses import dataclass
from typing import TYPE_CHECKING, Any

if TYPE_CHECKING:
    from helpdesk.models import Customer, TicketEvent

SUPPORT_TEAM = "Support team"
SYSTEM = "System"
YOU = "You"


def is_customers_own(event: TicketEvent, *, customer_id: int | None) -> bool:
    """Whether the words are this customer's (their reply, or the request they sent)."""
    return customer_id is not None and event.customer_id == customer_id


def _customer(event: TicketEvent) -> Customer | None:
    return event.customer if event.customer_id is not None else None


def _agent_for_customers(actor: Any) -> str:
    # First names only: a username is a sign-in name, and a customer has no use for it.
    if actor is None:
        return SUPPORT_TEAM
    return (actor.first_name or "").strip() or SUPPORT_TEAM


def author_display(
    event: TicketEvent,
    *,
    viewer_is_desk: bool,
    viewer_customer_id: int | None,
    requester: Customer | None = None,
) -> str:
    """The name shown beside a message or a change.

    The desk sees the customer's name for their words and agents' full names;
    ``requester`` (the ticket's) lets a change made with the customer's login (their
    reply reopening the ticket) be named as the desk knows them. A customer sees
    "You" for their own words and agents by first name or as the support team.
    """
    customer = _customer(event)
    if viewer_is_desk:
        if customer is not None:
            return customer.name
        actor = event.actor
        if actor is None:
            return SYSTEM
        if requester is not None and requester.user_id is not None and event.actor_id == requester.user_id:
            return requester.name
        return actor.get_full_name() or actor.get_username()
    if is_customers_own(event, customer_id=viewer_customer_id):
        return YOU
    if customer is not None:
        return customer.name
    return _agent_for_customers(event.actor)


def author_handle(event: TicketEvent, *, viewer_is_desk: bool) -> str | None:
    """The API's ``author``: an identifier rather than a display name.

    A customer's words: their username when they wrote them signed in, otherwise
    (a customer without a login, or words someone logged for them) their email.
    Anyone else's: the desk gets the username; a customer gets the first name or
    "Support team", as the portal shows it. ``None`` for the system.
    """
    customer = _customer(event)
    if customer is not None:
        if customer.user_id is not None and event.actor_id == customer.user_id:
            return event.actor.get_username()
        return customer.email
    if event.actor_id is None:
        return None
    if viewer_is_desk:
        return event.actor.get_username()
    return _agent_for_customers(event.actor)


# --- the audit log ---------------------------------------------------------------------------

_FIELD_LABELS = {
    "is_active": "Active",
    "is_staff": "Staff (admin access)",
    "is_superuser": "Superuser",
    "is_key_account": "Key account",
    "user": "Portal login",
    "email": "E-mail",
}


@dataclass(frozen=True)
class AuditLine:
    field: str
    old: str
    new: str


def audit_actor(event: Any) -> str:
    """Who made an audited change: full name and username, or the system."""
    actor = event.actor if event.actor_id is not None else None
    if actor is None:
        return SYSTEM
    full = actor.get_full_name()
    return f"{full} ({actor.get_username()})" if full else actor.get_username()


def audit_action(event: Any) -> str:
    from helpdesk.models import AuditEvent

    return AuditEvent.ACTIONS.get(event.action, event.action)


def audit_value_text(value: Any) -> str:
    if value is None or value == "":
        return "—"
    if value is True:
        return "yes"
    if value is False:
        return "no"
    if isinstance(value, list):
        return ", ".join(str(item) for item in value) if value else "none"
    return str(value)


def audit_field_label(name: str) -> str:
    return _FIELD_LABELS.get(name, name.replace("_", " ").capitalize())


def audit_lines(event: Any) -> list[AuditLine]:
    """Each changed field of an audit row: its label, what it was and what it became, as text."""
    lines = []
    for name, pair in (event.changes or {}).items():
        old, new = pair if isinstance(pair, (list, tuple)) and len(pair) == 2 else (None, pair)
        lines.append(AuditLine(audit_field_label(name), audit_value_text(old), audit_value_text(new)))
    return lines
