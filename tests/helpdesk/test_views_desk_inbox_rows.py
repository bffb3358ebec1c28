"""``/inbox/rows/``: the inbox's rows alone, for the live refresh; and what the page tells its script."""

from __future__ import annotations

import re
from html import unescape

import pytest
from django.db import connection
from django.http import QueryDict
from django.test.utils import CaptureQueriesContext

from escalations.services import feature_ensure, product_ensure
from helpdesk import selectors, services
from helpdesk.models import TicketStatus

INBOX = "/inbox/"
ROWS = "/inbox/rows/"
XSS = "<script>alert(1)</script>"
XSS_ESCAPED = "&lt;script&gt;alert(1)&lt;/script&gt;"


def rows_of(client, params=None) -> dict:
    response = client.get(ROWS, params or {})
    assert response.status_code == 200, response.content
    assert response["Content-Type"] == "application/json"
    return response.json()


def page_tbody(client, params=None) -> str:
    html = client.get(INBOX, params or {}).content.decode()
    return re.search(r'<table class="tickets" id="ticket-table"[^>]*>.*?<tbody>(.*?)</tbody>', html, re.S).group(1)


def references(html: str) -> list[str]:
    return re.findall(r'<tr class="ticket-row[^"]*" data-reference="(HD-\d+)"', html)


def test_the_rows_are_exactly_the_pages_rows(agent_client, agent, make_ticket):
    team = services.team_ensure(actor=None, name="Ops")
    for i in range(3):
        make_ticket(subject=f"Row {i}", assignee=agent, team=team, tags=["vip", f"t{i}"], priority="high")
    params = {"view": "all", "sort": "created_asc"}

    data = rows_of(agent_client, params)

    assert data["rows"].strip() == page_tbody(agent_client, params).strip()
    assert data["references"] == references(data["rows"]) and len(data["references"]) == 3
    assert data["next"] is None and data["on_page"] == 3


def test_rows_carry_reference_version_and_status_for_the_script(agent_client, agent, ticket):
    services.ticket_update(actor=agent, ticket=ticket, status="pending")

    rows = rows_of(agent_client, {"view": "all"})["rows"]

    assert f'data-reference="{ticket.reference}" data-status="pending" data-version="2"' in rows
    assert f'value="{ticket.reference}" form="bulk-form" data-status="pending"' in rows


def test_user_text_is_escaped_in_the_rows(agent_client, agent, make_user, make_customer):
    org = services.organization_ensure(actor=None, name=XSS + " Org", tier="enterprise")
    requester = make_customer("xss", organization=org, name=XSS)
    assignee = make_user("xss-agent", first_name=XSS)
    team = services.team_ensure(actor=None, name=XSS + " Team")
    services.ticket_create(
        actor=agent, requester=requester, subject=XSS, body=XSS, tags=[XSS], assignee=assignee, team=team
    )
    quote_payload = '" onmouseover="alert(1)'
    services.ticket_create(actor=agent, requester=make_customer("quotes", name=quote_payload), subject="q", body="b")

    rows = rows_of(agent_client, {"view": "all"})["rows"]

    assert XSS not in rows and quote_payload not in rows
    # subject, tag text, customer name, organization, assignee, team: each shown and in its hover title.
    assert rows.count(XSS_ESCAPED) == 12
    assert "&quot; onmouseover=&quot;alert(1)" in rows


def test_the_same_cursor_gives_the_same_later_page(agent_client, make_ticket, settings):
    settings.HELPDESK_PAGE_SIZE = 2
    made = [make_ticket(subject=f"Paged {i}") for i in range(5)]
    params = {"view": "all", "sort": "created_asc"}

    first = rows_of(agent_client, params)
    assert first["references"] == [t.reference for t in made[:2]]
    # The pager's next link, as the page itself writes it (unescaped from the attribute).
    page = agent_client.get(INBOX, params).content.decode()
    assert unescape(re.search(r'rel="next" href="([^"]+)"', page).group(1)) == first["next"]

    cursor = QueryDict(first["next"].lstrip("?"))["cursor"]
    second = rows_of(agent_client, {**params, "cursor": cursor})
    assert second["references"] == [t.reference for t in made[2:4]]
    assert second["rows"].strip() == page_tbody(agent_client, {**params, "cursor": cursor}).strip()


