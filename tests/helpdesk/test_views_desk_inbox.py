"""The desk inbox: views, filters, search, keyset pages, bulk changes, escaping and query counts."""

from __future__ import annotations

import re

import pytest
from django.db import connection
from django.test.utils import CaptureQueriesContext
from django.urls import reverse

from helpdesk import services
from helpdesk.models import Ticket, TicketStatus

INBOX = "/inbox/"
XSS = "<script>alert(1)</script>"
XSS_ESCAPED = "&lt;script&gt;alert(1)&lt;/script&gt;"


def refs_in(response) -> list[str]:
    """References of the ticket links in page order."""
    return re.findall(r'class="ticket-link"[^>]*><span class="ref">(HD-\d+)</span>', response.content.decode())


# --- listing and views -------------------------------------------------------------------------


def test_default_view_is_my_unsolved_tickets(agent_client, agent, agent2, make_ticket):
    mine = make_ticket(subject="Mine to do", assignee=agent)
    theirs = make_ticket(subject="Somebody else's", assignee=agent2)
    unassigned = make_ticket(subject="Nobody's yet")

    response = agent_client.get(INBOX)

    assert response.status_code == 200
    assert refs_in(response) == [mine.reference]
    html = response.content.decode()
    assert 'class="ticket-link"' in html and "Mine to do" in html
    assert theirs.reference not in html and unassigned.reference not in html
    assert 'aria-current="page"><span class="view-label">My unsolved tickets</span>' in html


def test_row_shows_requester_organization_badges_assignee_team_tags(agent_client, agent, make_ticket):
    team = services.team_ensure(actor=None, name="Billing desk")
    ticket = make_ticket(subject="Card declined", assignee=agent, team=team, tags=["billing", "vip"], priority="urgent")

    html = agent_client.get(INBOX + "?view=all").content.decode()

    row = next(chunk for chunk in html.split('<tr class="ticket-row')[1:] if ticket.reference in chunk)
    row = row[: row.index("</tr>")]
    assert "Casey Customer" in row and "Acme Corp" in row
    assert 'class="badge status status-new">New<' in row
    assert 'class="badge priority priority-urgent">Urgent<' in row
    assert "Alex Agent" in row and "Billing desk" in row
    assert ">billing<" in row and ">vip<" in row
    assert "<time datetime=" in row and 'title="' in row


@pytest.mark.parametrize(
    "view, expected",
    [
        ("unassigned", {"unassigned"}),
        ("pending", {"pending"}),
        ("solved", {"solved"}),
        ("open", {"unassigned", "assigned"}),
        ("all", {"unassigned", "assigned", "pending", "solved"}),
    ],
)
def test_views_in_sidebar_select_their_tickets(agent_client, agent, make_ticket, view, expected):
    tickets = {
        "unassigned": make_ticket(subject="unassigned one"),
        "assigned": make_ticket(subject="assigned one", assignee=agent),
        "pending": make_ticket(subject="pending one", assignee=agent),
        "solved": make_ticket(subject="solved one", assignee=agent),
    }
    services.ticket_update(actor=agent, ticket=tickets["pending"], status="pending")
    services.ticket_update(actor=agent, ticket=tickets["solved"], status="solved")

    response = agent_client.get(INBOX, {"view": view})

    assert set(refs_in(response)) == {tickets[name].reference for name in expected}


# --- filters and search ----------------------------------------------------------------------------


def test_filters_status_priority_assignee_team_tag_feature(agent_client, agent, agent2, make_ticket):
    from escalations.services import feature_ensure, product_ensure

    product = product_ensure(actor=None, key="billing", name="Billing")
    feature = feature_ensure(actor=None, product=product, key="billing.invoices", name="Invoices")
    team = services.team_ensure(actor=None, name="Tier 2")
    a = make_ticket(subject="A", assignee=agent, priority="high", tags=["refund"], team=team, feature=feature)
    b = make_ticket(subject="B", assignee=agent2, priority="low")
    c = make_ticket(subject="C")
    services.ticket_update(actor=agent, ticket=b, status="pending")

    def listed(**params):
        return set(refs_in(agent_client.get(INBOX, {"view": "all", **params})))

    assert listed(status="pending") == {b.reference}
    assert listed(priority="high") == {a.reference}
    assert listed(assignee="me") == {a.reference}
    assert listed(assignee="none") == {c.reference}
    assert listed(assignee="agent2") == {b.reference}
    assert listed(team=str(team.pk)) == {a.reference}
    assert listed(tag="refund") == {a.reference}
    assert listed(feature="billing.invoices") == {a.reference}
    # The filter form shows what is applied.
    html = agent_client.get(INBOX, {"view": "all", "status": "pending"}).content.decode()
    assert '<option value="pending" selected>' in html


