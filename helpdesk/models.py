"""Ticketing domain: organizations, customers, teams, tickets and their timeline.

Models hold fields, constraints, indexes, the allowed-transition table and small
predicates. Every write goes through ``helpdesk.services``.
"""

from __future__ import annotations

import hashlib

from django.conf import settings
from django.contrib.postgres.search import SearchVectorField
from django.db import models
from django.db.models import Q
from django.db.models.functions import Lower


class Organization(models.Model):
    class Tier(models.TextChoices):
        STANDARD = "standard", "Standard"
        PREMIUM = "premium", "Premium"
        ENTERPRISE = "enterprise", "Enterprise"

    name = models.CharField(max_length=200, unique=True)
    domain = models.CharField(max_length=200, blank=True, help_text="Email domain, e.g. example.com")
    tier = models.CharField(max_length=20, choices=Tier.choices, default=Tier.STANDARD)
    annual_value = models.DecimalField(max_digits=14, decimal_places=2, default=0, help_text="Yearly revenue")
    lifetime_value = models.DecimalField(max_digits=16, decimal_places=2, default=0)
    is_key_account = models.BooleanField(default=False)
    notes = models.TextField(blank=True)
    created_at = models.DateTimeField(auto_now_add=True)

    class Meta:
        ordering = ["name"]

    def __str__(self) -> str:
        return self.name


class Customer(models.Model):
    """Someone who asks for help. May sign in to the portal through ``user``."""

    # PROTECT: people are deactivated, never deleted (a deletion would orphan the login silently).
    user = models.OneToOneField(
        settings.AUTH_USER_MODEL, null=True, blank=True, on_delete=models.PROTECT, related_name="customer"
    )
    organization = models.ForeignKey(
        Organization, null=True, blank=True, on_delete=models.SET_NULL, related_name="customers"
    )
    name = models.CharField(max_length=200)
    email = models.EmailField(max_length=254)
    phone = models.CharField(max_length=50, blank=True)
    annual_value = models.DecimalField(max_digits=14, decimal_places=2, default=0)
    lifetime_value = models.DecimalField(max_digits=16, decimal_places=2, default=0)
    created_at = models.DateTimeField(auto_now_add=True)
    # Set when one of their tickets is marked as spam: their email is then ignored and the
    # portal opens no ticket for them (services/ticket_removal.py). Cleared when restored.
    blocked_at = models.DateTimeField(null=True, blank=True)

    class Meta:
        ordering = ["name"]
        constraints = [models.UniqueConstraint(Lower("email"), name="customer_email_unique_ci")]
        permissions = [("invite_customer", "Can invite customers to the portal")]

    def __str__(self) -> str:
        return f"{self.name} <{self.email}>"


class Team(models.Model):
    name = models.CharField(max_length=100, unique=True)
    members = models.ManyToManyField(settings.AUTH_USER_MODEL, blank=True, related_name="helpdesk_teams")

    class Meta:
        ordering = ["name"]

    def __str__(self) -> str:
        return self.name


class Tag(models.Model):
    name = models.CharField(max_length=50, unique=True)

    class Meta:
        ordering = ["name"]

    def __str__(self) -> str:
        return self.name


class ReferenceCounter(models.Model):
    """One row per numbering sequence; incremented inside the creating transaction."""

    name = models.CharField(max_length=30, primary_key=True)
    value = models.BigIntegerField(default=0)

    def __str__(self) -> str:
        return f"{self.name}: {self.value}"


class DirectoryGeneration(models.Model):
    """One row: the token the directory cache files its entries under (``helpdesk/directory_cache.py``).

    In the database rather than the cache so that a change of the directory reaches
    every process, with or without Redis, exactly when it commits, and a rolled-back
    change never does.
    """

    token = models.CharField(max_length=32)

    def __str__(self) -> str:
        return self.token


class SearchLexeme(models.Model):
    """A word that some ticket's search document holds, as stored there (stemmed): PostgreSQL only.

    The dictionary a misspelled search word is matched against by trigram similarity
    (``helpdesk/search.py``). Kept by ``services/search_index.py`` with the documents;
    words only grow (a word nobody uses any more costs one row and finds nothing).
    """

    word = models.CharField(max_length=40, primary_key=True)

    def __str__(self) -> str:
        return self.word


class TicketStatus(models.TextChoices):
    NEW = "new", "New"
    OPEN = "open", "Open"
    PENDING = "pending", "Pending"
    ON_HOLD = "on_hold", "On hold"
    SOLVED = "solved", "Solved"
    CLOSED = "closed", "Closed"


