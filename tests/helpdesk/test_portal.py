"""The customer portal: own tickets only, public conversation only, everything escaped."""

from __future__ import annotations

import re

import pytest
from django.db import connection
from django.test.utils import CaptureQueriesContext
from django.urls import reverse

from helpdesk import roles, services
from helpdesk.models import Ticket, TicketEvent, TicketStatus


def without_csrf(response) -> str:
    # The page embeds a fresh masked CSRF token on every request.
    return re.sub(r'"X-CSRFToken": "[^"]*"|name="csrfmiddlewaretoken" value="[^"]*"', "", response.content.decode())


def detail_url(ticket) -> str:
    return reverse("portal:ticket_detail", kwargs={"reference": ticket.reference})


def reply_url(ticket) -> str:
    return reverse("portal:ticket_reply", kwargs={"reference": ticket.reference})


@pytest.fixture
def customer_client(client, customer):
    client.force_login(customer.user)
    return client


@pytest.fixture
def own_ticket(customer):
    return services.ticket_create(
        actor=customer.user, subject="Export button does nothing", body="I click Export and nothing happens."
    )


# --- access ------------------------------------------------------------------------


def test_anonymous_visitor_is_sent_to_sign_in(client):
    response = client.get(reverse("portal:ticket_list"))
    assert response.status_code == 302
    assert response["Location"].startswith(reverse("login"))


def test_desk_user_is_redirected_to_the_desk(client, agent):
    client.force_login(agent)
    response = client.get(reverse("portal:ticket_list"))
    assert response.status_code == 302
    assert response["Location"] == reverse("helpdesk:inbox")


def test_desk_user_following_a_portal_ticket_link_lands_on_the_desk_ticket(client, agent, ticket):
    client.force_login(agent)
    response = client.get(detail_url(ticket))
    assert response.status_code == 302
    assert response["Location"] == reverse("helpdesk:ticket_detail", kwargs={"reference": ticket.reference})


def test_account_without_customer_record_goes_to_no_role(client, make_user):
    client.force_login(make_user("drifter", role=None))
    response = client.get(reverse("portal:ticket_list"))
    assert response.status_code == 302
    assert response["Location"] == reverse("helpdesk:no_role")


# --- list -------------------------------------------------------------------------------


def test_list_shows_only_the_customers_own_tickets(customer_client, customer, customer2, make_ticket):
    mine = make_ticket(requester=customer, subject="My printer is on fire")
    theirs = make_ticket(requester=customer2, subject="Globex payroll question")

    response = customer_client.get(reverse("portal:ticket_list"))

    html = response.content.decode()
    assert response.status_code == 200
    assert mine.reference in html and "My printer is on fire" in html
    assert theirs.reference not in html and "Globex payroll question" not in html
    assert 'class="ticket-link"' in html


@pytest.mark.parametrize(
    ("status", "label"),
    [
        (TicketStatus.NEW, "Awaiting our reply"),
        (TicketStatus.OPEN, "In progress"),
        (TicketStatus.ON_HOLD, "In progress"),
        (TicketStatus.PENDING, "Awaiting your reply"),
        (TicketStatus.SOLVED, "Solved"),
    ],
)
def test_list_speaks_customer_status_words(customer_client, agent, make_ticket, status, label):
    ticket = make_ticket()
    if status != TicketStatus.NEW:
        services.ticket_update(actor=agent, ticket=ticket, status=status)

    html = customer_client.get(reverse("portal:ticket_list")).content.decode()

    assert f'<span class="badge status-{status}">{label}</span>' in html


def test_list_pages_by_keyset_with_older_requests_link(customer_client, make_ticket, settings):
    settings.HELPDESK_PAGE_SIZE = 2
    oldest, middle, newest = (make_ticket(subject=f"Request {n}") for n in ("one", "two", "three"))

    first = customer_client.get(reverse("portal:ticket_list"))
    older_link = first.context["next_cursor"]

    assert [t.pk for t in first.context["tickets"]] == [newest.pk, middle.pk]
    assert older_link and "Older requests" in first.content.decode()
    second = customer_client.get(reverse("portal:ticket_list"), {"cursor": older_link, "sort": "updated"})
    assert [t.pk for t in second.context["tickets"]] == [oldest.pk]
    assert second.context["next_cursor"] is None
    assert "Latest requests" in second.content.decode()


def test_list_sorts_oldest_first_on_request(customer_client, make_ticket):
    first, second = make_ticket(subject="First ever"), make_ticket(subject="Second one")
    response = customer_client.get(reverse("portal:ticket_list"), {"sort": "created_asc"})
    assert [t.pk for t in response.context["tickets"]] == [first.pk, second.pk]