def test_search_finds_subject_words_message_words_and_references(agent_client, make_ticket):
    printer = make_ticket(subject="Printer jams on page two")
    invoice = make_ticket(subject="Question", body="The invoice total is wrong")
    other = make_ticket(subject="Unrelated")

    assert set(refs_in(agent_client.get(INBOX, {"view": "all", "q": "printer"}))) == {printer.reference}
    assert set(refs_in(agent_client.get(INBOX, {"view": "all", "q": "invoice"}))) == {invoice.reference}
    assert set(refs_in(agent_client.get(INBOX, {"view": "all", "q": other.reference}))) == {other.reference}
    html = agent_client.get(INBOX, {"view": "all", "q": "printer"}).content.decode()
    assert 'name="q" form="filter-form" value="printer"' in html


@pytest.mark.parametrize(
    "params, field",
    [
        ({"status": "bogus"}, "status"),
        ({"priority": "extreme"}, "priority"),
        ({"view": "everything"}, "view"),
        ({"sort": "random"}, "sort"),
        ({"team": "abc"}, "team"),
        ({"cursor": "not-a-cursor!!"}, "cursor"),
    ],
)
def test_invalid_filter_or_cursor_is_a_400_naming_the_field(agent_client, make_ticket, params, field):
    make_ticket()

    response = agent_client.get(INBOX, params)

    assert response.status_code == 400
    html = response.content.decode()
    assert 'role="alert"' in html
    assert f'<code class="error-field">{field}</code>' in html
    # The typed value stays visible in the form (escaped), not silently dropped.
    if field in ("status", "priority"):
        assert 'aria-invalid="true"' in html


def test_invalid_filter_value_is_escaped_in_the_error(agent_client):
    response = agent_client.get(INBOX, {"status": XSS})

    assert response.status_code == 400
    html = response.content.decode()
    assert XSS not in html
    assert "&lt;script&gt;" in html


# --- keyset pages ----------------------------------------------------------------------------------


def test_next_page_link_walks_every_ticket_once_without_count(agent_client, make_ticket, settings):
    settings.HELPDESK_PAGE_SIZE = 2
    created = [make_ticket(subject=f"Paged {i}", tags=["paged"]) for i in range(5)]

    seen: list[str] = []
    url = INBOX + "?view=all&tag=paged&sort=created"
    pages = 0
    while url:
        with CaptureQueriesContext(connection) as queries:
            response = agent_client.get(url)
        assert response.status_code == 200
        # The only counts are the capped ones beside the views: each reads at most 1,001 rows.
        for query in queries.captured_queries:
            sql = query["sql"].upper()
            assert sql.count("COUNT(") == sql.count("LIMIT 1001"), sql
        assert not any(" OFFSET " in q["sql"].upper() for q in queries.captured_queries)
        seen += refs_in(response)
        pages += 1
        html = response.content.decode()
        if pages > 1:
            assert "First page" in html
            # The first-page link keeps the filters and drops only the cursor.
            first = re.search(r'href="([^"]*)">« First page', html).group(1)
            assert "tag=paged" in first and "cursor" not in first
        match = re.search(r'rel="next" href="([^"]*)"', html)
        if match:
            next_url = match.group(1).replace("&amp;", "&")
            assert "tag=paged" in next_url and "sort=created" in next_url and "cursor=" in next_url
            url = INBOX + next_url
        else:
            url = None

    assert pages == 3
    assert seen == [t.reference for t in reversed(created)]


