"""The inbox as agents scan it: columns a view makes redundant, full values, view counts, who waits, roles."""

from __future__ import annotations

import re
from datetime import timedelta

import pytest
from django.contrib.auth import get_user_model
from django.urls import reverse
from django.utils import timezone

from helpdesk import selectors, services
from helpdesk.models import Customer, Organization, Tag, Team, Ticket
from helpdesk.templatetags.inbox import inbox_head, inbox_rows

INBOX = "/inbox/"


def headings(html: str) -> list[str]:
    head = re.search(r"<thead>.*?</thead>", html, re.S).group(0)
    return re.findall(r'<th class="col-(\w+)"', head)


def rows(html: str) -> list[str]:
    return re.findall(r'<tr class="ticket-row.*?</tr>', html, re.S)


def view_counts(html: str) -> dict[str, str]:
    return dict(re.findall(r'href="\?view=(\w+)"[^>]*><span class="view-label">[^<]*</span> <span class="view-count"[^>]*>([^<]*)</span>', html))


# --- columns -------------------------------------------------------------------------------


@pytest.mark.parametrize(
    "params, left_out",
    [
        ({"view": "all"}, set()),
        ({"view": "mine"}, {"assignee"}),
        ({"view": "unassigned"}, {"assignee"}),
        ({"view": "pending"}, {"status"}),
        ({"view": "solved"}, {"status"}),
        ({"view": "all", "status": "open"}, {"status"}),
        ({"view": "all", "assignee": "agent2"}, {"assignee"}),
        ({"view": "all", "team": "1"}, {"team"}),
        ({"view": "open"}, set()),
    ],
)
def test_columns_a_view_makes_redundant_are_left_out(agent_client, agent, make_ticket, params, left_out):
    make_ticket(assignee=agent)
    everything = ["check", "subject", "requester", "status", "priority", "assignee", "team", "tags", "customer", "updated"]

    html = agent_client.get(INBOX, params).content.decode()

    assert headings(html) == [c for c in everything if c not in left_out]
    for row in rows(html):
        assert re.findall(r'<td class="col-(\w+)"', row) == headings(html)


def test_my_view_does_not_repeat_my_name(agent_client, agent, make_ticket):
    make_ticket(assignee=agent, subject="Mine")
    html = agent_client.get(INBOX).content.decode()
    assert "Alex Agent" not in "".join(rows(html))


def test_full_values_are_in_titles_and_extra_tags_are_not_links(agent_client, agent, make_customer, organization):
    long_subject = "The export to CSV drops every second column when the report has more than forty columns"
    requester = make_customer("longname", organization=organization, name="Maximiliana Wolkenstein-Ortega")
    team = services.team_ensure(actor=None, name="Second line support")
    services.ticket_create(
        actor=agent, requester=requester, subject=long_subject, body="b", assignee=agent, team=team,
        tags=["csv", "export", "reporting", "regression", "vip"],
    )

    (row,) = rows(agent_client.get(INBOX, {"view": "all"}).content.decode())

    assert f'title="{long_subject}"' in row
    assert 'title="Maximiliana Wolkenstein-Ortega, Acme Corp"' in row
    assert 'title="Second line support"' in row and 'title="Alex Agent"' in row
    assert 'title="csv, export, regression, reporting, vip"' in row
    # Three tags are links (for the mouse: no tab stops); the other two are named in the "+2" marker.
    assert len(re.findall(r'<a class="tag"', row)) == 3
    assert '<span class="tag tag-more" title="reporting, vip">+2</span>' in row


def test_rows_carry_their_reference_and_status_for_scripts(agent_client, make_ticket):
    ticket = make_ticket()
    (row,) = rows(agent_client.get(INBOX, {"view": "all"}).content.decode())
    assert row.startswith(f'<tr class="ticket-row priority-row-normal" data-reference="{ticket.reference}" data-status="new" data-version="1">')


