"""Search from the inbox: every visible ticket whatever the view, by reference, number, name, email, organization, misspelling."""

from __future__ import annotations

import re

import pytest
from django.db import connection
from django.test.utils import CaptureQueriesContext

from helpdesk import services
from helpdesk.models import SearchLexeme

INBOX = "/inbox/"


def refs_in(response) -> list[str]:
    assert response.status_code == 200, response.content[:500]
    return re.findall(r'class="ticket-link"[^>]*><span class="ref">(HD-\d+)</span>', response.content.decode())


@pytest.fixture
def desk(make_ticket, make_customer, agent, agent2):
    """Tickets of two organizations, none of them assigned to the searching agent."""
    initech = services.organization_ensure(actor=None, name="Initech Financial", domain="initech.test")
    peter = make_customer("peter", organization=initech, name="Peter Gibbons", with_login=False)
    printer = make_ticket(subject="Printer jams on page two", assignee=agent2)
    invoice = make_ticket(subject="Invoice total wrong", requester=peter, body="The TPS cover sheet is missing")
    services.ticket_update(actor=agent2, ticket=invoice, status="solved")
    return {"printer": printer, "invoice": invoice, "peter": peter}


def test_search_from_the_landing_view_covers_every_ticket(agent_client, desk):
    # The inbox opens on "My unsolved", which holds neither ticket.
    assert refs_in(agent_client.get(INBOX)) == []

    response = agent_client.get(INBOX, {"q": desk["invoice"].reference})

    assert refs_in(response) == [desk["invoice"].reference]
    html = response.content.decode()
    assert f"Search results for “{desk['invoice'].reference}”" in html
    # No view claims to be open while searching; the search can be cleared back to it.
    assert 'aria-current="page"><span class="view-label">' not in html
    assert "Clear search" in html


def test_search_keeps_explicit_filters(agent_client, desk):
    number = str(desk["invoice"].number)
    assert refs_in(agent_client.get(INBOX, {"view": "mine", "q": number})) == [desk["invoice"].reference]
    assert refs_in(agent_client.get(INBOX, {"view": "mine", "q": number, "status": "open"})) == []


def test_a_bare_number_finds_the_ticket_with_that_reference(agent_client, desk):
    assert refs_in(agent_client.get(INBOX, {"view": "open", "q": str(desk["printer"].number)})) == [
        desk["printer"].reference
    ]


def test_requester_name_email_and_organization_find_their_tickets(agent_client, desk):
    expected = [desk["invoice"].reference]
    assert refs_in(agent_client.get(INBOX, {"q": "Peter Gibbons"})) == expected
    assert refs_in(agent_client.get(INBOX, {"q": "gibbons"})) == expected
    assert refs_in(agent_client.get(INBOX, {"q": "PETER@customer.test"})) == expected
    assert refs_in(agent_client.get(INBOX, {"q": "Initech"})) == expected
    assert refs_in(agent_client.get(INBOX, {"q": "initech financial"})) == expected


def test_an_email_nobody_has_lists_nothing_without_a_ticket_query(agent_client, desk):
    agent_client.get(INBOX, {"q": "ghost@nowhere.test"})
    with CaptureQueriesContext(connection) as queries:
        assert refs_in(agent_client.get(INBOX, {"q": "ghost@nowhere.test"})) == []
    assert not any('FROM "helpdesk_ticket" ' in q["sql"] and "LIMIT 26" in q["sql"] for q in queries.captured_queries)


def test_names_are_matched_as_text_not_as_patterns(agent_client, desk):
    assert refs_in(agent_client.get(INBOX, {"q": "%%%"})) == []
    assert refs_in(agent_client.get(INBOX, {"q": "Peter_Gibbons"})) == []


