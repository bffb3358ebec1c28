"""``manage.py seed_demo``: the demo accounts, directory, products and authentic ticket timelines."""

from __future__ import annotations

import re
from datetime import timedelta
from io import StringIO
from pathlib import Path

import pytest
from django.contrib.auth import authenticate, get_user_model
from django.contrib.auth.models import Group
from django.core.management import CommandError, call_command
from django.db import connection
from django.test import override_settings
from django.utils import timezone

from helpdesk import roles, services
from helpdesk.demo import bulk_load
from helpdesk.errors import InvalidInput
from helpdesk.models import Customer, Organization, ReferenceCounter, Tag, Team, Ticket, TicketEvent, TicketStatus
from helpdesk.selectors import TicketFilters, ticket_list

Feature = Ticket._meta.get_field("feature").related_model
Product = Feature._meta.get_field("product").related_model


@pytest.fixture(autouse=True)
def demo_settings(settings):
    # Tests run with DEBUG off, where seed_demo refuses without --force (tested below).
    settings.DEBUG = True


def seed(*args: str) -> str:
    out = StringIO()
    call_command("seed_demo", "--demo-tickets", "30", *args, stdout=out)
    return out.getvalue()


def snapshot() -> dict[str, object]:
    User = get_user_model()
    return {
        "users": User.objects.count(),
        "groups": Group.objects.count(),
        "passwords": sorted(User.objects.values_list("username", "password")),
        "organizations": sorted(Organization.objects.values_list("name", "is_key_account", "notes")),
        "customers": Customer.objects.count(),
        "teams": sorted((t.name, sorted(t.members.values_list("username", flat=True))) for t in Team.objects.all()),
        "products": Product.objects.count(),
        "features": sorted(Feature.objects.values_list("key", "owner__username")),
        "tickets": Ticket.objects.count(),
        "events": TicketEvent.objects.count(),
        "tags": Tag.objects.count(),
        "tag_links": Ticket.tags.through.objects.count(),
        "counters": sorted(ReferenceCounter.objects.values_list("name", "value")),
    }


@pytest.mark.django_db
def test_demo_accounts_have_their_roles_and_password_demo():
    seed()
    expected = {
        "agent": roles.AGENTS,
        "agent2": roles.AGENTS,
        "pm": roles.PRODUCT_MANAGERS,
        "manager": roles.SUPPORT_MANAGERS,
        "customer": roles.CUSTOMERS,
        "customer2": roles.CUSTOMERS,
    }
    for username, role in expected.items():
        user = authenticate(username=username, password="demo")
        assert user is not None, f"{username} cannot sign in with 'demo'"
        assert list(user.groups.values_list("name", flat=True)) == [role]
        assert user.first_name and user.last_name, f"{username} has no realistic name"
    User = get_user_model()
    assert User.objects.get(username="manager").is_staff
    assert not User.objects.get(username="agent").is_staff
    assert User.objects.get(username="agent").has_perm("helpdesk.work_tickets")
    assert not User.objects.get(username="pm").has_perm("helpdesk.work_tickets")


@pytest.mark.django_db
def test_the_two_portal_customers_belong_to_different_organizations():
    seed()
    first = Customer.objects.select_related("organization").get(user__username="customer")
    second = Customer.objects.select_related("organization").get(user__username="customer2")
    assert first.organization is not None and second.organization is not None
    assert first.organization_id != second.organization_id


@pytest.mark.django_db
def test_directory_teams_organizations_customers_and_products():
    out = seed()
    assert 10 <= Organization.objects.count() <= 15
    key_accounts = Organization.objects.filter(is_key_account=True)
    assert 2 <= key_accounts.count() <= 4
    assert min(o.annual_value for o in key_accounts) > max(
        o.annual_value for o in Organization.objects.filter(tier=Organization.Tier.STANDARD)
    )
    assert 50 <= Customer.objects.count() <= 70
    assert Customer.objects.values("organization").distinct().count() == Organization.objects.count()
    assert {"Billing", "Technical support", "Mobile"} <= set(Team.objects.values_list("name", flat=True))
    members = set(Team.objects.values_list("members__username", flat=True))
    assert {"agent", "agent2"} <= members
    # The escalations app's hook ran after the pm existed, so the pm owns the features.
    assert Product.objects.count() >= 3
    assert Feature.objects.count() >= 8
    assert set(Feature.objects.values_list("owner__username", flat=True)) == {"pm"}
    assert "products and features" in out