def test_a_row_is_exactly_this_markup(db, settings):
    """The whole row, byte for byte: every value escaped, every column in its place."""
    settings.TIME_ZONE = "UTC"
    now = timezone.now()
    organization = Organization(name="Initech & Co", tier=Organization.Tier.ENTERPRISE)
    ticket = Ticket(
        pk=7, number=1042, subject='Printer "jams" <again>', status="open", priority=4,
        updated_at=now - timedelta(hours=3), last_customer_message_at=now - timedelta(hours=5),
        last_agent_reply_at=now - timedelta(days=1),
    )
    ticket.requester = Customer(name="Peter O'Neil")
    ticket.organization = organization
    ticket.assignee = get_user_model()(username="sam", first_name="Sam", last_name="Second")
    ticket.team = Team(name="Billing")
    ticket._prefetched_objects_cache = {"tags": [Tag(name="vip"), Tag(name="needs info")]}
    updated, wrote = ticket.updated_at, ticket.last_customer_message_at

    html = inbox_rows([ticket], True)

    assert html == (
        '<tr class="ticket-row priority-row-urgent" data-reference="HD-1042" data-status="open" data-version="1">'
        '<td class="col-check"><input type="checkbox" name="tickets" value="HD-1042" form="bulk-form" data-status="open" '
        'aria-label="Select HD-1042"></td>'
        '<td class="col-subject"><a class="ticket-link" href="/tickets/HD-1042/" title="Printer &quot;jams&quot; &lt;again&gt;">'
        '<span class="ref">HD-1042</span> <span class="subject">Printer &quot;jams&quot; &lt;again&gt;</span></a></td>'
        '<td class="col-requester" title="Peter O&#x27;Neil, Initech &amp; Co"><span class="req-name">Peter O&#x27;Neil</span>'
        '<span class="req-org"><span class="tier-dot tier-enterprise" title="Enterprise customer" aria-label="Enterprise customer"></span>'
        "Initech &amp; Co</span></td>"
        '<td class="col-status"><span class="badge status status-open">Open</span></td>'
        '<td class="col-priority"><span class="badge priority priority-urgent">Urgent</span></td>'
        '<td class="col-assignee" title="Sam Second">Sam Second</td>'
        '<td class="col-team" title="Billing">Billing</td>'
        '<td class="col-tags" title="vip, needs info"><a class="tag" href="?view=all&amp;tag=vip" tabindex="-1">vip</a>'
        '<a class="tag" href="?view=all&amp;tag=needs%20info" tabindex="-1">needs info</a></td>'
        '<td class="col-customer"><span class="waiting" title="Waiting on us: no reply since the customer wrote">Waiting</span> '
        f'<time datetime="{wrote.isoformat()}" title="{wrote:%a %-d %b %Y, %H:%M}">5 h</time></td>'
        f'<td class="col-updated"><time datetime="{updated.isoformat()}" title="{updated:%a %-d %b %Y, %H:%M}">3 h</time></td>'
        "</tr>"
    )
    assert inbox_head(True, frozenset({"assignee"})) == (
        '<th class="col-check"><input type="checkbox" id="select-all" aria-label="Select every ticket on this page"></th>'
        '<th class="col-subject">Ticket</th><th class="col-requester">Requester</th><th class="col-status">Status</th>'
        '<th class="col-priority">Priority</th><th class="col-team">Team</th><th class="col-tags">Tags</th>'
        '<th class="col-customer">Customer wrote</th><th class="col-updated">Updated</th>'
    )


# --- who waits on whom ---------------------------------------------------------------------------


def customer_cell(client, ticket) -> str:
    (row,) = [r for r in rows(client.get(INBOX, {"view": "all"}).content.decode()) if ticket.reference in r]
    return re.search(r'<td class="col-customer">.*?</td>', row).group(0)


def test_waiting_marker_follows_the_conversation(agent_client, agent, customer):
    ticket = services.ticket_create(actor=customer.user, subject="Help", body="It broke")
    assert "Waiting" in customer_cell(agent_client, ticket)

    services.ticket_message_post(actor=agent, ticket=ticket, body="Looking into it")
    cell = customer_cell(agent_client, ticket)
    assert "Waiting" not in cell and "<time" in cell

    # An internal note answers nobody.
    services.ticket_message_post(actor=customer.user, ticket=ticket, body="Any news?")
    services.ticket_message_post(actor=agent, ticket=ticket, body="Asked the devs", internal=True)
    assert "Waiting" in customer_cell(agent_client, ticket)

    services.ticket_update(actor=agent, ticket=ticket, status="solved")
    assert "Waiting" not in customer_cell(agent_client, ticket)


