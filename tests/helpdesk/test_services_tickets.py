"""Ticket services: create, field changes, versions, and what each writes to the timeline."""

from __future__ import annotations

import pytest
from django.conf import settings
from django.db import transaction

from escalations.services import feature_ensure, product_ensure
from helpdesk import events, services
from helpdesk.errors import ActionForbidden, InvalidInput, NotFound, StaleVersion
from helpdesk.models import ReferenceCounter, Tag, Ticket, TicketEvent, TicketPriority, TicketStatus


@pytest.fixture
def sent(monkeypatch):
    """Every broadcast that actually leaves the process, in order."""
    calls: list[tuple[list[str], dict]] = []
    monkeypatch.setattr(events, "_send", lambda groups, payload: calls.append((groups, payload)))
    return calls


@pytest.fixture
def team(agent):
    return services.team_ensure(actor=None, name="Billing", members=[agent])


@pytest.fixture
def other_team(agent2):
    return services.team_ensure(actor=None, name="Platform", members=[agent2])


@pytest.fixture
def feature(product_manager):
    product = product_ensure(actor=None, key="billing", name="Billing")
    return feature_ensure(actor=None, product=product, key="billing.invoices", name="Invoices", owner=product_manager)


def events_of(ticket) -> list[TicketEvent]:
    return list(TicketEvent.objects.filter(ticket=ticket).order_by("id"))


def new_events(ticket, before: int) -> list[tuple]:
    return [(e.kind, e.actor_id, e.old_value, e.new_value) for e in events_of(ticket)[before:]]


def state(ticket) -> tuple:
    fresh = Ticket.objects.get(pk=ticket.pk)
    return (
        fresh.version,
        fresh.status,
        fresh.priority,
        fresh.subject,
        fresh.assignee_id,
        fresh.team_id,
        fresh.feature_id,
        fresh.updated_at,
        sorted(fresh.tags.values_list("name", flat=True)),
        TicketEvent.objects.filter(ticket=fresh).count(),
    )


# --- create ------------------------------------------------------------------------------


