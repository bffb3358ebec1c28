"""The outbox: a public reply's email commits with it, the worker delivers each once, failures retry."""

from __future__ import annotations

from datetime import timedelta

import pytest
from django.core import mail
from django.core.management import call_command
from django.utils import timezone

from helpdesk import services
from helpdesk.mail.models import OutboundEmail
from helpdesk.services import outbox


def reply(ticket, agent, body="We fixed it: please try again."):
    return services.ticket_message_post(actor=agent, ticket=ticket, body=body)


def test_a_public_reply_writes_one_email_to_the_requester(ticket, agent, customer):
    event = reply(ticket, agent)
    row = OutboundEmail.objects.get()
    assert row.kind == "reply" and row.status == "pending"
    assert row.event_id == event.pk and row.ticket_id == ticket.pk
    assert row.to == [customer.email]
    assert row.subject == f"[{ticket.reference}] {ticket.subject}"
    assert "We fixed it: please try again." in row.body_text
    assert "Alex Agent" in row.body_text
    assert f"/portal/tickets/{ticket.reference}/" in row.body_text
    assert row.from_email == "Alex Agent via Support <support@example.com>"


def test_notes_and_the_customers_own_messages_send_nothing(ticket, agent, customer):
    services.ticket_message_post(actor=agent, ticket=ticket, body="Internal only", internal=True)
    services.ticket_message_post(actor=customer.user, ticket=ticket, body="Any news?")
    assert not OutboundEmail.objects.exists()


def test_a_reply_that_is_rolled_back_leaves_no_email(ticket, agent):
    from django.db import transaction

    with pytest.raises(RuntimeError), transaction.atomic():
        reply(ticket, agent)
        assert OutboundEmail.objects.count() == 1  # written in the reply's own transaction
        raise RuntimeError("the request failed after the reply")
    assert not OutboundEmail.objects.exists()
    assert not ticket.events.filter(kind="reply").exclude(customer__isnull=False).exists()


def test_the_html_part_is_markdown_made_safe(ticket, agent):
    reply(ticket, agent, body="**Fixed.** See <script>alert(1)</script> [the notes](https://example.com/notes)")
    row = OutboundEmail.objects.get()
    assert "<strong>Fixed.</strong>" in row.body_html
    assert "<script>" not in row.body_html
    assert 'href="https://example.com/notes"' in row.body_html


def test_later_emails_thread_on_the_earlier_ones(ticket, agent):
    reply(ticket, agent, body="First answer")
    reply(ticket, agent, body="Second answer")
    first, second = OutboundEmail.objects.order_by("id")
    assert first.in_reply_to == "" and first.references == ""
    assert second.in_reply_to == first.message_id
    assert second.references == f"<{first.message_id}>"
    assert first.message_id != second.message_id
    assert first.message_id.endswith("@example.com")


def test_the_worker_sends_through_smtp_with_threading_headers(ticket, agent, customer, smtp_server):
    reply(ticket, agent, body="First answer")
    reply(ticket, agent, body="Second answer")
    report = services.outbox_deliver_due(actor=None)
    assert (report.sent, report.retried, report.failed) == (2, 0, 0)
    assert len(smtp_server.messages) == 2
    first_row, second_row = OutboundEmail.objects.order_by("id")
    received = {m.message["Message-ID"]: m for m in smtp_server.messages}
    got = received[f"<{second_row.message_id}>"]
    assert got.recipients == [customer.email]
    assert got.message["In-Reply-To"] == f"<{first_row.message_id}>"
    assert got.message["References"] == f"<{first_row.message_id}>"
    assert got.message["Reply-To"] == "support@example.com"
    assert got.message["Subject"] == f"[{ticket.reference}] {ticket.subject}"
    assert got.message.get_body(("plain",)).get_content().startswith("Second answer")
    assert "<p>Second answer" in got.message.get_body(("html",)).get_content()
    assert "Auto-Submitted" not in got.message  # a person's reply
    assert set(OutboundEmail.objects.values_list("status", flat=True)) == {"sent"}


def test_a_failing_server_then_a_working_one_delivers_every_message_once(ticket, agent, smtp_server):
    for n in range(3):
        reply(ticket, agent, body=f"Answer {n}")
    smtp_server.refuse("451 4.3.0 Try again later")
    report = services.outbox_deliver_due(actor=None)
    assert (report.sent, report.retried) == (0, 3)
    rows = list(OutboundEmail.objects.order_by("id"))
    assert {r.status for r in rows} == {"pending"}
    assert all(r.attempts == 1 and "451" in r.last_error for r in rows)
    # The first retry comes within a minute, not sooner than 30 s.
    now = timezone.now()
    assert all(now + timedelta(seconds=20) < r.next_attempt_at <= now + timedelta(seconds=60) for r in rows)
    assert services.outbox_deliver_due(actor=None).handled == 0  # not due yet
    smtp_server.refuse(None)
    report = services.outbox_deliver_due(actor=None, now=now + timedelta(seconds=61))
    assert report.sent == 3
    assert sorted(m.message["Message-ID"] for m in smtp_server.messages) == sorted(f"<{r.message_id}>" for r in rows)
    assert services.outbox_deliver_due(actor=None, now=now + timedelta(hours=5)).handled == 0
    assert len(smtp_server.messages) == 3