def test_a_call_logged_by_the_desk_waits_for_its_first_reply(agent_client, agent, customer):
    # The description is the customer's words, typed by the agent: nobody has answered them yet.
    ticket = services.ticket_create(actor=agent, requester=customer, subject="Phoned in", body="Called about X")
    assert "Waiting" in customer_cell(agent_client, ticket)
    services.ticket_message_post(actor=agent, ticket=ticket, body="Here is what to do")
    assert "Waiting" not in customer_cell(agent_client, ticket)


def test_message_times_are_kept_in_the_writing_transaction(agent, customer):
    ticket = services.ticket_create(actor=customer.user, subject="Help", body="It broke")
    stored = Ticket.objects.get(pk=ticket.pk)
    assert stored.last_customer_message_at == stored.created_at and stored.last_agent_reply_at is None

    reply = services.ticket_message_post(actor=agent, ticket=ticket, body="On it")
    stored = Ticket.objects.get(pk=ticket.pk)
    assert stored.last_agent_reply_at == reply.created_at == stored.updated_at
    assert not stored.waiting_on_desk

    answer = services.ticket_message_post(actor=customer.user, ticket=ticket, body="Thanks, still broken")
    stored = Ticket.objects.get(pk=ticket.pk)
    assert stored.last_customer_message_at == answer.created_at and stored.waiting_on_desk


def test_the_migration_backfills_message_times_from_the_timeline(agent, customer):
    from importlib import import_module

    from django.db import connection

    backfill = import_module("helpdesk.migrations.0008_ticket_message_times").backfill
    asked = services.ticket_create(actor=customer.user, subject="Asked", body="?")
    services.ticket_message_post(actor=agent, ticket=asked, body="Answer")
    logged = services.ticket_create(actor=agent, requester=customer, subject="Logged", body="call")
    expected = {t.pk: (t.last_customer_message_at, t.last_agent_reply_at) for t in Ticket.objects.all()}
    Ticket.objects.update(last_customer_message_at=None, last_agent_reply_at=timezone.now())

    class Editor:  # what RunPython hands the function; SQLite allows no schema editor inside a test's transaction
        def __init__(self):
            self.connection = connection

        def execute(self, sql):
            with connection.cursor() as cursor:
                cursor.execute(sql)

    backfill(None, Editor())

    assert {t.pk: (t.last_customer_message_at, t.last_agent_reply_at) for t in Ticket.objects.all()} == expected
    # A logged call's description is the customer's words (written on their behalf).
    assert expected[logged.pk][0] is not None and expected[logged.pk][1] is None and expected[asked.pk][0] is not None


def test_bulk_loaded_tickets_carry_their_message_times(db, settings):
    from helpdesk.demo.bulk_load import ticket_bulk_load
    from helpdesk.models import TicketEvent
    from tests.helpdesk.test_seed_demo import seed

    settings.DEBUG = True
    seed()
    result = ticket_bulk_load(actor=None, count=25)
    loaded = Ticket.objects.filter(number__gte=result.first_number)
    assert loaded.count() == 25
    for ticket in loaded:
        replies = TicketEvent.objects.filter(ticket=ticket, kind="reply")
        assert ticket.last_customer_message_at == max(e.created_at for e in replies if e.customer_id)
        assert ticket.last_agent_reply_at == max((e.created_at for e in replies if not e.customer_id), default=None)


# --- counts beside the views -----------------------------------------------------------------


def test_views_show_how_many_tickets_they_hold(agent_client, agent, agent2, make_ticket):
    make_ticket(assignee=agent)
    make_ticket(assignee=agent2)
    make_ticket()
    pending = make_ticket(assignee=agent)
    services.ticket_update(actor=agent, ticket=pending, status="pending")

    html = agent_client.get(INBOX).content.decode()

    assert view_counts(html) == {"mine": "2", "unassigned": "1", "open": "3", "pending": "1", "solved": "0", "all": "4"}