# --- query counts ------------------------------------------------------------------------------------


def _inbox_queries(client, url) -> int:
    """Queries of one inbox page in the steady state (the directory cache warmed by a first request)."""
    client.get(url)
    with CaptureQueriesContext(connection) as queries:
        response = client.get(url)
    assert response.status_code == 200
    return len(queries.captured_queries)


def test_inbox_query_count_does_not_grow_with_tickets(agent_client, agent, agent2, make_customer, organization):
    team = services.team_ensure(actor=None, name="Ops")

    def create(n: int, offset: int) -> None:
        for i in range(n):
            requester = make_customer(f"qc{offset + i}", organization=organization, with_login=False)
            services.ticket_create(
                actor=agent,
                requester=requester,
                subject=f"Ticket {offset + i}",
                body="body",
                assignee=agent if i % 2 else agent2,
                team=team,
                tags=[f"t{i}", "shared"],
            )

    create(3, 0)
    few = _inbox_queries(agent_client, INBOX + "?view=all")
    create(27, 100)
    many = _inbox_queries(agent_client, INBOX + "?view=all")
    assert few == many
    # Session, user, the directory generation, the page query, tags, and the capped counts
    # beside the views (one query for all of them): the pick-lists and permission sets are cached.
    assert many <= 6
    # Searching and filtering costs the same whatever the data; a tag filter looks
    # its tag up first (one more query) so the page query compares a constant, and so
    # does a search the customers and organizations it names (one more).
    filtered = _inbox_queries(agent_client, INBOX + "?view=all&q=Ticket&tag=shared&assignee=me")
    assert filtered == few + 2
    create(5, 200)
    assert _inbox_queries(agent_client, INBOX + "?view=all&q=Ticket&tag=shared&assignee=me") == filtered


# --- bulk actions ----------------------------------------------------------------------------------


def test_bulk_assign_to_me_updates_and_reports(agent_client, agent, make_ticket):
    tickets = [make_ticket() for _ in range(3)]
    back = INBOX + "?view=unassigned"

    response = agent_client.post(
        reverse("helpdesk:inbox_bulk"),
        {"tickets": [t.reference for t in tickets], "action": "assign_me", "next": back},
        follow=True,
    )

    assert response.redirect_chain[0] == (back, 302)
    assert all(Ticket.objects.get(pk=t.pk).assignee_id == agent.pk for t in tickets)
    html = response.content.decode()
    assert "Updated 3 tickets" in html
    assert tickets[0].reference in html


def test_bulk_status_reports_skipped_tickets_with_reason(agent_client, agent, make_ticket):
    ok = make_ticket()
    closed = make_ticket()
    services.ticket_update(actor=agent, ticket=closed, status="solved")
    services.ticket_update(actor=agent, ticket=closed, status="closed")

    response = agent_client.post(
        reverse("helpdesk:inbox_bulk"),
        {"tickets": [ok.reference, closed.reference, "HD-999999"], "action": "status", "status": "pending"},
        follow=True,
    )

    assert Ticket.objects.get(pk=ok.pk).status == TicketStatus.PENDING
    assert Ticket.objects.get(pk=closed.pk).status == TicketStatus.CLOSED
    html = response.content.decode()
    assert f"Updated 1 ticket ({ok.reference})." in html
    # Each refusal in plain words that name the ticket.
    assert "Not changed (2):" in html
    assert f"{closed.reference} is closed and can no longer change." in html
    assert "HD-999999 was not found." in html


def test_bulk_assign_to_someone_and_unassign(agent_client, agent, agent2, make_ticket):
    ticket = make_ticket(assignee=agent)

    agent_client.post(
        reverse("helpdesk:inbox_bulk"), {"tickets": [ticket.reference], "action": "assign", "assignee": "agent2"}
    )
    assert Ticket.objects.get(pk=ticket.pk).assignee_id == agent2.pk

    agent_client.post(reverse("helpdesk:inbox_bulk"), {"tickets": [ticket.reference], "action": "unassign"})
    assert Ticket.objects.get(pk=ticket.pk).assignee_id is None


