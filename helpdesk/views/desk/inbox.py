"""The inbox: views, filters, search, keyset pages and bulk changes."""

from __future__ import annotations

from django.conf import settings
from django.contrib import messages
from django.db.models import Q
from django.http import HttpResponseRedirect, JsonResponse, QueryDict
from django.shortcuts import render
from django.template.loader import render_to_string
from django.urls import reverse
from django.views.decorators.http import require_POST

from helpdesk import extensions, links, permissions, selectors, services
from helpdesk.errors import ActionForbidden, InvalidInput, NotFound
from helpdesk.forms import BULK_ACTIONS, BULK_MATCHING_LIMIT, PRIORITY_CHOICES, STATUS_CHOICES, BulkForm
from helpdesk.models import Ticket, TicketPriority, parse_reference
from helpdesk.templatetags.inbox import count_label
from helpdesk.views.desk._common import desk_required, load_options
from helpdesk.views.desk.lists import remember_list

FILTER_PARAMS = ("status", "priority", "assignee", "team", "tag", "feature", "q", "requester")


def filter_params() -> tuple[str, ...]:
    """The inbox's own filters and the yes/no filters other apps add (helpdesk.extensions)."""
    return (*FILTER_PARAMS, *(extension.name for extension in extensions.ticket_filters()))


def _list_page(request):
    """The filters, their scope and the page of tickets the inbox's query string asks for.

    ``InvalidInput`` names a bad field.
    """
    user = request.user
    filters = selectors.parse_filters(request.GET, default_view=selectors.default_view_for(user))
    scope = selectors.list_scope(user, filters)
    page = selectors.ticket_list(
        user=user,
        filters=filters,
        cursor=request.GET.get("cursor") or None,
        page_size=settings.HELPDESK_PAGE_SIZE,
    )
    return filters, scope, page


def _rows_context(request, page, error, scope=None) -> dict:
    """What ``helpdesk/_inbox_rows.html`` needs: the page's rows, or the sentence shown instead of them."""
    return {
        "tickets": page.items if page else [],
        "error": error,
        "can_work": permissions.can_work_tickets(request.user),
        "current_view": request.GET.get("view") or selectors.default_view_for(request.user),
        "filtered": any(request.GET.get(name) for name in filter_params()),
        "on_later_page": bool(request.GET.get("cursor")),
        "searching": scope is not None and scope.searching,
        "hidden_columns": scope.fixed_columns if scope else frozenset(),
        "raw": {name: request.GET.get(name, "") for name in filter_params()},
    }


@desk_required
def inbox(request):
    user = request.user
    options = load_options(user)
    default_view = selectors.default_view_for(user)
    error = None
    filters = scope = page = None
    try:
        filters, scope, page = _list_page(request)
    except InvalidInput as exc:
        error = exc
    else:
        remember_list(request)
    view = request.GET.get("view") or default_view
    searching = scope is not None and scope.searching
    context = {
        **_rows_context(request, page, error, scope),
        "page": page,
        "views": _views_with_counts(user, view),
        "count_cap": selectors.COUNT_CAP,
        "current_view": view,
        "view_title": f"Search results for “{scope.filters.q}”" if searching else selectors.VIEWS.get(view, "Tickets"),
        "sorts": [(key, label) for key, (label, _) in selectors.SORTS.items()],
        "current_sort": request.GET.get("sort") or selectors.DEFAULT_SORT,
        # The raw values, not the parsed ones: an invalid filter is shown as typed.
        "raw": {name: request.GET.get(name, "") for name in filter_params()},
        "extension_filters": [
            {"name": f.name, "label": f.label, "on": request.GET.get(f.name, "") in ("1", "true", "yes")}
            for f in extensions.ticket_filters()
        ],
        "statuses": STATUS_CHOICES,
        "priorities": PRIORITY_CHOICES,
        "options": options,
        "tag_suggestions": selectors.popular_tags(user=user),
        "bulk_actions": BULK_ACTIONS,
        "extension_bulk_actions": extensions.bulk_actions(),
        "status_transitions": transition_data(),
        "matching_query": _matching_query(request.GET),
        "kept_selection": request.session.pop(KEPT_SELECTION_KEY, []),
        "bulk_matching_limit": BULK_MATCHING_LIMIT,
        "live": _live_attributes(request, filters) if filters is not None else None,
    }
    return render(request, "helpdesk/inbox.html", context, status=400 if error else 200)