def test_broken_page_link_starts_again_with_a_notice(customer_client, make_ticket):
    make_ticket()
    response = customer_client.get(reverse("portal:ticket_list"), {"cursor": "not-a-cursor"}, follow=True)
    assert response.redirect_chain[0][1] == 302
    assert "not valid" in response.content.decode()
    assert len(response.context["tickets"]) == 1


def test_list_query_count_does_not_grow_with_tickets(customer_client, make_ticket, django_assert_num_queries):
    for _ in range(3):
        make_ticket()
    customer_client.get(reverse("portal:ticket_list"))  # steady state: the permission set cached
    with CaptureQueriesContext(connection) as few:
        assert customer_client.get(reverse("portal:ticket_list")).status_code == 200
    for _ in range(27):
        make_ticket()

    few_count = len(few.captured_queries)  # a request clears the query log
    customer_client.get(reverse("portal:ticket_list"))
    with django_assert_num_queries(few_count):
        response = customer_client.get(reverse("portal:ticket_list"))

    assert len(response.context["tickets"]) == 25
    assert few_count <= 10


# --- one ticket -------------------------------------------------------------------------


def test_detail_shows_the_public_conversation_with_friendly_authors(customer_client, own_ticket, agent, make_user):
    services.ticket_message_post(actor=agent, ticket=own_ticket, body="Which browser do you use?")
    nameless = make_user("nameless", role=roles.AGENTS)
    services.ticket_message_post(actor=nameless, ticket=own_ticket, body="Also, which file format?")

    response = customer_client.get(detail_url(own_ticket))

    conversation = response.context["conversation"]
    assert [(m.author, m.body) for m in conversation] == [
        ("You", "I click Export and nothing happens."),
        ("Alex", "Which browser do you use?"),
        ("Support team", "Also, which file format?"),
    ]
    html = response.content.decode()
    assert html.count('class="message-body"') == 3
    assert 'id="reply-form"' in html and 'name="body"' in html
    assert "Agent" not in html  # the agent's last name is not shown to customers
    assert response.context["status_label"] == "In progress"


def test_internal_notes_never_reach_portal_pages(customer_client, own_ticket, agent):
    services.ticket_message_post(actor=agent, ticket=own_ticket, body="NOTE-7731: customer is on legacy plan", internal=True)
    services.ticket_update(actor=agent, ticket=own_ticket, priority="urgent", tags=["vip-internal-tag"])

    detail = customer_client.get(detail_url(own_ticket)).content.decode()
    listing = customer_client.get(reverse("portal:ticket_list")).content.decode()

    for html in (detail, listing):
        assert "NOTE-7731" not in html
        assert "legacy plan" not in html
        assert "vip-internal-tag" not in html


def test_other_customers_ticket_is_the_same_404_as_a_missing_one(customer_client, customer2, make_ticket):
    theirs = make_ticket(requester=customer2, subject="Globex secret")

    other = customer_client.get(detail_url(theirs))
    missing = customer_client.get(reverse("portal:ticket_detail", kwargs={"reference": "HD-999999"}))
    garbage = customer_client.get(reverse("portal:ticket_detail", kwargs={"reference": "nonsense"}))

    assert other.status_code == missing.status_code == garbage.status_code == 404
    assert without_csrf(other) == without_csrf(missing) == without_csrf(garbage)
    assert b"Globex secret" not in other.content


def test_replying_to_another_customers_ticket_is_404_and_writes_nothing(customer_client, customer2, make_ticket):
    theirs = make_ticket(requester=customer2)
    before = TicketEvent.objects.filter(ticket=theirs).count()

    response = customer_client.post(reply_url(theirs), {"body": "hijack"})

    assert response.status_code == 404
    assert TicketEvent.objects.filter(ticket=theirs).count() == before


def test_detail_query_count_does_not_grow_with_messages(
    customer_client, customer, own_ticket, agent, django_assert_num_queries
):
    services.ticket_message_post(actor=agent, ticket=own_ticket, body="First answer")
    services.ticket_message_post(actor=customer.user, ticket=own_ticket, body="Thanks")
    customer_client.get(detail_url(own_ticket))  # steady state: the permission set cached
    with CaptureQueriesContext(connection) as few:
        assert customer_client.get(detail_url(own_ticket)).status_code == 200
    for n in range(37):
        author = agent if n % 2 else customer.user
        services.ticket_message_post(actor=author, ticket=own_ticket, body=f"Message {n}")

    few_count = len(few.captured_queries)  # a request clears the query log
    customer_client.get(detail_url(own_ticket))
    with django_assert_num_queries(few_count):
        response = customer_client.get(detail_url(own_ticket))

    assert len(response.context["conversation"]) == 40
    # The timeline's authors (agents, customers) come in one query each, shared by all their
    # events; the messages' files in one more; live chat's "Chat about this request" one more (its open chat).
    assert few_count <= 11