def test_bulk_without_selection_or_target_explains(agent_client, make_ticket):
    ticket = make_ticket()

    response = agent_client.post(reverse("helpdesk:inbox_bulk"), {"action": "assign_me"}, follow=True)
    assert "Select at least one ticket" in response.content.decode()

    response = agent_client.post(
        reverse("helpdesk:inbox_bulk"), {"tickets": [ticket.reference], "action": "assign"}, follow=True
    )
    assert "Choose who to assign" in response.content.decode()
    assert Ticket.objects.get(pk=ticket.pk).assignee_id is None


def test_bulk_never_redirects_off_site(agent_client, make_ticket):
    ticket = make_ticket()

    response = agent_client.post(
        reverse("helpdesk:inbox_bulk"),
        {"tickets": [ticket.reference], "action": "assign_me", "next": "https://evil.example/"},
    )

    assert response.status_code == 302
    assert response["Location"] == reverse("helpdesk:inbox")


def test_bulk_by_product_manager_changes_nothing(client, product_manager, make_ticket):
    ticket = make_ticket()
    client.force_login(product_manager)

    response = client.post(
        reverse("helpdesk:inbox_bulk"), {"tickets": [ticket.reference], "action": "assign_me"}, follow=True
    )

    assert "You may not change tickets" in response.content.decode()
    assert Ticket.objects.get(pk=ticket.pk).assignee_id is None


def test_product_manager_sees_inbox_without_bulk_bar(client, product_manager, make_ticket):
    make_ticket()
    client.force_login(product_manager)

    html = client.get(INBOX + "?view=all").content.decode()

    assert 'class="ticket-link"' in html
    assert 'id="bulk-form"' not in html


# --- escaping -----------------------------------------------------------------------------------------


def test_user_text_is_escaped_in_the_inbox(agent_client, agent, make_user, make_customer):
    org = services.organization_ensure(actor=None, name=XSS + " Org", tier="enterprise")
    requester = make_customer("xss", organization=org, name=XSS)
    assignee = make_user("xss-agent", first_name=XSS)
    team = services.team_ensure(actor=None, name=XSS + " Team")
    services.ticket_create(
        actor=agent, requester=requester, subject=XSS, body=XSS, tags=[XSS], assignee=assignee, team=team
    )

    html = agent_client.get(INBOX + "?view=all").content.decode()

    assert XSS not in html
    row = re.search(r'<tr class="ticket-row.*?</tr>', html, re.S).group(0)
    # subject, tag text, customer name, organization, assignee, team, each also whole in a
    # title (the cell's or the link's); the tag's link is URL-encoded.
    assert row.count(XSS_ESCAPED) == 12
    assert row.count(f'title="{XSS_ESCAPED}"') == 3  # subject, assignee, tags
    assert f'title="{XSS_ESCAPED} Team"' in row
    assert f'title="{XSS_ESCAPED}, {XSS_ESCAPED} Org"' in row
    assert 'href="?view=all&amp;tag=%3Cscript%3Ealert%281%29%3C/script%3E" tabindex="-1"' in row


def test_quotes_in_user_text_cannot_leave_an_attribute(agent_client, agent, make_customer):
    quote_payload = '" onmouseover="alert(1)'
    requester = make_customer("quotes", name=quote_payload)
    services.ticket_create(actor=agent, requester=requester, subject=quote_payload, body="b", tags=["a'b"])

    html = agent_client.get(INBOX + "?view=all").content.decode()

    assert quote_payload not in html
    assert "&quot; onmouseover=&quot;alert(1)" in html
    assert "a&#x27;b" in html


