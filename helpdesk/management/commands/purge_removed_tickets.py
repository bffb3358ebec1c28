"""``manage.py purge_removed_tickets``: spam and deleted tickets past their retention, deleted for good."""

from __future__ import annotations

from django.conf import settings
from django.core.management.base import BaseCommand

from helpdesk import services


class Command(BaseCommand):
    help = (
        "Delete for good the tickets marked as spam or deleted more than HELPDESK_REMOVED_RETENTION_DAYS "
        f"(currently {settings.HELPDESK_REMOVED_RETENTION_DAYS}) days ago: their timeline, emails and files go "
        "with them, and the audit log keeps one line each. Meant to run daily from cron or a systemd timer; "
        "safe to interrupt or to run twice at once."
    )

    def handle(self, *args, **options):
        purged = services.tickets_purge_removed(actor=None)
        days = settings.HELPDESK_REMOVED_RETENTION_DAYS
        self.stdout.write(f"Deleted {purged} ticket{'s' if purged != 1 else ''} removed more than {days} days ago.")