# --- replies ------------------------------------------------------------------------------


def test_reply_is_posted_and_redirects_to_the_ticket(customer_client, own_ticket):
    response = customer_client.post(reply_url(own_ticket), {"body": "Here is a screenshot description."})

    message = TicketEvent.objects.filter(ticket=own_ticket, kind=TicketEvent.Kind.REPLY).latest("id")
    assert response.status_code == 302
    assert response["Location"] == detail_url(own_ticket)
    assert message.body == "Here is a screenshot description."
    assert message.customer_id is not None


@pytest.mark.parametrize("status", [TicketStatus.SOLVED, TicketStatus.PENDING])
def test_reply_reopens_a_solved_or_pending_ticket_and_says_so(customer_client, own_ticket, agent, status):
    services.ticket_update(actor=agent, ticket=own_ticket, status=status)

    response = customer_client.post(reply_url(own_ticket), {"body": "It broke again."}, follow=True)

    own_ticket.refresh_from_db()
    assert own_ticket.status == TicketStatus.OPEN
    assert "open again" in response.content.decode()


def test_empty_reply_rerenders_with_the_error_by_the_field(customer_client, own_ticket):
    response = customer_client.post(reply_url(own_ticket), {"body": "   "})

    assert response.status_code == 400
    assert response.context["reply_error"] == "Write a message."
    assert '<p class="field-error" id="error-body" role="alert">Write a message.</p>' in response.content.decode()


def test_oversized_reply_keeps_the_text(customer_client, own_ticket):
    text = "Log line that goes on. " * 3000  # about 69 KB, over the 64 KB limit

    response = customer_client.post(reply_url(own_ticket), {"body": text})

    assert response.status_code == 400
    assert "the limit is 64 KB" in response.context["reply_error"]
    assert text.strip() in response.content.decode()
    assert TicketEvent.objects.filter(ticket=own_ticket, kind=TicketEvent.Kind.REPLY).count() == 1


def test_closed_ticket_offers_a_new_request_instead_of_the_form(customer_client, own_ticket, agent):
    services.ticket_update(actor=agent, ticket=own_ticket, status=TicketStatus.SOLVED)
    services.ticket_update(actor=agent, ticket=own_ticket, status=TicketStatus.CLOSED)

    html = customer_client.get(detail_url(own_ticket)).content.decode()
    refused = customer_client.post(reply_url(own_ticket), {"body": "Hello?"})

    assert "This request is closed" in html
    assert f'{reverse("portal:ticket_new")}?follow_up={own_ticket.reference}' in html
    assert 'id="reply-form"' not in html
    assert refused.status_code == 400
    assert "closed" in refused.context["reply_error"]


def test_follow_up_link_prefills_the_subject(customer_client, own_ticket):
    response = customer_client.get(reverse("portal:ticket_new"), {"follow_up": own_ticket.reference})
    assert response.context["values"]["subject"] == f"Follow-up to {own_ticket.reference}: Export button does nothing"


def test_customer_can_mark_their_ticket_solved(customer_client, own_ticket):
    response = customer_client.post(
        reverse("portal:ticket_mark_solved", kwargs={"reference": own_ticket.reference}), follow=True
    )

    own_ticket.refresh_from_db()
    assert own_ticket.status == TicketStatus.SOLVED
    assert "Marked as solved" in response.content.decode()
    assert "Mark as solved" not in response.content.decode()


def test_mark_solved_on_someone_elses_ticket_is_404(customer_client, customer2, make_ticket):
    theirs = make_ticket(requester=customer2)
    response = customer_client.post(reverse("portal:ticket_mark_solved", kwargs={"reference": theirs.reference}))
    theirs.refresh_from_db()
    assert response.status_code == 404
    assert theirs.status == TicketStatus.NEW


def test_reply_url_refuses_get(customer_client, own_ticket):
    assert customer_client.get(reply_url(own_ticket)).status_code == 405


# --- new request ----------------------------------------------------------------------------


