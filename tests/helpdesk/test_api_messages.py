"""GET and POST /api/v1/tickets/{reference}/messages/."""

from __future__ import annotations

import pytest
from django.conf import settings

from helpdesk import services
from helpdesk.models import Ticket, TicketEvent
from tests.helpdesk.test_api_common import client_for, messages_url  # noqa: F401


def post(client, reference, data):
    return client.post(messages_url(reference), data, format="json")


@pytest.fixture
def conversation(ticket, agent, customer):
    services.ticket_message_post(actor=agent, ticket=ticket, body="Which browser?")
    services.ticket_message_post(actor=agent, ticket=ticket, body="Customer sounds upset, be gentle.", internal=True)
    services.ticket_message_post(actor=customer.user, ticket=ticket, body="Firefox.")
    return ticket


def test_desk_sees_replies_and_notes_in_order(client_for, agent, conversation):  # noqa: F811
    response = client_for(agent).get(messages_url(conversation.reference))
    assert response.status_code == 200
    body = response.json()
    assert body["next"] is None
    assert [(m["body"], m["internal"], m["author"]) for m in body["results"]] == [
        ("Something is wrong.", False, "customer@customer.test"),  # the customer's words, logged by the agent
        ("Which browser?", False, "agent"),
        ("Customer sounds upset, be gentle.", True, "agent"),
        ("Firefox.", False, "customer"),
    ]
    assert set(body["results"][0]) == {"id", "body", "internal", "author", "created", "attachments"}


def test_customer_never_sees_internal_notes(client_for, customer, conversation):  # noqa: F811
    response = client_for(customer.user).get(messages_url(conversation.reference))
    assert response.status_code == 200
    assert b"gentle" not in response.content
    assert all(not m["internal"] for m in response.json()["results"])
    assert len(response.json()["results"]) == 3


def test_customer_never_learns_agent_usernames(client_for, agent, customer, make_user, conversation):  # noqa: F811
    nameless = make_user("ops-bot-7", first_name="")
    services.ticket_message_post(actor=nameless, ticket=conversation, body="Fixed it.")
    response = client_for(customer.user).get(messages_url(conversation.reference))
    assert [(m["body"], m["author"]) for m in response.json()["results"]] == [
        ("Something is wrong.", "customer@customer.test"),  # their words, logged for them: under their email
        ("Which browser?", "Alex"),
        ("Firefox.", "customer"),  # their own words: their username
        ("Fixed it.", "Support team"),  # an agent without a first name
    ]
    assert b'"agent"' not in response.content and b"ops-bot-7" not in response.content


def test_desk_still_sees_usernames_for_the_same_messages(client_for, agent, make_user, conversation):  # noqa: F811
    nameless = make_user("ops-bot-7", first_name="")
    services.ticket_message_post(actor=nameless, ticket=conversation, body="Fixed it.")
    authors = [m["author"] for m in client_for(agent).get(messages_url(conversation.reference)).json()["results"]]
    assert authors == ["customer@customer.test", "agent", "agent", "customer", "ops-bot-7"]


def test_customers_own_words_without_login_show_their_email_to_them_too(client_for, agent, customer):  # noqa: F811
    # An import (no actor) records the customer's own words; they read them back under their email.
    ticket = services.ticket_create(actor=None, requester=customer, subject="By email", body="Sent from my phone")
    first = client_for(customer.user).get(messages_url(ticket.reference)).json()["results"][0]
    assert first["author"] == "customer@customer.test"


def test_author_is_customer_email_when_they_have_no_login(client_for, agent, make_customer):  # noqa: F811
    walk_in = make_customer("walkin", with_login=False)
    # An import (no actor) records the customer's own words.
    ticket = services.ticket_create(actor=None, requester=walk_in, subject="By email", body="Sent from my phone")
    first = client_for(agent).get(messages_url(ticket.reference)).json()["results"][0]
    assert first["author"] == "walkin@customer.test"


