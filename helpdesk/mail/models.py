"""Email in and out: the outbox, the messages received, and the editable templates.

Imported by ``helpdesk.models`` so they belong to the ticketing app. Every write goes
through ``helpdesk.services`` (``outbox``, ``mail_in``, ``mail_templates``).
"""

from __future__ import annotations

from django.conf import settings
from django.db import models
from django.db.models import Q


class OutboundEmail(models.Model):
    """One email to send, written in the same transaction as what caused it.

    The worker (``manage.py send_mail_outbox``) claims due rows, sends them through
    Django's email backend and records the outcome; a failure leaves the row pending
    with a later ``next_attempt_at``, so nothing is lost and nothing sent twice.
    """

    class Kind(models.TextChoices):
        REPLY = "reply", "Public reply"
        NOTIFICATION = "notification", "Agent notification"
        INVITATION = "invitation", "Portal invitation"
        ACKNOWLEDGEMENT = "acknowledgement", "Request received"
        TRANSCRIPT = "transcript", "Chat transcript"

    class Status(models.TextChoices):
        PENDING = "pending", "Waiting to be sent"
        SENDING = "sending", "Being sent"
        SENT = "sent", "Sent"
        FAILED = "failed", "Failed for good"

    kind = models.CharField(max_length=20, choices=Kind.choices)
    status = models.CharField(max_length=10, choices=Status.choices, default=Status.PENDING)
    ticket = models.ForeignKey(
        "helpdesk.Ticket", null=True, blank=True, on_delete=models.CASCADE, related_name="outbound_emails"
    )
    # The timeline entry this email carries (a public reply), when there is one.
    event = models.ForeignKey(
        "helpdesk.TicketEvent", null=True, blank=True, on_delete=models.SET_NULL, related_name="outbound_emails"
    )
    from_email = models.CharField(max_length=320)
    reply_to = models.CharField(max_length=320, blank=True)
    to = models.JSONField(default=list)
    cc = models.JSONField(default=list, blank=True)
    subject = models.CharField(max_length=300)
    body_text = models.TextField()
    body_html = models.TextField(blank=True)
    # Without angle brackets in the column; the header adds them.
    message_id = models.CharField(max_length=255, unique=True)
    in_reply_to = models.CharField(max_length=255, blank=True)
    references = models.TextField(blank=True)
    # The files that go with it (helpdesk.Attachment ids), read from storage when it is sent.
    attachment_ids = models.JSONField(default=list, blank=True)
    attempts = models.PositiveSmallIntegerField(default=0)
    next_attempt_at = models.DateTimeField()
    # A worker that claimed the row and died leaves it ``sending``; after this it is due again.
    lease_until = models.DateTimeField(null=True, blank=True)
    # Which worker's claim this row is under (a token of its own, so it reads back exactly its rows).
    claim = models.CharField(max_length=32, blank=True, db_index=True)
    last_error = models.TextField(blank=True)
    created_at = models.DateTimeField()
    sent_at = models.DateTimeField(null=True, blank=True)

    class Meta:
        ordering = ["-created_at", "-id"]
        verbose_name = "outgoing email"
        indexes = [
            # The worker's question: what is due now (pending, or a lapsed claim).
            models.Index(
                fields=["next_attempt_at", "id"],
                name="outbox_due",
                condition=Q(status__in=["pending", "sending"]),
            ),
            models.Index(fields=["ticket", "created_at"], name="outbox_ticket_created"),
        ]

    def __str__(self) -> str:
        return f"{self.get_kind_display()} to {', '.join(self.to)}: {self.subject}"


class InboundEmail(models.Model):
    """One message received, kept whole (``raw``) beside what the desk made of it."""

    class Outcome(models.TextChoices):
        NEW_TICKET = "new_ticket", "Opened a ticket"
        REPLY = "reply", "Added to a ticket"
        IGNORED = "ignored", "Ignored"
        REFUSED = "refused", "Refused"

    message_id = models.CharField(max_length=255, unique=True)
    source = models.CharField(max_length=20)  # mail_in, imap:<mailbox>, webhook
    from_email = models.CharField(max_length=320)
    from_name = models.CharField(max_length=200, blank=True)
    subject = models.CharField(max_length=300, blank=True)
    in_reply_to = models.CharField(max_length=255, blank=True)
    references = models.TextField(blank=True)
    raw = models.BinaryField()
    size = models.PositiveIntegerField()
    outcome = models.CharField(max_length=12, choices=Outcome.choices)
    reason = models.CharField(max_length=255, blank=True)
    ticket = models.ForeignKey(
        "helpdesk.Ticket", null=True, blank=True, on_delete=models.SET_NULL, related_name="inbound_emails"
    )
    event = models.ForeignKey(
        "helpdesk.TicketEvent", null=True, blank=True, on_delete=models.SET_NULL, related_name="inbound_emails"
    )
    received_at = models.DateTimeField()

    class Meta:
        ordering = ["-received_at", "-id"]
        verbose_name = "incoming email"
        indexes = [
            models.Index(fields=["from_email", "received_at"], name="inbound_sender_received"),
        ]

    def __str__(self) -> str:
        return f"{self.from_email}: {self.subject}"


class MailTemplate(models.Model):
    """A support manager's wording for one kind of email; without a row the built-in default applies."""

    key = models.CharField(max_length=40, unique=True)
    subject = models.CharField(max_length=300)
    body = models.TextField(help_text="Markdown. Placeholders like {{ ticket.reference }}: see the list below.")
    updated_at = models.DateTimeField()
    updated_by = models.ForeignKey(
        settings.AUTH_USER_MODEL, null=True, blank=True, on_delete=models.SET_NULL, related_name="+"
    )

    class Meta:
        ordering = ["key"]
        verbose_name = "email template"

    def __str__(self) -> str:
        return self.key


class Mailbox(models.Model):
    """An IMAP mailbox ``manage.py fetch_mail`` reads (configured in the admin)."""

    class Security(models.TextChoices):
        TLS = "tls", "TLS from the start (IMAPS, usually port 993)"
        STARTTLS = "starttls", "STARTTLS (usually port 143)"
        NONE = "none", "None (only for a server on this machine)"

    name = models.CharField(max_length=100, unique=True)
    host = models.CharField(max_length=255)
    port = models.PositiveIntegerField(default=993)
    security = models.CharField(max_length=10, choices=Security.choices, default=Security.TLS)
    username = models.CharField(max_length=255)
    # Kept as given: IMAP needs the password itself. The admin never shows it back.
    password = models.CharField(max_length=255)
    folder = models.CharField(max_length=255, default="INBOX")
    processed_folder = models.CharField(
        max_length=255,
        blank=True,
        help_text="Where read mail is moved. Empty: it is marked as read and stays where it is.",
    )
    is_active = models.BooleanField(default=True)
    last_checked_at = models.DateTimeField(null=True, blank=True)
    last_error = models.TextField(blank=True)

    class Meta:
        ordering = ["name"]
        verbose_name = "IMAP mailbox"

    def __str__(self) -> str:
        return f"{self.name} ({self.username}@{self.host})"
