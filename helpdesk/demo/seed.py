"""What ``manage.py seed_demo`` does, in order, as functions the benchmark can call too."""

from __future__ import annotations

import random
import secrets
from dataclasses import dataclass

from django.apps import apps
from django.contrib.auth import get_user_model
from django.utils import timezone

from helpdesk import roles, services
from helpdesk.demo import bulk_load, directory
from helpdesk.demo.conversations import Cast, seed_conversations
from helpdesk.demo.corpus import FIRST_NAMES, LAST_NAMES
from helpdesk.demo.factory import LongConversation, TicketFactory
from helpdesk.models import Customer, Organization, Ticket


@dataclass
class Directory:
    users: dict
    organizations: dict
    teams: dict
    customers: list[Customer]


def seed_directory(*, stdout) -> Directory:
    """Roles, the demo accounts, teams, organizations and customers (idempotent)."""
    users = directory.ensure_accounts()
    organizations = directory.ensure_organizations()
    teams = directory.ensure_teams(users)
    customers = directory.ensure_customers(users, organizations)
    stdout.write(
        f"  accounts: {', '.join(directory.DEMO_USERNAMES)} (password {directory.DEMO_PASSWORD!r}); "
        f"{len(teams)} teams, {len(organizations)} organizations, {len(customers)} customers"
    )
    return Directory(users=users, organizations=organizations, teams=teams, customers=customers)


def run_app_hooks(*, stdout, stage: str = "seed_demo") -> None:
    """Every installed app may add its own demo data: ``seed_demo`` before the tickets (escalations:
    products and features), ``seed_demo_after_tickets`` once they exist (escalations linked to them)."""
    for app_config in apps.get_app_configs():
        hook = getattr(app_config, stage, None)
        if callable(hook):
            hook(stdout=stdout)


def seed_demo_tickets(*, seeded: Directory, count: int, stdout) -> int:
    if count <= 0:
        return 0
    users = seeded.users
    # The ticketing app reaches products only through the ticket's foreign key.
    feature_model = Ticket._meta.get_field("feature").related_model
    customers = list(
        Customer.objects.filter(pk__in=[c.pk for c in seeded.customers]).select_related("organization", "user")
    )
    cast = Cast(
        agents=[users["agent"], users["agent2"]],
        manager=users["manager"],
        customers=customers,
        portal_users={c.pk: c.user for c in customers if c.user_id is not None},
        teams=seeded.teams,
        features={f.key: f for f in feature_model.objects.all()},
    )
    started = timezone.now()
    played = seed_conversations(cast=cast, count=count, stdout=stdout)
    run_app_hooks(stdout=stdout, stage="seed_demo_after_tickets")
    # The history is played through the services, which queue its replies for email: the
    # demo's customers (made-up addresses) must not get months of history at once.
    discarded = services.outbox_discard_pending(
        actor=None, created_since=started, reason="Demo history (seed_demo): not sent."
    )
    stdout.write(f"  {discarded} emails of the demo history kept in the outbox as not sent.")
    return played


# --- people for large generated loads --------------------------------------------------------

EXTRA_AGENTS = 8
LONG_TAIL_ORGANIZATIONS = 120
MAX_BULK_CUSTOMERS = 5_000
_ORG_WORDS = (
    ("Alder", "Birch", "Cobalt", "Delta", "Ember", "Fjord", "Granite", "Heron", "Indigo", "Juniper", "Kite", "Lark",
     "Maple", "Nimbus", "Onyx", "Pioneer", "Quarry", "Riverside", "Summit", "Tundra"),
    ("Logistics", "Dental", "Studios", "Foods", "Legal", "Energy", "Robotics", "Travel", "Clinics", "Builders",
     "Media", "Outdoor", "Insurance", "Labs", "Farms", "Retail"),
)