class TicketPriority(models.IntegerChoices):
    # Stored as numbers so that "most urgent first" is an index scan; the API and
    # forms speak the names.
    LOW = 1, "Low"
    NORMAL = 2, "Normal"
    HIGH = 3, "High"
    URGENT = 4, "Urgent"

    @classmethod
    def slugs(cls) -> list[str]:
        # Not ``names``: Django's Choices metaclass already defines that (upper-case).
        return [member.name.lower() for member in cls]

    @classmethod
    def from_name(cls, name: str) -> TicketPriority:
        return cls[name.upper()]

    @property
    def slug(self) -> str:
        return self.name.lower()


class TicketChannel(models.TextChoices):
    WEB = "web", "Web"
    EMAIL = "email", "Email"
    CHAT = "chat", "Chat"
    API = "api", "API"
    PHONE = "phone", "Phone"


UNSOLVED_STATUSES = (TicketStatus.NEW, TicketStatus.OPEN, TicketStatus.PENDING, TicketStatus.ON_HOLD)
# The condition of the partial indexes that serve the unsolved views (Ticket.Meta.indexes).
_UNSOLVED = Q(status__in=[status.value for status in UNSOLVED_STATUSES])


class TicketRemoval(models.TextChoices):
    SPAM = "spam", "Spam"
    DELETED = "deleted", "Deleted"


