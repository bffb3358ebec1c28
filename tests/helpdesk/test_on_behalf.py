"""A ticket the desk opens for a customer (a call, a walk-in) holds the customer's words, typed on their behalf."""

from __future__ import annotations

from django.urls import reverse

from helpdesk import services
from helpdesk.models import Ticket, TicketEvent
from tests.helpdesk.test_api_common import client_for  # noqa: F401


def request_event(ticket) -> TicketEvent:
    return TicketEvent.objects.get(ticket=ticket, kind=TicketEvent.Kind.REPLY)


def test_the_desk_timeline_names_the_customer_and_who_typed_it(agent_client, agent, customer):
    ticket = services.ticket_create(actor=agent, requester=customer, subject="Called in", body="The scanner beeps.")

    html = agent_client.get(f"/tickets/{ticket.reference}/").content.decode()
    head = html[html.index('class="event event-reply event-customer"'):]
    head = head[: head.index("event-body")]
    assert '<span class="author">Casey Customer</span>' in head
    assert "written by Alex Agent on the customer's behalf" in head


def test_words_the_customer_wrote_themselves_carry_no_such_line(agent_client, customer):
    ticket = services.ticket_create(actor=customer.user, subject="Help", body="It broke")
    html = agent_client.get(f"/tickets/{ticket.reference}/").content.decode()
    assert "on the customer" not in html


def test_the_first_reply_is_still_to_come_and_the_clock_is_honest(agent, customer):
    ticket = services.ticket_create(actor=agent, requester=customer, subject="Called in", body="Help")
    stored = Ticket.objects.get(pk=ticket.pk)
    assert stored.first_response_at is None and stored.waiting_on_desk
    assert (request_event(ticket).actor_id, request_event(ticket).customer_id) == (agent.pk, customer.pk)

    reply = services.ticket_message_post(actor=agent, ticket=ticket, body="Try this")
    stored.refresh_from_db()
    assert stored.first_response_at == reply.created_at and not stored.waiting_on_desk


def test_the_api_create_records_the_same(client_for, agent, customer):  # noqa: F811
    response = client_for(agent).post(
        "/api/v1/tickets/", {"subject": "From the CRM", "body": "Logged by the CRM", "requester": customer.email},
        format="json",
    )
    assert response.status_code == 201
    ticket = Ticket.objects.get(number=int(response.json()["reference"].split("-")[1]))
    assert (request_event(ticket).actor_id, request_event(ticket).customer_id) == (agent.pk, customer.pk)
    assert ticket.first_response_at is None and ticket.last_agent_reply_at is None


def test_the_portal_shows_the_request_as_the_customers_own(client, agent, customer):
    ticket = services.ticket_create(actor=agent, requester=customer, subject="Called in", body="Caller says hi.")
    client.force_login(customer.user)
    html = client.get(reverse("portal:ticket_detail", kwargs={"reference": ticket.reference})).content.decode()
    assert "Caller says hi." in html and "on the customer" not in html