def prepare_bulk_pool(*, total: int, stdout) -> None:
    """Enough agents, organizations and customers for ``total`` generated tickets.

    Small loads use the demo people; large ones get more agents (so "my
    tickets" stays a realistic share), a long tail of small organizations and a
    few thousand customers. Deterministic names make repeated calls add nothing.
    """
    rng = random.Random(99)
    if total >= 20_000:
        User = get_user_model()
        teams = services.team_ensure(actor=None, name="Technical support"), services.team_ensure(actor=None, name="Billing")
        made = 0
        for index in range(EXTRA_AGENTS):
            first, last = FIRST_NAMES[(index * 7) % len(FIRST_NAMES)], LAST_NAMES[(index * 11) % len(LAST_NAMES)]
            username = directory.email_local_part(first, last)
            if User.objects.filter(username=username).exists():
                continue
            # Staff for load tests only: nobody knows the password.
            user = services.user_ensure(
                actor=None,
                username=username,
                password=secrets.token_urlsafe(24),
                email=f"{username}@{directory.STAFF_DOMAIN}",
                first_name=first,
                last_name=last,
                role=roles.AGENTS,
            )
            services.team_ensure(actor=None, name=teams[index % 2].name, members=[user])
            made += 1
        for index in range(LONG_TAIL_ORGANIZATIONS):
            first, second = _ORG_WORDS[0][index % 20], _ORG_WORDS[1][(index * 3 + index // 20) % 16]
            name = f"{first} {second}"
            services.organization_ensure(
                actor=None,
                name=name,
                domain=f"{first.lower()}-{second.lower()}.example",
                tier=Organization.Tier.STANDARD if index % 9 else Organization.Tier.PREMIUM,
                annual_value=rng.randrange(1_200, 40_000),
                lifetime_value=rng.randrange(2_000, 120_000),
            )
        if made:
            stdout.write(f"  bulk pool: {made} more agents")
    wanted = min(MAX_BULK_CUSTOMERS, total // 150)
    have = Customer.objects.filter(user__isnull=True, email__startswith="bulk.").count()
    if wanted > have:
        organizations = list(Organization.objects.order_by("id").values_list("id", "domain", "tier"))
        # Enterprise accounts have many people writing in; small shops one or two.
        weights = [8 if tier == "enterprise" else 3 if tier == "premium" else 1 for _, _, tier in organizations]
        rows = []
        for index in range(have, wanted):
            first, last = rng.choice(FIRST_NAMES), rng.choice(LAST_NAMES)
            org_id, domain, _ = rng.choices(organizations, weights=weights)[0]
            rows.append(
                {
                    "name": f"{first} {last}",
                    "email": f"bulk.{directory.email_local_part(first, last)}.{index}@{domain or 'customer.example'}",
                    "organization_id": org_id,
                }
            )
        created = bulk_load.customer_bulk_create(actor=None, customers=rows)
        stdout.write(f"  bulk pool: {created} more customers")


def seed_bulk_tickets(*, count: int, stdout, seed: int = 1, batch_size: int = 25_000):
    """``count`` generated tickets through the bulk loader, with progress and rate."""
    prepare_bulk_pool(total=count + Ticket.objects.count(), stdout=stdout)
    factory = TicketFactory.from_database(seed=seed + Ticket.objects.count())
    step = max(batch_size, count // 20)
    marks = {"next": step}

    def progress(done: int, total: int, elapsed: float) -> None:
        if done >= marks["next"] or done == total:
            marks["next"] = done + step
            stdout.write(f"  bulk tickets: {done:,}/{total:,} ({done / elapsed:,.0f} tickets/s)")

    result = bulk_load.ticket_bulk_load(
        actor=None, count=count, source=factory, batch_size=batch_size, progress=progress
    )
    stdout.write(
        f"  bulk tickets: {result.tickets:,} tickets, {result.events:,} events, {result.tag_links:,} tag links "
        f"in {result.seconds:,.1f} s ({result.rate:,.0f} tickets/s, {result.method})"
    )
    if result.phases:
        stdout.write("  bulk tickets: " + ", ".join(f"{name} {sec:,.1f} s" for name, sec in result.phases.items()))
    return result


def seed_long_conversation(*, events: int, stdout):
    """One ticket with ``events`` timeline rows, through the bulk loader."""
    factory = TicketFactory.from_database(seed=events)
    result = bulk_load.ticket_bulk_load(
        actor=None, count=1, source=LongConversation(factory, events=events), analyze=False
    )
    stdout.write(f"  long ticket: {Ticket(number=result.first_number).reference} with {result.events} events")
    return result
