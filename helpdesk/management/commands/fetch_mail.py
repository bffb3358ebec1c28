"""``manage.py fetch_mail``: read the IMAP mailboxes configured in the admin."""

from __future__ import annotations

import signal
import time

from django.core.management.base import BaseCommand, CommandError
from django.db import close_old_connections

from helpdesk import services


class Command(BaseCommand):
    help = (
        "Read every active IMAP mailbox (admin: IMAP mailboxes) and file each message as a reply or a new ticket; "
        "read mail is moved to the mailbox's processed folder (or marked read). Run it from cron every minute "
        "(`* * * * * cd /srv/helpdesk && .venv/bin/python manage.py fetch_mail`) or keep it running with --loop "
        "(deploy/helpdesk-mail.service). A failure leaves the mail on the server for the next run."
    )

    def add_arguments(self, parser):
        parser.add_argument("--loop", action="store_true", help="Keep running, reading every --interval seconds.")
        parser.add_argument("--interval", type=float, default=60.0, metavar="S", help="Seconds between reads (default 60).")
        parser.add_argument("--limit", type=int, default=200, metavar="N", help="Messages per mailbox per read (default 200).")

    def handle(self, *args, loop: bool, interval: float, limit: int, **options):
        if limit < 1 or interval <= 0:
            raise CommandError("--limit must be 1 or more and --interval more than 0.")
        stopping: list[bool] = []
        if loop:
            for sig in (signal.SIGTERM, signal.SIGINT):
                signal.signal(sig, lambda *_: stopping.append(True))
        while True:
            reports = services.mail_fetch_all(actor=None, limit=limit)
            if not reports and not loop:
                self.stdout.write("No active IMAP mailbox is configured (admin: IMAP mailboxes).")
            for report in reports:
                line = f"{report.mailbox}: {report.received} new, {report.duplicates} already stored"
                if report.errors:
                    line += "; errors: " + "; ".join(report.errors)
                self.stdout.write(line)
            if not loop:
                if any(report.errors for report in reports):
                    raise CommandError("Some mailboxes could not be read (see above).")
                return
            close_old_connections()
            waited = 0.0
            while waited < interval and not stopping:
                time.sleep(min(0.5, interval - waited))
                waited += 0.5
            if stopping:
                return
