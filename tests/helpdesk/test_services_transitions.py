"""The status transition table, enforced by ``ticket_update`` for every pair of statuses.

A refused transition must leave no trace: same version, same status, no timeline row.
"""

from __future__ import annotations

import itertools

import pytest

from helpdesk import services
from helpdesk.errors import StaleVersion, TransitionNotAllowed
from helpdesk.models import Ticket, TicketEvent, TicketStatus

STATUSES = ["new", "open", "pending", "on_hold", "solved", "closed"]
# The allowed transitions, written out here rather than read from the model under
# test: a change to Ticket.ALLOWED_TRANSITIONS must show up as a failing test, and be
# made here too on purpose. Closed is final (a customer who writes again gets a new ticket).
EXPECTED_TRANSITIONS = {
    "new": {"open", "pending", "on_hold", "solved"},
    "open": {"pending", "on_hold", "solved"},
    "pending": {"open", "on_hold", "solved"},
    "on_hold": {"open", "pending", "solved"},
    "solved": {"open", "closed"},
    "closed": set(),
}
# How the system walks a fresh ticket to each status (actor=None: no permission checks).
PATH_FROM_NEW = {
    "new": [],
    "open": ["open"],
    "pending": ["pending"],
    "on_hold": ["on_hold"],
    "solved": ["solved"],
    "closed": ["solved", "closed"],
}
ALLOWED_PAIRS = [(old, new) for old in STATUSES for new in STATUSES if new in EXPECTED_TRANSITIONS[old]]
REFUSED_PAIRS = [
    (old, new)
    for old, new in itertools.product(STATUSES, STATUSES)
    if old != new and new not in EXPECTED_TRANSITIONS[old]
]


def put_in(ticket: Ticket, status: str) -> Ticket:
    for step in PATH_FROM_NEW[status]:
        ticket = services.ticket_update(actor=None, ticket=ticket, status=step)
    ticket.refresh_from_db()
    assert ticket.status == status
    return ticket


def snapshot(ticket: Ticket) -> tuple:
    fresh = Ticket.objects.get(pk=ticket.pk)
    return (
        fresh.version,
        fresh.status,
        fresh.updated_at,
        fresh.solved_at,
        fresh.closed_at,
        TicketEvent.objects.filter(ticket=fresh).count(),
    )


def test_the_model_table_is_the_pinned_one():
    assert list(TicketStatus.values) == STATUSES
    assert {old: set(targets) for old, targets in Ticket.ALLOWED_TRANSITIONS.items()} == EXPECTED_TRANSITIONS
    assert (len(ALLOWED_PAIRS), len(REFUSED_PAIRS)) == (15, 15)


@pytest.mark.parametrize(("old", "new"), ALLOWED_PAIRS, ids=[f"{o}->{n}" for o, n in ALLOWED_PAIRS])
def test_allowed_transition_is_applied_and_audited(agent, ticket, old, new):
    ticket = put_in(ticket, old)
    version = ticket.version
    events_before = TicketEvent.objects.filter(ticket=ticket).count()

    updated = services.ticket_update(actor=agent, ticket=ticket, status=new, expected_version=version)

    fresh = Ticket.objects.get(pk=ticket.pk)
    assert updated.status == fresh.status == new
    assert fresh.version == version + 1
    rows = list(TicketEvent.objects.filter(ticket=ticket).order_by("id")[events_before:])
    assert [(r.kind, r.actor_id, r.old_value, r.new_value) for r in rows] == [
        (TicketEvent.Kind.STATUS, agent.pk, old, new)
    ]
    assert rows[0].created_at == fresh.updated_at
    if new == TicketStatus.SOLVED:
        assert fresh.solved_at == fresh.updated_at
    if old == TicketStatus.SOLVED and new == TicketStatus.OPEN:
        assert fresh.solved_at is None, "reopening clears the solved time"
    if new == TicketStatus.CLOSED:
        assert fresh.closed_at == fresh.updated_at
        assert fresh.solved_at is not None, "closing keeps when it was solved"


@pytest.mark.parametrize(("old", "new"), REFUSED_PAIRS, ids=[f"{o}->{n}" for o, n in REFUSED_PAIRS])
def test_refused_transition_names_status_and_writes_nothing(agent, ticket, old, new, django_capture_on_commit_callbacks):
    ticket = put_in(ticket, old)
    before = snapshot(ticket)

    with django_capture_on_commit_callbacks() as callbacks:
        with pytest.raises(TransitionNotAllowed) as excinfo:
            services.ticket_update(actor=agent, ticket=ticket, status=new, priority="urgent", tags=["x"])

    assert excinfo.value.field == "status"
    assert new in excinfo.value.message
    assert snapshot(ticket) == before
    fresh = Ticket.objects.get(pk=ticket.pk)
    assert fresh.priority != 4, "the other changes of the refused update are not applied either"
    assert list(fresh.tags.all()) == []
    assert callbacks == [], "no event is queued for a refused change"


@pytest.mark.parametrize("status", STATUSES)
def test_same_status_is_a_no_op(agent, ticket, status):
    ticket = put_in(ticket, status)
    before = snapshot(ticket)
    services.ticket_update(actor=agent, ticket=ticket, status=status)
    assert snapshot(ticket) == before


def test_unknown_status_is_invalid_input_naming_status(agent, ticket):
    from helpdesk.errors import InvalidInput

    before = snapshot(ticket)
    with pytest.raises(InvalidInput) as excinfo:
        services.ticket_update(actor=agent, ticket=ticket, status="deleted")
    assert excinfo.value.field == "status"
    assert snapshot(ticket) == before


def test_refused_message_lists_what_is_allowed(agent, ticket):
    ticket = put_in(ticket, "closed")
    with pytest.raises(TransitionNotAllowed) as excinfo:
        services.ticket_update(actor=agent, ticket=ticket, status="open")
    assert "closed" in excinfo.value.message.lower()


def test_model_helpers_agree_with_table(ticket):
    for status in STATUSES:
        ticket.status = status
        assert ticket.allowed_next_statuses() == [s for s in STATUSES if s in EXPECTED_TRANSITIONS[status]]
        for target in STATUSES:
            assert ticket.can_transition_to(target) == (target in EXPECTED_TRANSITIONS[status])


def test_stale_transition_is_refused_before_the_table(agent, agent2, ticket):
    """A stale edit is reported as stale (409), even when the transition itself would be fine."""
    version = ticket.version
    services.ticket_update(actor=agent2, ticket=ticket, status="pending")
    before = snapshot(ticket)
    with pytest.raises(StaleVersion) as excinfo:
        services.ticket_update(actor=agent, ticket=ticket, status="open", expected_version=version)
    assert excinfo.value.current.status == "pending"
    assert excinfo.value.current.version == version + 1
    assert snapshot(ticket) == before
