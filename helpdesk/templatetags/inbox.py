"""The inbox's ticket rows, rendered in Python.

The rows are the desk's hottest loop: as a template they cost about 0.45 ms each,
half of the inbox's server time (docs/benchmarks.md, finding 6). Here they are built
with f-strings and cost a fifth of that. Every value that comes from the database is
passed through ``_text`` (HTML-escaped, quotes included); everything else is a
constant of this module or a number.
"""

from __future__ import annotations

from datetime import datetime
from html import escape
from urllib.parse import quote

from django import template
from django.urls import reverse
from django.utils import timezone
from django.utils.safestring import SafeString, mark_safe

from helpdesk.models import Organization, TicketPriority, TicketStatus
from helpdesk.templatetags.desk import abstime, relative_age

register = template.Library()

_PLACEHOLDER = "__reference__"


def _text(value: object) -> str:
    return escape(str(value), quote=True)


@register.simple_tag
def inbox_rows(tickets, can_work: bool) -> SafeString:
    """The ``<tr>`` of each ticket, as ``helpdesk/inbox.html`` heads the columns."""
    page = _PageContext()
    return mark_safe("".join(page.row(ticket, can_work=can_work) for ticket in tickets))


class _PageContext:
    """What every row of one page shares, worked out once per page."""

    def __init__(self) -> None:
        # One reverse() per page: a ticket's URL is this one with its reference in place.
        example = reverse("helpdesk:ticket_detail", kwargs={"reference": _PLACEHOLDER})
        prefix, suffix = example.rsplit(_PLACEHOLDER, 1)
        self.ticket_url_prefix, self.ticket_url_suffix = _text(prefix), _text(suffix)
        self.status_labels = {value: str(label) for value, label in TicketStatus.choices}
        self.priorities = {p.value: (p.slug, str(p.label)) for p in TicketPriority}
        self.tier_labels = {value: str(label) for value, label in Organization.Tier.choices}
        self.now = timezone.now()

    def row(self, ticket, *, can_work: bool) -> str:
        reference = _text(ticket.reference)
        slug, priority_label = self.priorities.get(ticket.priority, ("normal", str(ticket.priority)))
        status = _text(ticket.status)
        # data-status: the bulk bar offers only the statuses every ticked ticket may move to.
        check = (
            f'<input type="checkbox" name="tickets" value="{reference}" form="bulk-form" data-status="{status}"'
            f' aria-label="Select {reference}">'
            if can_work
            else ""
        )
        url = f"{self.ticket_url_prefix}{_text(quote(ticket.reference))}{self.ticket_url_suffix}"
        # data-reference and data-version: the live inbox (inbox-live.js) matches rows by ticket and notices changes.
        return (
            f'<tr class="ticket-row priority-row-{_text(slug)}" data-reference="{reference}"'
            f' data-version="{int(ticket.version)}">'
            f'<td class="col-check">{check}</td>'
            f'<td class="col-subject"><a class="ticket-link" href="{url}"><span class="ref">{reference}</span> '
            f'<span class="subject">{_text(ticket.subject)}</span></a></td>'
            f'<td class="col-requester"><span class="req-name">{_text(ticket.requester.name)}</span>{self._organization(ticket)}</td>'
            f'<td class="col-status"><span class="badge status status-{status}">'
            f"{_text(self.status_labels.get(ticket.status, ticket.status))}</span></td>"
            f'<td class="col-priority"><span class="badge priority priority-{_text(slug)}">{_text(priority_label)}</span></td>'
            f'<td class="col-assignee">{self._assignee(ticket)}</td>'
            f'<td class="col-team">{_text(ticket.team.name) if ticket.team else _MUTED_DASH}</td>'
            f'<td class="col-tags">{self._tags(ticket)}</td>'
            f'<td class="col-updated">{self._time(ticket.updated_at)}</td>'
            "</tr>"
        )

    def _organization(self, ticket) -> str:
        organization = ticket.organization
        if organization is None:
            return ""
        dot = ""
        if organization.tier != Organization.Tier.STANDARD:
            label = _text(f"{self.tier_labels.get(organization.tier, organization.tier)} customer")
            dot = f'<span class="tier-dot tier-{_text(organization.tier)}" title="{label}" aria-label="{label}"></span>'
        return f'<span class="req-org">{dot}{_text(organization.name)}</span>'

    @staticmethod
    def _assignee(ticket) -> str:
        assignee = ticket.assignee
        if assignee is None:
            return '<span class="muted">Unassigned</span>'
        return _text(assignee.get_full_name() or assignee.get_username())

    @staticmethod
    def _tags(ticket) -> str:
        return "".join(
            f'<a class="tag" href="?view=all&amp;tag={_text(quote(tag.name, safe="/"))}">{_text(tag.name)}</a>'
            for tag in ticket.tags.all()
        )

    def _time(self, value: datetime | None) -> str:
        """As ``{% when value compact=True %}``: the age shown, the exact local time in the title."""
        if not value:
            return ""
        return (
            f'<time datetime="{_text(value.isoformat())}" title="{_text(abstime(value))}">'
            f"{_text(relative_age(value, now=self.now, compact=True))}</time>"
        )


_MUTED_DASH = '<span class="muted">—</span>'