def test_new_request_creates_a_web_ticket_for_the_customer(customer_client, customer):
    response = customer_client.post(
        reverse("portal:ticket_new"),
        {"subject": "  Cannot   download invoice ", "body": "The link 404s.", "priority": "high"},
        follow=True,
    )

    ticket = Ticket.objects.get(requester=customer)
    # The priority a customer sends is not applied: the desk sets it (issue 12, finding 7).
    assert (ticket.subject, ticket.channel, ticket.priority_slug) == ("Cannot download invoice", "web", "normal")
    assert response.redirect_chain[-1][0] == detail_url(ticket)
    assert f"we received your request ({ticket.reference})" in response.content.decode()
    first = TicketEvent.objects.get(ticket=ticket, kind=TicketEvent.Kind.REPLY)
    assert first.customer_id == customer.pk and first.body == "The link 404s."


def test_new_request_priority_is_optional(customer_client, customer):
    customer_client.post(reverse("portal:ticket_new"), {"subject": "Question", "body": "How do I export?"})
    assert Ticket.objects.get(requester=customer).priority_slug == "normal"


@pytest.mark.parametrize(
    ("data", "field", "message", "kept"),
    [
        ({"subject": "", "body": "Details kept here"}, "subject", "Give the ticket a subject.", "Details kept here"),
        ({"subject": "x" * 201, "body": "Body kept"}, "subject", "Keep the subject under 200 characters.", "Body kept"),
        ({"subject": "Subject kept", "body": ""}, "body", "Write a message.", "Subject kept"),
        ({"subject": "Subject kept", "body": "b" * (64 * 1024 + 1)}, "body", "the limit is 64 KB", "Subject kept"),
    ],
)
def test_new_request_errors_keep_the_text(customer_client, customer, data, field, message, kept):
    response = customer_client.post(reverse("portal:ticket_new"), data)

    html = response.content.decode()
    assert response.status_code == 400
    assert message in response.context["errors"][field]
    assert f'<p class="field-error" id="error-{field}">' in html
    assert kept in html
    assert not Ticket.objects.filter(requester=customer).exists()


def test_new_request_reports_every_field_at_once(customer_client):
    response = customer_client.post(reverse("portal:ticket_new"), {"subject": "", "body": ""})
    assert set(response.context["errors"]) == {"subject", "body"}


# --- escaping ---------------------------------------------------------------------------------

XSS_SUBJECT = '<script>alert("subject")</script>'
XSS_BODY = '<img src=x onerror="alert(1)"> & </textarea><b>bold</b>'


def test_user_text_is_escaped_everywhere(customer_client, customer, agent):
    ticket = services.ticket_create(actor=customer.user, subject=XSS_SUBJECT, body=XSS_BODY)
    services.ticket_message_post(actor=agent, ticket=ticket, body="<iframe src=javascript:alert(2)>")

    pages = [
        customer_client.get(reverse("portal:ticket_list")).content.decode(),
        customer_client.get(detail_url(ticket)).content.decode(),
        customer_client.post(reverse("portal:ticket_new"), {"subject": XSS_SUBJECT, "body": ""}).content.decode(),
        customer_client.post(reply_url(ticket), {"body": XSS_BODY + "x" * (64 * 1024)}).content.decode(),
    ]

    for html in pages:
        assert "<script>alert" not in html
        assert "<img src=x" not in html
        assert "<iframe" not in html
        assert "</textarea><b>" not in html
    assert "&lt;script&gt;alert(&quot;subject&quot;)&lt;/script&gt;" in pages[0]
    assert "&lt;img src=x onerror=&quot;alert(1)&quot;&gt;" in pages[1]
    assert "&lt;iframe src=javascript:alert(2)&gt;" in pages[1]


def test_mark_solved_button_is_offered_as_permissions_say(customer_client, customer, own_ticket, monkeypatch):
    from helpdesk import permissions

    assert "Mark as solved" in customer_client.get(detail_url(own_ticket)).content.decode()
    asked = []

    def refuse(user, ticket):
        asked.append((user.pk, ticket.pk))
        return False

    monkeypatch.setattr(permissions, "can_mark_solved", refuse)
    html = customer_client.get(detail_url(own_ticket)).content.decode()
    assert asked == [(customer.user.pk, own_ticket.pk)]
    assert "Mark as solved" not in html


def test_ticket_an_agent_logged_for_the_customer_is_the_customers_request(customer_client, customer, agent):
    # The agent typed the customer's words (a phone call): the request is theirs ("You"), and the
    # portal never shows the agent's username.
    ticket = services.ticket_create(actor=agent, requester=customer, subject="Called in", body="Caller says hi.")
    services.ticket_message_post(actor=customer.user, ticket=ticket, body="Thanks!")
    response = customer_client.get(detail_url(ticket))
    conversation = response.context["conversation"]
    assert [(m.author, m.mine) for m in conversation] == [("You", True), ("You", True)]
    assert agent.get_username() not in response.content.decode().replace(agent.get_username() + "@", "")