def test_view_counts_stop_at_the_cap(agent_client, make_ticket, monkeypatch):
    monkeypatch.setattr(selectors, "COUNT_CAP", 2)
    for _ in range(3):
        make_ticket()

    html = agent_client.get(INBOX).content.decode()

    assert view_counts(html)["all"] == "2+"
    assert view_counts(html)["unassigned"] == "2+"
    assert 'title="More than 2 tickets">2+<' in html


def test_capped_counts_are_one_query_reading_at_most_cap_plus_one_rows(agent, make_ticket, django_assert_num_queries):
    for _ in range(4):
        make_ticket()
    user = get_user_model().objects.get(pk=agent.pk)
    selectors.view_counts(user=user, views=selectors.VIEWS)  # the directory cache warm
    with django_assert_num_queries(1) as captured:
        counts = selectors.view_counts(user=user, views=selectors.VIEWS, cap=3)
    assert counts == {"mine": 0, "features": 0, "unassigned": 4, "open": 4, "pending": 0, "solved": 0, "all": 4}
    # "features" needs no SQL (the agent owns none); every other view is counted to at most 4 rows.
    assert captured.captured_queries[0]["sql"].upper().count("LIMIT 4") == 6
    assert selectors.ticket_count_capped(user=user, filters=selectors.TicketFilters(view="all", q="Problem"), cap=3) == 4


# --- roles ----------------------------------------------------------------------------------------


@pytest.fixture
def owned_feature(product_manager):
    from escalations.services import feature_ensure, product_ensure

    product = product_ensure(actor=None, key="billing", name="Billing")
    return feature_ensure(actor=None, product=product, key="billing.invoices", name="Invoices", owner=product_manager)


def test_product_manager_lands_on_the_tickets_of_their_features(client, product_manager, owned_feature, make_ticket, agent):
    theirs = make_ticket(subject="Invoice PDF empty", feature=owned_feature)
    make_ticket(subject="Unrelated login issue")
    done = make_ticket(subject="Old invoice question", feature=owned_feature)
    services.ticket_update(actor=agent, ticket=done, status="solved")
    client.force_login(product_manager)

    response = client.get("/", follow=True)

    html = response.content.decode()
    assert response.redirect_chain[-1][0] == reverse("helpdesk:inbox")
    assert 'aria-current="page"><span class="view-label">My features</span>' in html
    assert re.findall(r'<span class="ref">(HD-\d+)</span>', html) == [theirs.reference]
    # They work no tickets: no "My unsolved" view and no bulk bar.
    assert "My unsolved tickets" not in html and 'id="bulk-form"' not in html


def test_product_manager_sees_no_new_ticket_links(client, product_manager, make_ticket):
    ticket = make_ticket()
    client.force_login(product_manager)

    for url in (INBOX, reverse("helpdesk:ticket_detail", args=[ticket.reference])):
        html = client.get(url).content.decode()
        assert reverse("helpdesk:ticket_new") not in html, url


def test_agents_keep_the_new_ticket_links(agent_client, make_ticket):
    ticket = make_ticket()
    for url in (INBOX, reverse("helpdesk:ticket_detail", args=[ticket.reference])):
        assert reverse("helpdesk:ticket_new") in agent_client.get(url).content.decode(), url


def test_a_desk_member_without_features_or_work_opens_on_all_open(client, make_user, make_ticket):
    from helpdesk import roles

    viewer = make_user("viewer", role=roles.PRODUCT_MANAGERS)
    make_ticket()
    client.force_login(viewer)
    html = client.get(INBOX).content.decode()
    assert 'aria-current="page"><span class="view-label">All open</span>' in html
    assert "My features" not in html


def test_my_features_query_count_does_not_grow_with_tickets(client, product_manager, owned_feature, make_ticket):
    from django.db import connection
    from django.test.utils import CaptureQueriesContext

    def queries() -> int:
        client.get(INBOX)
        with CaptureQueriesContext(connection) as captured:
            assert client.get(INBOX).status_code == 200
        return len(captured.captured_queries)

    client.force_login(product_manager)
    make_ticket(feature=owned_feature, tags=["a"])
    few = queries()
    for index in range(12):
        make_ticket(feature=owned_feature, tags=[f"t{index}"])
    # Session, user, directory generation, the page, its tags, the view counts: the
    # owned features come from the directory cache.
    assert queries() == few <= 6
