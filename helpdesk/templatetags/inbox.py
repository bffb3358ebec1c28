"""The inbox's ticket table, rendered in Python.

The rows are the desk's hottest loop: as a template they cost about 0.45 ms each,
half of the inbox's server time (docs/benchmarks.md, finding 6). Here they are built
with f-strings and cost a fifth of that. Every value that comes from the database is
passed through ``_text`` (HTML-escaped, quotes included); everything else is a
constant of this module or a number.

Columns a list makes redundant (the assignee in "My unsolved", the status in
"Pending") are left out of the head and the rows alike: ``COLUMNS`` is the one list
both are drawn from. Each row carries ``data-reference`` and ``data-status`` so scripts
can find it (bulk actions, a live refresh replacing it in place).
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
# (key, heading): the table's columns in order; "check" and "subject" are never left out.
COLUMNS: tuple[tuple[str, str], ...] = (
    ("check", ""),
    ("subject", "Ticket"),
    ("requester", "Requester"),
    ("status", "Status"),
    ("priority", "Priority"),
    ("assignee", "Assignee"),
    ("team", "Team"),
    ("tags", "Tags"),
    ("customer", "Customer wrote"),
    ("updated", "Updated"),
)
# Tags shown as links in a row; the rest are summed up as "+N" (their names in its title).
# The links are for the mouse (tabindex -1): a narrow cell may cut them off, and a cut-off
# link must not take keyboard focus. The keyboard filters by tag in the sidebar, and the
# cell's title names every tag.
VISIBLE_TAGS = 3


def _text(value: object) -> str:
    return escape(str(value), quote=True)


def visible_columns(hidden=frozenset()) -> list[tuple[str, str]]:
    return [(key, heading) for key, heading in COLUMNS if key not in hidden]


@register.simple_tag
def inbox_head(can_work: bool, hidden=frozenset()) -> SafeString:
    """The ``<th>`` cells of the columns ``inbox_rows`` draws."""
    cells = []
    for key, heading in visible_columns(hidden):
        if key == "check":
            box = (
                '<input type="checkbox" id="select-all" aria-label="Select every ticket on this page">' if can_work else ""
            )
            cells.append(f'<th class="col-check">{box}</th>')
        else:
            cells.append(f'<th class="col-{key}">{_text(heading)}</th>')
    return mark_safe("".join(cells))


@register.filter
def count_label(count: int, cap: int = 1000) -> str:
    """A capped count as the views show it: ``12``, ``1,000``, or ``1,000+`` when it was cut."""
    return f"{cap:,}+" if count > cap else f"{count:,}"


@register.simple_tag
def inbox_column_count(hidden=frozenset()) -> int:
    return len(visible_columns(hidden))


@register.simple_tag
def inbox_rows(tickets, can_work: bool, hidden=frozenset()) -> SafeString:
    """The ``<tr>`` of each ticket, in the columns ``inbox_head`` heads."""
    page = _PageContext(hidden)
    return mark_safe("".join(page.row(ticket, can_work=can_work) for ticket in tickets))


class _PageContext:
    """What every row of one page shares, worked out once per page."""

    def __init__(self, hidden=frozenset()) -> None:
        # One reverse() per page: a ticket's URL is this one with its reference in place.
        example = reverse("helpdesk:ticket_detail", kwargs={"reference": _PLACEHOLDER})
        prefix, suffix = example.rsplit(_PLACEHOLDER, 1)
        self.ticket_url_prefix, self.ticket_url_suffix = _text(prefix), _text(suffix)
        self.status_labels = {value: str(label) for value, label in TicketStatus.choices}
        self.priorities = {p.value: (p.slug, str(p.label)) for p in TicketPriority}
        self.tier_labels = {value: str(label) for value, label in Organization.Tier.choices}
        self.now = timezone.now()
        self.columns = [key for key, _ in visible_columns(hidden)]

    def row(self, ticket, *, can_work: bool) -> str:
        reference = _text(ticket.reference)
        slug, priority_label = self.priorities.get(ticket.priority, ("normal", str(ticket.priority)))
        status = _text(ticket.status)
        cells = []
        for key in self.columns:
            if key == "check":
                # data-status on the box too: the bulk bar offers the statuses every ticked ticket may take.
                check = (
                    f'<input type="checkbox" name="tickets" value="{reference}" form="bulk-form" '
                    f'data-status="{status}" aria-label="Select {reference}">'
                    if can_work
                    else ""
                )
                cells.append(f'<td class="col-check">{check}</td>')
            elif key == "subject":
                url = f"{self.ticket_url_prefix}{_text(quote(ticket.reference))}{self.ticket_url_suffix}"
                subject = _text(ticket.subject)
                cells.append(
                    f'<td class="col-subject"><a class="ticket-link" href="{url}" title="{subject}">'
                    f'<span class="ref">{reference}</span> <span class="subject">{subject}</span></a></td>'
                )
            elif key == "requester":
                cells.append(self._requester(ticket))
            elif key == "status":
                cells.append(
                    f'<td class="col-status"><span class="badge status status-{status}">'
                    f"{_text(self.status_labels.get(ticket.status, ticket.status))}</span></td>"
                )
            elif key == "priority":
                cells.append(
                    f'<td class="col-priority"><span class="badge priority priority-{_text(slug)}">'
                    f"{_text(priority_label)}</span></td>"
                )
            elif key == "assignee":
                cells.append(self._assignee(ticket))
            elif key == "team":
                team = ticket.team
                cells.append(
                    f'<td class="col-team" title="{_text(team.name)}">{_text(team.name)}</td>'
                    if team
                    else f'<td class="col-team">{_MUTED_DASH}</td>'
                )
            elif key == "tags":
                cells.append(self._tags(ticket))
            elif key == "customer":
                cells.append(self._customer_wrote(ticket))
            elif key == "updated":
                cells.append(f'<td class="col-updated">{self._time(ticket.updated_at)}</td>')
        return (
            f'<tr class="ticket-row priority-row-{_text(slug)}" data-reference="{reference}" data-status="{status}"'
            # data-version: the live inbox (inbox-live.js) notices which rows changed.
            f' data-version="{int(ticket.version)}">'
            f'{"".join(cells)}</tr>'
        )

    def _requester(self, ticket) -> str:
        name = _text(ticket.requester.name)
        organization = ticket.organization
        if organization is None:
            return f'<td class="col-requester" title="{name}"><span class="req-name">{name}</span></td>'
        dot = ""
        if organization.tier != Organization.Tier.STANDARD:
            label = _text(f"{self.tier_labels.get(organization.tier, organization.tier)} customer")
            dot = f'<span class="tier-dot tier-{_text(organization.tier)}" title="{label}" aria-label="{label}"></span>'
        org_name = _text(organization.name)
        return (
            f'<td class="col-requester" title="{name}, {org_name}"><span class="req-name">{name}</span>'
            f'<span class="req-org">{dot}{org_name}</span></td>'
        )

    @staticmethod
    def _assignee(ticket) -> str:
        assignee = ticket.assignee
        if assignee is None:
            return '<td class="col-assignee"><span class="muted">Unassigned</span></td>'
        name = _text(assignee.get_full_name() or assignee.get_username())
        return f'<td class="col-assignee" title="{name}">{name}</td>'

    @staticmethod
    def _tags(ticket) -> str:
        tags = list(ticket.tags.all())
        if not tags:
            return '<td class="col-tags"></td>'
        shown = "".join(
            f'<a class="tag" href="?view=all&amp;tag={_text(quote(tag.name, safe="/"))}" tabindex="-1">{_text(tag.name)}</a>'
            for tag in tags[:VISIBLE_TAGS]
        )
        names = _text(", ".join(tag.name for tag in tags))
        rest = tags[VISIBLE_TAGS:]
        if rest:
            others = _text(", ".join(tag.name for tag in rest))
            shown += f'<span class="tag tag-more" title="{others}">+{len(rest)}</span>'
        return f'<td class="col-tags" title="{names}">{shown}</td>'

    def _customer_wrote(self, ticket) -> str:
        """When the customer last wrote, and "Waiting" while the desk owes them an answer."""
        wrote = ticket.last_customer_message_at
        if wrote is None:
            return f'<td class="col-customer">{_MUTED_DASH}</td>'
        marker = (
            '<span class="waiting" title="Waiting on us: no reply since the customer wrote">Waiting</span> '
            if ticket.waiting_on_desk
            else ""
        )
        return f'<td class="col-customer">{marker}{self._time(wrote)}</td>'

    def _time(self, value: datetime | None) -> str:
        """As ``{% when value compact=True %}``: the age shown, the exact local time in the title."""
        if not value:
            return ""
        return (
            f'<time datetime="{_text(value.isoformat())}" title="{_text(abstime(value))}">'
            f"{_text(relative_age(value, now=self.now, compact=True))}</time>"
        )


_MUTED_DASH = '<span class="muted">—</span>'
