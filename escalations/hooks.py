"""What escalations add to the ticketing app's pages and API, through ``helpdesk.extensions``."""

from __future__ import annotations

from django.urls import include, path

from helpdesk import extensions

UNSOLVED = ("new", "open", "pending", "on_hold")


def _ticket_escalation_references(viewer, tickets) -> dict[int, list[str]]:
    from escalations import selectors

    found = selectors.escalations_of_tickets(user=viewer, ticket_ids=[ticket.pk for ticket in tickets])
    return {ticket_id: [escalation.reference for escalation in rows] for ticket_id, rows in found.items()}


def _render_current(escalation, context):
    from escalations.api.serializers import render_current

    return render_current(escalation, context)


def _panel(request, ticket):
    """The ticket page's "Escalations" block: one query."""
    from escalations import permissions, selectors

    if not permissions.can_view_escalations(request.user):
        return None
    found = selectors.escalations_of_tickets(user=request.user, ticket_ids=[ticket.pk]).get(ticket.pk, [])
    return {"escalations": found, "can_raise": permissions.can_raise_escalations(request.user)}


def _banner(request, ticket):
    """Every unsolved ticket of a blocked feature says so (read from the escalations, never a cache): one query."""
    from escalations import selectors

    if ticket.feature_id is None or ticket.status not in UNSOLVED:
        return None
    blocking = selectors.blocking_escalations_of_feature(user=request.user, feature_id=ticket.feature_id)
    if not blocking:
        return None
    linked = set(selectors.linked_escalation_ids(user=request.user, ticket_id=ticket.pk))
    return {
        "blocking": blocking,
        "feature_name": f"{blocking[0].feature.name} ({blocking[0].feature.key})",
        "linked_to_blocking": any(escalation.pk in linked for escalation in blocking),
    }


def _can_see_board(user) -> bool:
    from escalations import permissions

    return permissions.can_view_escalations(user)


def register() -> None:
    from escalations.models import Escalation
    from escalations.routing import websocket_urlpatterns

    extensions.register_urls(
        [
            path("api/v1/", include("escalations.api.urls")),
            path("escalations/", include("escalations.urls")),
        ]
    )
    extensions.register_websocket_urls(websocket_urlpatterns)
    extensions.register_ticket_api_field(
        extensions.TicketApiField(
            name="escalations",
            values=_ticket_escalation_references,
            default=list,
            help_text="References of the escalations this ticket is linked to (`ESC-12`). Desk only.",
        )
    )
    extensions.register_stale_renderer(Escalation, _render_current)
    extensions.register_ticket_panel(
        extensions.TicketPanel(name="escalations", template="escalations/ticket_panel.html", context=_panel, place="side")
    )
    extensions.register_ticket_panel(
        extensions.TicketPanel(name="feature_blocked", template="escalations/ticket_banner.html", context=_banner, place="banner")
    )
    extensions.register_nav_link(extensions.NavLink(label="Escalations", url_name="escalations:board", visible=_can_see_board))
