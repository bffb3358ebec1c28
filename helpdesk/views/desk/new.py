"""Opening a ticket on a customer's behalf (a call, an email forwarded by hand)."""

from __future__ import annotations

from dataclasses import dataclass

from django.contrib import messages
from django.db import transaction
from django.shortcuts import redirect, render

from helpdesk import permissions, selectors, services
from helpdesk.errors import DomainError, InvalidInput
from helpdesk.forms import PRIORITY_CHOICES, NewTicketForm
from helpdesk.models import Customer, Organization, TicketChannel
from helpdesk.services.tickets import SUBJECT_MAX_LENGTH, clean_body, clean_subject
from helpdesk.views.desk._common import attach_error, desk_required, load_options


@dataclass(frozen=True)
class NewRequester:
    """A caller who is not a customer yet, created with the ticket."""

    name: str
    email: str
    organization: Organization | None


def _organization(form: NewTicketForm, user) -> Organization | None:
    chosen = (form.cleaned_data.get("requester_organization") or "").strip()
    if not chosen:
        return None
    found = selectors.organization_choice(user=user, organization_id=chosen)
    if found is None:
        form.add_error("requester_organization", "Choose an organization from the list.")
    return found


def _precheck(form: NewTicketForm, user) -> Customer | NewRequester | None:
    """Check requester, subject and body together, so every mistake shows at once, not one per submit."""
    data = form.cleaned_data
    requester = None
    text = data.get("requester", "").strip()
    if not text:
        form.add_error("requester", "Name the customer: their username or email.")
    else:
        try:
            requester = selectors.customer_lookup(user=user, identifier=text)
        except InvalidInput as exc:
            name = (data.get("requester_name") or "").strip()
            if "@" not in text:
                attach_error(form, exc)
            elif not name:
                form.add_error(
                    "requester_name", f"No customer has the email {text} yet: enter their name to add them."
                )
            else:
                requester = NewRequester(name=name, email=text, organization=_organization(form, user))
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
        form = NewTicketForm(request.POST, request.FILES, **options.form_kwargs())
        form.is_valid()
        requester = _precheck(form, user)
        status = 400
        if not form.errors:
            data = form.cleaned_data
            try:
                # One transaction: a ticket refused leaves no customer behind.
                with transaction.atomic():
                    if isinstance(requester, NewRequester):
                        requester = services.customer_create(
                            actor=user, name=requester.name, email=requester.email,
                            organization=requester.organization,
                        )
                    ticket = _create(user, requester, data)
            except DomainError as exc:
                attach_error(form, exc, aliases={"email": "requester", "name": "requester_name"})
                status = exc.http_status
            else:
                messages.success(request, f"{ticket.reference} opened for {requester.name}.")
                return redirect("helpdesk:ticket_detail", reference=ticket.reference)
    else:
        form = _blank_form(request, user, options)
    context = {
        "form": form,
        # Files cannot ride a re-rendered form: say so rather than let them vanish unnoticed.
        "files_lost": bool(request.FILES) and status != 200,
        "options": options,
        "organizations": selectors.organizations(user=user),
        "priorities": PRIORITY_CHOICES,
        "channels": TicketChannel.choices,
        "subject_max_length": SUBJECT_MAX_LENGTH,
        "tag_suggestions": selectors.popular_tags(user=user),
    }
    return render(request, "helpdesk/ticket_new.html", context, status=status)


def _create(user, requester: Customer, data: dict):
    return services.ticket_create(
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
        attachments=data["attachments"],
    )


def _blank_form(request, user, options) -> NewTicketForm:
    return NewTicketForm(
        initial={
            "priority": "normal",
            "channel": TicketChannel.PHONE,
            "requester": request.GET.get("requester", "")[:254],
            "assignee": user.get_username(),
        },
        **options.form_kwargs(),
    )


@desk_required
def requester_lookup(request):
    """htmx: who a requester field names, as the agent types it."""
    text = (request.GET.get("requester") or "").strip()
    customer = error = None
    suggestions: list[Customer] = []
    new_organization = None
    if text and permissions.can_open_ticket_for_others(request.user):
        try:
            customer = selectors.customer_lookup(user=request.user, identifier=text)
        except DomainError as exc:
            error = exc.message
            suggestions = selectors.customer_search(user=request.user, text=text)
            if "@" in text:
                new_organization = selectors.organization_for_email(user=request.user, email=text)
    context = {
        "customer": customer,
        "error": error,
        "text": text,
        "suggestions": suggestions,
        "can_add": bool(error) and "@" in text,
        "new_organization": new_organization,
    }
    return render(request, "helpdesk/_requester_lookup.html", context)
