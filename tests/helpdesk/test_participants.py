"""Who a ticket concerns: changing its requester (audited), CCs on replies, followers."""

from __future__ import annotations

import pytest

from helpdesk import services
from helpdesk.errors import ActionForbidden, InvalidInput
from helpdesk.mail.models import OutboundEmail
from helpdesk.participants.models import TicketCC


def test_changing_the_requester_moves_the_ticket_and_is_on_the_timeline(ticket, agent, customer2):
    before = ticket.version
    services.ticket_requester_change(actor=agent, ticket=ticket, requester=customer2)
    ticket.refresh_from_db()
    assert ticket.requester == customer2 and ticket.organization == customer2.organization
    assert ticket.version == before + 1
    event = ticket.events.get(kind="requester")
    assert event.actor == agent
    assert event.old_value == "Casey Customer <customer@customer.test>"
    assert event.new_value == "Dana Other <customer2@customer.test>"


def test_customers_may_not_change_the_requester(ticket, customer, customer2):
    with pytest.raises(ActionForbidden):
        services.ticket_requester_change(actor=customer.user, ticket=ticket, requester=customer2)


def test_ccs_are_copied_on_public_replies(ticket, agent, customer2):
    services.ticket_cc_add(actor=agent, ticket=ticket, email="Boss@Acme.test")
    services.ticket_cc_add(actor=agent, ticket=ticket, email=customer2.email)
    assert services.ticket_cc_add(actor=agent, ticket=ticket, email="boss@acme.test") is None  # once
    assert services.ticket_cc_add(actor=agent, ticket=ticket, email=ticket.requester.email) is None
    services.ticket_message_post(actor=agent, ticket=ticket, body="Answer")
    row = OutboundEmail.objects.get()
    assert row.to == [ticket.requester.email] and row.cc == ["boss@acme.test", customer2.email]
    assert TicketCC.objects.get(email=customer2.email).customer == customer2
    assert [e.new_value for e in ticket.events.filter(kind="cc")] == ["boss@acme.test", customer2.email]


def test_removing_a_cc_is_on_the_timeline(ticket, agent):
    services.ticket_cc_add(actor=agent, ticket=ticket, email="boss@acme.test")
    assert services.ticket_cc_remove(actor=agent, ticket=ticket, email="boss@acme.test")
    assert ticket.events.filter(kind="cc", old_value="boss@acme.test", new_value="").exists()
    services.ticket_message_post(actor=agent, ticket=ticket, body="Answer")
    assert OutboundEmail.objects.get().cc == []


@pytest.mark.parametrize("bad", ["", "not-an-email", "a@b@c", "x" * 300 + "@a.test"])
def test_a_bad_address_is_refused_naming_the_field(ticket, agent, bad):
    with pytest.raises(InvalidInput) as refused:
        services.ticket_cc_add(actor=agent, ticket=ticket, email=bad)
    assert refused.value.field == "cc"


def test_people_copied_on_an_email_become_ccs_and_may_reply_by_subject(customer):
    raw = (
        b"From: Casey Customer <customer@customer.test>\r\nTo: support@example.com\r\n"
        b"Cc: Boss <boss@acme.test>, support@example.com\r\nSubject: Invoices\r\nMessage-ID: <cc-1@acme.test>\r\n\r\nHi\r\n"
    )
    ticket = services.mail_receive(actor=None, raw=raw, source="test").email.ticket
    assert list(TicketCC.objects.filter(ticket=ticket).values_list("email", flat=True)) == ["boss@acme.test"]
    reply = (
        f"From: boss@acme.test\r\nSubject: Re: [{ticket.reference}] Invoices\r\nMessage-ID: <cc-2@acme.test>\r\n\r\nMe too\r\n"
    ).encode()
    assert services.mail_receive(actor=None, raw=reply, source="test").email.ticket == ticket


def test_following_is_personal(ticket, agent, agent2):
    services.ticket_follow(actor=agent, ticket=ticket)
    services.ticket_follow(actor=agent, ticket=ticket)  # once
    assert list(ticket.followers.values_list("user__username", flat=True)) == ["agent"]
    services.ticket_follow(actor=agent, ticket=ticket, following=False)
    assert not ticket.followers.exists()


def test_the_people_panel_on_the_ticket_page(agent_client, ticket, agent):
    response = agent_client.post(f"/tickets/{ticket.reference}/cc/", {"email": "boss@acme.test"})
    assert response.status_code == 302 and response["Location"].endswith("#people")
    agent_client.post(f"/tickets/{ticket.reference}/follow/", {"follow": "1"})
    page = agent_client.get(f"/tickets/{ticket.reference}/").content.decode()
    assert "boss@acme.test will be copied on public replies." in page
    assert 'aria-label="Stop copying boss@acme.test"' in page
    assert "Stop following" in page and "Public reply to Casey Customer and 1 copied" in page
    bad = agent_client.post(f"/tickets/{ticket.reference}/cc/", {"email": "nonsense"}, follow=True).content.decode()
    assert "Not copied: &#x27;nonsense&#x27; is not an email address." in bad


def test_the_requester_form(agent_client, ticket, customer2):
    agent_client.post(f"/tickets/{ticket.reference}/requester/", {"requester": customer2.email})
    ticket.refresh_from_db()
    assert ticket.requester == customer2
    page = agent_client.post(f"/tickets/{ticket.reference}/requester/", {"requester": "nobody@x.test"}, follow=True)
    assert "Requester not changed (nobody@x.test)" in page.content.decode()


def test_a_failing_address_warns_in_the_composer(agent_client, ticket, agent, smtp_server):
    services.ticket_message_post(actor=agent, ticket=ticket, body="Answer")
    smtp_server.refuse("550 5.1.1 No such user")
    services.outbox_deliver_due(actor=None)
    page = agent_client.get(f"/tickets/{ticket.reference}/").content.decode()
    # The requester signs in, so the portal still reaches them.
    assert "Emails on this ticket are failing (550 5.1.1 No such user); the customer will see replies in the portal." in page
