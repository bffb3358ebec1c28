"""helpdesk.presenters: who wrote a timeline entry, for the desk, the portal and the API alike."""

from __future__ import annotations

import pytest

from helpdesk import presenters, selectors, services
from helpdesk.models import TicketEvent


@pytest.fixture
def timeline(agent, customer, make_user, make_ticket):
    """A ticket with words from every kind of author, fetched as the desk fetches it."""
    nameless = make_user("ops-bot-7", first_name="")
    ticket = make_ticket(subject="Printer", body="Logged from a call.")  # the agent, in their own name
    services.ticket_message_post(actor=agent, ticket=ticket, body="Which model?")
    services.ticket_message_post(actor=customer.user, ticket=ticket, body="The big one.")
    services.ticket_message_post(actor=nameless, ticket=ticket, body="Restarted it.")
    services.ticket_update(actor=agent, ticket=ticket, status="solved")
    services.ticket_message_post(actor=customer.user, ticket=ticket, body="Broken again.")  # reopens it
    events = selectors.ticket_timeline(user=agent, ticket=ticket)
    return ticket, {(e.kind, e.body or e.new_value): e for e in events}


def test_the_desk_sees_names(timeline, customer, django_assert_num_queries):
    ticket, events = timeline
    requester = ticket.requester

    def desk(event):
        return presenters.author_display(event, viewer_is_desk=True, viewer_customer_id=None, requester=requester)

    with django_assert_num_queries(0):
        # A call the agent logged is the customer's words (the timeline adds who typed them).
        assert desk(events[("reply", "Logged from a call.")]) == "Casey Customer"
        assert desk(events[("reply", "The big one.")]) == "Casey Customer"
        assert desk(events[("reply", "Restarted it.")]) == "ops-bot-7"  # no full name: the username
        # The reopening status change carries only the customer's login; it is named as the desk knows them.
        assert desk(events[("status", "open")]) == "Casey Customer"
        assert desk(events[("status", "solved")]) == "Alex Agent"


def test_the_desk_without_the_requester_still_names_messages(timeline):
    _, events = timeline
    event = events[("reply", "The big one.")]
    assert presenters.author_display(event, viewer_is_desk=True, viewer_customer_id=None) == "Casey Customer"


def test_a_customer_sees_you_and_first_names(timeline, customer, django_assert_num_queries):
    _, events = timeline

    def portal(event):
        return presenters.author_display(event, viewer_is_desk=False, viewer_customer_id=customer.pk)

    with django_assert_num_queries(0):
        assert portal(events[("reply", "Logged from a call.")]) == presenters.YOU
        assert portal(events[("reply", "The big one.")]) == presenters.YOU
        assert portal(events[("reply", "Restarted it.")]) == presenters.SUPPORT_TEAM
        assert presenters.is_customers_own(events[("reply", "The big one.")], customer_id=customer.pk)
        assert not presenters.is_customers_own(events[("reply", "Which model?")], customer_id=customer.pk)
        assert not presenters.is_customers_own(events[("reply", "Which model?")], customer_id=None)


def test_handles_for_the_api(timeline, django_assert_num_queries):
    _, events = timeline
    with django_assert_num_queries(0):
        for body, desk, customer in [
            ("Logged from a call.", "customer@customer.test", "customer@customer.test"),
            ("The big one.", "customer", "customer"),
            ("Restarted it.", "ops-bot-7", presenters.SUPPORT_TEAM),
        ]:
            event = events[("reply", body)]
            assert presenters.author_handle(event, viewer_is_desk=True) == desk, body
            assert presenters.author_handle(event, viewer_is_desk=False) == customer, body


def test_system_and_login_less_customers(agent, make_customer):
    walk_in = make_customer("walkin", with_login=False, name="Walk In")
    ticket = services.ticket_create(actor=None, requester=walk_in, subject="By email", body="Sent from my phone")
    created, words = selectors.ticket_timeline(user=agent, ticket=ticket)
    assert created.kind == TicketEvent.Kind.CREATED
    assert presenters.author_display(created, viewer_is_desk=True, viewer_customer_id=None) == presenters.SYSTEM
    assert presenters.author_display(created, viewer_is_desk=False, viewer_customer_id=None) == presenters.SUPPORT_TEAM
    assert presenters.author_handle(created, viewer_is_desk=True) is None
    assert presenters.author_handle(created, viewer_is_desk=False) is None
    assert presenters.author_display(words, viewer_is_desk=True, viewer_customer_id=None) == "Walk In"
    assert presenters.author_handle(words, viewer_is_desk=True) == "walkin@customer.test"
    assert presenters.author_display(words, viewer_is_desk=False, viewer_customer_id=walk_in.pk) == presenters.YOU
