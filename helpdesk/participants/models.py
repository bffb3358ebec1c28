"""Who else a ticket concerns: people copied on its public replies (CCs), and agents following it.

Imported by ``helpdesk.models``; written by ``helpdesk.services.participants``.
"""

from __future__ import annotations

from django.conf import settings
from django.db import models
from django.db.models.functions import Lower


class TicketCC(models.Model):
    """An address copied on every public reply: a customer, or any email address."""

    ticket = models.ForeignKey("helpdesk.Ticket", on_delete=models.CASCADE, related_name="ccs")
    email = models.EmailField(max_length=254)
    # The customer with this address, when there is one (their name is shown).
    customer = models.ForeignKey("helpdesk.Customer", null=True, blank=True, on_delete=models.SET_NULL, related_name="+")
    added_by = models.ForeignKey(
        settings.AUTH_USER_MODEL, null=True, blank=True, on_delete=models.SET_NULL, related_name="+"
    )
    created_at = models.DateTimeField()

    class Meta:
        ordering = ["created_at", "id"]
        verbose_name = "CC"
        constraints = [models.UniqueConstraint("ticket", Lower("email"), name="ticketcc_one_per_address")]

    def __str__(self) -> str:
        return self.email


class TicketFollower(models.Model):
    """An agent told about every change of a ticket, whoever it is assigned to."""

    ticket = models.ForeignKey("helpdesk.Ticket", on_delete=models.CASCADE, related_name="followers")
    user = models.ForeignKey(settings.AUTH_USER_MODEL, on_delete=models.CASCADE, related_name="followed_tickets")
    created_at = models.DateTimeField()

    class Meta:
        ordering = ["created_at", "id"]
        constraints = [models.UniqueConstraint(fields=["ticket", "user"], name="ticketfollower_once")]

    def __str__(self) -> str:
        return f"{self.user_id} follows {self.ticket_id}"