def test_a_server_that_is_down_is_a_temporary_failure(ticket, agent, settings):
    from tests.mailserver import free_port

    settings.EMAIL_BACKEND = "django.core.mail.backends.smtp.EmailBackend"
    settings.EMAIL_HOST, settings.EMAIL_PORT, settings.EMAIL_TIMEOUT = "127.0.0.1", free_port(), 2
    reply(ticket, agent)
    report = services.outbox_deliver_due(actor=None)
    assert report.retried == 1
    row = OutboundEmail.objects.get()
    assert row.status == "pending" and "ConnectionRefusedError" in row.last_error


def test_a_permanent_refusal_fails_at_once_and_the_admin_can_send_it_again(ticket, agent, manager, smtp_server):
    reply(ticket, agent)
    smtp_server.refuse("554 5.7.1 Mailbox unavailable")
    report = services.outbox_deliver_due(actor=None)
    row = OutboundEmail.objects.get()
    assert report.failed == 1 and row.status == "failed" and "554" in row.last_error
    smtp_server.refuse(None)
    services.outbox_retry(actor=manager, message=row)
    assert services.outbox_deliver_due(actor=None).sent == 1
    assert len(smtp_server.messages) == 1
    from helpdesk.models import AuditEvent

    audit = AuditEvent.objects.get(action="outbound_email.retried")
    assert audit.actor == manager and audit.changes == {"status": ["failed", "pending"]}


def test_agents_may_not_send_again(ticket, agent):
    reply(ticket, agent)
    with pytest.raises(services.outbox.ActionForbidden):
        services.outbox_retry(actor=agent, message=OutboundEmail.objects.get())


def test_too_many_failures_give_up(ticket, agent, smtp_server, settings):
    settings.HELPDESK_OUTBOX_MAX_ATTEMPTS = 2
    reply(ticket, agent)
    smtp_server.refuse("421 4.3.2 Service not available")
    later = timezone.now()
    for _ in range(2):
        later += timedelta(hours=2)
        services.outbox_deliver_due(actor=None, now=later)
    row = OutboundEmail.objects.get()
    assert row.status == "failed" and row.attempts == 2


def test_two_workers_never_take_the_same_message(ticket, agent):
    reply(ticket, agent)
    row = OutboundEmail.objects.get()
    now = timezone.now()
    assert [r.pk for r in outbox._claim_batch([row.pk], now)] == [row.pk]
    assert outbox._claim_batch([row.pk], now) == []  # the second worker finds it taken
    # ... until the first worker's lease lapses (it died mid-send).
    assert [r.pk for r in outbox._claim_batch([row.pk], now + timedelta(seconds=301))] == [row.pk]


def test_the_command_sends_and_reports(ticket, agent):
    reply(ticket, agent)
    from io import StringIO

    out = StringIO()
    call_command("send_mail_outbox", stdout=out)
    assert "Sent 1, to retry 0, failed 0." in out.getvalue()
    assert len(mail.outbox) == 1 and mail.outbox[0].to == [ticket.requester.email]
    call_command("send_mail_outbox", stdout=out)
    assert len(mail.outbox) == 1



def test_a_replys_files_go_with_its_email(ticket, agent, smtp_server):
    from django.core.files.uploadedfile import SimpleUploadedFile

    from tests.helpdesk.files.conftest import png_bytes

    files = [SimpleUploadedFile("shot.png", png_bytes(), "image/png"), SimpleUploadedFile("n.txt", b"words", "text/plain")]
    services.ticket_message_post(actor=agent, ticket=ticket, body="Attached", attachments=files)
    services.ticket_message_post(actor=agent, ticket=ticket, body="secret", internal=True, attachments=[
        SimpleUploadedFile("internal.txt", b"desk only", "text/plain")
    ])
    assert services.outbox_deliver_due(actor=None).sent == 1
    (got,) = smtp_server.messages
    attached = {part.get_filename(): part.get_content() for part in got.message.iter_attachments()}
    assert attached == {"shot.png": png_bytes(), "n.txt": "words"}


def test_files_over_the_emails_budget_are_named_instead(ticket, agent, settings):
    from django.core.files.uploadedfile import SimpleUploadedFile

    settings.HELPDESK_EMAIL_ATTACHMENTS_MAX_BYTES = 10
    services.ticket_message_post(
        actor=agent, ticket=ticket, body="Big", attachments=[SimpleUploadedFile("big.txt", b"x" * 100, "text/plain")]
    )
    row = OutboundEmail.objects.get()
    assert row.attachment_ids == [] and "Too large to attach to this email, on the ticket's page: big.txt" in row.body_text


def test_a_batch_claim_takes_only_what_no_other_worker_holds(ticket, agent):
    for n in range(3):
        reply(ticket, agent, body=f"Answer {n}")
    pks = list(OutboundEmail.objects.values_list("pk", flat=True))
    now = timezone.now()
    first = outbox._claim_batch(pks, now)
    assert sorted(r.pk for r in first) == sorted(pks)
    assert outbox._claim_batch(pks, now) == []
