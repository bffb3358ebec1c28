"""One escalation: what customers experience, its linked tickets, discussion, history, and the viewer's actions."""

from __future__ import annotations

from django.contrib import messages
from django.http import Http404
from django.shortcuts import redirect, render
from django.urls import reverse
from django.views.decorators.http import require_POST

from escalations import events, permissions, selectors, services
from escalations.models import Escalation
from escalations.views._common import desk_only, safe_next
from helpdesk import selectors as desk_selectors
from helpdesk.errors import DomainError, NotFound, StaleVersion

# What each action is called on its button, and what its text box asks for.
ACTION_LABELS = {
    "acknowledge": ("Acknowledge", ""),
    "start": ("Start work", ""),
    "request_info": ("Ask for information", "Your question to the front line"),
    "provide_info": ("Provide the information", "The information asked for"),
    "fix": ("Mark fixed", "The update every linked customer receives (public reply and email)"),
    "reject": ("Reject", "Why (the front line reads this; a support manager may overrule it)"),
    "reopen": ("Reopen", "Why it must be looked at again"),
    "close": ("Close", ""),
}


def _escalation(request, reference: str) -> Escalation:
    try:
        return selectors.escalation_get(user=request.user, reference=reference)
    except NotFound:
        raise Http404("No such escalation.") from None


def _actions(user, escalation: Escalation) -> list[dict]:
    return [
        {
            "action": action,
            "label": ACTION_LABELS[action][0],
            "prompt": ACTION_LABELS[action][1],
            "needs_text": action in Escalation.TEXT_REQUIRED,
            "danger": action == "reject",
        }
        for action in escalation.allowed_actions()
        if permissions.can_take_action(user, escalation, action)
    ]


def _context(request, escalation: Escalation, **extra) -> dict:
    links = selectors.escalation_links(user=request.user, escalation=escalation, cursor=request.GET.get("tickets") or None)
    next_tickets = None
    if links.next_cursor:
        next_tickets = f"{reverse('escalations:detail', args=[escalation.reference])}?tickets={links.next_cursor}#linked"
    gate = selectors.feature_gate(user=request.user, key=escalation.feature.key)
    return {
        "escalation": escalation,
        "links": links,
        "next_tickets": next_tickets,
        "history": selectors.escalation_history(user=request.user, escalation=escalation),
        "actions": _actions(request.user, escalation),
        "can_comment": permissions.can_comment(request.user, escalation),
        "can_link": permissions.can_raise_escalations(request.user),
        "gate": gate,
        "ws_path": events.escalation_socket_path(escalation),
        **extra,
    }


@desk_only
def detail(request, reference: str):
    escalation = _escalation(request, reference)
    context = _context(request, escalation)
    if request.headers.get("X-Escalation-Live") == "1":  # the open page fetching itself again after an event
        return render(request, "escalations/_detail_live.html", context)
    return render(request, "escalations/detail.html", context)


def _again(request, escalation: Escalation, *, status: int, **extra):
    return render(request, "escalations/detail.html", _context(request, escalation, **extra), status=status)


@desk_only
@require_POST
def act(request, reference: str):
    escalation = _escalation(request, reference)
    action = request.POST.get("action", "")
    text = request.POST.get("note", "")
    version = request.POST.get("version", "")
    try:
        services.escalation_transition(
            actor=request.user,
            escalation=escalation,
            action=action,
            text=text,
            expected_version=int(version) if version.isdigit() else None,
        )
    except StaleVersion as exc:
        current = _escalation(request, reference)
        return _again(request, current, status=409, action_error=exc.message, failed_action=action, failed_note=text)
    except DomainError as exc:
        status = 403 if exc.http_status == 403 else 400
        return _again(request, escalation, status=status, action_error=exc.message, failed_action=action, failed_note=text)
    label = ACTION_LABELS.get(action, (action,))[0]
    messages.success(request, f"{escalation.reference}: {label.lower()} done.")
    return redirect("escalations:detail", reference=escalation.reference)


@desk_only
@require_POST
def comment(request, reference: str):
    escalation = _escalation(request, reference)
    body = request.POST.get("body", "")
    try:
        services.escalation_comment(actor=request.user, escalation=escalation, body=body)
    except DomainError as exc:
        status = 403 if exc.http_status == 403 else 400
        return _again(request, escalation, status=status, comment_error=exc.message, failed_comment=body)
    return redirect(reverse("escalations:detail", args=[escalation.reference]) + "#discussion")


@desk_only
@require_POST
def link(request, reference: str):
    """Link a ticket (by reference) to this escalation; from the escalation page or the pull-the-cord page."""
    escalation = _escalation(request, reference)
    ticket_reference = request.POST.get("ticket", "").strip()
    fallback = reverse("escalations:detail", args=[escalation.reference])
    try:
        ticket = desk_selectors.ticket_get(user=request.user, reference=ticket_reference)
        _, created = services.escalation_link(actor=request.user, escalation=escalation, ticket=ticket)
        # The rest of a selection brought from the inbox (the pull-the-cord page's "Link" buttons).
        for other in desk_selectors.tickets_by_references(user=request.user, references=request.POST.getlist("also")[:99]):
            services.escalation_link(actor=request.user, escalation=escalation, ticket=other)
    except NotFound:
        return _again(
            request,
            escalation,
            status=404,
            link_error=f"No ticket {ticket_reference or '(empty)'}.",
            failed_ticket=ticket_reference,
        )
    except DomainError as exc:
        status = 403 if exc.http_status == 403 else 400
        return _again(request, escalation, status=status, link_error=exc.message, failed_ticket=ticket_reference)
    if created:
        messages.success(request, f"{ticket.reference} is linked to {escalation.reference}.")
    else:
        messages.info(request, f"{ticket.reference} was already linked to {escalation.reference}.")
    return redirect(safe_next(request, fallback))
