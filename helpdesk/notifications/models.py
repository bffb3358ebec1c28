"""What agents are told about: their settings, and each notice in the desk (and by email).

Imported by ``helpdesk.models``; written by ``helpdesk.services.notifications``.
"""

from __future__ import annotations

from django.conf import settings
from django.db import models
from django.db.models import Q


class NotificationReason(models.TextChoices):
    ASSIGNED = "assigned", "A ticket was assigned to me"
    CUSTOMER_REPLIED = "customer_replied", "The customer replied on a ticket assigned to me"
    TEAM_NEW_TICKET = "team_new_ticket", "A new ticket arrived in my team"
    MENTIONED = "mentioned", "Someone mentioned me in an internal note"
    FOLLOWING = "following", "Anything changed on a ticket I follow"


class NotificationSettings(models.Model):
    """One agent's choices; without a row every notice is on, in the desk and by email."""

    user = models.OneToOneField(settings.AUTH_USER_MODEL, on_delete=models.CASCADE, related_name="notification_settings")
    assigned = models.BooleanField(default=True)
    customer_replied = models.BooleanField(default=True)
    team_new_ticket = models.BooleanField(default=True)
    mentioned = models.BooleanField(default=True)
    following = models.BooleanField(default=True)
    by_email = models.BooleanField(default=True, help_text="Also send each notice by email.")

    class Meta:
        verbose_name_plural = "notification settings"

    def __str__(self) -> str:
        return f"notification settings of {self.user_id}"

    def wants(self, reason: str) -> bool:
        return bool(getattr(self, reason, True))


class Notification(models.Model):
    user = models.ForeignKey(settings.AUTH_USER_MODEL, on_delete=models.CASCADE, related_name="notifications")
    ticket = models.ForeignKey("helpdesk.Ticket", on_delete=models.CASCADE, related_name="+")
    reason = models.CharField(max_length=20, choices=NotificationReason.choices)
    headline = models.CharField(max_length=255)
    excerpt = models.CharField(max_length=300, blank=True)
    created_at = models.DateTimeField()
    read_at = models.DateTimeField(null=True, blank=True)

    class Meta:
        ordering = ["-created_at", "-id"]
        indexes = [
            models.Index(fields=["user", "-created_at", "-id"], name="notification_user_created"),
            models.Index(fields=["user"], name="notification_user_unread", condition=Q(read_at__isnull=True)),
        ]

    def __str__(self) -> str:
        return self.headline
