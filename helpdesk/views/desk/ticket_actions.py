"""Merging, spam and deletion from the ticket page, and the "Deleted and spam" list with its restore."""

from __future__ import annotations

from django.contrib import messages
from django.shortcuts import redirect, render
from django.urls import reverse
from django.views.decorators.http import require_POST

from helpdesk import permissions, selectors, selectors_removed, services
from helpdesk.errors import DomainError, InvalidInput, NotFound, StaleVersion
from helpdesk.views.desk._common import desk_required, not_found


def _ticket_or_none(user, reference: str):
    try:
        return selectors.ticket_get(user=user, reference=reference)
    except NotFound:
        return None


def _merge_candidates(user, ticket) -> list:
    """The requester's other unsolved tickets: the usual target of a merge."""
    return [t for t in selectors.requester_recent_tickets(user=user, ticket=ticket, limit=10) if not t.is_closed]


def _render_merge(request, ticket, *, values: dict, errors: dict | None = None, status: int = 200):
    context = {
        "ticket": ticket,
        "candidates": _merge_candidates(request.user, ticket),
        "values": values,
        "errors": errors or {},
        "can_merge": permissions.can_merge_tickets(request.user) and not ticket.is_closed,
    }
    return render(request, "helpdesk/ticket_merge.html", context, status=status)


@desk_required
def ticket_merge(request, reference: str):
    """``GET``: the merge form. ``POST into=<reference>&notice=…&version=n``: merge and open the target."""
    user = request.user
    ticket = _ticket_or_none(user, reference)
    if ticket is None:
        return not_found(request)
    if request.method != "POST":
        values = {"into": request.GET.get("into", ""), "notice": "", "version": ticket.version}
        return _render_merge(request, ticket, values=values)
    post = request.POST
    values = {"into": post.get("into", "").strip(), "notice": post.get("notice", ""), "version": post.get("version", "")}
    try:
        version = int(values["version"]) if str(values["version"]).isdigit() else None
        if not values["into"]:
            raise InvalidInput("Name the ticket to merge into, such as HD-1042.", field="into")
        try:
            target = selectors.ticket_get(user=user, reference=values["into"])
        except NotFound:
            raise InvalidInput(f"There is no ticket {values['into']!r} you can see.", field="into") from None
        notice = values["notice"] if values["notice"].strip() else None
        merged = services.ticket_merge(actor=user, source=ticket, target=target, expected_version=version, notice=notice)
    except StaleVersion as error:
        current = _ticket_or_none(user, reference) or ticket
        return _render_merge(
            request, current, values={**values, "version": current.version}, errors={"page": error.message}, status=409
        )
    except DomainError as error:
        if error.http_status == 404:
            return not_found(request)
        return _render_merge(
            request, ticket, values=values, errors={error.field or "page": error.message}, status=error.http_status
        )
    messages.success(request, f"{ticket.reference} was merged into {merged.reference} and closed; its requester was told.")
    return redirect("helpdesk:ticket_detail", reference=merged.reference)


def _removed_message(ticket, what: str) -> str:
    return (
        f"{ticket.reference} {what}. It is kept under “Deleted and spam” for "
        f"{selectors_removed.purge_date(ticket):%-d %B} if it needs restoring."
    )


@desk_required
@require_POST
def ticket_spam(request, reference: str):
    ticket = _ticket_or_none(request.user, reference)
    if ticket is None:
        return not_found(request)
    try:
        removed = services.ticket_mark_spam(actor=request.user, ticket=ticket)
    except DomainError as error:
        messages.error(request, error.message)
        return redirect("helpdesk:ticket_detail", reference=ticket.reference)
    messages.success(
        request, _removed_message(removed, f"was marked as spam and {ticket.requester.email} is blocked")
    )
    return redirect("helpdesk:inbox")


@desk_required
@require_POST
def ticket_delete(request, reference: str):
    ticket = _ticket_or_none(request.user, reference)
    if ticket is None:
        return not_found(request)
    try:
        removed = services.ticket_delete(actor=request.user, ticket=ticket)
    except DomainError as error:
        messages.error(request, error.message)
        return redirect("helpdesk:ticket_detail", reference=ticket.reference)
    messages.success(request, _removed_message(removed, "was deleted"))
    return redirect("helpdesk:inbox")


@desk_required
def removed_list(request):
    user = request.user
    if not permissions.can_view_removed_tickets(user):
        return render(request, "helpdesk/removed_forbidden.html", status=403)
    error = None
    try:
        page = selectors_removed.removed_tickets(user=user, cursor=request.GET.get("cursor") or None)
    except InvalidInput as exc:
        page, error = None, exc.message
    rows = [(t, selectors_removed.purge_date(t)) for t in (page.items if page else [])]
    context = {
        "rows": rows,
        "next_cursor": page.next_cursor if page else None,
        "error": error,
        "kinds": permissions.removed_kinds_visible_to(user),
    }
    return render(request, "helpdesk/removed_list.html", context, status=400 if error else 200)


@desk_required
@require_POST
def ticket_restore(request, reference: str):
    user = request.user
    try:
        ticket = selectors_removed.removed_ticket_get(user=user, reference=reference)
        restored = services.ticket_restore(actor=user, ticket=ticket)
    except NotFound:
        return not_found(request)
    except DomainError as error:
        messages.error(request, error.message)
        return redirect("helpdesk:removed_list")
    messages.success(request, f"{restored.reference} is back where it was.")
    return redirect(reverse("helpdesk:ticket_detail", kwargs={"reference": restored.reference}))