def _views_with_counts(user, view: str) -> list[tuple[str, str, int]]:
    """The sidebar: (key, label, capped count) of each view offered, in one count query."""
    offered = selectors.views_for(user)
    if view in selectors.VIEWS and view not in offered:
        # Opened by its address (a shared link): shown, in its place, though not offered.
        offered = {key: label for key, label in selectors.VIEWS.items() if key in offered or key == view}
    counts = selectors.view_counts(user=user, views=offered)
    return [(key, label, counts[key]) for key, label in offered.items()]


def _count_title(count: int) -> str:
    """The hover text of a view's count, as the sidebar writes it."""
    if count > selectors.COUNT_CAP:
        return f"More than {selectors.COUNT_CAP} tickets"
    return f"{count} ticket{'' if count == 1 else 's'}"


# --- the live list --------------------------------------------------------------------------------------

DESK_SOCKET_PATH = "/ws/desk/"


def _live_attributes(request, filters) -> dict:
    """How the page refreshes itself (inbox-live.js): where its rows come from, and which changes can concern it."""
    query = request.GET.urlencode()
    return {
        "rows_url": reverse("helpdesk:inbox_rows") + (f"?{query}" if query else ""),
        "socket_path": DESK_SOCKET_PATH,
        "statuses": " ".join(sorted(selectors.list_statuses(filters))),
        "searching": bool(filters.q),
    }


def _page_link(request, cursor: str | None) -> str | None:
    """The list's next page, as the pager links it (``{% querystring cursor=... %}``)."""
    if not cursor:
        return None
    query = request.GET.copy()
    query["cursor"] = cursor
    return "?" + query.urlencode()


@desk_required
def inbox_rows(request):
    """``GET ?<the inbox's query string>``: just that list's rows, for the page to merge in place (live refresh).

    The same selector, page and renderer as the page itself, so the rows are exactly
    the page's (every value escaped there). JSON: ``rows`` (the ``<tbody>``'s HTML),
    ``references`` in order, ``next`` (the pager's next-page link or null) and
    ``on_page``, and ``counts``: each sidebar view's count as shown (``text``, ``title``),
    so one refresh updates the list and the counts beside the views.
    """
    try:
        _filters, scope, page = _list_page(request)
    except InvalidInput as exc:
        return JsonResponse({"error": exc.message, "field": exc.field}, status=400)
    rows = render_to_string(
        "helpdesk/_inbox_rows.html", _rows_context(request, page, None, scope), request=request
    )
    return JsonResponse(
        {
            "rows": rows,
            "references": [ticket.reference for ticket in page.items],
            "next": _page_link(request, page.next_cursor),
            "on_page": len(page.items),
            "counts": {
                key: {"text": count_label(count, selectors.COUNT_CAP), "title": _count_title(count)}
                for key, _label, count in _views_with_counts(
                    request.user, request.GET.get("view") or selectors.default_view_for(request.user)
                )
            },
        }
    )


def _back_to(request, target: str) -> str:
    return links.safe_next(request, target, default=reverse("helpdesk:inbox"))


# --- bulk changes -------------------------------------------------------------------------------------

# How many tickets the summary names one by one; beyond that it gives the number.
NAMED_IN_SUMMARY = 10
# "select all N matching" counts this far and then says "1,000+".
MATCHING_COUNT_CAP = 1000
KEPT_SELECTION_KEY = "helpdesk.inbox_selection"


def transition_data() -> dict:
    """The allowed-transition table and the status labels, as the bulk bar's script reads them."""
    return {
        "labels": {value: str(label) for value, label in STATUS_CHOICES},
        "next": {status: sorted(allowed) for status, allowed in Ticket.ALLOWED_TRANSITIONS.items()},
    }


def _matching_query(params) -> str:
    """The list's query string without its page: what "all matching" means, for the server to evaluate again."""
    query = params.copy()
    query.pop("cursor", None)
    return query.urlencode()


def _named(references: list[str]) -> str:
    if len(references) > NAMED_IN_SUMMARY:
        return ""
    return f" ({', '.join(references)})"


