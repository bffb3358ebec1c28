"""Closing the loop: a fix tells every linked ticket's customer once, by a public reply and its email."""

from __future__ import annotations

import pytest
from django.db import IntegrityError, transaction
from django.utils import timezone

from escalations import services
from escalations.models import FixNotice
from helpdesk import selectors as desk_selectors
from helpdesk import services as desk_services
from helpdesk.mail.models import OutboundEmail
from helpdesk.models import Ticket, TicketEvent
from tests.escalations.conftest import raise_on

pytestmark = pytest.mark.django_db

UPDATE = "Fixed in 4.2.1: invoices download with their lines again."


def act(escalation, actor, action, text=""):
    return services.escalation_transition(actor=actor, escalation=escalation, action=action, text=text)


def fix(escalation, pm, capture, text=UPDATE):
    with capture(execute=True):
        act(escalation, pm, "fix", text)


@pytest.fixture
def escalation(ticket, feature, agent, product_manager):
    escalation = raise_on(ticket, feature, agent)
    act(escalation, product_manager, "acknowledge")
    return escalation


def updates_on(ticket):
    return list(TicketEvent.objects.filter(ticket=ticket, kind="reply", actor=None, body=UPDATE))


def emails_of(ticket):
    return OutboundEmail.objects.filter(ticket=ticket, kind="reply", body_text__contains="invoices download")


def test_a_fix_tells_each_linked_ticket_once_and_wakes_waiting_ones(
    escalation, ticket, make_ticket, agent, product_manager, customer2, django_capture_on_commit_callbacks
):
    waiting = make_ticket(subject="Still blank", requester=customer2)
    desk_services.ticket_update(actor=agent, ticket=waiting, status="pending")
    held = make_ticket(subject="Held")
    desk_services.ticket_update(actor=agent, ticket=held, status="on_hold")
    for other in (waiting, held):
        services.escalation_link(actor=agent, escalation=escalation, ticket=other)
    fix(escalation, product_manager, django_capture_on_commit_callbacks)
    for linked in (ticket, waiting, held):
        assert len(updates_on(linked)) == 1 and emails_of(linked).count() == 1
        assert TicketEvent.objects.filter(ticket=linked, kind="linked", old_value="fixed escalation", actor=product_manager).exists()
    assert Ticket.objects.get(pk=waiting.pk).status == "open" and Ticket.objects.get(pk=held.pk).status == "open"
    assert set(FixNotice.objects.values_list("outcome", flat=True)) == {"told"}
    # The customer reads it in the portal's conversation (a public reply by the support team).
    visible = desk_selectors.ticket_messages(user=customer2.user, ticket=waiting)
    assert [m.body for m in visible if m.body == UPDATE] == [UPDATE]


def test_reopen_and_fix_again_tells_nobody_twice(escalation, ticket, manager, product_manager, django_capture_on_commit_callbacks):
    fix(escalation, product_manager, django_capture_on_commit_callbacks)
    act(escalation, manager, "reopen", "Customers still see blank PDFs.")
    act(escalation, product_manager, "acknowledge")
    fix(escalation, product_manager, django_capture_on_commit_callbacks, text="Fixed for real in 4.2.2.")
    assert len(updates_on(ticket)) == 1 and emails_of(ticket).count() == 1
    assert FixNotice.objects.filter(ticket=ticket).count() == 1


def test_told_once_is_a_database_constraint(escalation, ticket):
    FixNotice.objects.create(escalation=escalation, ticket=ticket, created_at=timezone.now())
    with pytest.raises(IntegrityError), transaction.atomic():
        FixNotice.objects.create(escalation=escalation, ticket=ticket, created_at=timezone.now())


def test_a_ticket_linked_after_the_fix_is_told_too_once(
    escalation, make_ticket, agent, product_manager, django_capture_on_commit_callbacks
):
    fix(escalation, product_manager, django_capture_on_commit_callbacks)
    late = make_ticket(subject="Blank PDF here as well")
    with django_capture_on_commit_callbacks(execute=True):
        services.escalation_link(actor=agent, escalation=escalation, ticket=late)
    with django_capture_on_commit_callbacks(execute=True):
        services.escalation_link(actor=agent, escalation=escalation, ticket=late)
    assert len(updates_on(late)) == 1


def test_notices_left_pending_by_a_crash_are_delivered_by_the_worker_and_only_then(
    escalation, ticket, product_manager, manager
):
    act(escalation, product_manager, "fix", UPDATE)  # the after-commit delivery never ran (a crash)
    assert FixNotice.objects.get(ticket=ticket).delivered_at is None and updates_on(ticket) == []
    assert services.fix_notices_deliver() == 1
    assert services.fix_notices_deliver() == 0
    assert len(updates_on(ticket)) == 1


def test_a_reopened_escalation_holds_its_pending_notices_back(escalation, ticket, product_manager, manager):
    act(escalation, product_manager, "fix", UPDATE)
    act(escalation, manager, "reopen", "Not fixed.")
    assert services.fix_notices_deliver() == 0 and updates_on(ticket) == []


def test_a_removed_ticket_is_not_told(escalation, ticket, manager, product_manager, django_capture_on_commit_callbacks):
    desk_services.ticket_delete(actor=manager, ticket=ticket)
    fix(escalation, product_manager, django_capture_on_commit_callbacks)
    assert FixNotice.objects.get(ticket=ticket).outcome == "removed" and updates_on(ticket) == []


def test_the_desk_timeline_says_the_ticket_was_linked_without_bumping_what_customers_see(ticket, feature, agent):
    before = Ticket.objects.get(pk=ticket.pk)
    escalation = raise_on(ticket, feature, agent)
    after = Ticket.objects.get(pk=ticket.pk)
    assert after.version == before.version and after.updated_at == before.updated_at
    line = TicketEvent.objects.get(ticket=ticket, kind="linked")
    assert (line.old_value, line.new_value, line.actor_id) == ("linked this ticket to escalation", escalation.reference, agent.pk)