def test_customers_search_their_own_tickets_by_number_only(client, customer, customer2, make_ticket):
    own = make_ticket(requester=customer, subject="Mine")
    other = make_ticket(requester=customer2, subject="Theirs")
    client.force_login(customer.user)
    from tests.helpdesk.test_api_common import LIST_URL

    def found(q):
        response = client.get(LIST_URL, {"q": q})
        assert response.status_code == 200
        return [t["reference"] for t in response.json()["results"]]

    assert found(str(own.number)) == [own.reference]
    assert found(str(other.number)) == []
    # A customer finds nobody else's tickets by someone's name either.
    assert found("Dana Other") == []


@pytest.mark.postgresql
def test_misspelled_word_finds_the_tickets_of_the_word_it_resembles(agent_client, desk):
    assert refs_in(agent_client.get(INBOX, {"q": "printre"})) == [desk["printer"].reference]
    assert refs_in(agent_client.get(INBOX, {"q": "jams pritner"})) == [desk["printer"].reference]


@pytest.mark.postgresql
def test_a_known_word_is_searched_as_typed(agent_client, make_ticket, desk):
    sprint = make_ticket(subject="Sprint planning export")
    # "sprint" is a word some ticket has: it is not widened to "printer" (nor "printer" to "sprint").
    assert refs_in(agent_client.get(INBOX, {"q": "sprint"})) == [sprint.reference]
    assert refs_in(agent_client.get(INBOX, {"q": "printer"})) == [desk["printer"].reference]


@pytest.mark.postgresql
def test_customers_searches_are_never_widened(client, customer, make_ticket, agent):
    own = make_ticket(requester=customer, subject="Printer jams")
    services.ticket_message_post(actor=agent, ticket=own, body="Known issue with the kangaroo firmware", internal=True)
    client.force_login(customer.user)
    from tests.helpdesk.test_api_common import LIST_URL

    def found(q):
        return [t["reference"] for t in client.get(LIST_URL, {"q": q}).json()["results"]]

    assert found("printer") == [own.reference]
    assert found("printre") == []
    assert found("kangaroo") == [] and found("kangaro") == []


@pytest.mark.postgresql
def test_the_dictionary_of_known_words_follows_the_tickets(agent, make_ticket):
    ticket = make_ticket(subject="Quokka sightings", body="Seen near the billabong")
    assert {"quokka", "billabong"} <= set(SearchLexeme.objects.values_list("word", flat=True))
    services.ticket_message_post(actor=agent, ticket=ticket, body="Wallaby spotted too", internal=True)
    services.ticket_update(actor=agent, ticket=ticket, subject="Numbat sightings")
    words = set(SearchLexeme.objects.values_list("word", flat=True))
    assert {"wallabi", "numbat"} <= words
    # Only words of letters: numbers and codes are searched exactly, never by similarity.
    make_ticket(subject="Error 0x80070005 on order 78466607")
    assert not SearchLexeme.objects.filter(word__regex=r"[0-9]").exists()


@pytest.mark.django_db
@pytest.mark.postgresql
def test_bulk_loads_fill_the_dictionary(settings):
    from helpdesk.demo.bulk_load import ticket_bulk_load
    from tests.helpdesk.test_seed_demo import seed

    settings.DEBUG = True  # seed_demo refuses demo accounts with DEBUG off
    seed()
    SearchLexeme.objects.all().delete()
    ticket_bulk_load(actor=None, count=30)
    assert SearchLexeme.objects.count() > 50


def test_a_number_needs_no_lookup_query(agent_client, desk):
    number = str(desk["printer"].number)
    agent_client.get(INBOX, {"q": number})
    with CaptureQueriesContext(connection) as queries:
        assert refs_in(agent_client.get(INBOX, {"q": number})) == [desk["printer"].reference]
    assert not any("helpdesk_customer" in q["sql"] and "ILIKE" in q["sql"].upper() for q in queries.captured_queries)
    assert not any('"helpdesk_customer"."name" LIKE' in q["sql"] for q in queries.captured_queries)
