"""Products and features, and the escalations the front line raises against features (the andon cord)."""

from __future__ import annotations

from django.conf import settings
from django.core.validators import RegexValidator
from django.db import models

feature_key_validator = RegexValidator(
    r"^[a-z0-9][a-z0-9_-]*(\.[a-z0-9][a-z0-9_-]*)+$",
    "Use a dotted lower-case key such as billing.invoices.",
)


class Product(models.Model):
    key = models.SlugField(max_length=50, unique=True)
    name = models.CharField(max_length=100, unique=True)
    description = models.TextField(blank=True)

    class Meta:
        ordering = ["name"]

    def __str__(self) -> str:
        return self.name


class Feature(models.Model):
    product = models.ForeignKey(Product, on_delete=models.PROTECT, related_name="features")
    key = models.CharField(max_length=100, unique=True, validators=[feature_key_validator])
    name = models.CharField(max_length=100)
    description = models.TextField(blank=True)
    owner = models.ForeignKey(
        settings.AUTH_USER_MODEL,
        null=True,
        blank=True,
        # People are deactivated, never deleted: the feature keeps its owner's name.
        on_delete=models.PROTECT,
        related_name="owned_features",
        help_text="The product manager who owns this feature",
    )
    # True while a blocking escalation against it is unresolved; written only by the
    # escalation services, under this row's lock, in the transaction of the change.
    blocked = models.BooleanField(default=False, db_default=False)

    class Meta:
        ordering = ["product__name", "name"]

    def __str__(self) -> str:
        return f"{self.product.name} · {self.name}" if self.product_id else self.name


class Severity(models.TextChoices):
    BLOCKING = "blocking", "Blocking"
    MAJOR = "major", "Major"
    MINOR = "minor", "Minor"


# The board ranks by severity first: a stopped feature is answered before any other.
SEVERITY_RANK = {Severity.BLOCKING: 3, Severity.MAJOR: 2, Severity.MINOR: 1}


class EscalationStatus(models.TextChoices):
    OPEN = "open", "Open"
    ACKNOWLEDGED = "acknowledged", "Acknowledged"
    IN_PROGRESS = "in_progress", "In progress"
    NEEDS_INFO = "needs_info", "Needs info"
    FIXED = "fixed", "Fixed"
    REJECTED = "rejected", "Rejected"
    CLOSED = "closed", "Closed"


UNRESOLVED_STATUSES = frozenset(
    {EscalationStatus.OPEN, EscalationStatus.ACKNOWLEDGED, EscalationStatus.IN_PROGRESS, EscalationStatus.NEEDS_INFO}
)


