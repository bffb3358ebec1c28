"""Reads of one ticket's timeline and messages, scoped to the viewing user (customers see public replies only).

Split from ``selectors`` (which re-exports these names) to keep each module readable.
"""

from __future__ import annotations

from dataclasses import dataclass
from typing import Any

from django.contrib.auth import get_user_model
from django.db.models import Prefetch, Q, QuerySet

from helpdesk import permissions
from helpdesk.errors import InvalidInput
from helpdesk.keyset import MAX_PAGE_SIZE, Page, SortKey, paginate
from helpdesk.models import Customer, Ticket, TicketEvent

_TIMELINE_COLUMNS = ("id", "ticket_id", "kind", "actor_id", "customer_id", "body", "old_value", "new_value", "created_at")


def _timeline_queryset(*, user, ticket: Ticket) -> QuerySet[TicketEvent]:
    # A whole long timeline is a thousand events by a handful of people. Prefetched, each
    # author is built once and shared (joined, each row built its own copies: ~40% of the
    # selector's time), and only what presenters.author_display reads is loaded: not the
    # password hash, nor the customers' money columns and dates.
    User = get_user_model()
    authors = User.objects.only("id", User.USERNAME_FIELD, "first_name", "last_name")
    customers = Customer.objects.only("id", "user_id", "name", "email")
    qs = (
        TicketEvent.objects.filter(ticket=ticket)
        .only(*_TIMELINE_COLUMNS)
        .prefetch_related(Prefetch("actor", queryset=authors), Prefetch("customer", queryset=customers))
    )
    if not permissions.can_see_internal(user):
        qs = qs.filter(kind=TicketEvent.Kind.REPLY)
    return qs


def ticket_timeline(*, user, ticket: Ticket) -> list[TicketEvent]:
    """The ticket's timeline as ``user`` may see it: customers see public replies only."""
    return list(_timeline_queryset(user=user, ticket=ticket).order_by("created_at", "id"))


def ticket_timeline_after(*, user, ticket: Ticket, after: int | None) -> list[TicketEvent]:
    """The events ``user`` may see that came after event ``after`` (none when it is unknown)."""
    qs = _timeline_queryset(user=user, ticket=ticket)
    anchor = qs.filter(pk=after).values("created_at", "id").first() if after and 0 < after < 2**63 else None
    if anchor is None:
        return []
    return list(
        qs.filter(Q(created_at__gt=anchor["created_at"]) | Q(created_at=anchor["created_at"], id__gt=anchor["id"]))
        .order_by("created_at", "id")
    )


@dataclass(frozen=True)
class TimelineWindow:
    """The latest part of a timeline, oldest first, and how many older events it leaves out."""

    events: list[TicketEvent] | list[TimelineEntry]  # entries for a whole timeline (ticket_timeline_entries)
    earlier: int

    @property
    def first_id(self) -> int | None:
        """Where the next older part ends (the ``before`` of ``ticket_timeline_window``)."""
        return self.events[0].pk if self.events else None


def ticket_timeline_window(*, user, ticket: Ticket, limit: int, before: str | None = None) -> TimelineWindow:
    """The ``limit`` latest events ``user`` may see, or the ``limit`` just before event ``before``.

    Long tickets render in parts: rendering costs about a quarter of a millisecond
    per event, so a ticket with thousands of events would otherwise take seconds.
    ``before`` is an event id of this ticket as the page got it; anything else is
    refused naming the field.
    """
    qs = _timeline_queryset(user=user, ticket=ticket)
    if before is not None:
        anchor = None
        if before.isascii() and before.isdigit() and len(before) < 19:
            anchor = qs.filter(pk=int(before)).values("created_at", "id").first()
        if anchor is None:
            raise InvalidInput("This is not an event of this ticket.", field="before")
        qs = qs.filter(
            Q(created_at__lt=anchor["created_at"]) | Q(created_at=anchor["created_at"], id__lt=anchor["id"])
        )
    latest = list(qs.order_by("-created_at", "-id")[: limit + 1])
    if len(latest) <= limit:
        return TimelineWindow(events=latest[::-1], earlier=0)
    shown = latest[:limit][::-1]
    if latest[limit].created_at == shown[0].created_at:
        # One save writes its change rows with one time and the page shows them as one
        # line; a cut among them would split that line in two, so take the rest of them.
        shown[:0] = qs.filter(created_at=shown[0].created_at, id__lt=shown[0].pk).order_by("id")
    # Counted only when some are left out, and then over one ticket's events (an index range).
    earlier = qs.filter(
        Q(created_at__lt=shown[0].created_at) | Q(created_at=shown[0].created_at, id__lt=shown[0].pk)
    ).count()
    return TimelineWindow(events=shown, earlier=earlier)


