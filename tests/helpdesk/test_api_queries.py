"""The API's query counts do not grow with what a page holds."""

from __future__ import annotations

import itertools

import pytest
from django.db import connection
from django.test.utils import CaptureQueriesContext

from helpdesk import services
from tests.helpdesk.test_api_common import LIST_URL, client_for, detail_url, feature, messages_url, team  # noqa: F401

# A ceiling, so that a constant but wasteful count also fails. In the steady state
# the token or session and the user (2), the directory generation (1), the page joined with requesters, assignees
# and organizations (1), requesters' logins and tags (2); permissions, teams and
# features come from the directory cache. The customer's list also loads their
# customer record.
MAX_QUERIES = 6


def queries(client, url) -> int:
    """Queries of one request in the steady state (the directory cache warmed by a first request)."""
    client.get(url)
    with CaptureQueriesContext(connection) as captured:
        response = client.get(url)
    assert response.status_code == 200, response.content
    return len(captured.captured_queries)


@pytest.fixture
def varied_tickets(make_ticket, make_customer, agent, agent2, team, feature, organization):  # noqa: F811
    """Tickets that differ in every related row the representation shows."""
    walk_in = make_customer("walkin", with_login=False)
    requesters = itertools.cycle([None, walk_in])  # None: the default customer (with login and organization)
    assignees = itertools.cycle([agent, agent2, None])
    counter = itertools.count()

    def make(n: int) -> list:
        made = []
        for _ in range(n):
            i = next(counter)
            made.append(
                make_ticket(
                    requester=next(requesters),
                    assignee=next(assignees),
                    team=team if i % 2 else None,
                    feature=feature if i % 3 else None,
                    tags=[f"tag{i}", f"tag{i + 1}", "shared"],
                )
            )
        return made

    return make


@pytest.mark.parametrize("who", ["agent", "customer"])
def test_list_query_count_is_fixed(client_for, varied_tickets, agent, customer, who, django_assert_num_queries):  # noqa: F811
    client = client_for(agent if who == "agent" else customer.user)
    varied_tickets(3)
    few = queries(client, f"{LIST_URL}?page_size=100")
    varied_tickets(27)
    assert len(client.get(f"{LIST_URL}?page_size=100").json()["results"]) >= (30 if who == "agent" else 15)
    client.get(f"{LIST_URL}?page_size=100")
    with django_assert_num_queries(few):
        assert client.get(f"{LIST_URL}?page_size=100").status_code == 200
    assert few <= MAX_QUERIES


def test_detail_query_count_is_fixed(client_for, varied_tickets, agent, django_assert_num_queries):  # noqa: F811
    client = client_for(agent)
    plain, rich = varied_tickets(2)
    services.ticket_update(actor=agent, ticket=rich, tags=[f"many{i}" for i in range(20)])
    expected = queries(client, detail_url(plain.reference))
    client.get(detail_url(rich.reference))
    with django_assert_num_queries(expected):
        assert client.get(detail_url(rich.reference)).status_code == 200
    assert expected <= MAX_QUERIES


def test_messages_query_count_is_fixed(client_for, make_ticket, agent, agent2, customer, make_customer, django_assert_num_queries):  # noqa: F811
    client = client_for(agent)
    ticket = make_ticket()
    walk_in = make_customer("walkin", with_login=False)
    other = services.ticket_create(actor=None, requester=walk_in, subject="By email", body="Hello")
    for t in (ticket, other):
        services.ticket_message_post(actor=agent, ticket=t, body="Reply")
        services.ticket_message_post(actor=agent2, ticket=t, body="Note", internal=True)
    few = queries(client, messages_url(ticket.reference))
    for i in range(27):
        author = (agent, agent2, customer.user)[i % 3]
        services.ticket_message_post(actor=author, ticket=ticket, body=f"Message {i}", internal=author is agent2)
    client.get(messages_url(ticket.reference) + "?page_size=100")
    with django_assert_num_queries(few):
        response = client.get(messages_url(ticket.reference) + "?page_size=100")
    assert len(response.json()["results"]) == 30
    assert queries(client, messages_url(other.reference)) == few
    assert few <= MAX_QUERIES
