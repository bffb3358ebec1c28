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
    # Raised by other apps through notification_send (the andon cord).
    ESCALATION_RAISED = "escalation_raised", "A blocking escalation was raised against a feature I own"
    ESCALATION_CHANGED = "escalation_changed", "An escalation I raised, or one on my tickets, needs info, was rejected or fixed"
    ESCALATION_OVERDUE = "escalation_overdue", "A blocking escalation waits for acknowledgement past its deadline"


class NotificationSettings(models.Model):
    """One agent's choices; without a row every notice is on, in the desk and by email."""

    user = models.OneToOneField(settings.AUTH_USER_MODEL, on_delete=models.CASCADE, related_name="notification_settings")
    assigned = models.BooleanField(default=True)
    customer_replied = models.BooleanField(default=True)
    team_new_ticket = models.BooleanField(default=True)
    mentioned = models.BooleanField(default=True)
    following = models.BooleanField(default=True)
    escalation_raised = models.BooleanField(default=True)
    escalation_changed = models.BooleanField(default=True)
    escalation_overdue = models.BooleanField(default=True)
    by_email = models.BooleanField(default=True, help_text="Also send each notice by email.")

    class Meta:
        verbose_name_plural = "notification settings"

    def __str__(self) -> str:
        return f"notification settings of {self.user_id}"

    def wants(self, reason: str) -> bool:
        return bool(getattr(self, reason, True))


class Notification(models.Model):
    user = models.ForeignKey(settings.AUTH_USER_MODEL, on_delete=models.CASCADE, related_name="notifications")
    # The ticket it is about; null for a notice about something else (an escalation), which has its url.
    ticket = models.ForeignKey("helpdesk.Ticket", null=True, blank=True, on_delete=models.CASCADE, related_name="+")
    url = models.CharField(max_length=500, blank=True)
    reason = models.CharField(max_length=20, choices=NotificationReason.choices)
    # "Once per person and event": the event's name ("ESC-12:fixed:3"), unique per user when set.
    dedupe_key = models.CharField(max_length=120, blank=True)
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
        constraints = [
            models.UniqueConstraint(fields=["user", "dedupe_key"], name="notification_once", condition=~Q(dedupe_key="")),
        ]

    def __str__(self) -> str:
        return self.headline
