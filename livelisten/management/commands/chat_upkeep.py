"""``manage.py chat_upkeep``: what the chat sockets' pings do now and then, for hours when nobody is connected."""

from __future__ import annotations

from django.conf import settings
from django.core.management.base import BaseCommand

from livelisten import services

# Passes of each sweep in one run at most (each handles up to services.upkeep.BATCH chats).
MAX_PASSES = 50


class Command(BaseCommand):
    help = (
        "End live chats without a line for LIVELISTEN_IDLE_END_MINUTES "
        f"(currently {settings.LIVELISTEN_IDLE_END_MINUTES}; their transcripts go on their tickets), pass on "
        f"offers not accepted in LIVELISTEN_OFFER_SECONDS (currently {settings.LIVELISTEN_OFFER_SECONDS}) and "
        "forget listeners whose process died. Open chat sockets already do this every 30 s; run it from cron "
        "(hourly, as deploy/systemd/helpdesk-housekeeping.timer does) so chats left open while nobody is connected end "
        "too. Safe to run beside the servers."
    )

    def handle(self, *args, **options):
        totals = {}
        for label, sweep in (
            ("listeners forgotten", services.listeners_sweep),
            ("idle chats ended", services.sessions_end_idle),
            ("offers passed on", services.offers_pass_on),
        ):
            total = done = sweep(actor=None)
            passes = 1
            # A backlog: again while a pass did something (what it handles leaves the backlog), within reason.
            while done and passes < MAX_PASSES:
                done = sweep(actor=None)
                total += done
                passes += 1
            totals[label] = total
        self.stdout.write("; ".join(f"{count} {label}" for label, count in totals.items()) + ".")
