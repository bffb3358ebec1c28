"""Spam and deletion: hidden from everyone, the sender blocked, restorable, purged after the retention."""

from __future__ import annotations

import io
from datetime import timedelta

import pytest
from django.core.management import call_command
from django.urls import reverse
from django.utils import timezone

from helpdesk import selectors, selectors_removed, services
from helpdesk.errors import ActionForbidden, NotFound
from helpdesk.mail.models import InboundEmail, OutboundEmail
from helpdesk.models import Attachment, AuditEvent, Customer, Ticket
from helpdesk.services.attachments import Upload

pytestmark = pytest.mark.django_db


def spam_email(sender: str, n: int = 1) -> bytes:
    return (
        f"From: {sender}\r\nTo: support@desk.test\r\nSubject: Cheap pills {n}\r\nMessage-ID: <spam-{n}@spam.test>\r\n"
        "Content-Type: text/plain\r\n\r\nBuy now\r\n"
    ).encode()


def test_spam_hides_the_ticket_blocks_the_sender_and_stops_its_emails(ticket, agent, customer):
    pending = OutboundEmail.objects.filter(ticket=ticket, status="pending").count()
    services.ticket_mark_spam(actor=agent, ticket=ticket)
    with pytest.raises(NotFound):
        selectors.ticket_get(user=agent, reference=ticket.reference)
    with pytest.raises(NotFound):
        selectors.ticket_get(user=customer.user, reference=ticket.reference)
    assert not selectors.tickets_visible_to(agent).filter(pk=ticket.pk).exists()
    assert Customer.objects.get(pk=customer.pk).blocked_at is not None
    assert OutboundEmail.objects.filter(ticket=ticket, status="pending").count() == 0
    assert OutboundEmail.objects.filter(ticket=ticket, status="failed").count() == pending
    got = services.mail_receive(raw=spam_email(customer.email), source="test")
    assert got.email.outcome == "ignored" and "blocked" in got.email.reason
    assert Ticket.objects.count() == 1
    assert ticket.events.filter(kind="removed", new_value="spam", actor=agent).exists()
    assert AuditEvent.objects.filter(action="ticket.marked_spam", object_id=str(ticket.pk)).exists()


def test_a_blocked_customer_cannot_open_a_ticket_in_the_portal(ticket, agent, customer):
    services.ticket_mark_spam(actor=agent, ticket=ticket)
    with pytest.raises(ActionForbidden):
        services.ticket_create(actor=customer.user, subject="Again", body="Hello")


def test_restoring_spam_brings_the_ticket_back_and_unblocks_the_sender(ticket, agent, customer):
    services.ticket_mark_spam(actor=agent, ticket=ticket)
    services.ticket_restore(actor=agent, ticket=ticket)
    assert selectors.ticket_get(user=agent, reference=ticket.reference).pk == ticket.pk
    assert Customer.objects.get(pk=customer.pk).blocked_at is None
    assert services.mail_receive(raw=spam_email(customer.email, 2), source="test").email.outcome == "new_ticket"
    assert ticket.events.filter(kind="removed", old_value="spam", new_value="").exists()


def test_only_support_managers_delete_and_restore_deleted_tickets(ticket, agent, manager):
    with pytest.raises(ActionForbidden):
        services.ticket_delete(actor=agent, ticket=ticket)
    services.ticket_delete(actor=manager, ticket=ticket)
    assert Customer.objects.get(pk=ticket.requester_id).blocked_at is None  # deleting blocks nobody
    with pytest.raises(NotFound):  # an agent does not even see that it exists
        selectors_removed.removed_ticket_get(user=agent, reference=ticket.reference)
    with pytest.raises(NotFound):
        services.ticket_restore(actor=agent, ticket=ticket)
    services.ticket_restore(actor=manager, ticket=ticket)
    assert not Ticket.objects.get(pk=ticket.pk).removed
    assert [a.action for a in AuditEvent.objects.filter(object_type="ticket").order_by("id")] == [
        "ticket.deleted",
        "ticket.restored",
    ]


def test_removing_twice_changes_nothing(ticket, manager):
    services.ticket_delete(actor=manager, ticket=ticket)
    version = Ticket.objects.get(pk=ticket.pk).version
    services.ticket_delete(actor=manager, ticket=ticket)
    assert Ticket.objects.get(pk=ticket.pk).version == version


def test_purge_deletes_for_good_only_after_the_retention(make_ticket, manager, settings, django_capture_on_commit_callbacks):
    old = make_ticket(
        subject="Old",
        attachments=[Upload(filename="a.txt", source=io.BytesIO(b"hello"), size=5, declared_type="text/plain")],
    )
    recent = make_ticket(subject="Recent")
    services.ticket_delete(actor=manager, ticket=old)
    services.ticket_delete(actor=manager, ticket=recent)
    stored = Attachment.objects.get(ticket=old)
    storage = stored.file.storage
    assert storage.exists(stored.file.name)
    Ticket.objects.filter(pk=old.pk).update(
        removed_at=timezone.now() - timedelta(days=settings.HELPDESK_REMOVED_RETENTION_DAYS + 1)
    )
    with django_capture_on_commit_callbacks(execute=True):  # the files go once the rows are gone
        call_command("purge_removed_tickets", verbosity=0)
    assert not Ticket.objects.filter(pk=old.pk).exists() and Ticket.objects.filter(pk=recent.pk).exists()
    assert not storage.exists(stored.file.name)
    assert AuditEvent.objects.filter(action="ticket.purged", object_label__startswith=old.reference).exists()


