"""``manage.py mail_in``: take one email from standard input (a Postfix or Exim pipe)."""

from __future__ import annotations

import sys

from django.conf import settings
from django.core.management.base import BaseCommand

from helpdesk import services

# sysexits.h: what a mail server makes of the exit code (EX_TEMPFAIL: it keeps the mail and retries).
EX_OK = 0
EX_TEMPFAIL = 75


class Command(BaseCommand):
    help = (
        "Read one RFC 5322 message from standard input and file it: a reply joins its ticket, anything else opens "
        "a new ticket. For Postfix, in /etc/aliases: `support: \"|/srv/helpdesk/.venv/bin/python "
        "/srv/helpdesk/manage.py mail_in\"` (docs/email.md). Exits 0 once the message is stored or deliberately "
        "ignored, 75 (try again later) when the database cannot be reached, so the mail server keeps the message."
    )

    def add_arguments(self, parser):
        parser.add_argument("--source", default="mail_in", help="What the message came through, as the admin shows it.")

    def handle(self, *args, source: str, **options):
        # Read at most one byte over the limit: a larger message is refused without reading it all into memory.
        raw = sys.stdin.buffer.read(settings.HELPDESK_MAIL_MAX_BYTES + 1)
        try:
            received = services.mail_receive(actor=None, raw=raw, source=source)
        except Exception as error:  # the database is down, say: the mail server must keep the message
            self.stderr.write(f"Could not store the message, try again later: {type(error).__name__}: {error}")
            sys.exit(EX_TEMPFAIL)
        row = received.email
        what = "already stored" if received.duplicate else row.get_outcome_display().lower()
        ticket = f" {row.ticket.reference}" if row.ticket_id else ""
        reason = f" ({row.reason})" if row.reason else ""
        self.stdout.write(f"{row.message_id}: {what}{ticket}{reason}")
