"""Macros an agent may use (the desk's shared ones and their own), and a macro's text for one ticket."""

from __future__ import annotations

from django.db.models import Q

from helpdesk import permissions
from helpdesk.errors import NotFound
from helpdesk.macros.models import Macro
from helpdesk.mail import templates
from helpdesk.models import Ticket


def macros_for(*, user) -> list[Macro]:
    if not permissions.can_work_tickets(user):
        return []
    return list(Macro.objects.filter(Q(owner__isnull=True) | Q(owner=user)).select_related("team"))


def macro_get(*, user, macro_id) -> Macro:
    text = str(macro_id or "")
    if not text.isdigit() or len(text) > 18 or not permissions.can_work_tickets(user):
        raise NotFound("No such macro.")
    found = Macro.objects.filter(Q(owner__isnull=True) | Q(owner=user), pk=int(text)).select_related("team").first()
    if found is None:
        raise NotFound("No such macro.")
    return found


def macro_text(*, user, ticket: Ticket, macro: Macro) -> str:
    """The macro's text with its placeholders filled in for this ticket and this agent."""
    if not macro.body.strip():
        return ""
    values = {
        "ticket.reference": ticket.reference,
        "ticket.subject": ticket.subject,
        "customer.name": ticket.requester.name,
        "customer.email": ticket.requester.email,
        "agent.name": user.get_full_name() or user.get_username(),
    }
    try:
        return templates.render(subject="", body=macro.body, values=values).text.rstrip("\n")
    except Exception:  # a broken placeholder shows the text as written rather than nothing
        return macro.body
