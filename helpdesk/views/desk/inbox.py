"""The inbox: views, filters, search, keyset pages and bulk changes."""

from __future__ import annotations

from django.conf import settings
from django.contrib import messages
from django.http import HttpResponseRedirect
from django.shortcuts import render
from django.urls import reverse
from django.views.decorators.http import require_POST

from helpdesk import links, permissions, selectors, services
from helpdesk.errors import ActionForbidden, InvalidInput
from helpdesk.forms import BULK_ACTIONS, PRIORITY_CHOICES, STATUS_CHOICES, BulkForm
from helpdesk.models import parse_reference
from helpdesk.views.desk._common import desk_required, load_options

FILTER_PARAMS = ("status", "priority", "assignee", "team", "tag", "feature", "q", "requester")


@desk_required
def inbox(request):
    user = request.user
    options = load_options(user)
    error = None
    page = None
    try:
        filters = selectors.parse_filters(request.GET, default_view=selectors.DEFAULT_VIEW)
        page = selectors.ticket_list(
            user=user,
            filters=filters,
            cursor=request.GET.get("cursor") or None,
            page_size=settings.HELPDESK_PAGE_SIZE,
        )
    except InvalidInput as exc:
        error = exc
    view = request.GET.get("view") or selectors.DEFAULT_VIEW
    context = {
        "page": page,
        "tickets": page.items if page else [],
        "error": error,
        "views": selectors.VIEWS,
        "current_view": view,
        "view_title": selectors.VIEWS.get(view, "Tickets"),
        "sorts": [(key, label) for key, (label, _) in selectors.SORTS.items()],
        "current_sort": request.GET.get("sort") or selectors.DEFAULT_SORT,
        # The raw values, not the parsed ones: an invalid filter is shown as typed.
        "raw": {name: request.GET.get(name, "") for name in FILTER_PARAMS},
        "filtered": any(request.GET.get(name) for name in FILTER_PARAMS),
        "on_later_page": bool(request.GET.get("cursor")),
        "statuses": STATUS_CHOICES,
        "priorities": PRIORITY_CHOICES,
        "options": options,
        "tag_suggestions": selectors.popular_tags(user=user),
        "can_work": permissions.can_work_tickets(user),
        "bulk_actions": BULK_ACTIONS,
    }
    return render(request, "helpdesk/inbox.html", context, status=400 if error else 200)


def _back_to(request, target: str) -> str:
    return links.safe_next(request, target, default=reverse("helpdesk:inbox"))


def _summary(result, missing: list[str]) -> tuple[str, str]:
    """The flash text: how many changed, and each skipped ticket with its reason."""
    count = len(result.updated)
    text = f"Updated {count} ticket{'s' if count != 1 else ''}"
    text += f" ({', '.join(result.updated)})." if result.updated else "."
    skipped = dict(result.skipped)
    skipped.update({reference: "not found" for reference in missing})
    if skipped:
        reasons = "; ".join(f"{reference}: {reason}" for reference, reason in skipped.items())
        text += f" Skipped {len(skipped)}: {reasons}"
    level = "success" if not skipped else ("warning" if result.updated else "error")
    return text, level


@desk_required
@require_POST
def inbox_bulk(request):
    user = request.user
    options = load_options(user)
    form = BulkForm(request.POST, **options.form_kwargs())
    back = _back_to(request, request.POST.get("next", ""))
    if not form.is_valid():
        for field_errors in form.errors.values():
            for message in field_errors:
                messages.error(request, message)
        return HttpResponseRedirect(back)
    data = form.cleaned_data
    references = data["tickets"]
    tickets = selectors.tickets_by_references(user=user, references=references)
    found = {t.number for t in tickets}
    missing = [r for r in references if parse_reference(r) not in found]
    change: dict = {}
    action = data["action"]
    if action == "assign_me":
        change["assignee"] = user
    elif action == "assign":
        change["assignee"] = data["assignee"]
    elif action == "unassign":
        change["assignee"] = None
    elif action == "status":
        change["status"] = data["status"]
    elif action == "priority":
        change["priority"] = data["priority"]
    try:
        result = services.ticket_bulk_update(actor=user, tickets=tickets, **change)
    except ActionForbidden as exc:
        messages.error(request, exc.message)
        return HttpResponseRedirect(back)
    text, level = _summary(result, missing)
    getattr(messages, level)(request, text)
    return HttpResponseRedirect(back)