def test_rows_show_every_column(agent_client, agent, make_customer):
    org = services.organization_ensure(actor=None, name="Initech", tier="enterprise")
    requester = make_customer("peter", organization=org, name="Peter Gibbons")
    team = services.team_ensure(actor=None, name="Billing")
    ticket = services.ticket_create(
        actor=agent, requester=requester, subject="TPS report", body="b", tags=["tps", "reports"],
        assignee=agent, team=team, priority="urgent",
    )

    html = agent_client.get(INBOX + "?view=all").content.decode()

    row = re.search(r'<tr class="ticket-row priority-row-urgent"[^>]*>.*?</tr>', html, re.S).group(0)
    assert row.startswith(f'<tr class="ticket-row priority-row-urgent" data-reference="{ticket.reference}" data-status="new" data-version="1">')
    assert f'value="{ticket.reference}" form="bulk-form"' in row
    assert f'<a class="ticket-link" href="{reverse("helpdesk:ticket_detail", args=[ticket.reference])}" title="TPS report">' in row
    assert '<span class="subject">TPS report</span>' in row
    assert '<span class="req-name">Peter Gibbons</span>' in row
    assert 'class="tier-dot tier-enterprise" title="Enterprise customer"' in row
    assert '<span class="badge status status-new">New</span>' in row
    assert '<span class="badge priority priority-urgent">Urgent</span>' in row
    assert ">Alex Agent<" in row and ">Billing<" in row
    assert '<a class="tag" href="?view=all&amp;tag=reports" tabindex="-1">reports</a>' in row
    assert re.search(r'<time datetime="[^"]+" title="[^"]+">now</time>', row)
    assert f'data-reference="{ticket.reference}" data-status="new" data-version="1"' in row


# --- who may enter ---------------------------------------------------------------------------------------


def test_anonymous_goes_to_login(client):
    response = client.get(INBOX)
    assert response.status_code == 302
    assert response["Location"].startswith("/accounts/login/?next=/inbox/")


def test_customer_is_sent_to_the_portal(client, customer):
    client.force_login(customer.user)
    response = client.get(INBOX)
    assert response.status_code == 302
    assert response["Location"] == reverse("portal:ticket_list")


def test_user_without_role_is_sent_to_explanation(client, make_user):
    client.force_login(make_user("nobody", role=None))
    response = client.get(INBOX)
    assert response.status_code == 302
    assert response["Location"] == reverse("helpdesk:no_role")


def test_home_redirects_by_role(client, agent, customer):
    client.force_login(agent)
    assert client.get("/")["Location"] == reverse("helpdesk:inbox")
    client.force_login(customer.user)
    assert client.get("/")["Location"] == reverse("portal:ticket_list")


def test_customer_cannot_bulk_change(client, customer, make_ticket):
    ticket = make_ticket()
    client.force_login(customer.user)

    response = client.post(
        reverse("helpdesk:inbox_bulk"), {"tickets": [ticket.reference], "action": "status", "status": "solved"}
    )

    assert response.status_code == 302
    assert Ticket.objects.get(pk=ticket.pk).status == TicketStatus.NEW


def test_bulk_over_https_never_goes_back_to_plain_http(agent_client, make_ticket):
    ticket = make_ticket()

    response = agent_client.post(
        reverse("helpdesk:inbox_bulk"),
        {"tickets": [ticket.reference], "action": "assign_me", "next": "http://testserver/inbox/?view=all"},
        secure=True,
    )
    assert response.status_code == 302
    assert response["Location"] == reverse("helpdesk:inbox")

    same_scheme = agent_client.post(
        reverse("helpdesk:inbox_bulk"),
        {"tickets": [ticket.reference], "action": "unassign", "next": "https://testserver/inbox/?view=all"},
        secure=True,
    )
    # This very site over the same scheme is followed, as a path.
    assert same_scheme["Location"] == "/inbox/?view=all"
    relative = agent_client.post(
        reverse("helpdesk:inbox_bulk"),
        {"tickets": [ticket.reference], "action": "assign_me", "next": "/inbox/?view=all"},
        secure=True,
    )
    assert relative["Location"] == "/inbox/?view=all"


def test_view_value_is_url_encoded_in_links(agent_client):
    # An unknown view (a hand-edited URL) is echoed into the "Clear filters" links; its "&" must not
    # turn into a second query parameter there.
    response = agent_client.get(reverse("helpdesk:inbox"), {"view": "x&assignee=none", "q": "printer"})
    html = response.content.decode()
    assert response.status_code == 400
    assert 'href="?view=x%26assignee%3Dnone"' in html
    assert "?view=x&amp;assignee=none" not in html and "?view=x&assignee" not in html
