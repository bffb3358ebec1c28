"""Odd input is refused by field, never a 500: NUL characters, forged cursors, scoped search."""

import base64
import json

import pytest
from django.http import QueryDict

from helpdesk import selectors, services
from helpdesk.errors import ActionForbidden, InvalidInput
from helpdesk.keyset import MAX_CURSOR_LENGTH, decode_cursor


def forged(payload: str) -> str:
    return base64.urlsafe_b64encode(payload.encode()).decode().rstrip("=")


@pytest.mark.parametrize("name", ["q", "tag", "assignee", "feature", "view", "sort", "status", "priority"])
def test_nul_in_a_filter_names_the_filter(name):
    with pytest.raises(InvalidInput) as error:
        selectors.parse_filters(QueryDict(f"{name}=a%00b"))
    assert error.value.field == name


@pytest.mark.parametrize("field", ["body", "subject"])
def test_nul_in_ticket_text_names_the_field(agent, customer, field):
    values = {"subject": "Fine", "body": "Fine"} | {field: "bad\x00text"}
    with pytest.raises(InvalidInput) as error:
        services.ticket_create(actor=agent, requester=customer, **values)
    assert error.value.field == field


def test_nul_in_tags_and_lookups(agent, ticket):
    with pytest.raises(InvalidInput) as error:
        services.ticket_update(actor=agent, ticket=ticket, tags=["ok", "b\x00d"])
    assert error.value.field == "tags"
    with pytest.raises(InvalidInput) as error:
        selectors.customer_lookup(user=agent, identifier="x\x00@y")
    assert error.value.field == "requester"
    with pytest.raises(InvalidInput):
        selectors.assignable_user_by_username(user=agent, username="agent\x00")


def test_priority_tokens_are_trimmed_and_zero_ids_refused():
    assert selectors.parse_filters(QueryDict("priority=high,%20low")).priority == [3, 1]
    for name in ("team", "requester"):
        with pytest.raises(InvalidInput) as error:
            selectors.parse_filters(QueryDict(f"{name}=0"))
        assert error.value.field == name


@pytest.mark.parametrize(
    "payload",
    [
        "[" * 2000,  # too long, and would nest beyond the recursion limit
        json.dumps([{"dt": "0001-01-01T00:00:00+14:00"}, 5]),  # before the calendar in UTC
        json.dumps([{"dt": "9999-12-31T23:59:59-14:00"}, 5]),  # after it
        json.dumps([{"dt": "2026-01-01T00:00:00"}, 5]),  # naive: never one of ours
    ],
)
def test_forged_cursors_are_a_bad_cursor(agent, payload):
    with pytest.raises(InvalidInput) as error:
        selectors.ticket_list(user=agent, filters=selectors.TicketFilters(), cursor=forged(payload))
    assert error.value.field == "cursor"


def test_overlong_cursor_is_refused_before_decoding():
    with pytest.raises(InvalidInput):
        decode_cursor("A" * (MAX_CURSOR_LENGTH + 1))


def test_customer_search_sees_only_their_tickets(agent, customer, customer2, make_ticket):
    mine = make_ticket(requester=customer, subject="Printer jammed")
    make_ticket(requester=customer2, subject="Printer on fire")
    found = selectors.ticket_list(user=customer.user, filters=selectors.TicketFilters(q="printer"))
    assert [t.pk for t in found.items] == [mine.pk]


def test_customer_cannot_route_a_new_ticket(customer, agent):
    with pytest.raises(ActionForbidden) as error:
        services.ticket_create(actor=customer.user, subject="Hi", body="Help", assignee=agent)
    assert error.value.field == "assignee"
    with pytest.raises(ActionForbidden) as error:
        services.ticket_create(actor=customer.user, subject="Hi", body="Help", tags=["vip"])
    assert error.value.field == "tags"
