"""Email in: threading, new tickets, unknown senders, loops and junk, duplicates, refusals."""

from __future__ import annotations

import io
import sys

import pytest
from django.core.management import call_command

from helpdesk import services
from helpdesk.mail.models import InboundEmail, OutboundEmail
from helpdesk.models import Customer, Ticket, TicketEvent

pytestmark = pytest.mark.django_db


def receive(raw: bytes):
    return services.mail_receive(actor=None, raw=raw, source="test")


def desk_reply(ticket, agent, body="We fixed it: please try again."):
    services.ticket_message_post(actor=agent, ticket=ticket, body=body)
    return OutboundEmail.objects.filter(ticket=ticket).latest("id")


def test_a_reply_to_the_desks_email_joins_its_ticket(ticket, agent, customer, sample):
    services.ticket_update(actor=agent, ticket=ticket, status="pending")
    sent = desk_reply(ticket, agent)
    got = receive(sample("gmail_reply.eml", in_reply_to=f"<{sent.message_id}>", references=f"<{sent.message_id}>"))
    row = got.email
    assert row.outcome == "reply" and row.ticket == ticket and not got.duplicate
    event = row.event
    assert event.customer == customer and event.actor is None and event.kind == "reply"
    assert event.body == "Thanks, the invoice opens now – but the totals are still missing.\n\nCasey"
    ticket.refresh_from_db()
    assert ticket.status == "open"  # a customer's reply reopens a pending ticket
    assert ticket.last_customer_message_at == event.created_at
    assert bytes(row.raw).startswith(b"MIME-Version: 1.0")  # the original is kept whole
    assert Ticket.objects.count() == 1


def test_references_alone_thread_the_reply(ticket, agent, sample):
    sent = desk_reply(ticket, agent)
    got = receive(sample("gmail_reply.eml", in_reply_to="<unknown@elsewhere.test>", references=f"<{sent.message_id}>"))
    assert got.email.ticket == ticket


def test_a_reply_to_a_reply_the_customer_sent_threads_too(ticket, agent, sample):
    sent = desk_reply(ticket, agent)
    first = receive(sample("gmail_reply.eml", in_reply_to=f"<{sent.message_id}>"))
    follow_up = sample("latin1.eml").replace(b"<latin1-1@newcomer.test>", b"<follow-up@customer.test>")
    follow_up = follow_up.replace(b"Subject:", b"In-Reply-To: <" + first.email.message_id.encode() + b">\r\nSubject:")
    assert receive(follow_up).email.ticket == ticket


def test_the_reference_in_the_subject_threads_only_for_the_requester(ticket, customer, sample):
    raw = sample("gmail_reply.eml", ref=ticket.reference, in_reply_to="<nothing@x.test>")
    assert receive(raw).email.ticket == ticket
    stranger = raw.replace(b"customer@customer.test", b"stranger@elsewhere.test").replace(
        b"gmail-reply-1", b"gmail-reply-2"
    )
    other = receive(stranger).email
    assert other.outcome == "new_ticket" and other.ticket != ticket


def test_a_new_email_from_an_unknown_sender_opens_a_ticket_and_a_customer(organization, sample):
    services.organization_ensure(actor=None, name="Newcomer Ltd", domain="newcomer.test")
    got = receive(sample("html_only.eml")).email
    assert got.outcome == "new_ticket"
    ticket = got.ticket
    assert ticket.channel == "email" and ticket.subject == "Cannot log in – help" and ticket.status == "new"
    requester = ticket.requester
    assert requester.email == "renee@newcomer.test" and requester.name == "Renée François"
    assert requester.organization.name == "Newcomer Ltd"  # matched by the email's domain
    request = got.event
    assert request.customer == requester and request.actor is None
    assert "I cannot log in since this morning." in request.body
    ack = OutboundEmail.objects.get(ticket=ticket)
    assert ack.kind == "acknowledgement" and ack.to == ["renee@newcomer.test"]
    assert ack.in_reply_to == "html-only-1@newcomer.test"  # it threads on the customer's email
    assert ticket.reference in ack.subject


