"""``manage.py escalation_worker``: the andon cord's background work, caught up whenever it runs."""

from __future__ import annotations

import signal
import time

from django.core.management.base import BaseCommand, CommandError
from django.db import close_old_connections

from escalations import services


class Command(BaseCommand):
    help = (
        "Flag blocking escalations not acknowledged by their deadline (telling the feature's owner and the support "
        "managers once), post pending fix updates to linked tickets, and deliver due webhooks with retries. "
        "Everything missed while it was not running is done on its next round. Run it every minute from cron, "
        "or keep it running with --loop (deploy/systemd/helpdesk-escalations.service). Several copies at once do "
        "nothing twice."
    )

    def add_arguments(self, parser):
        parser.add_argument("--loop", action="store_true", help="Keep running, a round every --interval seconds.")
        parser.add_argument("--interval", type=float, default=5.0, metavar="S", help="Seconds between rounds (default 5).")

    def handle(self, *args, loop: bool, interval: float, **options):
        if interval <= 0:
            raise CommandError("--interval must be more than 0.")
        stopping: list[bool] = []
        if loop:
            for sig in (signal.SIGTERM, signal.SIGINT):
                signal.signal(sig, lambda *_: stopping.append(True))
        while True:
            overdue = services.escalations_flag_overdue()
            told = services.fix_notices_deliver()
            hooks = services.webhooks_deliver_due()
            busy = overdue or told or hooks.handled
            if busy or not loop:
                self.stdout.write(
                    f"Overdue flagged {overdue}, fix updates posted {told}, webhooks delivered {hooks.delivered}, "
                    f"to retry {hooks.retried}, failed {hooks.failed}."
                )
            if not loop:
                return
            close_old_connections()
            waited = 0.0
            while not busy and waited < interval and not stopping:
                time.sleep(min(0.5, interval - waited))
                waited += 0.5
            if stopping:
                self.stdout.write("Stopped.")
                return
