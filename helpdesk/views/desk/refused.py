"""A refused form submission, carried across the redirect that follows it (post/redirect/get).

A ticket's properties form and composer post to their own URLs. Answering a
refused POST (400, 403, 409, a closed ticket) with the page itself left the
browser's address bar on ``/tickets/<ref>/update/``, which answers a bare 405 when
reloaded or bookmarked. Instead the view keeps what the page needs to show the
refusal (the submitted values, the error, the conflict merge, the status) in the
session and redirects to the ticket page, which shows it once.
"""

from __future__ import annotations

import time
from dataclasses import asdict, dataclass, field
from typing import Any

from django.http import HttpResponseRedirect, QueryDict

from helpdesk.errors import DomainError

SESSION_KEY = "helpdesk.refused_submission"
# Only the redirect that follows the POST is meant to show it; a page opened much later
# (the redirect never followed) starts clean.
MAX_AGE_SECONDS = 300


class HttpResponseSeeOther(HttpResponseRedirect):
    """303: the browser fetches the target with GET, whatever the request was."""

    status_code = 303


@dataclass
class RefusedSubmission:
    reference: str
    form: str  # "fields" or "composer"
    data: dict[str, list[str]]
    status: int
    error: dict[str, str | None] | None = None  # a service's error: message and field
    page_error: str | None = None
    conflict: dict[str, Any] | None = None
    at: float = field(default_factory=lambda: time.time())

    def query_dict(self) -> QueryDict:
        data = QueryDict(mutable=True)
        for name, values in self.data.items():
            data.setlist(name, values)
        return data

    def domain_error(self) -> DomainError | None:
        if not self.error:
            return None
        return DomainError(self.error["message"] or "", field=self.error.get("field"))


def submitted(data: QueryDict) -> dict[str, list[str]]:
    """The POST as plain lists, without its CSRF token."""
    return {name: values for name, values in data.lists() if name != "csrfmiddlewaretoken"}


def keep(request, submission: RefusedSubmission, *, to: str) -> HttpResponseSeeOther:
    """Remember ``submission`` for the next page of its ticket and redirect there."""
    now = time.time()
    # One per ticket (two tabs on two tickets do not take each other's), stale ones dropped.
    kept = {
        reference: raw
        for reference, raw in (request.session.get(SESSION_KEY) or {}).items()
        if isinstance(raw, dict) and now - raw.get("at", 0) <= MAX_AGE_SECONDS
    }
    kept[submission.reference] = asdict(submission)
    request.session[SESSION_KEY] = kept
    return HttpResponseSeeOther(to)


def take(request, *, reference: str) -> RefusedSubmission | None:
    """The refused submission kept for this ticket, once (None when there is none or it is stale)."""
    kept = request.session.get(SESSION_KEY)
    if not kept or reference not in kept:
        return None
    raw = kept.pop(reference)
    if kept:
        request.session[SESSION_KEY] = kept
    else:
        del request.session[SESSION_KEY]
    try:
        submission = RefusedSubmission(**raw)
    except TypeError:  # kept by an older version of this code
        return None
    if time.time() - submission.at > MAX_AGE_SECONDS:
        return None
    return submission