@pytest.mark.django_db
def test_demo_tickets_have_authentic_ordered_timelines():
    seed()
    now = timezone.now()
    tickets = list(Ticket.objects.prefetch_related("events"))
    # The live chat app's demo adds its three chats' tickets to the 30.
    from livelisten.models import ChatSession

    chats = set(ChatSession.objects.values_list("ticket_id", flat=True))
    assert len(chats) == 3 and len([t for t in tickets if t.pk not in chats]) == 30
    assert {t.status for t in tickets} == set(TicketStatus.values)
    assert min(t.created_at for t in tickets) < now - timedelta(days=5)
    for ticket in tickets:
        events = sorted(ticket.events.all(), key=lambda e: e.pk)
        kinds = [e.kind for e in events]
        assert kinds[:2] == [TicketEvent.Kind.CREATED, TicketEvent.Kind.REPLY], ticket.reference
        assert events[1].body.strip()
        times = [e.created_at for e in events]
        assert times == sorted(times), f"{ticket.reference} timeline out of order"
        assert ticket.created_at == times[0]
        # Lines about linked work (an escalation) are the desk's and do not change "last activity".
        activity = [e.created_at for e in events if e.kind != TicketEvent.Kind.LINKED_WORK]
        assert ticket.updated_at == activity[-1] <= now
        if ticket.status != TicketStatus.NEW:
            assert ticket.first_response_at is not None and ticket.created_at < ticket.first_response_at
        if ticket.status in (TicketStatus.SOLVED, TicketStatus.CLOSED):
            assert ticket.first_response_at <= ticket.solved_at
        if ticket.status == TicketStatus.CLOSED:
            assert ticket.solved_at < ticket.closed_at == ticket.updated_at
            assert events[-1].kind == TicketEvent.Kind.STATUS and events[-1].new_value == TicketStatus.CLOSED
        # The last status change recorded is the status the ticket has.
        changes = [e for e in events if e.kind == TicketEvent.Kind.STATUS]
        if changes:
            assert changes[-1].new_value == ticket.status
    assert TicketEvent.objects.filter(kind=TicketEvent.Kind.NOTE).exists()
    # Solved demo tickets were solved recently: the hourly auto-close has nothing to do yet.
    assert services.ticket_close_solved(actor=None) == 0


@pytest.mark.django_db
def test_demo_customer_and_agent_have_tickets_to_show():
    seed()
    mine = Ticket.objects.filter(requester__user__username="customer")
    assert mine.count() >= 8
    assert mine.values("status").distinct().count() >= 5
    answered = mine.filter(events__kind=TicketEvent.Kind.REPLY, events__customer__isnull=True).distinct()
    assert answered.count() >= 4
    assert Ticket.objects.filter(assignee__username="agent").count() >= 5
    assert Ticket.objects.filter(assignee__username="agent", status__in=["open", "pending", "on_hold"]).exists()


@pytest.mark.django_db
def test_second_run_changes_nothing():
    seed()
    before = snapshot()
    out = seed()
    assert snapshot() == before
    assert "already seeded" in out


@pytest.mark.django_db
def test_refuses_known_passwords_when_debug_is_off():
    with override_settings(DEBUG=False):
        with pytest.raises(CommandError, match="--force"):
            seed()
        assert not get_user_model().objects.exists()
        call_command("seed_demo", "--force", "--demo-tickets", "0", stdout=StringIO())
    assert authenticate(username="agent", password="demo") is not None