MESSAGE_SORT = SortKey((("created_at", False), ("id", False)))


def _messages_queryset(*, user, ticket: Ticket) -> QuerySet[TicketEvent]:
    kinds = [TicketEvent.Kind.REPLY]
    if permissions.can_see_internal(user):
        kinds.append(TicketEvent.Kind.NOTE)
    # A message's files share its visibility (a note's are internal), so they come with it.
    return (
        TicketEvent.objects.filter(ticket=ticket, kind__in=kinds)
        .select_related("actor", "customer")
        .prefetch_related("attachments")
    )


def ticket_messages(*, user, ticket: Ticket) -> list[TicketEvent]:
    """Replies (and, for the desk, internal notes) in order."""
    return list(_messages_queryset(user=user, ticket=ticket).order_by(*MESSAGE_SORT.order_by()))


def ticket_messages_page(
    *, user, ticket: Ticket, cursor: str | None = None, page_size: int = 25
) -> Page[TicketEvent]:
    """One page of ``ticket_messages``, oldest first, by keyset (for the API)."""
    page_size = max(1, min(page_size, MAX_PAGE_SIZE))
    return paginate(_messages_queryset(user=user, ticket=ticket), sort=MESSAGE_SORT, cursor=cursor, page_size=page_size)


# --- a whole timeline, as light rows ---------------------------------------------------------


@dataclass(frozen=True, slots=True)
class TimelineAuthor:
    """An agent (or a customer's login) as a timeline names them: what ``presenters`` reads of a user."""

    pk: int
    username: str
    first_name: str
    last_name: str

    def get_username(self) -> str:
        return self.username

    def get_full_name(self) -> str:
        return f"{self.first_name} {self.last_name}".strip()  # as Django's AbstractUser


@dataclass(frozen=True, slots=True)
class TimelineCustomer:
    pk: int
    user_id: int | None
    name: str
    email: str


@dataclass(frozen=True, slots=True)
class TimelineEntry:
    """One timeline event with what the desk shows of it (the attributes of ``TicketEvent`` it reads)."""

    pk: int
    kind: str
    actor_id: int | None
    customer_id: int | None
    body: str
    old_value: str
    new_value: str
    created_at: Any
    actor: TimelineAuthor | None
    customer: TimelineCustomer | None

    @property
    def is_message(self) -> bool:
        return self.kind in TicketEvent.MESSAGE_KINDS

    def get_kind_display(self) -> str:
        return str(_KIND_LABELS.get(self.kind, self.kind))


_KIND_LABELS = dict(TicketEvent.Kind.choices)


def ticket_timeline_entries(*, user, ticket: Ticket) -> list[TimelineEntry]:
    """The whole timeline ``user`` may see, oldest first, as light rows (``ticket_timeline``'s events).

    A thousand model instances (and their authors') cost more than the query and the
    rendering together; rows of plain values, each author built once, cost a tenth.
    """
    username = get_user_model().USERNAME_FIELD
    qs = _timeline_queryset(user=user, ticket=ticket).prefetch_related(None)
    rows = qs.order_by("created_at", "id").values_list(
        *_TIMELINE_COLUMNS[:1], *_TIMELINE_COLUMNS[2:],
        f"actor__{username}", "actor__first_name", "actor__last_name",
        "customer__user_id", "customer__name", "customer__email",
    )  # fmt: skip
    authors: dict[int, TimelineAuthor] = {}
    customers: dict[int, TimelineCustomer] = {}
    entries = []
    for pk, kind, actor_id, customer_id, body, old, new, created, login, first, last, c_user, c_name, c_email in rows:
        actor = None
        if actor_id is not None:
            actor = authors.get(actor_id) or authors.setdefault(actor_id, TimelineAuthor(actor_id, login, first, last))
        customer = None
        if customer_id is not None:
            customer = customers.get(customer_id) or customers.setdefault(
                customer_id, TimelineCustomer(customer_id, c_user, c_name, c_email)
            )
        entries.append(TimelineEntry(pk, kind, actor_id, customer_id, body, old, new, created, actor, customer))
    return entries
