"""``manage.py chat_upkeep``: what the chat sockets' pings do now and then, for hours when nobody is connected."""

from __future__ import annotations

from django.conf import settings
from django.core.management.base import BaseCommand

from livelisten import services
from livelisten.services.upkeep import BATCH


class Command(BaseCommand):
    help = (
        "End live chats without a line for LIVELISTEN_IDLE_END_MINUTES "
        f"(currently {settings.LIVELISTEN_IDLE_END_MINUTES}; their transcripts go on their tickets), pass on "
        f"offers not accepted in LIVELISTEN_OFFER_SECONDS (currently {settings.LIVELISTEN_OFFER_SECONDS}) and "
        "forget listeners whose process died. Open chat sockets already do this every 30 s; run it from cron "
        "(e.g. every 5 minutes) so chats left open overnight end too. Safe to run beside the servers."
    )

    def handle(self, *args, **options):
        totals = {}
        for label, sweep in (
            ("listeners forgotten", services.listeners_sweep),
            ("idle chats ended", services.sessions_end_idle),
            ("offers passed on", services.offers_pass_on),
        ):
            total = done = sweep(actor=None)
            while done >= BATCH:  # a backlog: keep going until a pass finds less than a batch
                done = sweep(actor=None)
                total += done
            totals[label] = total
        self.stdout.write("; ".join(f"{count} {label}" for label, count in totals.items()) + ".")
