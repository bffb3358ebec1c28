"""The customer portal: a customer's own requests, in their words.

Customers see only their tickets and the public conversation, agents by first
name, statuses in plain language. Every change goes through the same services as
the desk, so the timeline and real-time events stay complete.
"""

from __future__ import annotations

from dataclasses import dataclass
from datetime import datetime
from functools import wraps

from django.conf import settings
from django.contrib import messages
from django.contrib.auth.decorators import login_required
from django.shortcuts import redirect, render
from django.urls import reverse
from django.utils import timezone
from django.utils.timesince import timesince
from django.views.decorators.http import require_POST

from helpdesk import permissions, presenters, selectors, selectors_files, services
from helpdesk.errors import DomainError, InvalidInput, NotFound
from helpdesk.models import Customer, Ticket, TicketChannel, TicketEvent, TicketStatus
from helpdesk.services.tickets import clean_body, clean_subject

# What each status means from the customer's side of the conversation.
CUSTOMER_STATUS_LABELS: dict[str, str] = {
    TicketStatus.NEW: "Awaiting our reply",
    TicketStatus.OPEN: "In progress",
    TicketStatus.ON_HOLD: "In progress",
    TicketStatus.PENDING: "Awaiting your reply",
    TicketStatus.SOLVED: "Solved",
    TicketStatus.CLOSED: "Closed",
}

SORTS: dict[str, str] = {
    "updated": "Recently updated",
    "created": "Newest first",
    "created_asc": "Oldest first",
}

def customer_status(status: str) -> str:
    return CUSTOMER_STATUS_LABELS.get(status, status)


def _ago(moment: datetime, now: datetime) -> str:
    if (now - moment).total_seconds() < 60:
        return "just now"
    return f"{timesince(moment, now, depth=1)} ago"


def portal_view(view):
    """Sign-in required; desk people go to the desk, accounts without a customer record to no_role.

    The view receives the signed-in customer. ``NotFound`` from a selector or a
    service becomes one 404 page whether the ticket is missing or someone else's.
    """

    @login_required
    @wraps(view)
    def wrapper(request, *args, **kwargs):
        user = request.user
        if permissions.is_desk_user(user):
            return redirect(_desk_url(kwargs.get("reference")))
        customer = permissions.customer_of(user)
        if customer is None:
            return redirect("helpdesk:no_role")
        try:
            return view(request, customer, *args, **kwargs)
        except NotFound:
            return render(request, "portal/not_found.html", status=404)

    return wrapper


def _desk_url(reference: str | None) -> str:
    # An agent following a customer's link lands on the same ticket in the desk.
    if reference:
        return reverse("helpdesk:ticket_detail", kwargs={"reference": reference})
    return reverse("helpdesk:inbox")


# --- list ---------------------------------------------------------------------------


@portal_view
def ticket_list(request, customer: Customer):
    sort = request.GET.get("sort") or "updated"
    if sort not in SORTS:
        sort = "updated"
    cursor = request.GET.get("cursor") or None
    filters = selectors.TicketFilters(view="all", sort=sort)
    try:
        page = selectors.ticket_list(
            user=request.user, filters=filters, cursor=cursor, page_size=settings.HELPDESK_PAGE_SIZE
        )
    except InvalidInput as error:  # a stale or hand-edited "older requests" link
        messages.warning(request, error.message)
        return redirect(f"{reverse('portal:ticket_list')}?sort={sort}")
    now = timezone.now()
    for ticket in page.items:
        ticket.customer_status = customer_status(ticket.status)
        ticket.last_activity = _ago(ticket.updated_at, now)
    return render(
        request,
        "portal/ticket_list.html",
        {
            "customer": customer,
            "tickets": page.items,
            "next_cursor": page.next_cursor,
            "is_first_page": cursor is None,
            "sort": sort,
            "sorts": SORTS,
        },
    )


# --- new request ------------------------------------------------------------------------


@portal_view
def ticket_new(request, customer: Customer):
    # No priority: the desk sets it (a customer's request starts as normal).
    values = {"subject": "", "body": ""}
    errors: dict[str, str] = {}
    status, retry_after = 200, None
    if request.method == "POST":
        values = {name: request.POST.get(name, default) for name, default in values.items()}
        errors = _new_request_errors(values)
        status = 400 if errors else 200
        if not errors:
            try:
                ticket = services.ticket_create(
                    actor=request.user, subject=values["subject"], body=values["body"], channel=TicketChannel.WEB
                )
            except DomainError as error:
                field_name = error.field if error.field in values else "form"
                errors[field_name] = error.message
                status = error.http_status
                retry_after = getattr(error, "retry_after", None)
            else:
                messages.success(
                    request,
                    f"Thanks — we received your request ({ticket.reference}). "
                    "We will reply here and let you know by email.",
                )
                return redirect("portal:ticket_detail", reference=ticket.reference)
    else:
        follow_up = request.GET.get("follow_up")
        if follow_up:
            try:
                earlier = selectors.ticket_get(user=request.user, reference=follow_up)
            except NotFound:
                pass
            else:
                values["subject"] = f"Follow-up to {earlier.reference}: {earlier.subject}"[:200]
    response = render(request, "portal/ticket_new.html", {"values": values, "errors": errors}, status=status)
    if retry_after is not None:
        # What was typed stays in the form; Retry-After says when it can be sent.
        response["Retry-After"] = str(retry_after)
    return response