def test_a_ticket_that_left_the_view_is_gone_and_a_new_one_is_there(agent_client, agent, make_ticket):
    leaving = make_ticket(subject="Will be pending", assignee=agent)
    staying = make_ticket(subject="Stays", assignee=agent)
    assert set(rows_of(agent_client, {"view": "open"})["references"]) == {leaving.reference, staying.reference}

    services.ticket_update(actor=agent, ticket=leaving, status="pending")
    arrived = make_ticket(subject="Just in")

    assert rows_of(agent_client, {"view": "open"})["references"] == [arrived.reference, staying.reference]


def test_an_empty_list_says_so_as_the_page_does(agent_client):
    data = rows_of(agent_client, {"view": "pending"})
    assert data["references"] == [] and data["on_page"] == 0
    assert '<tr class="empty-row">' in data["rows"] and "No tickets in this view." in data["rows"]


@pytest.mark.parametrize(
    "params, field",
    [
        ({"status": "bogus"}, "status"),
        ({"priority": "extreme"}, "priority"),
        ({"view": "everything"}, "view"),
        ({"sort": "random"}, "sort"),
        ({"team": "abc"}, "team"),
        ({"cursor": "not-a-cursor!!"}, "cursor"),
        ({"q": "a\x00b"}, "q"),
    ],
)
def test_bad_filters_answer_400_naming_the_field(agent_client, make_ticket, params, field):
    make_ticket()

    response = agent_client.get(ROWS, params)

    assert response.status_code == 400
    body = response.json()
    assert body["field"] == field and body["error"]
    assert "rows" not in body


def test_only_the_desk_gets_rows(client, customer, make_user, make_ticket):
    make_ticket(subject="Desk only subject", requester=customer)
    anonymous = client.get(ROWS, {"view": "all"})
    assert anonymous.status_code == 302 and "/accounts/login/" in anonymous["Location"]

    client.force_login(customer.user)
    as_customer = client.get(ROWS, {"view": "all"})
    assert as_customer.status_code == 302 and as_customer["Location"].endswith("/portal/")
    assert b"Desk only subject" not in as_customer.content

    client.force_login(make_user("nobody", role=None))
    assert client.get(ROWS, {"view": "all"})["Location"].endswith("/no-role/")


def test_rows_are_not_cached(agent_client, make_ticket):
    make_ticket()
    assert agent_client.get(ROWS, {"view": "all"})["Cache-Control"] == "private, no-store"


def test_product_managers_get_rows_without_checkboxes(client, product_manager, make_ticket):
    ticket = make_ticket()
    client.force_login(product_manager)
    rows = rows_of(client, {"view": "all"})["rows"]
    assert f'data-reference="{ticket.reference}"' in rows and 'name="tickets"' not in rows


def _rows_queries(client, params) -> int:
    client.get(ROWS, params)  # warms the directory cache, as the page load before it did
    with CaptureQueriesContext(connection) as queries:
        response = client.get(ROWS, params)
    assert response.status_code == 200
    return len(queries.captured_queries)


def test_rows_query_count_does_not_grow_with_tickets(agent_client, agent, agent2, make_customer, organization):
    team = services.team_ensure(actor=None, name="Ops")

    def create(n: int, offset: int) -> None:
        for i in range(n):
            requester = make_customer(f"rq{offset + i}", organization=organization, with_login=False)
            services.ticket_create(
                actor=agent,
                requester=requester,
                subject=f"Ticket {offset + i}",
                body="body",
                assignee=agent if i % 2 else agent2,
                team=team,
                tags=[f"t{i}", "shared"],
            )

    params = {"view": "all"}
    create(3, 0)
    few = _rows_queries(agent_client, params)
    create(22, 100)
    many = _rows_queries(agent_client, params)
    # Session, user, the directory generation, the page, its tags, the views' counts (one query): no pick-lists.
    assert few == many == 6
    filtered = {"view": "all", "q": "Ticket", "tag": "shared", "assignee": "me"}
    # The tag's id looked up first, and the search's handful of matching customers and organizations.
    assert _rows_queries(agent_client, filtered) == few + 2


