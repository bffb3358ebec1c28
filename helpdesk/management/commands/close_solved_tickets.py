"""``manage.py close_solved_tickets``: the auto-close, run on a schedule."""

from __future__ import annotations

from django.conf import settings
from django.core.management.base import BaseCommand, CommandError

from helpdesk import services


class Command(BaseCommand):
    help = (
        "Close tickets that have been solved for more than N days (default HELPDESK_AUTO_CLOSE_DAYS, "
        f"currently {settings.HELPDESK_AUTO_CLOSE_DAYS}), with an audit entry on each. Meant to run from cron or "
        "a systemd timer, e.g. hourly: `0 * * * * cd /srv/helpdesk && .venv/bin/python manage.py "
        "close_solved_tickets`. Safe to interrupt or to run twice at once: it works in batches and skips "
        "tickets another run holds."
    )

    def add_arguments(self, parser):
        parser.add_argument(
            "--days",
            type=int,
            default=None,
            metavar="N",
            help="Close tickets solved more than N days ago (default: HELPDESK_AUTO_CLOSE_DAYS).",
        )

    def handle(self, *args, days: int | None, **options):
        if days is not None and days < 0:
            raise CommandError("--days must be 0 or more.")
        closed = services.ticket_close_solved(actor=None, older_than_days=days)
        used = settings.HELPDESK_AUTO_CLOSE_DAYS if days is None else days
        self.stdout.write(f"Closed {closed} ticket{'s' if closed != 1 else ''} solved more than {used} days ago.")
