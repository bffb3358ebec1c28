"""Replies and internal notes, and the status moves that follow them."""

from __future__ import annotations

import pytest

from helpdesk import services
from helpdesk.errors import ActionForbidden, InvalidInput, TransitionNotAllowed
from helpdesk.models import Ticket, TicketEvent, TicketStatus


def put_in(ticket, status):
    path = {"new": [], "open": ["open"], "pending": ["pending"], "on_hold": ["on_hold"], "solved": ["solved"]}
    path["closed"] = ["solved", "closed"]
    for step in path[status]:
        services.ticket_update(actor=None, ticket=ticket, status=step)
    return Ticket.objects.get(pk=ticket.pk)


def rows_after(ticket, before):
    return [
        (e.kind, e.actor_id, e.old_value, e.new_value)
        for e in TicketEvent.objects.filter(ticket=ticket).order_by("id")[before:]
    ]


def count(ticket):
    return TicketEvent.objects.filter(ticket=ticket).count()


class TestCustomerReply:
    @pytest.mark.parametrize("status", sorted(Ticket.REOPENED_BY_CUSTOMER_REPLY))
    def test_reopens_pending_and_solved_audited_as_customer(self, customer, ticket, status):
        ticket = put_in(ticket, status)
        before, version = count(ticket), ticket.version
        message = services.ticket_message_post(actor=customer.user, ticket=ticket, body="Still broken")
        fresh = Ticket.objects.get(pk=ticket.pk)
        assert fresh.status == TicketStatus.OPEN
        assert fresh.version == version + 1, "the message and the reopen are one change"
        assert rows_after(ticket, before) == [
            ("reply", customer.user_id, "", ""),
            ("status", customer.user_id, status, "open"),
        ]
        assert message.customer_id == customer.pk and message.body == "Still broken"
        if status == "solved":
            assert fresh.solved_at is None

    @pytest.mark.parametrize("status", ["new", "open", "on_hold"])
    def test_does_not_move_other_statuses(self, customer, ticket, status):
        ticket = put_in(ticket, status)
        before = count(ticket)
        services.ticket_message_post(actor=customer.user, ticket=ticket, body="Any news?")
        assert Ticket.objects.get(pk=ticket.pk).status == status
        assert [kind for kind, *_ in rows_after(ticket, before)] == ["reply"]

    def test_customer_reply_does_not_count_as_first_response(self, customer, ticket):
        services.ticket_message_post(actor=customer.user, ticket=ticket, body="More detail")
        assert Ticket.objects.get(pk=ticket.pk).first_response_at is None

    def test_customer_cannot_post_notes(self, customer, ticket):
        before, version = count(ticket), ticket.version
        with pytest.raises(ActionForbidden) as excinfo:
            services.ticket_message_post(actor=customer.user, ticket=ticket, body="secret", internal=True)
        assert excinfo.value.field == "internal"
        assert count(ticket) == before and Ticket.objects.get(pk=ticket.pk).version == version

    def test_customer_cannot_submit_as_status(self, customer, ticket):
        before = count(ticket)
        with pytest.raises(ActionForbidden) as excinfo:
            services.ticket_message_post(actor=customer.user, ticket=ticket, body="fixed?", status="solved")
        assert excinfo.value.field == "status"
        assert count(ticket) == before

    def test_customer_reply_on_closed_refused(self, customer, ticket):
        ticket = put_in(ticket, "closed")
        before = count(ticket)
        with pytest.raises(TransitionNotAllowed) as excinfo:
            services.ticket_message_post(actor=customer.user, ticket=ticket, body="Hello again")
        assert excinfo.value.field == "body"
        assert count(ticket) == before


