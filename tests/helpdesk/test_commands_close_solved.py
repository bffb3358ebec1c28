"""``manage.py close_solved_tickets``: the scheduled auto-close."""

from __future__ import annotations

from datetime import timedelta
from io import StringIO

import pytest
from django.core.management import CommandError, call_command
from django.utils import timezone

from helpdesk import services
from helpdesk.demo import bulk_load
from helpdesk.models import Ticket, TicketEvent, TicketStatus


def solve(ticket, agent, *, days_ago: float):
    """A ticket solved ``days_ago`` days ago (its timeline moved back with the demo backdating service)."""
    services.ticket_message_post(actor=agent, ticket=ticket, body="Fixed on our side.", status=TicketStatus.SOLVED)
    ids = list(TicketEvent.objects.filter(ticket=ticket).order_by("id").values_list("id", flat=True))
    start = timezone.now() - timedelta(days=days_ago, minutes=len(ids))
    return bulk_load.ticket_backdate_demo(
        actor=None, ticket=ticket, event_times={pk: start + timedelta(minutes=i) for i, pk in enumerate(ids)}
    )


def run(*args: str) -> str:
    out = StringIO()
    call_command("close_solved_tickets", *args, stdout=out)
    return out.getvalue()


@pytest.mark.django_db
def test_closes_only_tickets_solved_long_enough_ago_with_an_audit_entry(make_ticket, agent, settings):
    settings.HELPDESK_AUTO_CLOSE_DAYS = 4
    old = solve(make_ticket(subject="Old"), agent, days_ago=10)
    recent = solve(make_ticket(subject="Recent"), agent, days_ago=1)
    untouched = make_ticket(subject="Still open")
    services.ticket_message_post(actor=agent, ticket=untouched, body="Looking.")

    assert run() == "Closed 1 ticket solved more than 4 days ago.\n"

    old.refresh_from_db()
    recent.refresh_from_db()
    untouched.refresh_from_db()
    assert old.status == TicketStatus.CLOSED and old.closed_at is not None
    assert recent.status == TicketStatus.SOLVED
    assert untouched.status == TicketStatus.OPEN
    audit = TicketEvent.objects.filter(ticket=old, kind=TicketEvent.Kind.STATUS).latest("id")
    assert (audit.old_value, audit.new_value, audit.actor_id) == (TicketStatus.SOLVED, TicketStatus.CLOSED, None)
    assert "automatically" in audit.body
    assert not TicketEvent.objects.filter(ticket=recent, new_value=TicketStatus.CLOSED).exists()

    # Nothing left to do: a second run (the next hour) closes nothing.
    assert run() == "Closed 0 tickets solved more than 4 days ago.\n"


@pytest.mark.django_db
def test_days_option_overrides_the_setting(make_ticket, agent):
    solve(make_ticket(), agent, days_ago=2)
    solve(make_ticket(), agent, days_ago=3)
    assert run("--days", "7").startswith("Closed 0 tickets")
    assert run("--days", "1") == "Closed 2 tickets solved more than 1 days ago.\n"
    assert Ticket.objects.filter(status=TicketStatus.CLOSED).count() == 2


@pytest.mark.django_db
def test_rejects_negative_days():
    with pytest.raises(CommandError, match="--days"):
        run("--days", "-1")


def test_help_says_it_is_meant_for_a_schedule():
    from helpdesk.management.commands.close_solved_tickets import Command

    assert "cron" in Command.help and "hourly" in Command.help