class Escalation(models.Model):
    """A claim from the front line that a feature hurts customers; a blocking one stops the feature."""

    # action -> (statuses it starts from, status it leads to). The services check every
    # transition against this table; who may take which action is permissions.py's.
    TRANSITIONS: dict[str, tuple[frozenset[str], str]] = {
        "acknowledge": (frozenset({EscalationStatus.OPEN}), EscalationStatus.ACKNOWLEDGED),
        "start": (frozenset({EscalationStatus.ACKNOWLEDGED}), EscalationStatus.IN_PROGRESS),
        "request_info": (
            frozenset({EscalationStatus.ACKNOWLEDGED, EscalationStatus.IN_PROGRESS}),
            EscalationStatus.NEEDS_INFO,
        ),
        "provide_info": (frozenset({EscalationStatus.NEEDS_INFO}), EscalationStatus.ACKNOWLEDGED),
        "fix": (frozenset({EscalationStatus.ACKNOWLEDGED, EscalationStatus.IN_PROGRESS}), EscalationStatus.FIXED),
        "reject": (UNRESOLVED_STATUSES, EscalationStatus.REJECTED),
        "reopen": (frozenset({EscalationStatus.REJECTED, EscalationStatus.FIXED}), EscalationStatus.OPEN),
        "close": (frozenset({EscalationStatus.FIXED}), EscalationStatus.CLOSED),
    }
    # Actions that need a written text (question, customer-facing update, reason).
    TEXT_REQUIRED = frozenset({"request_info", "provide_info", "fix", "reject", "reopen"})

    feature = models.ForeignKey(Feature, on_delete=models.PROTECT, related_name="escalations")
    severity = models.CharField(max_length=10, choices=Severity.choices)
    status = models.CharField(max_length=12, choices=EscalationStatus.choices, default=EscalationStatus.OPEN)
    title = models.CharField(max_length=200)
    customer_impact = models.TextField(help_text="What customers experience")
    steps = models.TextField(blank=True, help_text="Steps to reproduce")
    # Null only for escalations the system raised (imports).
    raised_by = models.ForeignKey(
        settings.AUTH_USER_MODEL, null=True, blank=True, on_delete=models.PROTECT, related_name="raised_escalations"
    )
    created_at = models.DateTimeField()
    updated_at = models.DateTimeField()
    acknowledged_at = models.DateTimeField(null=True, blank=True)
    resolved_at = models.DateTimeField(null=True, blank=True)
    # Blocking escalations must be acknowledged by then (HELPDESK_ESCALATION_ACK_MINUTES).
    acknowledge_by = models.DateTimeField(null=True, blank=True)
    overdue_notified_at = models.DateTimeField(null=True, blank=True)
    # The customer-facing text of the latest fix, sent once to each linked ticket.
    fix_update = models.TextField(blank=True)
    version = models.PositiveIntegerField(default=1)

    # Impact, recounted from the links by SQL aggregates in every linking transaction
    # (under the escalation's lock), so the board ranks from an index. See impact_score.
    severity_rank = models.PositiveSmallIntegerField(default=0)
    ticket_count = models.PositiveIntegerField(default=0)
    customer_count = models.PositiveIntegerField(default=0)
    organization_count = models.PositiveIntegerField(default=0)
    key_account_count = models.PositiveIntegerField(default=0)
    affected_value = models.DecimalField(max_digits=16, decimal_places=2, default=0)
    impact = models.BigIntegerField(default=0)

    class Meta:
        ordering = ["-created_at", "-id"]
        permissions = [
            ("triage_escalation", "Acknowledge, work on, fix, reject and close escalations of any feature"),
            ("raise_escalation", "Raise escalations, link tickets to them and provide information"),
            ("reopen_escalation", "Reopen a rejected or fixed escalation (overrule a dismissal)"),
        ]
        indexes = [
            models.Index(fields=["feature", "status"], name="escalation_feature_status"),
            models.Index(fields=["status", "-created_at", "-id"], name="escalation_status_created"),
            # The board's order (see selectors.BOARD_ORDER): unresolved ones (its default), all, per feature.
            models.Index(
                fields=["-severity_rank", "-impact", "created_at", "id"],
                name="escalation_board_unresolved",
                condition=models.Q(status__in=["open", "acknowledged", "in_progress", "needs_info"]),
            ),
            models.Index(fields=["-severity_rank", "-impact", "created_at", "id"], name="escalation_board"),
            models.Index(fields=["feature", "-severity_rank", "-impact", "created_at", "id"], name="escalation_board_feature"),
            models.Index(fields=["status", "-severity_rank", "-impact", "created_at", "id"], name="escalation_board_status"),
            # The release gate's list of what blocks a feature, read from the index alone in id order
            # (a bitmap scan of the escalations visited a heap page per row: 4.7 ms for 1,000 of them).
            models.Index(
                fields=["feature", "id"],
                name="escalation_gate_blocking",
                condition=models.Q(
                    severity="blocking", status__in=["acknowledged", "in_progress", "needs_info", "open"]
                ),
            ),
        ]

    def __str__(self) -> str:
        return f"ESC-{self.pk} {self.title}"

    @property
    def reference(self) -> str:
        return f"ESC-{self.pk}"

    @property
    def is_unresolved(self) -> bool:
        return self.status in UNRESOLVED_STATUSES

    def allowed_actions(self) -> list[str]:
        return [action for action, (sources, _) in self.TRANSITIONS.items() if self.status in sources]


class EscalationLink(models.Model):
    """A ticket whose customers hit the escalated defect. A ticket links to one escalation once."""

    escalation = models.ForeignKey(Escalation, on_delete=models.CASCADE, related_name="links")
    ticket = models.ForeignKey("helpdesk.Ticket", on_delete=models.CASCADE, related_name="escalation_links")
    linked_by = models.ForeignKey(settings.AUTH_USER_MODEL, null=True, on_delete=models.PROTECT, related_name="+")
    linked_at = models.DateTimeField()

    class Meta:
        constraints = [models.UniqueConstraint(fields=["escalation", "ticket"], name="escalation_link_once")]
        # "This ticket's escalations" and the inbox's "linked to an escalation" filter.
        indexes = [
            models.Index(fields=["ticket", "escalation"], name="escalation_link_ticket"),
            # An escalation's page lists its links newest first.
            models.Index(fields=["escalation", "-linked_at", "-id"], name="escalation_link_recent"),
        ]

    def __str__(self) -> str:
        return f"ESC-{self.escalation_id} ← ticket {self.ticket_id}"