@pytest.mark.django_db
def test_bulk_tickets_continue_numbering_and_have_timelines():
    seed()
    counter_before = ReferenceCounter.objects.get(name="ticket").value
    existing = set(Ticket.objects.values_list("pk", flat=True))
    out = seed("--tickets", "500")
    bulk = Ticket.objects.exclude(pk__in=existing)
    assert bulk.count() == 500
    numbers = sorted(bulk.values_list("number", flat=True))
    assert numbers == list(range(counter_before + 1, counter_before + 501))
    assert "500 tickets" in out

    events_by_ticket: dict[int, list[TicketEvent]] = {}
    for event in TicketEvent.objects.filter(ticket__in=bulk).order_by("id"):
        events_by_ticket.setdefault(event.ticket_id, []).append(event)
    assert len(events_by_ticket) == 500
    for ticket in bulk:
        events = events_by_ticket[ticket.pk]
        assert 2 <= len(events) <= 4
        assert [e.kind for e in events[:2]] == [TicketEvent.Kind.CREATED, TicketEvent.Kind.REPLY]
        assert events[1].customer_id == ticket.requester_id and events[1].body
        assert ticket.created_at == events[0].created_at <= ticket.updated_at
        assert ticket.organization_id == ticket.requester.organization_id
    statuses = list(bulk.values_list("status", flat=True))
    done = sum(s in (TicketStatus.CLOSED, TicketStatus.SOLVED) for s in statuses)
    assert 0.65 < done / 500 < 0.92
    assert set(statuses) == set(TicketStatus.values)
    tags_per_ticket = [len(t.tags.all()) for t in bulk.prefetch_related("tags")]
    assert max(tags_per_ticket) <= 3 and 0 in tags_per_ticket
    assert services.ticket_close_solved(actor=None) == 0

    # A ticket made the normal way afterwards gets the next number.
    agent = get_user_model().objects.get(username="agent")
    fresh = services.ticket_create(
        actor=agent, requester=Customer.objects.first(), subject="After the bulk load", body="Still numbered?"
    )
    assert fresh.number == counter_before + 501


@pytest.mark.django_db
@pytest.mark.postgresql
def test_bulk_load_with_index_rebuild_keeps_the_schema():
    """The PostgreSQL path that drops indexes and foreign keys puts back exactly what was there."""
    seed()

    def schema():
        with connection.cursor() as cursor:
            cursor.execute(
                "SELECT indexrelid::regclass::text, pg_get_indexdef(indexrelid) FROM pg_index "
                "WHERE indrelid IN ('helpdesk_ticket'::regclass, 'helpdesk_ticketevent'::regclass, "
                "'helpdesk_ticket_tags'::regclass)"
            )
            # Recreated partial-index predicates deparse with extra casts
            # (('reply'::varchar)::text); the same predicate either way.
            indexes = {(name, re.sub(r"::(text|character varying)(\[\])?|[()]", "", sql)) for name, sql in cursor}
            cursor.execute(
                "SELECT conname, pg_get_constraintdef(oid) FROM pg_constraint WHERE conrelid IN "
                "('helpdesk_ticket'::regclass, 'helpdesk_ticketevent'::regclass, 'helpdesk_ticket_tags'::regclass)"
            )
            return indexes | set(cursor.fetchall())

    before = schema()
    result = bulk_load.ticket_bulk_load(actor=None, count=40, rebuild_indexes=True)
    assert result.method == "copy+rebuild"
    assert result.tickets == 40 and result.events >= 80
    assert schema() ^ before == set()
    # The planner can still use the rebuilt partial full-text index.
    with connection.cursor() as cursor:
        cursor.execute("SET LOCAL enable_seqscan = off")
        cursor.execute(
            "EXPLAIN SELECT ticket_id FROM helpdesk_ticketevent WHERE kind IN ('reply', 'note') "
            "AND to_tsvector('english'::regconfig, body) @@ websearch_to_tsquery('english', 'invoice')"
        )
        assert "ticketevent_body_fts" in " ".join(row[0] for row in cursor.fetchall())
    # Search still finds the new rows through the rebuilt full-text indexes.
    last = Ticket.objects.get(number=result.first_number + 39)
    word = max(last.subject.split(), key=len)
    agent = get_user_model().objects.get(username="agent")
    page = ticket_list(user=agent, filters=TicketFilters(q=word), page_size=100)
    assert page.items