def test_duplicate_deliveries_are_stored_once(sample):
    raw = sample("latin1.eml")
    first, again = receive(raw), receive(raw)
    assert not first.duplicate and again.duplicate and again.email == first.email
    assert Ticket.objects.count() == 1 and InboundEmail.objects.count() == 1


@pytest.mark.parametrize("name", ["auto_reply.eml", "bounce.eml"])
def test_machines_mail_is_kept_and_never_answered(ticket, agent, name, sample):
    sent = desk_reply(ticket, agent)
    got = receive(sample(name, in_reply_to=f"<{sent.message_id}>")).email
    assert got.outcome == "ignored" and "sent automatically" in got.reason
    assert got.ticket is None and Ticket.objects.count() == 1
    assert OutboundEmail.objects.count() == 1  # nothing sent back
    assert ticket.events.filter(kind="reply").count() == 2  # the request and the desk's reply only


def test_mail_from_the_desks_own_address_is_a_loop():
    raw = b"From: Support <support@example.com>\r\nSubject: [HD-1001] x\r\nMessage-ID: <l@x>\r\n\r\nhello\r\n"
    got = receive(raw).email
    assert got.outcome == "ignored" and "mail loop" in got.reason


def test_a_sender_over_the_limit_is_ignored(settings):
    settings.HELPDESK_MAIL_SENDER_LIMIT = 3
    outcomes = [
        receive(f"From: flood@spam.test\r\nSubject: n{n}\r\nMessage-ID: <f{n}@spam.test>\r\n\r\nbuy\r\n".encode()).email.outcome
        for n in range(5)
    ]
    assert outcomes == ["new_ticket"] * 3 + ["ignored"] * 2
    assert Ticket.objects.count() == 3


def test_a_message_over_the_size_limit_is_refused_and_only_its_headers_kept(settings):
    settings.HELPDESK_MAIL_MAX_BYTES = 2048
    raw = b"From: big@sender.test\r\nSubject: huge\r\nMessage-ID: <big@sender.test>\r\n\r\n" + b"x" * 5000
    got = receive(raw).email
    assert got.outcome == "refused" and "larger than" in got.reason
    assert got.size < 200 and b"xxx" not in bytes(got.raw)
    assert got.from_email == "big@sender.test" and not Ticket.objects.exists()
    assert OutboundEmail.objects.count() == 0  # refused without a bounce


def test_malformed_mail_is_refused_and_nothing_partial_is_stored():
    got = receive(b"Subject: no sender at all\r\n\r\nbody").email
    assert got.outcome == "refused" and "sender" in got.reason
    assert not Ticket.objects.exists() and not Customer.objects.exists()


def test_a_reply_to_a_closed_ticket_opens_a_follow_up(ticket, agent, sample):
    sent = desk_reply(ticket, agent)
    services.ticket_update(actor=agent, ticket=ticket, status="solved")
    services.ticket_update(actor=agent, ticket=ticket, status="closed")
    got = receive(sample("gmail_reply.eml", in_reply_to=f"<{sent.message_id}>")).email
    assert got.outcome == "new_ticket" and got.ticket != ticket
    assert got.ticket.subject.startswith(f"Follow-up to {ticket.reference}: ")


def test_an_email_with_only_quoted_text_keeps_its_words(ticket, agent):
    sent = desk_reply(ticket, agent)
    raw = (
        f"From: customer@customer.test\r\nSubject: Re: x\r\nIn-Reply-To: <{sent.message_id}>\r\n"
        "Message-ID: <q@customer.test>\r\n\r\n> only a quote\r\n"
    ).encode()
    event = receive(raw).email.event
    assert event.body == "> only a quote"


def test_a_long_email_is_shortened_on_the_ticket_and_kept_whole(settings):
    raw = b"From: long@sender.test\r\nSubject: long\r\nMessage-ID: <long@sender.test>\r\n\r\n" + b"word " * 20000
    got = receive(raw).email
    assert got.event.body.endswith("the whole email is kept as its original.]")
    assert len(got.event.body.encode()) <= settings.HELPDESK_MAX_BODY_BYTES
    assert bytes(got.raw).endswith(b"word ")