class EscalationEvent(models.Model):
    """The escalation's history and discussion: raised, linked, each status change (with its note), comments."""

    class Kind(models.TextChoices):
        RAISED = "raised", "Raised"
        LINKED = "linked", "Ticket linked"
        STATUS = "status", "Status changed"
        COMMENT = "comment", "Comment"
        OVERDUE = "overdue", "Acknowledgement overdue"

    escalation = models.ForeignKey(Escalation, on_delete=models.CASCADE, related_name="events")
    kind = models.CharField(max_length=10, choices=Kind.choices)
    actor = models.ForeignKey(settings.AUTH_USER_MODEL, null=True, on_delete=models.PROTECT, related_name="+")
    action = models.CharField(max_length=20, blank=True)
    old_value = models.CharField(max_length=40, blank=True)
    new_value = models.CharField(max_length=40, blank=True)
    note = models.TextField(blank=True)
    created_at = models.DateTimeField()

    class Meta:
        ordering = ["created_at", "id"]
        indexes = [models.Index(fields=["escalation", "created_at", "id"], name="escalation_event_time")]

    def __str__(self) -> str:
        return f"ESC-{self.escalation_id} {self.kind} {self.new_value}".strip()


class FixNotice(models.Model):
    """The customer of a linked ticket is told of the escalation's fix: once per ticket and escalation, by constraint.

    Written in the fix's transaction (or a later link's) for every linked ticket; the
    update itself is posted by ``fix_notices_deliver`` (right after commit, and by the
    worker after any interruption), which sets ``delivered_at`` in the transaction
    that posts it. A second fix, or a ticket linked twice, finds the row already
    there: the insert does nothing, so nobody is told twice.
    """

    escalation = models.ForeignKey(Escalation, on_delete=models.CASCADE, related_name="fix_notices")
    ticket = models.ForeignKey("helpdesk.Ticket", on_delete=models.CASCADE, related_name="+")
    requested_by = models.ForeignKey(settings.AUTH_USER_MODEL, null=True, on_delete=models.PROTECT, related_name="+")
    created_at = models.DateTimeField()
    delivered_at = models.DateTimeField(null=True, blank=True)
    # "told" (a public reply was posted), or why not ("removed": the ticket is spam or deleted).
    outcome = models.CharField(max_length=10, blank=True)

    class Meta:
        constraints = [models.UniqueConstraint(fields=["escalation", "ticket"], name="fix_notice_once")]
        indexes = [
            models.Index(fields=["id"], name="fix_notice_pending", condition=models.Q(delivered_at__isnull=True)),
        ]

    def __str__(self) -> str:
        return f"ESC-{self.escalation_id} fix told on ticket {self.ticket_id}"


def _webhook_secret() -> str:
    import secrets

    return "whsec_" + secrets.token_urlsafe(32)


class WebhookEndpoint(models.Model):
    """Where the desk POSTs signed JSON when a feature is blocked or unblocked and when an escalation changes status."""

    name = models.CharField(max_length=100, unique=True)
    url = models.URLField(max_length=500, help_text="https://… of the receiver (a feature-flag service, a deploy tool).")
    secret = models.CharField(
        max_length=100,
        default=_webhook_secret,
        help_text="Shared secret: each delivery carries X-Helpdesk-Signature, HMAC-SHA256 of “timestamp.body” with it.",
    )
    feature_events = models.BooleanField(default=True, help_text="feature.blocked and feature.unblocked")
    escalation_events = models.BooleanField(default=True, help_text="escalation.status_changed (raised included)")
    active = models.BooleanField(default=True)
    created_at = models.DateTimeField(auto_now_add=True)

    class Meta:
        ordering = ["name"]

    def __str__(self) -> str:
        return self.name


class WebhookDelivery(models.Model):
    """One event for one endpoint, written in the transaction of the change (an outbox), POSTed by the worker."""

    class Status(models.TextChoices):
        PENDING = "pending", "Waiting to be sent"
        SENDING = "sending", "Being sent"
        DELIVERED = "delivered", "Delivered"
        FAILED = "failed", "Failed for good"

    endpoint = models.ForeignKey(WebhookEndpoint, on_delete=models.CASCADE, related_name="deliveries")
    event = models.CharField(max_length=40)
    # The exact bytes sent (and signed), so a retry sends the same body and signature base.
    body = models.TextField()
    status = models.CharField(max_length=10, choices=Status.choices, default=Status.PENDING)
    attempts = models.PositiveIntegerField(default=0)
    next_attempt_at = models.DateTimeField()
    lease_until = models.DateTimeField(null=True, blank=True)
    last_attempt_at = models.DateTimeField(null=True, blank=True)
    response_status = models.PositiveIntegerField(null=True, blank=True)
    response_body = models.TextField(blank=True)
    last_error = models.TextField(blank=True)
    created_at = models.DateTimeField()
    delivered_at = models.DateTimeField(null=True, blank=True)

    class Meta:
        ordering = ["-created_at", "-id"]
        verbose_name_plural = "webhook deliveries"
        indexes = [
            models.Index(
                fields=["next_attempt_at", "id"],
                name="webhook_delivery_due",
                condition=models.Q(status__in=["pending", "sending"]),
            )
        ]

    def __str__(self) -> str:
        return f"{self.event} → {self.endpoint_id} ({self.status})"
