"""Keyset pagination: cursors, ties, and every way a cursor can be bad."""

from __future__ import annotations

import base64
import json
from datetime import timedelta

import pytest
from django.utils import timezone

from helpdesk import selectors
from helpdesk.errors import InvalidInput
from helpdesk.keyset import SortKey, decode_cursor, encode_cursor, paginate
from helpdesk.models import Ticket
from helpdesk.selectors import SORTS, TicketFilters


def raw_cursor(payload) -> str:
    return base64.urlsafe_b64encode(json.dumps(payload).encode()).decode().rstrip("=")


def walk(user, *, sort="updated", page_size=3, **filters):
    """Every page of the list; returns the pages as lists of ticket numbers."""
    pages, cursor = [], None
    while True:
        page = selectors.ticket_list(
            user=user, filters=TicketFilters(view="all", sort=sort, **filters), cursor=cursor, page_size=page_size
        )
        pages.append([t.number for t in page.items])
        cursor = page.next_cursor
        if cursor is None:
            return pages
        assert len(pages) < 100, "pagination does not terminate"


def test_cursor_round_trip_keeps_datetimes_and_ints():
    now = timezone.now()
    values = [now, 42, "text"]
    cursor = encode_cursor(values)
    assert "=" not in cursor and "/" not in cursor and "+" not in cursor, "URL-safe"
    assert decode_cursor(cursor) == values


def test_sort_key_after_is_strictly_after(tickets_with_ties):
    key = SortKey((("updated_at", True), ("id", True)))
    assert key.order_by() == ["-updated_at", "-id"]
    with pytest.raises(InvalidInput) as excinfo:
        key.after([1])
    assert excinfo.value.field == "cursor"
    # Worked out by hand: rows before the cursor row in (updated_at desc, id desc), never the row itself.
    ordered = sorted(tickets_with_ties, key=lambda t: (Ticket.objects.get(pk=t.pk).updated_at, t.pk), reverse=True)
    for index, row in enumerate(ordered):
        stored = Ticket.objects.get(pk=row.pk)
        after = Ticket.objects.filter(key.after([stored.updated_at, stored.pk])).order_by(*key.order_by())
        assert [t.pk for t in after] == [t.pk for t in ordered[index + 1 :]]


@pytest.fixture
def tickets_with_ties(make_ticket):
    """Seven tickets; five of them share one updated_at (and created_at), so only the id breaks the tie."""
    tickets = [make_ticket(priority=p) for p in ("low", "high", "high", "normal", "high", "urgent", "low")]
    moment = timezone.now() - timedelta(hours=1)
    # Ties are rare with services stamping now(); make them on purpose.
    Ticket.objects.filter(pk__in=[t.pk for t in tickets[1:6]]).update(updated_at=moment, created_at=moment)
    return tickets


EXPECTED_ORDER = {
    "updated": (lambda r: (r["updated_at"], r["id"]), True),
    "updated_asc": (lambda r: (r["updated_at"], r["id"]), False),
    "created": (lambda r: (r["created_at"], r["id"]), True),
    "created_asc": (lambda r: (r["created_at"], r["id"]), False),
    "priority": (lambda r: (r["priority"], r["updated_at"], r["id"]), True),
}


def test_every_sort_has_an_expected_order():
    assert set(SORTS) == set(EXPECTED_ORDER)


@pytest.mark.parametrize("sort", list(EXPECTED_ORDER))
@pytest.mark.parametrize("page_size", [1, 2, 3, 7, 50])
def test_pages_have_no_duplicates_or_gaps(agent, tickets_with_ties, sort, page_size):
    pages = walk(agent, sort=sort, page_size=page_size)
    flat = [n for page in pages for n in page]
    # The expected order is computed here in Python, not asked of the sort under test.
    rows = list(Ticket.objects.values("number", "id", "priority", "updated_at", "created_at"))
    key, descending = EXPECTED_ORDER[sort]
    expected = [r["number"] for r in sorted(rows, key=key, reverse=descending)]
    assert flat == expected
    assert len(set(flat)) == len(flat) == 7
    assert all(len(page) == page_size for page in pages[:-1])
    assert pages[-1], "no empty trailing page"


def test_ties_are_broken_by_id(agent, tickets_with_ties):
    flat = [n for page in walk(agent, sort="updated", page_size=2) for n in page]
    tied = [t.number for t in tickets_with_ties[1:6]]
    positions = [flat.index(n) for n in sorted(tied, reverse=True)]
    assert positions == sorted(positions), "higher id first within the tie"


def test_priority_sort_pages(agent, tickets_with_ties):
    flat = [n for page in walk(agent, sort="priority", page_size=2) for n in page]
    priorities = dict(Ticket.objects.values_list("number", "priority"))
    assert [priorities[n] for n in flat] == sorted(priorities.values(), reverse=True)


def test_filtered_pages(agent, tickets_with_ties):
    flat = [n for page in walk(agent, page_size=1, priority=[3]) for n in page]
    assert sorted(flat) == sorted(t.number for t in tickets_with_ties if t.priority == 3)