class TestAgentReply:
    def test_first_public_reply_opens_new_ticket_and_sets_first_response(self, agent, ticket):
        before, version = count(ticket), ticket.version
        message = services.ticket_message_post(actor=agent, ticket=ticket, body="Looking into it")
        fresh = Ticket.objects.get(pk=ticket.pk)
        assert fresh.status == TicketStatus.OPEN
        assert fresh.first_response_at == message.created_at == fresh.updated_at
        assert fresh.version == version + 1
        assert rows_after(ticket, before) == [("reply", agent.pk, "", ""), ("status", agent.pk, "new", "open")]
        assert message.customer_id is None

    def test_first_response_is_not_overwritten(self, agent, agent2, ticket):
        services.ticket_message_post(actor=agent, ticket=ticket, body="First")
        first = Ticket.objects.get(pk=ticket.pk).first_response_at
        services.ticket_message_post(actor=agent2, ticket=ticket, body="Second")
        assert Ticket.objects.get(pk=ticket.pk).first_response_at == first

    def test_agent_reply_on_pending_does_not_reopen(self, agent, ticket):
        ticket = put_in(ticket, "pending")
        services.ticket_message_post(actor=agent, ticket=ticket, body="Reminder")
        assert Ticket.objects.get(pk=ticket.pk).status == "pending"

    @pytest.mark.parametrize(("start", "target"), [("new", "pending"), ("new", "solved"), ("open", "on_hold"), ("pending", "solved")])
    def test_submit_as_status(self, agent, ticket, start, target):
        ticket = put_in(ticket, start)
        before = count(ticket)
        services.ticket_message_post(actor=agent, ticket=ticket, body="Done", status=target)
        fresh = Ticket.objects.get(pk=ticket.pk)
        assert fresh.status == target
        assert rows_after(ticket, before) == [("reply", agent.pk, "", ""), ("status", agent.pk, start, target)]
        assert fresh.first_response_at is not None

    def test_submit_as_refused_transition_writes_nothing(self, agent, ticket):
        before, version = count(ticket), ticket.version
        with pytest.raises(TransitionNotAllowed) as excinfo:
            services.ticket_message_post(actor=agent, ticket=ticket, body="Bye", status="closed")
        assert excinfo.value.field == "status"
        fresh = Ticket.objects.get(pk=ticket.pk)
        assert (count(ticket), fresh.version, fresh.status, fresh.first_response_at) == (before, version, "new", None)

    def test_submit_as_unknown_status_is_invalid_input(self, agent, ticket):
        with pytest.raises(InvalidInput) as excinfo:
            services.ticket_message_post(actor=agent, ticket=ticket, body="x", status="archived")
        assert excinfo.value.field == "status"

    def test_agent_reply_on_closed_refused(self, agent, ticket):
        ticket = put_in(ticket, "closed")
        before = count(ticket)
        with pytest.raises(TransitionNotAllowed):
            services.ticket_message_post(actor=agent, ticket=ticket, body="Hi")
        assert count(ticket) == before

    def test_empty_and_huge_bodies_refused(self, agent, ticket):
        before = count(ticket)
        for body in ("", "   \n", "x" * (64 * 1024 + 1)):
            with pytest.raises(InvalidInput) as excinfo:
                services.ticket_message_post(actor=agent, ticket=ticket, body=body)
            assert excinfo.value.field == "body"
        assert count(ticket) == before
        assert Ticket.objects.get(pk=ticket.pk).status == "new"

    def test_body_is_stripped_and_stored_verbatim(self, agent, ticket):
        message = services.ticket_message_post(actor=agent, ticket=ticket, body="  <b>hi</b> & bye \n")
        assert TicketEvent.objects.get(pk=message.pk).body == "<b>hi</b> & bye"

    def test_product_manager_cannot_reply(self, product_manager, ticket):
        with pytest.raises(ActionForbidden):
            services.ticket_message_post(actor=product_manager, ticket=ticket, body="Hi")


class TestNotes:
    @pytest.mark.parametrize("status", ["new", "open", "pending", "on_hold", "solved"])
    def test_note_never_moves_status_or_sets_first_response(self, agent, ticket, status):
        ticket = put_in(ticket, status)
        before, version = count(ticket), ticket.version
        services.ticket_message_post(actor=agent, ticket=ticket, body="Internal", internal=True)
        fresh = Ticket.objects.get(pk=ticket.pk)
        assert fresh.status == status
        assert fresh.first_response_at is None
        # The version and updated_at are visible to customers; a note must not show through.
        assert (fresh.version, fresh.updated_at) == (version, ticket.updated_at)
        assert rows_after(ticket, before) == [("note", agent.pk, "", "")]

    def test_note_on_closed_ticket_allowed(self, agent, ticket):
        ticket = put_in(ticket, "closed")
        note = services.ticket_message_post(actor=agent, ticket=ticket, body="Post-mortem", internal=True)
        assert note.kind == "note"
        assert Ticket.objects.get(pk=ticket.pk).status == "closed"

    def test_product_manager_can_write_notes(self, product_manager, ticket):
        note = services.ticket_message_post(actor=product_manager, ticket=ticket, body="Known bug", internal=True)
        assert note.kind == "note" and note.actor_id == product_manager.pk
        assert Ticket.objects.get(pk=ticket.pk).status == "new"

    def test_product_manager_note_cannot_change_status(self, product_manager, ticket):
        with pytest.raises(ActionForbidden):
            services.ticket_message_post(
                actor=product_manager, ticket=ticket, body="Known bug", internal=True, status="pending"
            )
        assert Ticket.objects.get(pk=ticket.pk).status == "new"

    def test_customer_reply_after_note_still_reopens(self, agent, customer, ticket):
        ticket = put_in(ticket, "pending")
        services.ticket_message_post(actor=agent, ticket=ticket, body="Waiting on customer", internal=True)
        services.ticket_message_post(actor=customer.user, ticket=ticket, body="Here you go")
        assert Ticket.objects.get(pk=ticket.pk).status == "open"