class Ticket(models.Model):
    Status = TicketStatus
    Priority = TicketPriority
    Channel = TicketChannel
    Removal = TicketRemoval

    # Which status may follow which. Closed is final: a customer who writes
    # again after closing gets a new ticket.
    ALLOWED_TRANSITIONS: dict[str, frozenset[str]] = {
        TicketStatus.NEW: frozenset({"open", "pending", "on_hold", "solved"}),
        TicketStatus.OPEN: frozenset({"pending", "on_hold", "solved"}),
        TicketStatus.PENDING: frozenset({"open", "on_hold", "solved"}),
        TicketStatus.ON_HOLD: frozenset({"open", "pending", "solved"}),
        TicketStatus.SOLVED: frozenset({"open", "closed"}),
        TicketStatus.CLOSED: frozenset(),
    }
    # A customer writing on one of these puts it back in the agents' queue.
    REOPENED_BY_CUSTOMER_REPLY = frozenset({TicketStatus.PENDING, TicketStatus.SOLVED})

    number = models.BigIntegerField(unique=True, editable=False)
    subject = models.CharField(max_length=200)
    requester = models.ForeignKey(Customer, on_delete=models.PROTECT, related_name="tickets")
    organization = models.ForeignKey(
        Organization, null=True, blank=True, on_delete=models.SET_NULL, related_name="tickets"
    )
    # PROTECT, here and on the timeline: deleting a person would silently null their
    # tickets and their name in every timeline; they are deactivated instead.
    assignee = models.ForeignKey(
        settings.AUTH_USER_MODEL, null=True, blank=True, on_delete=models.PROTECT, related_name="assigned_tickets"
    )
    team = models.ForeignKey(Team, null=True, blank=True, on_delete=models.SET_NULL, related_name="tickets")
    status = models.CharField(max_length=10, choices=TicketStatus.choices, default=TicketStatus.NEW)
    priority = models.PositiveSmallIntegerField(choices=TicketPriority.choices, default=TicketPriority.NORMAL)
    channel = models.CharField(max_length=10, choices=TicketChannel.choices, default=TicketChannel.WEB)
    tags = models.ManyToManyField(Tag, blank=True, related_name="tickets")
    # Named by string: the ticketing app never imports escalations.
    feature = models.ForeignKey(
        "escalations.Feature", null=True, blank=True, on_delete=models.SET_NULL, related_name="tickets"
    )
    # Bumped on every change; stale edits are refused rather than overwriting.
    version = models.PositiveIntegerField(default=1)
    created_at = models.DateTimeField()
    updated_at = models.DateTimeField()
    first_response_at = models.DateTimeField(null=True, blank=True)
    solved_at = models.DateTimeField(null=True, blank=True)
    closed_at = models.DateTimeField(null=True, blank=True)
    # When the customer last wrote (a reply in their words, the request included) and when
    # the desk last answered in public: the inbox shows who waits on whom without reading
    # timelines. Kept by the ticket services in the writing transaction, derived from the
    # events by the bulk loader and the demo's backdating.
    last_customer_message_at = models.DateTimeField(null=True, blank=True, editable=False)
    last_agent_reply_at = models.DateTimeField(null=True, blank=True, editable=False)
    # PostgreSQL only: the subject and every reply and note, for the desk's full-text
    # search (one GIN index instead of matching tickets and messages separately).
    # Kept by services.search_document_refresh in the writing transaction.
    search_document = SearchVectorField(null=True, blank=True, editable=False)
    # Set when this ticket was merged into another (services/ticket_merge.py): it is closed
    # and its messages are on that one.
    merged_into = models.ForeignKey(
        "self", null=True, blank=True, on_delete=models.SET_NULL, related_name="merged_tickets"
    )
    # Marked as spam or deleted: hidden from every list, page and search (selectors.tickets_visible_to)
    # and restorable until ``manage.py purge_removed_tickets`` deletes it for good.
    # db_default too: the bulk loader COPYs rows without naming this column.
    removed = models.CharField(max_length=10, choices=TicketRemoval.choices, blank=True, default="", db_default="")
    removed_at = models.DateTimeField(null=True, blank=True)
    removed_by = models.ForeignKey(
        settings.AUTH_USER_MODEL, null=True, blank=True, on_delete=models.SET_NULL, related_name="+"
    )

    class Meta:
        ordering = ["-updated_at", "-id"]
        permissions = [
            ("view_all_tickets", "Can see every ticket"),
            ("work_tickets", "Can reply to, assign and change tickets"),
            ("add_internal_note", "Can write internal notes"),
            ("mark_spam", "Can mark tickets as spam (and restore those)"),
            ("remove_ticket", "Can delete tickets and restore deleted ones"),
        ]
        # Every list states one status condition (selectors.list_scope): none, one status, or a
        # subset of the unsolved ones. Each has an index per sort that yields the order, so no
        # ascending sort walks the recency index from its oldest (closed) end: "(status, ...)"
        # for one status, partial "... WHERE unsolved" for the unsolved views. The partial
        # (assignee|feature|team, updated) ones serve "mine", "unassigned" and "My features" and the
        # filters of the unsolved views, where the whole-table (x, updated) index would start
        # from the filter value's oldest, closed, tickets (docs/benchmarks.md, the sweep).
        indexes = [
            models.Index(fields=["-updated_at", "-id"], name="ticket_updated"),
            models.Index(fields=["-created_at", "-id"], name="ticket_created"),
            models.Index(
                fields=["-updated_at", "-id"],
                name="ticket_unsolved_updated",
                condition=_UNSOLVED,
            ),
            models.Index(
                fields=["-created_at", "-id"],
                name="ticket_unsolved_created",
                condition=_UNSOLVED,
            ),
            models.Index(
                fields=["-priority", "-updated_at", "-id"],
                name="ticket_unsolved_priority",
                condition=_UNSOLVED,
            ),
            models.Index(
                fields=["assignee", "-updated_at", "-id"],
                name="ticket_unsolved_assignee",
                condition=_UNSOLVED,
            ),
            models.Index(
                fields=["feature", "-updated_at", "-id"],
                name="ticket_unsolved_feature",
                condition=_UNSOLVED,
            ),
            models.Index(
                fields=["team", "-updated_at", "-id"],
                name="ticket_unsolved_team",
                condition=_UNSOLVED,
            ),
            # Two conditions and a sort: "my pending tickets", "urgent, oldest first", a feature's
            # or a requester's open tickets. Either single-column index alone walks past the
            # rows of the other condition that age sorts first (up to 100 ms at 1M).
            models.Index(
                fields=["assignee", "status", "-updated_at", "-id"],
                name="ticket_unsolved_assignee_st",
                condition=_UNSOLVED,
            ),
            models.Index(
                fields=["priority", "-created_at", "-id"],
                name="ticket_unsolved_priority_cr",
                condition=_UNSOLVED,
            ),
            models.Index(
                fields=["feature", "-created_at", "-id"],
                name="ticket_unsolved_feature_cr",
                condition=_UNSOLVED,
            ),
            # A feature's unsolved tickets by priority, and a requester's in recency order: without
            # them "unassigned · priority · feature" sorted 1,800 of a feature's 50,000 tickets
            # (33 ms p95 at 1M, 2.1x the 10k figure), and a big account's 8,000 tickets were
            # intersected with a feature's 64,000 (docs/benchmarks.md).
            models.Index(
                fields=["feature", "-priority", "-updated_at", "-id"],
                name="ticket_unsolved_feature_pri",
                condition=_UNSOLVED,
            ),
            models.Index(
                fields=["requester", "-updated_at", "-id"],
                name="ticket_unsolved_requester",
                condition=_UNSOLVED,
            ),
            models.Index(fields=["requester", "status"], name="ticket_requester_status"),
            models.Index(fields=["status", "-updated_at", "-id"], name="ticket_status_updated"),
            models.Index(fields=["status", "-created_at", "-id"], name="ticket_status_created"),
            models.Index(fields=["status", "-priority", "-updated_at", "-id"], name="ticket_status_priority"),
            models.Index(fields=["assignee", "-updated_at", "-id"], name="ticket_assignee_updated"),
            models.Index(fields=["team", "-updated_at", "-id"], name="ticket_team_updated"),
            models.Index(fields=["-priority", "-updated_at", "-id"], name="ticket_priority_updated"),
            models.Index(fields=["requester", "-created_at"], name="ticket_requester_created"),
            models.Index(fields=["organization", "-created_at"], name="ticket_org_created"),
            models.Index(fields=["feature", "-updated_at"], name="ticket_feature_updated"),
            models.Index(fields=["status", "solved_at"], name="ticket_status_solved"),
            # The "Deleted and spam" list and the purge: a handful of rows among millions.
            models.Index(
                fields=["-removed_at", "-id"], name="ticket_removed", condition=~Q(removed="")
            ),
        ]

    def __str__(self) -> str:
        return f"{self.reference} {self.subject}"

    @property
    def reference(self) -> str:
        return format_reference(self.number)

    @property
    def priority_slug(self) -> str:
        return TicketPriority(self.priority).slug

    @property
    def is_unsolved(self) -> bool:
        return self.status in UNSOLVED_STATUSES

    @property
    def is_closed(self) -> bool:
        return self.status == TicketStatus.CLOSED

    @property
    def is_removed(self) -> bool:
        return bool(self.removed)

    @property
    def waiting_on_desk(self) -> bool:
        """Unsolved, and the customer's last message has no public reply from the desk after it."""
        wrote = self.last_customer_message_at
        return (
            self.is_unsolved
            and wrote is not None
            and (self.last_agent_reply_at is None or self.last_agent_reply_at < wrote)
        )

    def can_transition_to(self, status: str) -> bool:
        return status in self.ALLOWED_TRANSITIONS[self.status]

    def allowed_next_statuses(self) -> list[str]:
        return [s for s in TicketStatus.values if s in self.ALLOWED_TRANSITIONS[self.status]]


