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


def _escalated():
    from django.db.models import Exists, OuterRef, Q

    from escalations.models import EscalationLink

    return Q(Exists(EscalationLink.objects.filter(ticket_id=OuterRef("pk"))))


def _feature_blocked():
    from django.db.models import Q

    # The feature's own flag, kept by the escalation services in their transactions (never the pick-list cache).
    return Q(feature__blocked=True)


def _fast_gate(*, user_id: int, key: str):
    """The gate for a token the fast path vouched for (a desk user's): (200 or 423, body), or None when unknown."""
    from escalations import selectors

    gate = selectors.feature_gate_row(key=key)
    if gate is None:
        return None  # Django answers the 404 with its wording
    body = {"feature": gate.feature, "blocked": gate.blocked, "escalations": gate.escalations}
    return (423 if gate.blocked else 200), body


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
    extensions.register_ticket_filter(
        extensions.TicketFilter(name="escalated", label="Linked to an escalation", condition=_escalated)
    )
    extensions.register_ticket_filter(
        extensions.TicketFilter(name="feature_blocked", label="Feature blocked", condition=_feature_blocked)
    )
    extensions.register_bulk_action(
        extensions.BulkAction(
            name="link_escalation",
            label="Link to escalation",
            run=_bulk_link,
            input_name="escalation",
            input_label="Escalation to link the selected tickets to",
            placeholder="ESC-12",
        )
    )
    extensions.register_bulk_action(extensions.BulkAction(name="raise_escalation", label="Pull the cord…", run=_bulk_raise))
    import re

    extensions.register_fast_route(
        extensions.FastRoute(
            pattern=re.compile(r"/api/v1/features/(?P<key>[a-z0-9][a-z0-9_.-]{0,99})/gate/"),
            # Who may read the gate (escalations.permissions.can_view_escalations): the desk.
            permission="helpdesk.view_all_tickets",
            handler=_fast_gate,
        )
    )
    extensions.register_nav_link(extensions.NavLink(label="Escalations", url_name="escalations:board", visible=_can_see_board))


def _bulk_link(*, actor, tickets, value: str):
    """Link every selected ticket to the escalation named in the bulk bar."""
    from escalations import selectors, services
    from helpdesk.errors import DomainError, InvalidInput, NotFound

    reference = value.strip()
    if not reference:
        raise InvalidInput("Name the escalation to link the selected tickets to (ESC-12).", field="escalation")
    try:
        escalation = selectors.escalation_get(user=actor, reference=reference)
    except NotFound:
        raise NotFound(f"No escalation {reference}.") from None
    outcome = extensions.BulkOutcome(updated=[], unchanged=[], skipped={})
    for ticket in tickets:
        try:
            escalation, created = services.escalation_link(actor=actor, escalation=escalation, ticket=ticket)
        except DomainError as exc:
            outcome.skipped[ticket.reference] = f"{ticket.reference}: {exc.message}"
            continue
        (outcome.updated if created else outcome.unchanged).append(ticket.reference)
    return outcome


def _bulk_raise(*, actor, tickets, value: str):
    """Pull the cord on the selection: the form of the first ticket, with the others to be linked too."""
    from django.http import QueryDict
    from django.urls import reverse

    from escalations import permissions
    from helpdesk.errors import ActionForbidden

    if not permissions.can_raise_escalations(actor):
        raise ActionForbidden("You may not raise escalations.")
    if not tickets:
        from helpdesk.errors import InvalidInput

        raise InvalidInput("Select the tickets whose customers hit the problem first.", field="tickets")
    first, *others = tickets
    query = QueryDict(mutable=True)
    if others:
        query.setlist("also", [ticket.reference for ticket in others[:99]])
    url = reverse("escalations:raise", args=[first.reference])
    return f"{url}?{query.urlencode()}" if others else url