# --- what the page tells its script ------------------------------------------------------------------


def test_the_page_names_its_rows_url_socket_and_statuses(agent_client, make_ticket):
    make_ticket()
    html = agent_client.get(INBOX, {"view": "open", "tag": "a&b", "sort": "created_asc"}).content.decode()
    table = re.search(r'<table class="tickets" id="ticket-table"([^>]*)>', html).group(1)
    assert 'data-live-rows="/inbox/rows/?view=open&amp;tag=a%26b&amp;sort=created_asc"' in table
    assert 'data-live-socket="/ws/desk/"' in table
    assert 'data-live-statuses="new on_hold open"' in table
    assert "data-live-searching" not in table
    assert "/static/helpdesk/inbox-live.js" in html and "/static/helpdesk/socket.js" in html


def test_a_search_says_so_and_a_broken_list_does_not_refresh(agent_client):
    searched = agent_client.get(INBOX, {"view": "all", "q": "printer"}).content.decode()
    assert "data-live-searching" in re.search(r'<table class="tickets" id="ticket-table"[^>]*>', searched).group(0)
    broken = agent_client.get(INBOX, {"status": "bogus"})
    assert broken.status_code == 400
    assert "data-live-rows" not in broken.content.decode()


def test_list_statuses_agree_with_what_each_view_shows(agent, make_ticket):
    """Every status each view and status filter can show, and only those (tickets in every status, mine and not)."""
    path = {
        "new": [],
        "open": ["open"],
        "pending": ["pending"],
        "on_hold": ["on_hold"],
        "solved": ["solved"],
        "closed": ["solved", "closed"],
    }
    assert set(path) == set(TicketStatus.values)
    # Every ticket is about a feature the agent owns, so "My features" has every status to show too.
    product = product_ensure(actor=None, key="billing", name="Billing")
    feature = feature_ensure(actor=None, product=product, key="billing.invoices", name="Invoices", owner=agent)
    for status, steps in path.items():
        for assignee in (agent, None):
            ticket = make_ticket(subject=f"{status} {bool(assignee)}", assignee=assignee, feature=feature)
            for step in steps:
                services.ticket_update(actor=agent, ticket=ticket, status=step)

    for view in selectors.VIEWS:
        for status_filter in ("", "pending", "open,solved"):
            filters = selectors.parse_filters(QueryDict(f"view={view}&status={status_filter}"))
            shown = selectors.ticket_list(user=agent, filters=filters, page_size=100).items
            assert {t.status for t in shown} == selectors.list_statuses(filters), (view, status_filter)


def test_the_rows_bring_the_sidebar_counts_as_the_page_shows_them(agent_client, agent, make_ticket):
    make_ticket(assignee=agent)
    data = rows_of(agent_client, {"view": "all"})
    assert data["counts"]["mine"] == {"text": "1", "title": "1 ticket"}
    assert data["counts"]["all"] == {"text": "1", "title": "1 ticket"}
    assert "features" not in data["counts"]  # not offered to an agent who owns no feature

    make_ticket()
    make_ticket()
    page = agent_client.get(INBOX, {"view": "all"}).content.decode()
    counts = rows_of(agent_client, {"view": "all"})["counts"]
    assert counts["all"] == {"text": "3", "title": "3 tickets"} and counts["mine"]["text"] == "1"
    for view, count in counts.items():
        shown = re.search(rf'data-view="{view}"[^>]*>.*?<span class="view-count" title="([^"]*)">([^<]*)</span>', page)
        assert (shown.group(2), shown.group(1)) == (count["text"], count["title"]), view