def test_exact_page_size_has_no_next(agent, make_ticket):
    for _ in range(3):
        make_ticket()
    page = selectors.ticket_list(user=agent, filters=TicketFilters(view="all"), page_size=3)
    assert len(page.items) == 3 and page.next_cursor is None


def test_empty_list(agent):
    page = selectors.ticket_list(user=agent, filters=TicketFilters(view="all"))
    assert page.items == [] and page.next_cursor is None


def test_page_size_is_clamped(agent, make_ticket):
    for _ in range(2):
        make_ticket()
    assert len(selectors.ticket_list(user=agent, filters=TicketFilters(view="all"), page_size=0).items) == 1
    assert len(selectors.ticket_list(user=agent, filters=TicketFilters(view="all"), page_size=-5).items) == 1


def test_rows_changed_between_pages_are_not_repeated(agent, make_ticket):
    """A ticket that moves to the top after page 1 is not shown again on page 2."""
    from helpdesk import services

    tickets = [make_ticket() for _ in range(4)]
    first = selectors.ticket_list(user=agent, filters=TicketFilters(view="all"), page_size=2)
    services.ticket_update(actor=agent, ticket=tickets[-1], priority="high")  # newest, already on page 1
    second = selectors.ticket_list(user=agent, filters=TicketFilters(view="all"), cursor=first.next_cursor, page_size=2)
    assert not {t.pk for t in first.items} & {t.pk for t in second.items}
    assert {t.pk for t in second.items} == {tickets[0].pk, tickets[1].pk}


BAD_CURSORS = {
    "not base64": "!!!",
    "not json": base64.urlsafe_b64encode(b"\xff\xfe").decode(),
    "json object": raw_cursor({"a": 1}),
    "json number": raw_cursor(5),
    "too short": raw_cursor([1]),
    "too long": raw_cursor([{"dt": "2024-01-01T00:00:00+00:00"}, 1, 2]),
    "bad datetime": raw_cursor([{"dt": "yesterday"}, 1]),
    "datetime not a string": raw_cursor([{"dt": 5}, 1]),
    "dict without dt": raw_cursor([{"x": 1}, 1]),
    "string for a datetime": raw_cursor(["yesterday", 1]),
    "string for the id": raw_cursor([{"dt": "2024-01-01T00:00:00+00:00"}, "abc"]),
    "null for the datetime": raw_cursor([None, 1]),
    "null for the id": raw_cursor([{"dt": "2024-01-01T00:00:00+00:00"}, None]),
    "list for the id": raw_cursor([{"dt": "2024-01-01T00:00:00+00:00"}, [1]]),
    "id beyond bigint": raw_cursor([{"dt": "2024-01-01T00:00:00+00:00"}, 10**30]),
    "datetime for the id": raw_cursor([{"dt": "2024-01-01T00:00:00+00:00"}, {"dt": "2024-01-01T00:00:00+00:00"}]),
}


@pytest.mark.parametrize("cursor", list(BAD_CURSORS.values()), ids=list(BAD_CURSORS))
def test_bad_cursor_is_invalid_input_naming_cursor(agent, ticket, cursor):
    with pytest.raises(InvalidInput) as excinfo:
        selectors.ticket_list(user=agent, filters=TicketFilters(view="all"), cursor=cursor)
    assert excinfo.value.field == "cursor"


@pytest.mark.parametrize(
    "payload",
    [["high", {"dt": "2024-01-01T00:00:00+00:00"}, 1], [10**30, {"dt": "2024-01-01T00:00:00+00:00"}, 1]],
    ids=["priority not a number", "priority beyond any integer column"],
)
def test_bad_priority_cursor(agent, ticket, payload):
    with pytest.raises(InvalidInput) as excinfo:
        selectors.ticket_list(user=agent, filters=TicketFilters(view="all", sort="priority"), cursor=raw_cursor(payload))
    assert excinfo.value.field == "cursor"


def test_cursor_of_another_sort_is_refused_or_harmless(agent, tickets_with_ties):
    """A cursor from the priority sort has three values; the updated sort needs two."""
    page = selectors.ticket_list(user=agent, filters=TicketFilters(view="all", sort="priority"), page_size=2)
    with pytest.raises(InvalidInput):
        selectors.ticket_list(user=agent, filters=TicketFilters(view="all", sort="updated"), cursor=page.next_cursor)


def test_paginate_works_on_other_models(agent, ticket):
    from helpdesk import services
    from helpdesk.models import TicketEvent

    for i in range(4):
        services.ticket_message_post(actor=agent, ticket=ticket, body=f"m{i}", internal=True)
    sort = SortKey((("created_at", False), ("id", False)))
    seen, cursor = [], None
    while True:
        page = paginate(TicketEvent.objects.filter(ticket=ticket), sort=sort, cursor=cursor, page_size=2)
        seen += [e.pk for e in page.items]
        cursor = page.next_cursor
        if not cursor:
            break
    assert seen == list(TicketEvent.objects.filter(ticket=ticket).order_by("created_at", "id").values_list("pk", flat=True))
