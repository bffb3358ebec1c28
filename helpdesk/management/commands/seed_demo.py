"""``manage.py seed_demo``: a desk to explore, or a large one to measure."""

from __future__ import annotations

from django.conf import settings
from django.core.management.base import BaseCommand, CommandError

from helpdesk.demo import seed
from helpdesk.demo.directory import DEMO_PASSWORD, DEMO_USERNAMES


class Command(BaseCommand):
    help = (
        f"Create the demo desk: roles; the accounts {', '.join(DEMO_USERNAMES)} "
        f"(password {DEMO_PASSWORD!r}; admin is a superuser); teams, organizations, customers, products and "
        "features; and a few "
        "hundred realistic tickets with conversations. Running it again changes nothing. "
        "--tickets N additionally bulk-loads N generated tickets (fast; for load tests)."
    )

    def add_arguments(self, parser):
        parser.add_argument(
            "--tickets",
            type=int,
            default=0,
            metavar="N",
            help="Also generate N more tickets with the bulk loader (COPY on PostgreSQL). Adds N on every run.",
        )
        parser.add_argument(
            "--demo-tickets",
            type=int,
            default=300,
            metavar="N",
            help="How many hand-shaped demo tickets to create on the first run (default 300).",
        )
        parser.add_argument(
            "--force",
            action="store_true",
            help="Create the demo accounts even with DEBUG off. Their password is public: never on a real desk.",
        )

    def handle(self, *args, tickets: int, demo_tickets: int, force: bool, **options):
        if tickets < 0 or demo_tickets < 0:
            raise CommandError("--tickets and --demo-tickets must not be negative.")
        if not settings.DEBUG and not force:
            raise CommandError(
                f"DEBUG is off: this looks like a production desk, and seed_demo would create the accounts "
                f"{', '.join(DEMO_USERNAMES)} with the publicly known password {DEMO_PASSWORD!r}. "
                "Re-run with --force if this really is a demo or test installation."
            )
        self.stdout.write("Seeding the demo desk…")
        seeded = seed.seed_directory(stdout=self.stdout)
        seed.run_app_hooks(stdout=self.stdout)
        seed.seed_demo_tickets(seeded=seeded, count=demo_tickets, stdout=self.stdout)
        if tickets:
            seed.seed_bulk_tickets(count=tickets, stdout=self.stdout)
        self.stdout.write(
            self.style.SUCCESS(
                f"Done. Sign in as agent / {DEMO_PASSWORD} (or customer, or manager for the configuration and "
                f"the audit log, or admin for what only a superuser may change)."
            )
        )