def test_customer_reply_is_201_and_reopens_solved_ticket(client_for, agent, customer, ticket):  # noqa: F811
    services.ticket_update(actor=agent, ticket=ticket, status="solved")
    response = post(client_for(customer.user), ticket.reference, {"body": "Still broken."})
    assert response.status_code == 201, response.content
    body = response.json()
    assert (body["body"], body["internal"], body["author"]) == ("Still broken.", False, "customer")

    agent_reply = post(client_for(agent), ticket.reference, {"body": "Looking."}).json()
    assert agent_reply["author"] == "agent"
    assert isinstance(body["id"], int) and TicketEvent.objects.filter(pk=body["id"], kind="reply").exists()
    assert Ticket.objects.get(pk=ticket.pk).status == "open"


def test_agent_note_and_submit_as_pending(client_for, agent, ticket):  # noqa: F811
    client = client_for(agent)
    note = post(client, ticket.reference, {"body": "Checked logs.", "internal": True})
    assert note.status_code == 201 and note.json()["internal"] is True
    reply = post(client, ticket.reference, {"body": "Try again now?", "status": "pending"})
    assert reply.status_code == 201
    assert Ticket.objects.get(pk=ticket.pk).status == "pending"


@pytest.mark.parametrize("data, field", [({"body": "psst", "internal": True}, "internal"), ({"body": "x", "status": "solved"}, "status")])
def test_customer_may_not_post_notes_or_set_status(client_for, customer, ticket, data, field):  # noqa: F811
    before = TicketEvent.objects.filter(ticket=ticket).count()
    response = post(client_for(customer.user), ticket.reference, data)
    assert response.status_code == 403
    assert response.json()["field"] == field
    assert TicketEvent.objects.filter(ticket=ticket).count() == before


def test_other_customers_ticket_is_404_like_a_missing_one(client_for, customer2, ticket):  # noqa: F811
    client = client_for(customer2.user)
    missing = client.get(messages_url("HD-999999"))
    assert missing.status_code == 404
    assert client.get(messages_url(ticket.reference)).content == missing.content
    assert post(client, ticket.reference, {"body": "hello"}).content == missing.content
    assert not TicketEvent.objects.filter(ticket=ticket, body="hello").exists()


@pytest.mark.parametrize(
    "data, field",
    [({}, "body"), ({"body": ""}, "body"), ({"body": "  \n "}, "body"), ({"body": "x", "internal": "maybe"}, "internal"),
     ({"body": "x", "status": "gone"}, "status"), ({"body": "x", "private": True}, "private")],
)
def test_bad_message_is_400_naming_the_field(client_for, agent, ticket, data, field):  # noqa: F811
    response = post(client_for(agent), ticket.reference, data)
    assert response.status_code == 400
    assert field in response.json()


def test_oversize_message_is_400_on_body(client_for, agent, ticket):  # noqa: F811
    response = post(client_for(agent), ticket.reference, {"body": "x" * (settings.HELPDESK_MAX_BODY_BYTES + 1)})
    assert response.status_code == 400
    assert list(response.json()) == ["body"]


def test_reply_on_closed_ticket_is_400_on_body(client_for, agent, ticket):  # noqa: F811
    services.ticket_update(actor=agent, ticket=ticket, status="solved")
    services.ticket_update(actor=agent, ticket=ticket, status="closed")
    response = post(client_for(agent), ticket.reference, {"body": "Hello?"})
    assert response.status_code == 400 and "closed" in response.json()["body"][0]


def test_messages_are_keyset_paginated(client_for, agent, ticket):  # noqa: F811
    for i in range(29):
        services.ticket_message_post(actor=agent, ticket=ticket, body=f"message {i}", internal=i % 2 == 0)
    client = client_for(agent)
    url, seen, sizes = messages_url(ticket.reference) + "?page_size=10", [], []
    while url:
        body = client.get(url).json()
        sizes.append(len(body["results"]))
        seen += [m["id"] for m in body["results"]]
        url = body["next"]
    assert sizes == [10, 10, 10]
    assert seen == sorted(seen) and len(set(seen)) == 30