def format_reference(number: int) -> str:
    return f"{settings.HELPDESK_REFERENCE_PREFIX}-{number}"


def parse_reference(reference: str) -> int | None:
    """``HD-1042`` (any case) or a bare ``1042`` -> 1042; anything else -> None."""
    text = (reference or "").strip()
    prefix = settings.HELPDESK_REFERENCE_PREFIX + "-"
    if text.upper().startswith(prefix.upper()):
        text = text[len(prefix) :]
    # isascii(): str.isdigit() accepts "²", which int() then refuses.
    if not (text.isascii() and text.isdigit()) or len(text) > 18:
        return None
    return int(text)


class TicketEvent(models.Model):
    """One entry of a ticket's timeline: a message, or a change with old and new value."""

    class Kind(models.TextChoices):
        CREATED = "created", "Created"
        REPLY = "reply", "Public reply"
        NOTE = "note", "Internal note"
        STATUS = "status", "Status changed"
        PRIORITY = "priority", "Priority changed"
        ASSIGNEE = "assignee", "Assignee changed"
        TEAM = "team", "Team changed"
        TAGS = "tags", "Tags changed"
        FEATURE = "feature", "Feature changed"
        SUBJECT = "subject", "Subject changed"
        REQUESTER = "requester", "Requester changed"
        CC = "cc", "CCs changed"
        MERGED = "merged", "Merged"
        REMOVED = "removed", "Removed or restored"
        # Another app's work on the ticket's problem (an escalation linked, fixed): old_value
        # says what happened, new_value names it ("ESC-12"). Desk only.
        LINKED_WORK = "linked", "Linked work"

    MESSAGE_KINDS = frozenset({Kind.REPLY, Kind.NOTE})
    # Rows customers never see: they bump neither the version nor "last activity".
    DESK_ONLY_KINDS = frozenset({Kind.NOTE, Kind.LINKED_WORK})

    ticket = models.ForeignKey(Ticket, on_delete=models.CASCADE, related_name="events")
    kind = models.CharField(max_length=10, choices=Kind.choices)
    # Who did it; null for the system (auto-close, imports).
    actor = models.ForeignKey(
        settings.AUTH_USER_MODEL, null=True, blank=True, on_delete=models.PROTECT, related_name="ticket_events"
    )
    # Set when the words are the customer's (their own reply, or the request an
    # agent logged for them).
    customer = models.ForeignKey(Customer, null=True, blank=True, on_delete=models.SET_NULL, related_name="+")
    body = models.TextField(blank=True)
    old_value = models.CharField(max_length=255, blank=True)
    new_value = models.CharField(max_length=255, blank=True)
    created_at = models.DateTimeField()

    class Meta:
        ordering = ["created_at", "id"]
        indexes = [
            models.Index(fields=["ticket", "created_at", "id"], name="ticketevent_ticket_created"),
        ]

    def __str__(self) -> str:
        return f"{self.kind} on ticket {self.ticket_id}"

    @property
    def is_message(self) -> bool:
        return self.kind in self.MESSAGE_KINDS


