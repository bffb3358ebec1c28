"""Closed tickets are final, and auto-closing tells listeners after commit."""

from datetime import timedelta

import pytest
from django.utils import timezone

from helpdesk import events, services
from helpdesk.errors import TransitionNotAllowed
from helpdesk.models import Ticket, TicketEvent, TicketStatus
from helpdesk.services.tickets import clean_tags


@pytest.fixture
def closed_ticket(agent, ticket):
    services.ticket_update(actor=agent, ticket=ticket, status="solved")
    return services.ticket_update(actor=agent, ticket=ticket, status="closed")


@pytest.mark.parametrize("field", ["priority", "tags", "subject", "assignee"])
def test_closed_ticket_fields_cannot_change(agent, agent2, closed_ticket, field):
    change = {"priority": {"priority": "urgent"}, "tags": {"tags": ["late"]},
              "subject": {"subject": "Another subject"}, "assignee": {"assignee": agent2}}[field]
    before_version = closed_ticket.version
    before_events = TicketEvent.objects.filter(ticket=closed_ticket).count()
    with pytest.raises(TransitionNotAllowed) as error:
        services.ticket_update(actor=agent, ticket=closed_ticket, **change)
    assert "closed" in error.value.message
    closed_ticket.refresh_from_db()
    assert closed_ticket.version == before_version
    assert TicketEvent.objects.filter(ticket=closed_ticket).count() == before_events
    assert list(closed_ticket.tags.values_list("name", flat=True)) == []


def test_closed_ticket_accepts_an_unchanged_form(agent, closed_ticket):
    """The desk form resubmits every field; values equal to the current ones are not a change."""
    same = services.ticket_update(
        actor=agent,
        ticket=closed_ticket,
        status=closed_ticket.status,
        priority=closed_ticket.priority,
        subject=closed_ticket.subject,
        tags=[],
    )
    assert same.version == closed_ticket.version


def test_closing_is_still_allowed_from_solved(agent, ticket):
    services.ticket_update(actor=agent, ticket=ticket, status="solved")
    closed = services.ticket_update(actor=agent, ticket=ticket, status="closed")
    assert closed.status == TicketStatus.CLOSED
    assert closed.closed_at is not None


def test_tags_given_as_one_string_are_split_on_commas():
    assert clean_tags("Billing, needs info,billing") == ["billing", "needs-info"]


def test_auto_close_broadcasts_each_ticket_after_commit(agent, ticket, django_capture_on_commit_callbacks, monkeypatch):
    services.ticket_update(actor=agent, ticket=ticket, status="solved")
    Ticket.objects.filter(pk=ticket.pk).update(solved_at=timezone.now() - timedelta(days=10))
    sent = []
    monkeypatch.setattr(events, "_send", lambda groups, payload: sent.append((groups, payload)))
    with django_capture_on_commit_callbacks(execute=False) as callbacks:
        assert services.ticket_close_solved(older_than_days=4) == 1
    assert sent == []  # nothing before commit
    for callback in callbacks:
        callback()
    ticket.refresh_from_db()
    line = {"ticket": ticket.reference, "version": ticket.version, "status": "closed", "by": None}
    line["changes"] = ["status"]
    assert sent == [
        ([events.ticket_group(ticket.pk)], {"type": "ticket.changed", **line}),
        ([events.desk_group()], {"type": "desk.tickets_changed", "tickets": [line]}),
    ]
