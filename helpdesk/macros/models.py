"""Macros (canned replies): text with placeholders that may also set status, priority, team and tags.

Imported by ``helpdesk.models``; written by ``helpdesk.services.macros``.
"""

from __future__ import annotations

from django.conf import settings
from django.db import models

from helpdesk.models import TicketPriority, TicketStatus


class Macro(models.Model):
    name = models.CharField(max_length=100)
    body = models.TextField(
        blank=True,
        help_text="The reply's text. Placeholders: {{ customer.name }}, {{ ticket.reference }}, {{ ticket.subject }}, "
        "{{ agent.name }}.",
    )
    status = models.CharField(max_length=10, choices=TicketStatus.choices, blank=True)
    priority = models.PositiveSmallIntegerField(choices=TicketPriority.choices, null=True, blank=True)
    team = models.ForeignKey("helpdesk.Team", null=True, blank=True, on_delete=models.SET_NULL, related_name="+")
    tags = models.CharField(max_length=500, blank=True, help_text="Tags added, separated by spaces.")
    # Empty: shared by the whole desk; else the one agent's own.
    owner = models.ForeignKey(
        settings.AUTH_USER_MODEL, null=True, blank=True, on_delete=models.CASCADE, related_name="macros"
    )
    updated_at = models.DateTimeField()

    class Meta:
        ordering = ["name", "id"]

    def __str__(self) -> str:
        return self.name
