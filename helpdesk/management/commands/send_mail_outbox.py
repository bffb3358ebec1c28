"""``manage.py send_mail_outbox``: deliver the emails waiting in the outbox."""

from __future__ import annotations

import signal
import time

from django.core.management.base import BaseCommand, CommandError
from django.db import close_old_connections

from helpdesk import services


class Command(BaseCommand):
    help = (
        "Send the emails waiting in the outbox through EMAIL_BACKEND, retrying failures with backoff "
        "(30 s, 2 min, 10 min, 30 min, then hourly). Run it once a minute from cron "
        "(`* * * * * cd /srv/helpdesk && .venv/bin/python manage.py send_mail_outbox`) or keep it running with "
        "--loop under systemd (deploy/helpdesk-mail.service). Several copies at once never send a message twice."
    )

    def add_arguments(self, parser):
        parser.add_argument("--loop", action="store_true", help="Keep running, looking for due mail every --interval seconds.")
        parser.add_argument(
            "--interval", type=float, default=5.0, metavar="S", help="Seconds between looks in --loop (default 5)."
        )
        parser.add_argument("--limit", type=int, default=100, metavar="N", help="Messages per batch (default 100).")

    def handle(self, *args, loop: bool, interval: float, limit: int, **options):
        if limit < 1:
            raise CommandError("--limit must be 1 or more.")
        if interval <= 0:
            raise CommandError("--interval must be more than 0.")
        stopping = []
        if loop:
            for sig in (signal.SIGTERM, signal.SIGINT):
                signal.signal(sig, lambda *_: stopping.append(True))
        while True:
            report = services.outbox_deliver_due(actor=None, limit=limit)
            if report.handled or not loop:
                self.stdout.write(f"Sent {report.sent}, to retry {report.retried}, failed {report.failed}.")
            if not loop:
                return
            close_old_connections()
            if report.handled < limit:  # a full batch: more may be due at once
                waited = 0.0
                while waited < interval and not stopping:
                    time.sleep(min(0.5, interval - waited))
                    waited += 0.5
            if stopping:
                self.stdout.write("Stopped.")
                return
