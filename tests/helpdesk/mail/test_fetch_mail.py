"""Email in by IMAP, against a real dovecot: each message filed once, moved only after it is stored."""

from __future__ import annotations

from io import StringIO
from unittest import mock

import pytest
from django.core.management import CommandError, call_command

from helpdesk import services
from helpdesk.mail.models import InboundEmail, Mailbox
from helpdesk.models import AuditEvent, Ticket
from tests import imapserver

pytestmark = pytest.mark.django_db


def mailbox(server, **extra) -> Mailbox:
    values = {
        "name": "support",
        "host": "127.0.0.1",
        "port": server.port,
        "security": Mailbox.Security.NONE,
        "username": imapserver.USER,
        "password": imapserver.PASSWORD,
        "processed_folder": "Processed",
    }
    values.update(extra)
    return services.directory_object_save(actor=None, obj=Mailbox(**values), changed_fields=None)


def message(n: int) -> bytes:
    return f"From: Pat <pat{n}@imap.test>\r\nSubject: Request {n}\r\nMessage-ID: <imap-{n}@imap.test>\r\n\r\nBody {n}\r\n".encode()


def test_messages_become_tickets_and_move_to_the_processed_folder(imap_server):
    for n in range(3):
        imap_server.deliver(message(n))
    box = mailbox(imap_server)
    report = services.mailbox_fetch(actor=None, mailbox=box)
    assert (report.received, report.duplicates, report.errors) == (3, 0, [])
    assert sorted(Ticket.objects.values_list("subject", flat=True)) == ["Request 0", "Request 1", "Request 2"]
    assert imap_server.count("INBOX") == 0 and imap_server.count("Processed") == 3
    assert set(InboundEmail.objects.values_list("source", flat=True)) == {"imap:support"}
    box.refresh_from_db()
    assert box.last_checked_at is not None and box.last_error == ""


@pytest.mark.parametrize("security", ["starttls", "tls"])
def test_tls_both_ways(imap_server, security):
    imap_server.deliver(message(1))
    port = imap_server.tls_port if security == "tls" else imap_server.port
    report = services.mailbox_fetch(actor=None, mailbox=mailbox(imap_server, security=security, port=port))
    assert report.received == 1 and not report.errors


def test_an_untrusted_certificate_is_refused(imap_server, monkeypatch):
    monkeypatch.delenv("HELPDESK_IMAP_CA_FILE")
    imap_server.deliver(message(1))
    box = mailbox(imap_server, security="tls", port=imap_server.tls_port)
    report = services.mailbox_fetch(actor=None, mailbox=box)
    assert report.received == 0 and "CERTIFICATE_VERIFY_FAILED" in report.errors[0]
    assert imap_server.count("INBOX") == 1  # left for the next run
    box.refresh_from_db()
    assert "could not connect" in box.last_error


def test_without_a_processed_folder_mail_is_marked_read_and_not_read_twice(imap_server):
    imap_server.deliver(message(1))
    box = mailbox(imap_server, processed_folder="")
    assert services.mailbox_fetch(actor=None, mailbox=box).received == 1
    assert services.mailbox_fetch(actor=None, mailbox=box).received == 0
    assert imap_server.count("INBOX") == 1 and Ticket.objects.count() == 1


def test_a_failure_while_storing_leaves_the_mail_on_the_server(imap_server):
    imap_server.deliver(message(1))
    box = mailbox(imap_server)
    with mock.patch("helpdesk.services.mail_fetch.mail_receive", side_effect=RuntimeError("database down")):
        with pytest.raises(RuntimeError):
            services.mailbox_fetch(actor=None, mailbox=box)
    assert imap_server.count("INBOX") == 1
    assert services.mailbox_fetch(actor=None, mailbox=box).received == 1
    assert imap_server.count("INBOX") == 0


def test_a_message_seen_before_is_stored_once(imap_server):
    imap_server.deliver(message(1))
    imap_server.deliver(message(1))  # delivered twice, e.g. to two aliases
    report = services.mailbox_fetch(actor=None, mailbox=mailbox(imap_server))
    assert (report.received, report.duplicates) == (1, 1)
    assert Ticket.objects.count() == 1 and imap_server.count("Processed") == 2


def test_a_wrong_password_is_reported_and_the_command_fails(imap_server):
    mailbox(imap_server, password="wrong")
    out = StringIO()
    with pytest.raises(CommandError):
        call_command("fetch_mail", stdout=out)
    assert "support: 0 new" in out.getvalue() and "could not connect" in out.getvalue()


def test_the_command_reads_every_active_mailbox(imap_server):
    imap_server.deliver(message(1))
    mailbox(imap_server)
    mailbox(imap_server, name="inactive", is_active=False, password="wrong")
    out = StringIO()
    call_command("fetch_mail", stdout=out)
    assert out.getvalue().strip() == "support: 1 new, 0 already stored"


def test_adding_a_mailbox_is_audited_without_its_password(imap_server):
    mailbox(imap_server)
    row = AuditEvent.objects.get(action="mailbox.created")
    assert row.changes["password"] == [None, "changed"] and imapserver.PASSWORD not in str(row.changes)