class TestCreate:
    def test_agent_creates_for_customer_with_created_and_request_rows(self, agent, customer, organization):
        ticket = services.ticket_create(
            actor=agent, requester=customer, subject="  Invoice   PDF empty ", body="  It is blank.  ", priority="high"
        )
        assert ticket.subject == "Invoice PDF empty"
        assert ticket.status == TicketStatus.NEW
        assert ticket.priority == TicketPriority.HIGH
        assert ticket.version == 1
        assert ticket.organization_id == organization.pk, "the requester's organization is copied"
        assert ticket.created_at == ticket.updated_at
        rows = events_of(ticket)
        assert [(r.kind, r.actor_id) for r in rows] == [("created", agent.pk), ("reply", agent.pk)]
        assert rows[0].new_value == "web"
        assert rows[1].body == "It is blank."
        # An agent logging a call writes the customer's words on their behalf: both are kept.
        assert rows[1].customer_id == ticket.requester_id
        assert ticket.last_customer_message_at == ticket.created_at and ticket.last_agent_reply_at is None
        assert ticket.first_response_at is None

    def test_customer_opens_own_ticket_words_are_theirs(self, customer):
        ticket = services.ticket_create(actor=customer.user, subject="Help", body="Please")
        assert ticket.requester_id == customer.pk
        request = events_of(ticket)[1]
        assert request.customer_id == customer.pk and request.actor_id == customer.user_id

    def test_customer_may_name_themselves(self, customer):
        ticket = services.ticket_create(actor=customer.user, requester=customer, subject="Help", body="Please")
        assert ticket.requester_id == customer.pk

    def test_customer_cannot_open_for_someone_else(self, customer, customer2):
        with pytest.raises(ActionForbidden) as excinfo:
            services.ticket_create(actor=customer.user, requester=customer2, subject="Help", body="Please")
        assert excinfo.value.field == "requester"
        assert not Ticket.objects.exists()

    @pytest.mark.parametrize("extra", ["assignee", "team", "tags", "feature"])
    def test_customer_cannot_set_desk_fields(self, customer, agent, team, feature, extra):
        value = {"assignee": agent, "team": team, "tags": ["vip"], "feature": feature}[extra]
        with pytest.raises(ActionForbidden):
            services.ticket_create(actor=customer.user, subject="Help", body="Please", **{extra: value})
        assert not Ticket.objects.exists()

    def test_agent_must_name_requester(self, agent):
        with pytest.raises(InvalidInput) as excinfo:
            services.ticket_create(actor=agent, subject="Help", body="Please")
        assert excinfo.value.field == "requester"

    def test_user_without_role_cannot_open(self, make_user):
        nobody = make_user("nobody", role=None)
        with pytest.raises(ActionForbidden):
            services.ticket_create(actor=nobody, subject="Help", body="Please")

    def test_product_manager_cannot_open_for_others(self, product_manager, customer):
        with pytest.raises(ActionForbidden):
            services.ticket_create(actor=product_manager, requester=customer, subject="Help", body="Please")

    @pytest.mark.parametrize(
        ("kwargs", "field"),
        [
            ({"subject": "   "}, "subject"),
            ({"subject": "x" * 201}, "subject"),
            ({"body": " \n\t "}, "body"),
            ({"priority": "critical"}, "priority"),
            ({"priority": 9}, "priority"),
            ({"priority": "²"}, "priority"),
            ({"channel": "fax"}, "channel"),
            ({"tags": ["x" * 51]}, "tags"),
        ],
    )
    def test_bad_input_names_the_field_and_creates_nothing(self, agent, customer, kwargs, field):
        args = {"actor": agent, "requester": customer, "subject": "Help", "body": "Please", **kwargs}
        with pytest.raises(InvalidInput) as excinfo:
            services.ticket_create(**args)
        assert excinfo.value.field == field
        assert not Ticket.objects.exists()
        assert not TicketEvent.objects.exists()

    def test_assignee_must_work_tickets(self, agent, customer, product_manager):
        with pytest.raises(InvalidInput) as excinfo:
            services.ticket_create(
                actor=agent, requester=customer, subject="Help", body="Please", assignee=product_manager
            )
        assert excinfo.value.field == "assignee"

    def test_desk_fields_and_tags_on_create(self, agent, customer, team, feature):
        ticket = services.ticket_create(
            actor=agent,
            requester=customer,
            subject="Help",
            body="Please",
            assignee=agent,
            team=team,
            feature=feature,
            tags=["VIP", "Needs  Info", "vip", " "],
            channel="phone",
            priority=TicketPriority.URGENT,
        )
        ticket.refresh_from_db()
        assert (ticket.assignee_id, ticket.team_id, ticket.feature_id) == (agent.pk, team.pk, feature.pk)
        assert sorted(ticket.tags.values_list("name", flat=True)) == ["needs-info", "vip"]
        assert ticket.channel == "phone" and ticket.priority == 4

    def test_system_create_words_are_the_customers(self, customer):
        ticket = services.ticket_create(actor=None, requester=customer, subject="Imported", body="From mail")
        rows = events_of(ticket)
        assert rows[1].customer_id == customer.pk and rows[1].actor_id is None


class TestNumbers:
    def test_numbers_come_from_the_counter_and_are_consecutive(self, make_ticket):
        first = make_ticket()
        counter = ReferenceCounter.objects.get(name="ticket")
        assert counter.value == first.number
        second, third = make_ticket(), make_ticket()
        assert [second.number, third.number] == [first.number + 1, first.number + 2]
        assert ReferenceCounter.objects.get(name="ticket").value == third.number
        assert third.reference == f"{settings.HELPDESK_REFERENCE_PREFIX}-{third.number}"

    def test_first_number_is_1001(self, make_ticket):
        assert make_ticket().number == 1001

    def test_reserved_block_is_skipped_by_later_tickets(self, make_ticket, agent):
        first = make_ticket()
        start = services.ticket_reserve_numbers(actor=agent, count=10)
        assert start == first.number + 1
        assert make_ticket().number == first.number + 11

    def test_failed_create_does_not_burn_a_number(self, make_ticket, agent, customer):
        first = make_ticket()
        with pytest.raises(InvalidInput):
            services.ticket_create(actor=agent, requester=customer, subject="ok", body="ok", channel="fax")
        assert make_ticket().number == first.number + 1

    def test_numbers_are_unique(self, make_ticket):
        numbers = [make_ticket().number for _ in range(5)]
        assert len(set(numbers)) == 5


# --- clean_* helpers -------------------------------------------------------------------------


