"""Opening a ticket on a customer's behalf (a call, an email forwarded by hand)."""

from __future__ import annotations

from django.contrib import messages
from django.shortcuts import redirect, render

from helpdesk import permissions, selectors, services
from helpdesk.errors import DomainError, InvalidInput
from helpdesk.forms import PRIORITY_CHOICES, NewTicketForm
from helpdesk.models import TicketChannel
from helpdesk.services.tickets import SUBJECT_MAX_LENGTH, clean_body, clean_subject
from helpdesk.views.desk._common import attach_error, desk_required, load_options


def _precheck(form: NewTicketForm, user):
    """Check requester, subject and body together, so every mistake shows at once, not one per submit."""
    data = form.cleaned_data
    requester = None
    if not data.get("requester", "").strip():
        form.add_error("requester", "Name the customer: their username or email.")
    else:
        try:
            requester = selectors.customer_lookup(user=user, identifier=data["requester"])
        except InvalidInput as exc:
            attach_error(form, exc)
    for name, check in (("subject", clean_subject), ("body", clean_body)):
        try:
            check(data.get(name))
        except InvalidInput as exc:
            attach_error(form, exc)
    return requester


@desk_required
def ticket_new(request):
    user = request.user
    if not permissions.can_open_ticket_for_others(user):
        return render(request, "helpdesk/ticket_new_forbidden.html", status=403)
    options = load_options(user)
    status = 200
    if request.method == "POST":
        form = NewTicketForm(request.POST, **options.form_kwargs())
        form.is_valid()
        requester = _precheck(form, user)
        status = 400
        if not form.errors:
            data = form.cleaned_data
            try:
                ticket = services.ticket_create(
                    actor=user,
                    requester=requester,
                    subject=data["subject"],
                    body=data["body"],
                    priority=data["priority"],
                    channel=data["channel"],
                    team=data["team"],
                    assignee=data["assignee"],
                    tags=data["tags"],
                    feature=data["feature"],
                )
            except DomainError as exc:
                attach_error(form, exc)
                status = exc.http_status
            else:
                messages.success(request, f"{ticket.reference} opened for {requester.name}.")
                return redirect("helpdesk:ticket_detail", reference=ticket.reference)
    else:
        form = NewTicketForm(
            initial={
                "priority": "normal",
                "channel": TicketChannel.PHONE,
                "requester": request.GET.get("requester", "")[:254],
                "assignee": user.get_username(),
            },
            **options.form_kwargs(),
        )
    context = {
        "form": form,
        "options": options,
        "priorities": PRIORITY_CHOICES,
        "channels": TicketChannel.choices,
        "subject_max_length": SUBJECT_MAX_LENGTH,
        "tag_suggestions": selectors.popular_tags(user=user),
    }
    return render(request, "helpdesk/ticket_new.html", context, status=status)


@desk_required
def requester_lookup(request):
    """htmx: who a requester field names, as the agent types it."""
    text = (request.GET.get("requester") or "").strip()
    customer = error = None
    if text and permissions.can_open_ticket_for_others(request.user):
        try:
            customer = selectors.customer_lookup(user=request.user, identifier=text)
        except DomainError as exc:
            error = exc.message
    return render(request, "helpdesk/_requester_lookup.html", {"customer": customer, "error": error, "text": text})