def _new_request_errors(values: dict[str, str]) -> dict[str, str]:
    """Every field's problem at once (the service stops at the first one)."""
    errors: dict[str, str] = {}
    for name, check in (("subject", clean_subject), ("body", clean_body)):
        try:
            check(values[name])
        except InvalidInput as error:
            errors[name] = error.message
    return errors


# --- one request --------------------------------------------------------------------------


@dataclass(frozen=True)
class PortalMessage:
    id: int
    author: str
    mine: bool
    body: str
    created_at: datetime
    attachments: list


def _conversation(request, customer: Customer, ticket: Ticket) -> list[PortalMessage]:
    entries = []
    events = selectors.ticket_timeline(user=request.user, ticket=ticket)
    files = selectors_files.event_attachments(
        user=request.user, ticket=ticket, event_ids=[e.pk for e in events if e.kind == TicketEvent.Kind.REPLY]
    )
    for event in events:
        # The selector already limits customers to public replies; checked again
        # here because an internal note on this page would be a leak, not a bug.
        if event.kind != TicketEvent.Kind.REPLY:
            continue
        entries.append(
            PortalMessage(
                id=event.pk,
                author=presenters.author_display(event, viewer_is_desk=False, viewer_customer_id=customer.pk),
                mine=presenters.is_customers_own(event, customer_id=customer.pk),
                body=event.body,
                created_at=event.created_at,
                attachments=files.get(event.pk, []),
            )
        )
    return entries


def _render_detail(request, customer: Customer, ticket: Ticket, *, body: str = "", error: str = "", status: int = 200):
    return render(
        request,
        "portal/ticket_detail.html",
        {
            "ticket": ticket,
            "status_label": customer_status(ticket.status),
            "conversation": _conversation(request, customer, ticket),
            "reply_body": body,
            "reply_error": error,
            "can_mark_solved": permissions.can_mark_solved(request.user, ticket),
            "merged_into": _merged_into(request, ticket),
        },
        status=status,
    )


def _merged_into(request, ticket: Ticket) -> Ticket | None | bool:
    """The request this one goes on in: the ticket when the customer may open it, True when not, else None."""
    if ticket.merged_into_id is None:
        return None
    try:
        return selectors.ticket_get(user=request.user, reference=ticket.merged_into.reference)
    except NotFound:
        return True


@portal_view
def ticket_detail(request, customer: Customer, reference: str):
    ticket = selectors.ticket_get(user=request.user, reference=reference)
    return _render_detail(request, customer, ticket)


@portal_view
@require_POST
def ticket_reply(request, customer: Customer, reference: str):
    ticket = selectors.ticket_get(user=request.user, reference=reference)
    body = request.POST.get("body", "")
    status_before = ticket.status
    files = request.FILES.getlist("attachments")
    try:
        services.ticket_message_post(actor=request.user, ticket=ticket, body=body, attachments=files)
    except NotFound:
        raise
    except DomainError as error:
        text = error.message
        if files:
            text += " Nothing was sent; choose the files again."
        if ticket.is_closed:
            text = "This request is closed, so it can no longer take replies. Open a new request instead."
        return _render_detail(request, customer, ticket, body=body, error=text, status=error.http_status)
    if status_before in Ticket.REOPENED_BY_CUSTOMER_REPLY:
        messages.success(
            request,
            "Thanks — your reply was sent and this request is open again. Our team will get back to you.",
        )
    else:
        messages.success(request, "Your reply was sent.")
    # No #message anchor: jumping down the page would hide the notice above (the reopen one matters).
    return redirect("portal:ticket_detail", reference=ticket.reference)


@portal_view
@require_POST
def ticket_mark_solved(request, customer: Customer, reference: str):
    ticket = selectors.ticket_get(user=request.user, reference=reference)
    try:
        services.ticket_update(actor=request.user, ticket=ticket, status=TicketStatus.SOLVED)
    except NotFound:
        raise
    except DomainError as error:
        messages.error(
            request, "This request is closed and can no longer change." if ticket.is_closed else error.message
        )
    else:
        messages.success(
            request, "Marked as solved. If anything comes up again, reply here and the request reopens."
        )
    return redirect("portal:ticket_detail", reference=ticket.reference)