class TestCleaning:
    def test_body_limit_is_64_kb_in_utf8_bytes(self):
        from helpdesk.services.tickets import clean_body

        limit = settings.HELPDESK_MAX_BODY_BYTES
        assert limit == 64 * 1024
        assert clean_body("a" * limit) == "a" * limit
        with pytest.raises(InvalidInput) as excinfo:
            clean_body("a" * (limit + 1))
        assert excinfo.value.field == "body"
        # "é" is two bytes: the limit counts bytes, not characters.
        with pytest.raises(InvalidInput):
            clean_body("é" * (limit // 2 + 1))
        # Surrounding whitespace does not count.
        assert clean_body("  " + "a" * limit + "\n\n") == "a" * limit

    def test_body_limit_message_does_not_claim_the_size_equals_the_limit(self):
        from helpdesk.services.tickets import clean_body

        with pytest.raises(InvalidInput) as excinfo:
            clean_body("a" * (64 * 1024 + 1))
        assert "is 65 KB" in excinfo.value.message and "limit is 64 KB" in excinfo.value.message

    @pytest.mark.parametrize("body", [None, "", "   ", "\n\t"])
    def test_empty_body_refused(self, body):
        from helpdesk.services.tickets import clean_body

        with pytest.raises(InvalidInput) as excinfo:
            clean_body(body)
        assert excinfo.value.field == "body"

    def test_body_field_name_is_configurable(self):
        from helpdesk.services.tickets import clean_body

        with pytest.raises(InvalidInput) as excinfo:
            clean_body("", field_name="reply")
        assert excinfo.value.field == "reply"

    def test_tags_are_normalised(self):
        from helpdesk.services.tickets import clean_tags

        assert clean_tags(["  Billing ", "needs   info", "BILLING", "", "   ", "vip"]) == [
            "billing",
            "needs-info",
            "vip",
        ]
        assert clean_tags([]) == []
        assert clean_tags(["x" * 50]) == ["x" * 50]
        with pytest.raises(InvalidInput) as excinfo:
            clean_tags(["x" * 51])
        assert excinfo.value.field == "tags"

    @pytest.mark.parametrize(
        ("raw", "expected"),
        [(None, 2), ("", 2), ("low", 1), ("URGENT", 4), ("3", 3), (4, 4), (TicketPriority.HIGH, 3)],
    )
    def test_priority_names_and_numbers(self, raw, expected):
        from helpdesk.services.tickets import clean_priority

        assert clean_priority(raw) == expected

    @pytest.mark.parametrize("raw", ["0", "5", 0, 99, "critical", "²", "-1", "1.5"])
    def test_bad_priority_names_the_field(self, raw):
        from helpdesk.services.tickets import clean_priority

        with pytest.raises(InvalidInput) as excinfo:
            clean_priority(raw)
        assert excinfo.value.field == "priority"

    def test_subject_whitespace_collapsed(self):
        from helpdesk.services.tickets import clean_subject

        assert clean_subject(" a \n b\t c ") == "a b c"
        assert clean_subject("x" * 200) == "x" * 200


# --- updates: one event per changed field ---------------------------------------------------


class TestUpdate:
    def test_status_change(self, agent, ticket):
        before = len(events_of(ticket))
        services.ticket_update(actor=agent, ticket=ticket, status="pending")
        assert new_events(ticket, before) == [("status", agent.pk, "new", "pending")]

    def test_priority_change_uses_names(self, agent, ticket):
        before = len(events_of(ticket))
        services.ticket_update(actor=agent, ticket=ticket, priority="urgent")
        assert new_events(ticket, before) == [("priority", agent.pk, "normal", "urgent")]
        assert Ticket.objects.get(pk=ticket.pk).priority == TicketPriority.URGENT

    def test_assignee_change_and_unassign(self, agent, agent2, ticket):
        before = len(events_of(ticket))
        services.ticket_update(actor=agent, ticket=ticket, assignee=agent2)
        services.ticket_update(actor=agent, ticket=ticket, assignee=None)
        assert new_events(ticket, before) == [
            ("assignee", agent.pk, "", "agent2"),
            ("assignee", agent.pk, "agent2", ""),
        ]
        assert Ticket.objects.get(pk=ticket.pk).assignee_id is None

    def test_assignee_must_be_able_to_work_tickets(self, agent, ticket, customer, product_manager):
        before = state(ticket)
        for candidate in (customer.user, product_manager):
            with pytest.raises(InvalidInput) as excinfo:
                services.ticket_update(actor=agent, ticket=ticket, assignee=candidate)
            assert excinfo.value.field == "assignee"
        assert state(ticket) == before

    def test_team_change(self, agent, ticket, team, other_team):
        before = len(events_of(ticket))
        services.ticket_update(actor=agent, ticket=ticket, team=team)
        services.ticket_update(actor=agent, ticket=ticket, team=other_team)
        services.ticket_update(actor=agent, ticket=ticket, team=None)
        assert new_events(ticket, before) == [
            ("team", agent.pk, "", "Billing"),
            ("team", agent.pk, "Billing", "Platform"),
            ("team", agent.pk, "Platform", ""),
        ]

    def test_tags_change_is_one_event_with_sorted_lists(self, agent, ticket):
        before = len(events_of(ticket))
        services.ticket_update(actor=agent, ticket=ticket, tags=["Zeta", "alpha"])
        services.ticket_update(actor=agent, ticket=ticket, tags=["alpha", "beta"])
        services.ticket_update(actor=agent, ticket=ticket, tags=[])
        assert new_events(ticket, before) == [
            ("tags", agent.pk, "", "alpha zeta"),
            ("tags", agent.pk, "alpha zeta", "alpha beta"),
            ("tags", agent.pk, "alpha beta", ""),
        ]
        assert not Ticket.objects.get(pk=ticket.pk).tags.exists()
        # Tags are shared rows, created once.
        assert sorted(Tag.objects.values_list("name", flat=True)) == ["alpha", "beta", "zeta"]

    def test_feature_change(self, agent, ticket, feature):
        before = len(events_of(ticket))
        services.ticket_update(actor=agent, ticket=ticket, feature=feature)
        services.ticket_update(actor=agent, ticket=ticket, feature=None)
        assert new_events(ticket, before) == [
            ("feature", agent.pk, "", "billing.invoices"),
            ("feature", agent.pk, "billing.invoices", ""),
        ]

    def test_subject_change(self, agent, ticket):
        before = len(events_of(ticket))
        services.ticket_update(actor=agent, ticket=ticket, subject="  Invoice  PDF blank ")
        assert new_events(ticket, before) == [("subject", agent.pk, "Invoice PDF is empty", "Invoice PDF blank")]

    def test_several_fields_one_version_one_event_each(self, agent, agent2, ticket, team, feature):
        before = len(events_of(ticket))
        updated = services.ticket_update(
            actor=agent,
            ticket=ticket,
            expected_version=1,
            subject="New subject",
            status="open",
            priority="high",
            assignee=agent2,
            team=team,
            tags=["a"],
            feature=feature,
        )
        assert updated.version == 2
        kinds = sorted(kind for kind, *_ in new_events(ticket, before))
        assert kinds == sorted(["subject", "status", "priority", "assignee", "team", "tags", "feature"])
        # All rows of one change share the ticket's new timestamp.
        fresh = Ticket.objects.get(pk=ticket.pk)
        assert {e.created_at for e in events_of(ticket)[before:]} == {fresh.updated_at}

    def test_version_bumps_once_per_change(self, agent, ticket):
        services.ticket_update(actor=agent, ticket=ticket, priority="low")
        services.ticket_update(actor=agent, ticket=ticket, priority="high", status="open")
        services.ticket_message_post(actor=agent, ticket=ticket, body="Hello")
        assert Ticket.objects.get(pk=ticket.pk).version == 4

    def test_returned_ticket_is_current(self, agent, ticket):
        updated = services.ticket_update(actor=agent, ticket=ticket, priority="low")
        fresh = Ticket.objects.get(pk=ticket.pk)
        assert (updated.version, updated.priority, updated.updated_at) == (fresh.version, 1, fresh.updated_at)

    @pytest.mark.parametrize(
        "kwargs",
        [
            {},
            {"status": "new"},
            {"priority": "normal"},
            {"priority": 2},
            {"subject": "Invoice  PDF is empty "},
            {"assignee": None},
            {"team": None},
            {"feature": None},
            {"tags": []},
            {"tags": ["  "]},
        ],
    )
    def test_no_op_writes_nothing(self, agent, ticket, kwargs, sent, django_capture_on_commit_callbacks):
        before = state(ticket)
        with django_capture_on_commit_callbacks(execute=True) as callbacks:
            result = services.ticket_update(actor=agent, ticket=ticket, expected_version=1, **kwargs)
        assert result.version == 1
        assert state(ticket) == before
        assert callbacks == [] and sent == []

    def test_no_op_with_same_tags_in_other_order(self, agent, ticket):
        services.ticket_update(actor=agent, ticket=ticket, tags=["b", "a"])
        before = state(ticket)
        services.ticket_update(actor=agent, ticket=ticket, tags=["A", "b", "a"])
        assert state(ticket) == before

    def test_no_op_with_same_assignee_team_feature(self, agent, ticket, team, feature):
        services.ticket_update(actor=agent, ticket=ticket, assignee=agent, team=team, feature=feature)
        before = state(ticket)
        services.ticket_update(actor=agent, ticket=ticket, assignee=agent, team=team, feature=feature)
        assert state(ticket) == before

    def test_bad_field_in_combined_update_writes_nothing(self, agent, ticket):
        before = state(ticket)
        with pytest.raises(InvalidInput) as excinfo:
            services.ticket_update(actor=agent, ticket=ticket, priority="low", tags=["ok", "x" * 60])
        assert excinfo.value.field == "tags"
        assert state(ticket) == before

    def test_stale_version_carries_current_and_writes_nothing(self, agent, agent2, ticket, sent, django_capture_on_commit_callbacks):
        services.ticket_update(actor=agent2, ticket=ticket, priority="high")
        before = state(ticket)
        with django_capture_on_commit_callbacks(execute=True) as callbacks:
            with pytest.raises(StaleVersion) as excinfo:
                services.ticket_update(actor=agent, ticket=ticket, expected_version=1, priority="low", status="open")
        current = excinfo.value.current
        assert isinstance(current, Ticket)
        assert current.pk == ticket.pk and current.version == 2 and current.priority == TicketPriority.HIGH
        assert "version 1" in excinfo.value.message and ticket.reference in excinfo.value.message
        assert state(ticket) == before
        assert callbacks == [] and sent == []

    def test_current_version_is_accepted_even_from_stale_object(self, agent, agent2, ticket):
        services.ticket_update(actor=agent2, ticket=ticket, priority="high")
        # ``ticket`` is the stale in-memory object; the version given is what counts.
        updated = services.ticket_update(actor=agent, ticket=ticket, expected_version=2, priority="low")
        assert updated.version == 3

    def test_without_expected_version_applies_to_current_state(self, agent, agent2, ticket):
        services.ticket_update(actor=agent2, ticket=ticket, priority="high")
        updated = services.ticket_update(actor=agent, ticket=ticket, status="open")
        assert (updated.version, updated.priority, updated.status) == (3, TicketPriority.HIGH, "open")


# --- customers ---------------------------------------------------------------------------------


class TestCustomerRights:
    def test_customer_can_mark_own_ticket_solved(self, customer, ticket):
        before = len(events_of(ticket))
        services.ticket_update(actor=customer.user, ticket=ticket, status="solved")
        assert new_events(ticket, before) == [("status", customer.user_id, "new", "solved")]

    @pytest.mark.parametrize("status", ["open", "pending", "on_hold", "closed"])
    def test_customer_cannot_set_other_statuses(self, customer, ticket, status):
        before = state(ticket)
        with pytest.raises(ActionForbidden) as excinfo:
            services.ticket_update(actor=customer.user, ticket=ticket, status=status)
        assert excinfo.value.field == "status"
        assert state(ticket) == before

    @pytest.mark.parametrize("field", ["subject", "priority", "assignee", "team", "tags", "feature"])
    def test_customer_cannot_change_fields(self, customer, ticket, agent, field):
        value = {"subject": "Mine", "priority": "urgent", "assignee": agent, "team": None, "tags": ["x"], "feature": None}
        before = state(ticket)
        with pytest.raises(ActionForbidden) as excinfo:
            services.ticket_update(actor=customer.user, ticket=ticket, **{field: value[field]})
        assert excinfo.value.field == field
        assert state(ticket) == before

    def test_customer_cannot_sneak_fields_in_with_solved(self, customer, ticket):
        before = state(ticket)
        with pytest.raises(ActionForbidden) as excinfo:
            services.ticket_update(actor=customer.user, ticket=ticket, status="solved", priority="urgent")
        assert excinfo.value.field == "priority"
        assert state(ticket) == before

    def test_other_customer_gets_not_found(self, customer2, ticket):
        before = state(ticket)
        with pytest.raises(NotFound):
            services.ticket_update(actor=customer2.user, ticket=ticket, status="solved")
        with pytest.raises(NotFound):
            services.ticket_message_post(actor=customer2.user, ticket=ticket, body="Me too")
        assert state(ticket) == before

    def test_user_without_role_gets_not_found(self, make_user, ticket):
        nobody = make_user("nobody", role=None)
        with pytest.raises(NotFound):
            services.ticket_update(actor=nobody, ticket=ticket, priority="low")
        with pytest.raises(NotFound):
            services.ticket_message_post(actor=nobody, ticket=ticket, body="Hi")

    def test_inactive_agent_gets_not_found(self, agent2, ticket):
        agent2.is_active = False
        with pytest.raises(NotFound):
            services.ticket_update(actor=agent2, ticket=ticket, priority="low")

    def test_product_manager_may_not_change_fields(self, product_manager, ticket):
        before = state(ticket)
        with pytest.raises(ActionForbidden):
            services.ticket_update(actor=product_manager, ticket=ticket, priority="low")
        assert state(ticket) == before


# --- bulk -----------------------------------------------------------------------------------------


class TestBulk:
    def test_applies_the_rest_and_reports_skips_with_reasons(self, agent, make_ticket):
        a, b, c = make_ticket(), make_ticket(), make_ticket()
        services.ticket_update(actor=None, ticket=b, status="solved")
        services.ticket_update(actor=None, ticket=b, status="closed")
        result = services.ticket_bulk_update(actor=agent, tickets=[a, b, c], status="pending")
        assert result.updated == [a.reference, c.reference]
        assert list(result.skipped) == [b.reference]
        assert "closed" in result.skipped[b.reference]
        statuses = dict(Ticket.objects.values_list("number", "status"))
        assert statuses == {a.number: "pending", b.number: "closed", c.number: "pending"}
        assert TicketEvent.objects.filter(kind="status", new_value="pending").count() == 2

    def test_bulk_assign_and_priority_one_version_each(self, agent, agent2, make_ticket):
        tickets = [make_ticket(), make_ticket()]
        result = services.ticket_bulk_update(actor=agent, tickets=tickets, assignee=agent2, priority="high")
        assert result.skipped == {}
        for t in Ticket.objects.all():
            assert (t.assignee_id, t.priority, t.version) == (agent2.pk, 3, 2)
        assert TicketEvent.objects.filter(kind__in=["assignee", "priority"]).count() == 4

    def test_bad_assignee_skips_every_ticket(self, agent, customer, make_ticket):
        tickets = [make_ticket(), make_ticket()]
        result = services.ticket_bulk_update(actor=agent, tickets=tickets, assignee=customer.user)
        assert result.updated == []
        assert set(result.skipped) == {t.reference for t in tickets}
        assert not Ticket.objects.filter(assignee__isnull=False).exists()

    def test_customer_cannot_bulk_update(self, customer, ticket):
        with pytest.raises(ActionForbidden):
            services.ticket_bulk_update(actor=customer.user, tickets=[ticket], status="solved")
        assert Ticket.objects.get(pk=ticket.pk).status == "new"

    def test_events_only_for_applied_tickets(self, agent, make_ticket, sent, django_capture_on_commit_callbacks):
        a, b = make_ticket(), make_ticket()
        services.ticket_update(actor=None, ticket=b, status="solved")
        services.ticket_update(actor=None, ticket=b, status="closed")
        with django_capture_on_commit_callbacks(execute=True):
            services.ticket_bulk_update(actor=agent, tickets=[a, b], status="open")
        assert [payload["ticket"] for _, payload in sent if payload["type"] == "ticket.changed"] == [a.reference]
        desk = [payload for _, payload in sent if payload["type"] == "desk.tickets_changed"]
        assert [[line["ticket"] for line in payload["tickets"]] for payload in desk] == [[a.reference]]


# --- auto-close ----------------------------------------------------------------------------------


class TestCloseSolved:
    def test_closes_only_solved_older_than_n_days_with_an_audit_row_each(self, make_ticket):
        from datetime import timedelta

        from django.utils import timezone

        old_solved, recent_solved, old_open, old_pending = (make_ticket() for _ in range(4))
        for t in (old_solved, recent_solved):
            services.ticket_update(actor=None, ticket=t, status="solved")
        services.ticket_update(actor=None, ticket=old_open, status="open")
        services.ticket_update(actor=None, ticket=old_pending, status="pending")
        now = timezone.now()
        # Backdate through the queryset: there is (rightly) no service to rewrite history.
        Ticket.objects.filter(pk=old_solved.pk).update(solved_at=now - timedelta(days=5))
        Ticket.objects.filter(pk=recent_solved.pk).update(solved_at=now - timedelta(days=3))

        assert services.ticket_close_solved(older_than_days=4, now=now) == 1

        closed = Ticket.objects.get(pk=old_solved.pk)
        assert (closed.status, closed.closed_at, closed.updated_at, closed.version) == ("closed", now, now, 3)
        assert Ticket.objects.get(pk=recent_solved.pk).status == "solved"
        assert Ticket.objects.get(pk=old_open.pk).status == "open"
        assert Ticket.objects.get(pk=old_pending.pk).status == "pending"
        audit = TicketEvent.objects.filter(ticket=old_solved, kind="status").order_by("id").last()
        assert (audit.old_value, audit.new_value, audit.actor_id) == ("solved", "closed", None)
        assert "4 days" in audit.body
        assert TicketEvent.objects.filter(kind="status", new_value="closed").count() == 1

        # Idempotent: a second run closes nothing and writes nothing.
        events_before = TicketEvent.objects.count()
        assert services.ticket_close_solved(older_than_days=4, now=now) == 0
        assert TicketEvent.objects.count() == events_before

    def test_default_days_from_settings_and_many_tickets(self, make_ticket, settings):
        from datetime import timedelta

        from django.utils import timezone

        settings.HELPDESK_AUTO_CLOSE_DAYS = 2
        tickets = [make_ticket() for _ in range(3)]
        for t in tickets:
            services.ticket_update(actor=None, ticket=t, status="solved")
        Ticket.objects.update(solved_at=timezone.now() - timedelta(days=2, minutes=1))
        assert services.ticket_close_solved() == 3
        assert set(Ticket.objects.values_list("status", flat=True)) == {"closed"}
        assert TicketEvent.objects.filter(new_value="closed").count() == 3


# --- events only after commit ---------------------------------------------------------------------


class TestOnCommit:
    def test_event_sent_only_after_commit(self, agent, ticket, sent, django_capture_on_commit_callbacks):
        with django_capture_on_commit_callbacks(execute=True) as callbacks:
            services.ticket_update(actor=agent, ticket=ticket, status="open")
            assert sent == [], "nothing leaves before the transaction commits"
        assert len(callbacks) == 1
        groups, payload = sent[0]
        assert groups == [events.ticket_group(ticket.pk)]
        assert payload["changes"] == ["status"] and payload["version"] == 2

    def test_nothing_sent_when_outer_transaction_rolls_back(self, agent, ticket, sent, django_capture_on_commit_callbacks):
        class Boom(Exception):
            pass

        with django_capture_on_commit_callbacks(execute=True) as callbacks:
            with pytest.raises(Boom):
                with transaction.atomic():
                    services.ticket_update(actor=agent, ticket=ticket, status="open")
                    services.ticket_message_post(actor=agent, ticket=ticket, body="hello")
                    raise Boom
        assert callbacks == [] and sent == []
        assert Ticket.objects.get(pk=ticket.pk).version == 1

    def test_nothing_sent_for_a_refused_message(self, customer, ticket, sent, django_capture_on_commit_callbacks):
        with django_capture_on_commit_callbacks(execute=True) as callbacks:
            with pytest.raises(ActionForbidden):
                services.ticket_message_post(actor=customer.user, ticket=ticket, body="psst", internal=True)
        assert callbacks == [] and sent == []

    def test_create_sends_one_event_after_commit(self, agent, customer, sent, django_capture_on_commit_callbacks):
        with django_capture_on_commit_callbacks(execute=True) as callbacks:
            ticket = services.ticket_create(actor=agent, requester=customer, subject="S", body="B")
            assert sent == []
        assert len(callbacks) == 1
        assert sent[0][1]["changes"] == ["created"] and sent[0][1]["ticket"] == ticket.reference

