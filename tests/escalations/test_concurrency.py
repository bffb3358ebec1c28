"""Real concurrent transactions on PostgreSQL: simultaneous cord pulls, links racing a fix, fixes racing reopens.

Each worker is a thread with its own database connection; a barrier starts them together.
"""

from __future__ import annotations

import threading

import pytest
from django.db import connection, transaction

from escalations import selectors, services
from escalations.models import Escalation, EscalationLink, Feature, FixNotice, Severity
from helpdesk.models import TicketEvent

pytestmark = [pytest.mark.postgresql, pytest.mark.django_db(transaction=True)]

UPDATE = "Fixed in 4.2.1."


def run_together(*jobs):
    """Run the callables at once (one thread each, released by one barrier); re-raise the first error."""
    barrier = threading.Barrier(len(jobs))
    errors: list[BaseException] = []

    def wrap(job):
        try:
            barrier.wait()
            job()
        except BaseException as error:  # noqa: BLE001 - collected, raised below
            errors.append(error)
        finally:
            connection.close()

    threads = [threading.Thread(target=wrap, args=(job,)) for job in jobs]
    for thread in threads:
        thread.start()
    for thread in threads:
        thread.join(60)
    if errors:
        raise errors[0]


def cord(agent, ticket, feature, title):
    return lambda: services.escalation_raise(
        actor=agent, ticket=ticket, feature=feature, severity="blocking", title=title, customer_impact="Broken."
    )


def test_two_agents_pull_the_cord_on_one_feature_at_once(agent, agent2, make_ticket, feature, product_manager):
    first, second = make_ticket(subject="one"), make_ticket(subject="two")
    run_together(cord(agent, first, feature, "From agent one"), cord(agent2, second, feature, "From agent two"))
    assert Escalation.objects.filter(feature=feature).count() == 2
    assert Feature.objects.get(pk=feature.pk).blocked
    both = list(Escalation.objects.filter(feature=feature))
    run_together(
        *[
            (lambda e=e: services.escalation_transition(actor=product_manager, escalation=e, action="reject", text="No."))
            for e in both
        ]
    )
    assert not Feature.objects.get(pk=feature.pk).blocked
    assert selectors.feature_gate(user=agent, key=feature.key).blocked is False


def test_links_added_while_the_fix_lands_are_all_kept_and_told_once(agent, agent2, make_ticket, feature, product_manager):
    escalation = services.escalation_raise(
        actor=agent, ticket=make_ticket(subject="first"), feature=feature, severity="blocking", title="T", customer_impact="I"
    )
    services.escalation_transition(actor=product_manager, escalation=escalation, action="acknowledge")
    late = [make_ticket(subject=f"late {n}") for n in range(6)]

    def link(people):
        def job():
            for ticket in people:
                services.escalation_link(actor=agent2, escalation=escalation, ticket=ticket)

        return job

    run_together(
        link(late[:3]),
        link(late[3:]),
        lambda: services.escalation_transition(actor=product_manager, escalation=escalation, action="fix", text=UPDATE),
    )
    services.fix_notices_deliver()  # whatever the after-commit deliveries left
    assert EscalationLink.objects.filter(escalation=escalation).count() == 7
    linked = EscalationLink.objects.filter(escalation=escalation).values_list("ticket_id", flat=True)
    for ticket_id in linked:
        assert TicketEvent.objects.filter(ticket_id=ticket_id, kind="reply", actor=None, body=UPDATE).count() == 1
    assert FixNotice.objects.filter(escalation=escalation).count() == 7


def test_fixes_racing_reopens_and_parallel_workers_never_tell_anyone_twice(
    agent, make_ticket, feature, product_manager, manager
):
    tickets = [make_ticket(subject=f"t{n}") for n in range(5)]
    escalation = services.escalation_raise(
        actor=agent, ticket=tickets[0], tickets=tickets[1:], feature=feature, severity="blocking", title="T", customer_impact="I"
    )
    services.escalation_transition(actor=product_manager, escalation=escalation, action="acknowledge")
    for _round in range(3):
        run_together(
            lambda: services.escalation_transition(actor=product_manager, escalation=escalation, action="fix", text=UPDATE),
            services.fix_notices_deliver,
            services.fix_notices_deliver,
        )
        run_together(
            lambda: services.escalation_transition(actor=manager, escalation=escalation, action="reopen", text="Again."),
            services.fix_notices_deliver,
        )
        services.escalation_transition(actor=product_manager, escalation=escalation, action="acknowledge")
    services.escalation_transition(actor=product_manager, escalation=escalation, action="fix", text=UPDATE)
    services.fix_notices_deliver()
    for ticket in tickets:
        assert TicketEvent.objects.filter(ticket=ticket, kind="reply", actor=None, body=UPDATE).count() == 1


def test_the_gate_never_disagrees_with_the_escalations(agent, product_manager, make_ticket, feature):
    stop = threading.Event()
    disagreements: list[str] = []
    ticket = make_ticket(subject="flapping")

    def reader():
        while not stop.is_set():
            with transaction.atomic():
                with connection.cursor() as cursor:  # one snapshot for both reads
                    cursor.execute("SET TRANSACTION ISOLATION LEVEL REPEATABLE READ")
                gate = selectors.feature_gate(user=agent, key=feature.key)
                unresolved = Escalation.objects.filter(
                    feature=feature, severity=Severity.BLOCKING, status__in=["open", "acknowledged", "in_progress", "needs_info"]
                ).exists()
                if gate.blocked != unresolved:
                    disagreements.append(f"gate {gate.blocked}, escalations {unresolved}")

    def writer():
        try:
            for n in range(8):
                escalation = services.escalation_raise(
                    actor=agent, ticket=ticket, feature=feature, severity="blocking", title=f"Flap {n}", customer_impact="x"
                )
                services.escalation_transition(actor=product_manager, escalation=escalation, action="reject", text="No.")
        finally:
            stop.set()

    run_together(reader, reader, writer)
    assert disagreements == []
    assert not Feature.objects.get(pk=feature.pk).blocked