def test_the_inbox_and_search_leave_removed_tickets_out(agent_client, make_ticket, agent):
    kept = make_ticket(subject="Printer on fire")
    gone = make_ticket(subject="Printer spam offer")
    services.ticket_mark_spam(actor=agent, ticket=gone)
    page = agent_client.get(reverse("helpdesk:inbox"), {"view": "all", "q": "printer"})
    assert kept.reference.encode() in page.content and gone.reference.encode() not in page.content
    assert agent_client.get(reverse("helpdesk:ticket_detail", args=[gone.reference])).status_code == 404


def test_the_desk_buttons_and_the_removed_list(client, ticket, manager, agent):
    client.force_login(manager)
    page = client.get(reverse("helpdesk:ticket_detail", args=[ticket.reference]))
    assert b"Mark as spam" in page.content and b"Yes, delete" in page.content
    done = client.post(reverse("helpdesk:ticket_delete", args=[ticket.reference]))
    assert done.status_code == 302 and done["Location"] == reverse("helpdesk:inbox")
    listing = client.get(reverse("helpdesk:removed_list"))
    assert listing.status_code == 200 and ticket.reference.encode() in listing.content
    back = client.post(reverse("helpdesk:ticket_restore", args=[ticket.reference]))
    assert back.status_code == 302 and client.get(back["Location"]).status_code == 200
    client.force_login(agent)
    page = client.get(reverse("helpdesk:ticket_detail", args=[ticket.reference]))
    assert b"Mark as spam" in page.content and b"Yes, delete" not in page.content
    assert client.post(reverse("helpdesk:ticket_delete", args=[ticket.reference])).status_code == 302
    assert not Ticket.objects.get(pk=ticket.pk).removed  # refused, said on the ticket page


def test_customers_and_product_managers_do_not_get_the_removed_list(client, customer, product_manager):
    client.force_login(product_manager)
    assert client.get(reverse("helpdesk:removed_list")).status_code == 403
    assert InboundEmail.objects.count() == 0


def test_the_api_marks_spam_deletes_and_restores(make_ticket, agent, manager):
    from rest_framework.test import APIClient

    spam, other = make_ticket(subject="Spam"), make_ticket(subject="Other")
    api = APIClient()
    api.force_authenticate(agent)
    assert api.post(f"/api/v1/tickets/{spam.reference}/spam/").status_code == 204
    assert api.get(f"/api/v1/tickets/{spam.reference}/").status_code == 404
    assert api.delete(f"/api/v1/tickets/{other.reference}/").status_code == 403
    restored = api.post(f"/api/v1/tickets/{spam.reference}/restore/")
    assert restored.status_code == 200 and restored.json()["reference"] == spam.reference
    api.force_authenticate(manager)
    assert api.delete(f"/api/v1/tickets/{other.reference}/").status_code == 204
    api.force_authenticate(agent)
    assert api.post(f"/api/v1/tickets/{other.reference}/restore/").status_code == 404  # an agent's list never had it
    api.force_authenticate(manager)
    assert api.post(f"/api/v1/tickets/{other.reference}/restore/").status_code == 200


def test_a_restored_ticket_says_who_removed_and_restored_it(client, ticket, agent):
    services.ticket_mark_spam(actor=agent, ticket=ticket)
    services.ticket_restore(actor=agent, ticket=ticket)
    client.force_login(agent)
    page = client.get(reverse("helpdesk:ticket_detail", args=[ticket.reference])).content.decode()
    assert "marked the ticket as spam" in page and "restored the ticket (it was <b>spam</b>)" in page


def test_spam_also_stops_an_email_a_crashed_worker_left_half_sent(ticket, agent):
    services.ticket_message_post(actor=agent, ticket=ticket, body="Hello")
    stuck = OutboundEmail.objects.filter(ticket=ticket).latest("pk")
    OutboundEmail.objects.filter(pk=stuck.pk).update(status="sending", lease_until=timezone.now() - timedelta(minutes=5))
    services.ticket_mark_spam(actor=agent, ticket=ticket)
    stuck.refresh_from_db()
    assert stuck.status == "failed" and stuck.lease_until is None and "spam" in stuck.last_error


def test_purge_deletes_the_emails_that_opened_the_ticket(agent, settings):
    got = services.mail_receive(raw=spam_email("pills@spam.test", 7), source="test")
    ticket = got.email.ticket
    services.ticket_mark_spam(actor=agent, ticket=ticket)
    Ticket.objects.filter(pk=ticket.pk).update(
        removed_at=timezone.now() - timedelta(days=settings.HELPDESK_REMOVED_RETENTION_DAYS + 1)
    )
    assert InboundEmail.objects.filter(ticket=ticket).exists()
    services.tickets_purge_removed()
    assert not Ticket.objects.filter(pk=ticket.pk).exists() and InboundEmail.objects.count() == 0
