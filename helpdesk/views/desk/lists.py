"""The list an agent came from: the ticket page's way back to it, and "then open the next ticket" in it.

The inbox keeps the query of the last list it showed (view, filters, search and sort;
not the page) in the session; the ticket page reads it back. The session is written
only when the list changes, so paging and the live refresh cost no write.
"""

from __future__ import annotations

from dataclasses import dataclass

from django.http import QueryDict
from django.urls import reverse

from helpdesk import selectors
from helpdesk.errors import InvalidInput
from helpdesk.models import Ticket

LIST_SESSION_KEY = "helpdesk.last_list"
# A query longer than this is not one the inbox wrote: it is not kept.
MAX_QUERY_LENGTH = 2000


@dataclass(frozen=True)
class ListOrigin:
    query: str  # the inbox's query string, without the page's cursor
    label: str  # what the list is called on the page ("My unsolved tickets", "Search results for …")

    @property
    def url(self) -> str:
        return reverse("helpdesk:inbox") + (f"?{self.query}" if self.query else "")


def remember_list(request) -> None:
    """Called by the inbox when it showed a list: that list is where the ticket pages lead back to."""
    query = request.GET.copy()
    query.pop("cursor", None)
    encoded = query.urlencode()
    if len(encoded) <= MAX_QUERY_LENGTH and request.session.get(LIST_SESSION_KEY) != encoded:
        request.session[LIST_SESSION_KEY] = encoded


def _filters(user, query: str):
    return selectors.parse_filters(QueryDict(query), default_view=selectors.default_view_for(user), viewer=user)


def _label(user, query: str) -> str:
    filters = _filters(user, query)
    if filters.q:
        return f"Search results for “{filters.q}”"
    return selectors.VIEWS.get(filters.view, "Tickets")


def list_origin(request, query: str | None = None) -> ListOrigin | None:
    """The list the agent came from (``query`` as a form sent it back, else the session's), or None."""
    if query is None:
        query = request.session.get(LIST_SESSION_KEY)
    if query is None or len(query) > MAX_QUERY_LENGTH:
        return None
    # A posted query is rebuilt from its parsed pairs: raw CR/LF or stray characters never reach a URL.
    query = QueryDict(query).urlencode()
    try:
        return ListOrigin(query=query, label=_label(request.user, query))
    except InvalidInput:  # a list that no longer parses (a view since removed): no way back to it
        return None


def next_ticket(request, origin: ListOrigin, ticket_before: Ticket) -> Ticket | None:
    """The ticket after ``ticket_before`` (as it was before the agent's change) in ``origin``'s list."""
    return selectors.ticket_next_in_list(user=request.user, filters=_filters(request.user, origin.query), after=ticket_before)