class AuditEvent(models.Model):
    """One configuration write: who changed which directory object, from what to what.

    Written by the directory services in the transaction of the change itself
    (``services.audit_record``), so a change and its audit row exist together or not
    at all. ``object_label`` is the object's name when it changed, kept even if the
    object is renamed later; ``changes`` maps each field to ``[old, new]`` as shown
    to people (names of related objects, never password hashes).
    """

    # Who did it; null for the system (seeding, migrations, management commands).
    # People are deactivated, never deleted, so the name stays on every row.
    # No index of its own: audit_actor_created below starts with it.
    actor = models.ForeignKey(
        settings.AUTH_USER_MODEL, null=True, blank=True, on_delete=models.PROTECT, related_name="+", db_index=False
    )
    action = models.CharField(max_length=50)
    object_type = models.CharField(max_length=30)
    object_id = models.CharField(max_length=64, blank=True)
    object_label = models.CharField(max_length=255, blank=True)
    changes = models.JSONField(default=dict, blank=True)
    created_at = models.DateTimeField()

    # What the log's filters offer (any other action is still stored and shown).
    OBJECT_TYPES = {
        "user": "Person",
        "role": "Role",
        "team": "Team",
        "tag": "Tag",
        "organization": "Organization",
        "customer": "Customer",
        "product": "Product",
        "feature": "Feature",
        "api_token": "API token",
        "outbound_email": "Outgoing email",
        "mail_template": "Email template",
        "mailbox": "IMAP mailbox",
        "macro": "Macro",
        "ticket": "Ticket",
        "escalation": "Escalation",
        "webhook": "Webhook endpoint",
    }
    ACTIONS = {
        "user.created": "Person added",
        "user.updated": "Person changed",
        "user.roles_changed": "Roles given or taken",
        "user.permissions_changed": "Single permissions changed",
        "user.password_changed": "Password set by an admin",
        "user.deactivated": "Person deactivated",
        "user.reactivated": "Person reactivated",
        "role.created": "Role added",
        "role.updated": "Role renamed",
        "role.permissions_changed": "Role permissions changed",
        "role.deleted": "Role deleted",
        "team.created": "Team added",
        "team.updated": "Team changed",
        "tag.created": "Tag added",
        "tag.updated": "Tag renamed",
        "organization.created": "Organization added",
        "organization.updated": "Organization changed",
        "customer.created": "Customer added",
        "customer.updated": "Customer changed",
        "customer.bulk_created": "Customers loaded in bulk",
        "customer.invited": "Customer invited to the portal",
        "customer.invitation_accepted": "Customer set a password from an invitation",
        "product.created": "Product added",
        "product.updated": "Product changed",
        "feature.created": "Feature added",
        "feature.updated": "Feature changed",
        "api_token.created": "API token created",
        "api_token.revoked": "API token revoked",
        "api_token.revoked_all": "Every API token of a person revoked",
        "outbound_email.retried": "Email sent again",
        "mail_template.saved": "Email template changed",
        "mail_template.reset": "Email template reset to the built-in one",
        "mailbox.created": "IMAP mailbox added",
        "mailbox.updated": "IMAP mailbox changed",
        "macro.created": "Macro added",
        "macro.updated": "Macro changed",
        "ticket.merged": "Ticket merged into another",
        "ticket.marked_spam": "Ticket marked as spam",
        "ticket.deleted": "Ticket deleted",
        "ticket.restored": "Ticket restored",
        "ticket.purged": "Ticket deleted for good",
        "escalation.raised": "Escalation raised (andon cord pulled)",
        "escalation.linked": "Ticket linked to an escalation",
        "escalation.acknowledge": "Escalation acknowledged",
        "escalation.start": "Escalation work started",
        "escalation.request_info": "Escalation: information requested",
        "escalation.provide_info": "Escalation: information provided",
        "escalation.fix": "Escalation fixed",
        "escalation.reject": "Escalation rejected",
        "escalation.reopen": "Escalation reopened",
        "escalation.close": "Escalation closed",
        "feature.blocked": "Feature blocked by an escalation",
        "feature.unblocked": "Feature unblocked",
        "webhook.created": "Webhook endpoint added",
        "webhook.updated": "Webhook endpoint changed",
    }

    class Meta:
        ordering = ["-created_at", "-id"]
        verbose_name = "audit event"
        indexes = [
            # One per filter of the audit log, each ending in its keyset order.
            models.Index(fields=["-created_at", "-id"], name="audit_created"),
            models.Index(fields=["actor", "-created_at", "-id"], name="audit_actor_created"),
            models.Index(fields=["object_type", "-created_at", "-id"], name="audit_type_created"),
            models.Index(fields=["action", "-created_at", "-id"], name="audit_action_created"),
            models.Index(fields=["object_type", "object_id", "-created_at", "-id"], name="audit_object_created"),
        ]

    def __str__(self) -> str:
        return f"{self.action} {self.object_label}"


