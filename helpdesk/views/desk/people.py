"""The ticket page's people panel: change the requester, copy people (CC), follow, invite to the portal.

Each is a small POST that calls one service and goes back to the ticket with what
happened (or why not) as a message; the value typed is named in an error message.
"""

from __future__ import annotations

from django.contrib import messages
from django.shortcuts import redirect
from django.urls import reverse
from django.views.decorators.http import require_POST

from helpdesk import selectors, services
from helpdesk.errors import DomainError, NotFound
from helpdesk.views.desk._common import desk_required, not_found


def _back(ticket, anchor: str = "people"):
    return redirect(reverse("helpdesk:ticket_detail", kwargs={"reference": ticket.reference}) + f"#{anchor}")


def _ticket(request, reference: str):
    try:
        return selectors.ticket_get(user=request.user, reference=reference)
    except NotFound:
        return None


@desk_required
@require_POST
def ticket_requester(request, reference: str):
    ticket = _ticket(request, reference)
    if ticket is None:
        return not_found(request)
    identifier = request.POST.get("requester", "").strip()
    try:
        customer = selectors.customer_lookup(user=request.user, identifier=identifier)
        services.ticket_requester_change(actor=request.user, ticket=ticket, requester=customer)
    except DomainError as error:
        messages.error(request, f"Requester not changed ({identifier or 'nothing given'}): {error.message}")
    else:
        messages.success(request, f"{ticket.reference} is now {customer.name}'s ticket.")
    return _back(ticket)


@desk_required
@require_POST
def ticket_cc(request, reference: str):
    ticket = _ticket(request, reference)
    if ticket is None:
        return not_found(request)
    email = request.POST.get("email", "").strip()
    removing = request.POST.get("action") == "remove"
    try:
        if removing:
            services.ticket_cc_remove(actor=request.user, ticket=ticket, email=email)
            messages.success(request, f"{email} is no longer copied.")
        elif services.ticket_cc_add(actor=request.user, ticket=ticket, email=email) is None:
            messages.info(request, f"{email} already gets the replies.")
        else:
            messages.success(request, f"{email} will be copied on public replies.")
    except DomainError as error:
        messages.error(request, f"Not copied: {error.message}")
    return _back(ticket)


@desk_required
@require_POST
def ticket_follow(request, reference: str):
    ticket = _ticket(request, reference)
    if ticket is None:
        return not_found(request)
    following = request.POST.get("follow") != "0"
    services.ticket_follow(actor=request.user, ticket=ticket, following=following)
    messages.success(
        request, f"You follow {ticket.reference}." if following else f"You no longer follow {ticket.reference}."
    )
    return _back(ticket)


@desk_required
@require_POST
def requester_invite(request, reference: str):
    ticket = _ticket(request, reference)
    if ticket is None:
        return not_found(request)
    try:
        services.customer_invite(actor=request.user, customer=ticket.requester)
    except DomainError as error:
        messages.error(request, f"No invitation sent: {error.message}")
    else:
        messages.success(request, f"Invitation sent to {ticket.requester.email}.")
    return _back(ticket)