def test_the_desk_timeline_escapes_what_came_by_email(agent_client, organization):
    raw = (
        b"From: =?utf-8?q?=3Cimg_src=3Dx_onerror=3Dalert=281=29=3E?= <evil@sender.test>\r\n"
        b"Subject: <script>alert(1)</script>\r\nMessage-ID: <evil@sender.test>\r\n\r\n<b>bold</b> <script>x</script>\r\n"
    )
    ticket = receive(raw).email.ticket
    page = agent_client.get(f"/tickets/{ticket.reference}/").content.decode()
    assert "<script>alert(1)</script>" not in page and "&lt;script&gt;alert(1)&lt;/script&gt;" in page
    assert "<b>bold</b>" not in page and "&lt;b&gt;bold&lt;/b&gt;" in page
    assert "<img src=x" not in page


def test_mail_in_reads_standard_input(monkeypatch, capsys, sample):
    class Stdin:
        buffer = io.BytesIO(sample("latin1.eml"))

    monkeypatch.setattr(sys, "stdin", Stdin)
    call_command("mail_in")
    assert "latin1-1@newcomer.test: opened a ticket HD-1001" in capsys.readouterr().out
    assert TicketEvent.objects.filter(kind="reply", body__startswith="Grüß Gott").exists()


def test_the_desk_shows_how_messages_travelled_and_the_original(agent_client, agent, customer, sample):
    received = receive(sample("latin1.eml")).email
    ticket = received.ticket
    services.ticket_message_post(actor=agent, ticket=ticket, body="Die Rechnung ist unterwegs.")
    page = agent_client.get(f"/tickets/{ticket.reference}/").content.decode()
    original = f"/tickets/{ticket.reference}/emails/{received.pk}/"
    assert f'Received by email · <a href="{original}">original</a>' in page
    assert "Emailed to juergen@newcomer.test · waiting to be sent" in page
    response = agent_client.get(original)
    assert response.status_code == 200 and response["Content-Type"] == "text/plain; charset=utf-8"
    assert response["X-Content-Type-Options"] == "nosniff"
    assert b"Gr=FC=DF Gott" in response.content  # exactly as it arrived


def test_nobody_off_the_desk_gets_the_original(client, agent, sample, make_customer):
    received = receive(sample("latin1.eml")).email
    ticket = received.ticket
    original = f"/tickets/{ticket.reference}/emails/{received.pk}/"
    client.force_login(make_customer("someone-else").user)
    # A customer is sent to the portal's page of the ticket, which is not theirs: not found.
    assert client.get(original, follow=True).status_code == 404
    client.logout()
    assert client.get(original)["Location"].startswith("/accounts/login/")


def test_another_tickets_email_is_not_found(agent_client, ticket, sample):
    received = receive(sample("latin1.eml")).email
    assert agent_client.get(f"/tickets/{ticket.reference}/emails/{received.pk}/").status_code == 404


def test_an_emails_files_and_inline_images_become_attachments(customer, sample):
    got = receive(sample("attachments.eml")).email
    files = {a.filename: a for a in got.event.attachments.all()}
    assert set(files) == {"screen.png", "invoice.pdf"}
    assert files["screen.png"].inline and files["screen.png"].content_type == "image/png" and files["screen.png"].thumbnail
    assert files["invoice.pdf"].content_type == "application/pdf" and not files["invoice.pdf"].inline
    assert got.event.body.startswith("Here is the screen:")


def test_files_over_the_limit_are_named_on_the_ticket_and_kept_in_the_original(settings, customer, sample):
    settings.HELPDESK_ATTACHMENTS_PER_MESSAGE = 1
    got = receive(sample("attachments.eml")).email
    assert got.event.attachments.count() == 1
    assert "[Not attached here, kept in the original email: invoice.pdf (more than 1 files)]" in got.event.body