class ApiToken(models.Model):
    """A key a script sends as ``Authorization: Token <key>``.

    Only the key's SHA-256 is stored (the key has 256 random bits, so a fast hash is
    as safe as a slow one and keeps every API request to one indexed lookup); the key
    itself is shown once, when the token is created. ``prefix`` is its start, for
    telling tokens apart in lists. A token ends when it expires or is revoked; the
    row stays as the record of why.
    """

    class RevokedReason(models.TextChoices):
        OWNER = "owner", "revoked by its owner"
        ADMINISTRATOR = "administrator", "revoked by an administrator"
        PASSWORD_CHANGED = "password_changed", "the account's password was changed"
        DEACTIVATED = "deactivated", "the account was deactivated"

    user = models.ForeignKey(settings.AUTH_USER_MODEL, on_delete=models.CASCADE, related_name="api_tokens")
    name = models.CharField(max_length=100)
    digest = models.CharField(max_length=64, unique=True, editable=False)
    prefix = models.CharField(max_length=12, editable=False)
    created_at = models.DateTimeField()
    expires_at = models.DateTimeField()
    # Written at most every few minutes (services.api_token_touch), not on every request.
    last_used_at = models.DateTimeField(null=True, blank=True)
    revoked_at = models.DateTimeField(null=True, blank=True)
    revoked_reason = models.CharField(max_length=20, choices=RevokedReason.choices, blank=True)
    revoked_by = models.ForeignKey(
        settings.AUTH_USER_MODEL, null=True, blank=True, on_delete=models.SET_NULL, related_name="+"
    )

    class Meta:
        ordering = ["-created_at", "-id"]
        indexes = [models.Index(fields=["user", "-created_at", "-id"], name="apitoken_user_created")]
        permissions = [("revoke_any_apitoken", "Can revoke other people's API tokens")]
        verbose_name = "API token"

    def __str__(self) -> str:
        return f"{self.name} ({self.prefix}…)"

    @staticmethod
    def digest_of(key: str) -> str:
        return hashlib.sha256(key.encode("utf-8", "surrogatepass")).hexdigest()

    def state(self, now) -> str:
        """``active``, ``expired`` or ``revoked``."""
        if self.revoked_at is not None:
            return "revoked"
        if self.expires_at <= now:
            return "expired"
        return "active"


# Attachments, and email in and out, live in modules of their own; importing them here makes
# them the app's models.
from helpdesk.attachments.models import Attachment  # noqa: E402,F401
from helpdesk.macros.models import Macro  # noqa: E402,F401
from helpdesk.mail.models import InboundEmail, Mailbox, MailTemplate, OutboundEmail  # noqa: E402,F401
from helpdesk.notifications.models import Notification, NotificationReason, NotificationSettings  # noqa: E402,F401
from helpdesk.participants.models import TicketCC, TicketFollower  # noqa: E402,F401
