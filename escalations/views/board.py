"""The triage board: every escalation (unresolved by default), ranked by severity, impact and age."""

from __future__ import annotations

from django.http import QueryDict
from django.shortcuts import render
from django.urls import reverse

from escalations import events, permissions, selectors
from escalations.models import EscalationStatus, Severity
from escalations.views._common import desk_only
from helpdesk.errors import InvalidInput


@desk_only
def board(request):
    error = None
    try:
        filters = selectors.parse_board_filters(request.GET)
        page = selectors.escalation_board(user=request.user, filters=filters, cursor=request.GET.get("cursor") or None)
    except InvalidInput as exc:
        error = exc
        filters = selectors.BoardFilters()
        page = selectors.escalation_board(user=request.user, filters=filters)
    query = QueryDict(mutable=True)
    query.update(filters.as_query())
    next_url = None
    if page.next_cursor:
        following = query.copy()
        following["cursor"] = page.next_cursor
        next_url = f"{reverse('escalations:board')}?{following.urlencode()}"
    context = {
        "page": page,
        "filters": filters,
        "error": error,
        "next_url": next_url,
        "first_url": f"{reverse('escalations:board')}?{query.urlencode()}" if query else reverse("escalations:board"),
        "is_first_page": not request.GET.get("cursor"),
        "choices": selectors.board_choices(user=request.user),
        "statuses": [("unresolved", "Unresolved"), ("all", "All"), *EscalationStatus.choices],
        "severities": Severity.choices,
        "can_triage_any": permissions.can_triage_any(request.user),
        "ws_path": events.board_socket_path(),
    }
    if request.headers.get("X-Board-Rows") == "1":  # the live board fetching its rows again
        return render(request, "escalations/_board_rows.html", context)
    return render(request, "escalations/board.html", context)
