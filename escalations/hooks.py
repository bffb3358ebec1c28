"""What escalations add to the ticketing app's pages and API, through ``helpdesk.extensions``."""

from __future__ import annotations

from django.urls import include, path

from helpdesk import extensions


def _ticket_escalation_references(viewer, tickets) -> dict[int, list[str]]:
    from escalations import selectors

    found = selectors.escalations_of_tickets(user=viewer, ticket_ids=[ticket.pk for ticket in tickets])
    return {ticket_id: [escalation.reference for escalation in rows] for ticket_id, rows in found.items()}


def _render_current(escalation, context):
    from escalations.api.serializers import render_current

    return render_current(escalation, context)


def register() -> None:
    from escalations.models import Escalation

    extensions.register_urls([path("api/v1/", include("escalations.api.urls"))])
    extensions.register_ticket_api_field(
        extensions.TicketApiField(
            name="escalations",
            values=_ticket_escalation_references,
            default=list,
            help_text="References of the escalations this ticket is linked to (`ESC-12`). Desk only.",
        )
    )
    extensions.register_stale_renderer(Escalation, _render_current)