def _summary(result, missing: list[str]) -> list[tuple[str, str]]:
    """The flash messages after a bulk change: what changed, what already was so, and each refusal in plain words."""
    lines: list[tuple[str, str]] = []
    refusals = list(result.skipped.values()) + [f"{reference} was not found." for reference in missing]
    count = len(result.updated)
    if count or not (result.unchanged or refusals):
        level = "success" if not refusals else "warning"
        lines.append((level, f"Updated {count} ticket{'s' if count != 1 else ''}{_named(result.updated)}."))
    if result.unchanged:
        same = len(result.unchanged)
        who = ", ".join(result.unchanged) if same <= NAMED_IN_SUMMARY else f"{same} tickets"
        lines.append(("info", f"{who} already had that value; left as {'it was' if same == 1 else 'they were'}."))
    if refusals:
        shown = " ".join(refusals[:NAMED_IN_SUMMARY])
        rest = len(refusals) - NAMED_IN_SUMMARY
        more = f" And {rest} more for the same kind of reason." if rest > 0 else ""
        level = "warning" if count or result.unchanged else "error"
        lines.append((level, f"Not changed ({len(refusals)}): {shown}{more}"))
    return lines


def _change_for(action: str, data: dict, user) -> tuple[dict, Q | None]:
    """The ticket_bulk_update arguments for ``action``, and which tickets already have that value."""
    if action == "assign_me":
        return {"assignee": user}, Q(assignee=user)
    if action == "assign":
        return {"assignee": data["assignee"]}, Q(assignee=data["assignee"])
    if action == "unassign":
        return {"assignee": None}, Q(assignee__isnull=True)
    if action == "status":
        return {"status": data["status"]}, Q(status=data["status"])
    if action == "priority":
        priority = TicketPriority.from_name(data["priority"])
        return {"priority": data["priority"]}, Q(priority=priority)
    return {}, None


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
    action = data["action"]
    change, already = _change_for(action, data, user)
    missing: list[str] = []
    summary = None
    if data["scope"] == "matching":
        try:
            filters = selectors.parse_filters(QueryDict(data["matching"]), default_view=selectors.DEFAULT_VIEW)
        except InvalidInput as exc:
            messages.error(request, f"The list to change is not valid: {exc.message}")
            return HttpResponseRedirect(back)
        summary = selectors.ticket_matching_summary(user=user, filters=filters, cap=MATCHING_COUNT_CAP)
        # Those that already have the value are left out, so applying again reaches the next ones.
        tickets = selectors.tickets_matching(user=user, filters=filters, limit=BULK_MATCHING_LIMIT, exclude=already)
    else:
        references = data["tickets"]
        tickets = selectors.tickets_by_references(user=user, references=references)
        found = {t.number for t in tickets}
        missing = [r for r in references if parse_reference(r) not in found]
    extension = extensions.bulk_action(action)
    if extension is not None:
        try:
            outcome = extension.run(actor=user, tickets=tickets, value=request.POST.get(extension.input_name, ""))
        except (ActionForbidden, InvalidInput, NotFound) as exc:
            messages.error(request, exc.message)
            return HttpResponseRedirect(back)
        if isinstance(outcome, str):
            return HttpResponseRedirect(outcome)
        for level, text in _summary(outcome, missing):
            getattr(messages, level)(request, text)
        request.session[KEPT_SELECTION_KEY] = [t.reference for t in tickets]
        return HttpResponseRedirect(back)
    try:
        if action == "tags":
            result = services.ticket_bulk_tag(
                actor=user, tickets=tickets, add=data["add_tags"], remove=data["remove_tags"]
            )
        else:
            result = services.ticket_bulk_update(actor=user, tickets=tickets, **change)
    except (ActionForbidden, InvalidInput) as exc:
        messages.error(request, exc.message)
        return HttpResponseRedirect(back)
    for level, text in _summary(result, missing):
        getattr(messages, level)(request, text)
    if summary is not None and summary.count > BULK_MATCHING_LIMIT:
        messages.info(
            request,
            f"One action changes at most {BULK_MATCHING_LIMIT} tickets: this one took the first of the "
            f"{summary.label} matching. Apply it again for the next ones.",
        )
    # The same tickets stay ticked on the page the browser returns to.
    request.session[KEPT_SELECTION_KEY] = [t.reference for t in tickets]
    return HttpResponseRedirect(back)


@desk_required
def inbox_matching(request):
    """``GET ?<the inbox's filters>``: how many tickets the list holds (capped) and their statuses, for "select all"."""
    try:
        filters = selectors.parse_filters(request.GET, default_view=selectors.DEFAULT_VIEW)
    except InvalidInput as exc:
        return JsonResponse({"error": exc.message, "field": exc.field}, status=400)
    summary = selectors.ticket_matching_summary(user=request.user, filters=filters, cap=MATCHING_COUNT_CAP)
    return JsonResponse(
        {
            "count": summary.count,
            "more": summary.more,
            "label": summary.label,
            "statuses": sorted(summary.statuses),
            "limit": BULK_MATCHING_LIMIT,
        }
    )