@pytest.mark.django_db
def test_backdating_refuses_to_reorder_a_timeline(make_ticket, agent):
    ticket = make_ticket()
    services.ticket_message_post(actor=agent, ticket=ticket, body="Looking into it.")
    ids = list(TicketEvent.objects.filter(ticket=ticket).order_by("id").values_list("id", flat=True))
    now = timezone.now()
    with pytest.raises(InvalidInput):
        bulk_load.ticket_backdate_demo(
            actor=None, ticket=ticket, event_times={ids[0]: now - timedelta(days=1), ids[-1]: now - timedelta(days=2)}
        )
    moved = bulk_load.ticket_backdate_demo(
        actor=None, ticket=ticket, event_times={pk: now - timedelta(days=3, minutes=-i) for i, pk in enumerate(ids)}
    )
    assert moved.created_at == now - timedelta(days=3)
    assert moved.first_response_at == now - timedelta(days=3, minutes=-(len(ids) - 2))
    assert moved.updated_at == now - timedelta(days=3, minutes=-(len(ids) - 1))


def test_ticketing_demo_code_never_imports_escalations():
    root = Path(__file__).resolve().parents[2] / "helpdesk"
    for path in [*(root / "demo").glob("*.py"), *(root / "management" / "commands").glob("*.py")]:
        text = path.read_text()
        assert "from escalations" not in text and "import escalations" not in text, path


@pytest.mark.django_db
def test_every_configuration_screen_is_reachable_by_a_demo_account(client):
    """The manager reaches the desk's configuration (and the audit log); the demo superuser the rest."""
    from django.contrib import admin

    seed("--demo-tickets", "0")
    manager_pages, superuser_pages = [], []
    for model in admin.site._registry:
        opts = model._meta
        listing = f"/admin/{opts.app_label}/{opts.model_name}/"
        pages = [listing]
        if opts.model_name not in ("ticket", "auditevent", "apitoken", "outboundemail", "inboundemail", "mailtemplate",
                                   "webhookdelivery"):
            # (read-only lists; email templates have one row per built-in email)
            pages.append(listing + "add/")
        for page in pages:
            client.force_login(get_user_model().objects.get(username="manager"))
            if client.get(page).status_code == 200:
                manager_pages.append(page)
                continue
            assert client.login(username="admin", password="demo"), "the demo superuser signs in with 'demo'"
            assert client.get(page).status_code == 200, f"no demo account reaches {page}"
            superuser_pages.append(page)

    for page in ("/admin/auth/user/", "/admin/auth/user/add/", "/admin/escalations/feature/add/",
                 "/admin/escalations/product/add/", "/admin/helpdesk/team/add/", "/admin/helpdesk/auditevent/",
                 "/admin/helpdesk/outboundemail/", "/admin/helpdesk/inboundemail/", "/admin/helpdesk/mailtemplate/"):
        assert page in manager_pages, f"{page} needs a superuser"
    # Only the contents of roles need the superuser.
    assert "/admin/auth/group/add/" in superuser_pages
    client.force_login(get_user_model().objects.get(username="manager"))
    assert client.get("/audit/").status_code == 200
    admin_user = get_user_model().objects.get(username="admin")
    assert admin_user.is_superuser and admin_user.is_staff


@pytest.mark.django_db
def test_the_demo_history_is_not_emailed_but_new_replies_are():
    from helpdesk.mail.models import OutboundEmail

    output = seed()
    assert OutboundEmail.objects.filter(status="pending").count() == 0
    held = OutboundEmail.objects.filter(status="failed", last_error__startswith="Demo history")
    assert held.exists() and f"{held.count()} emails of the demo history kept in the outbox as not sent" in output
    agent = get_user_model().objects.get(username="agent")
    ticket = Ticket.objects.filter(status="open").first()
    services.ticket_message_post(actor=agent, ticket=ticket, body="A new reply in the demo.")
    assert OutboundEmail.objects.filter(status="pending", body_text__contains="A new reply in the demo.").exists()
