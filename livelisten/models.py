"""Live chat sessions, their numbered messages, who listens, and what listeners leave behind.

A :class:`ChatSession` is the counter row of its messages: ``last_seq`` is raised under
the session's row lock in the transaction that stores each message, so sequence
numbers start at 1, have no gaps and come from the database, whatever process the
sender's socket lives on. Sockets deliver from these rows (replay on connect, and a
fetch whenever a broadcast skips a number): the channel layer only says "there is
more", it is never the record.
"""

from __future__ import annotations

from django.conf import settings
from django.db import models
from django.db.models import Q
from django.utils import timezone


class SessionStatus(models.TextChoices):
    WAITING = "waiting", "Waiting"
    ACTIVE = "active", "Active"
    ENDED = "ended", "Ended"


class ChatSession(models.Model):
    Status = SessionStatus

    # action -> (statuses it starts from, status it leads to)
    TRANSITIONS: dict[str, tuple[tuple[str, ...], str]] = {
        "accept": ((SessionStatus.WAITING,), SessionStatus.ACTIVE),
        "transfer": ((SessionStatus.ACTIVE,), SessionStatus.ACTIVE),
        "end": ((SessionStatus.WAITING, SessionStatus.ACTIVE), SessionStatus.ENDED),
    }

    ticket = models.ForeignKey("helpdesk.Ticket", on_delete=models.PROTECT, related_name="chat_sessions")
    customer = models.ForeignKey(settings.AUTH_USER_MODEL, on_delete=models.PROTECT, related_name="chat_sessions")
    agent = models.ForeignKey(
        settings.AUTH_USER_MODEL, on_delete=models.PROTECT, null=True, blank=True, related_name="chat_sessions_served"
    )
    # Round-robin: the available agent this waiting session was offered to (anyone on the desk may still accept).
    offered_to = models.ForeignKey(settings.AUTH_USER_MODEL, on_delete=models.SET_NULL, null=True, blank=True, related_name="+")
    offered_at = models.DateTimeField(null=True, blank=True)
    status = models.CharField(max_length=10, choices=SessionStatus.choices, default=SessionStatus.WAITING)
    subject = models.CharField(max_length=200)
    last_seq = models.PositiveIntegerField(default=0)
    # Messages between the people in the chat (not whispers, not system lines).
    message_count = models.PositiveIntegerField(default=0)
    version = models.PositiveIntegerField(default=1)
    # Who listens now, kept by the listening services under this row's lock, so the announcement
    # after each line reads it with the counter (one statement) instead of querying the connections.
    listener_usernames = models.JSONField(default=list, blank=True)
    created_at = models.DateTimeField(default=timezone.now)
    accepted_at = models.DateTimeField(null=True, blank=True)
    ended_at = models.DateTimeField(null=True, blank=True)
    ended_by = models.ForeignKey(settings.AUTH_USER_MODEL, on_delete=models.SET_NULL, null=True, blank=True, related_name="+")

    class Meta:
        ordering = ["-created_at"]
        permissions = [
            ("listen_session", "Listen to live chat sessions (dashboard, shadow, whisper, barge)"),
            ("serve_chat", "Answer live chat sessions"),
            ("manage_chat", "Transfer and end any live chat session; see every coaching mark and listen audit"),
        ]
        indexes = [
            models.Index(fields=["status", "-created_at"], name="chat_session_status"),
            models.Index(fields=["-created_at", "-id"], name="chat_session_recent"),
            models.Index(fields=["agent", "status"], name="chat_session_agent"),
            models.Index(fields=["customer", "status"], name="chat_session_customer"),
        ]

    def __str__(self) -> str:
        return f"Chat {self.pk} ({self.status})"

    @property
    def is_live(self) -> bool:
        return self.status != SessionStatus.ENDED

    def can(self, action: str) -> bool:
        starts, _ = self.TRANSITIONS[action]
        return self.status in starts


class MessageKind(models.TextChoices):
    MESSAGE = "message", "Message"
    WHISPER = "whisper", "Whisper"
    SYSTEM = "system", "System"


class SenderRole(models.TextChoices):
    CUSTOMER = "customer", "Customer"
    AGENT = "agent", "Agent"
    MANAGER = "manager", "Manager"
    SYSTEM = "system", "System"


class ChatMessage(models.Model):
    Kind = MessageKind
    Role = SenderRole

    session = models.ForeignKey(ChatSession, on_delete=models.CASCADE, related_name="messages")
    seq = models.PositiveIntegerField()
    kind = models.CharField(max_length=10, choices=MessageKind.choices, default=MessageKind.MESSAGE)
    sender = models.ForeignKey(settings.AUTH_USER_MODEL, on_delete=models.PROTECT, null=True, blank=True, related_name="+")
    sender_role = models.CharField(max_length=10, choices=SenderRole.choices)
    body = models.TextField()
    # The sender's own id for the frame: a resend with the same id is the same message.
    client_id = models.CharField(max_length=64, blank=True, default="")
    created_at = models.DateTimeField(default=timezone.now)
    # Where the message stands on the ticket's timeline (written when the session ends;
    # the opening message is the ticket's first message from the start).
    ticket_event = models.ForeignKey("helpdesk.TicketEvent", on_delete=models.SET_NULL, null=True, blank=True, related_name="+")

    class Meta:
        ordering = ["session", "seq"]
        constraints = [
            models.UniqueConstraint(fields=["session", "seq"], name="chat_message_seq_unique"),
            models.UniqueConstraint(
                fields=["session", "sender", "client_id"],
                condition=~Q(client_id=""),
                name="chat_message_client_id_unique",
            ),
        ]

    def __str__(self) -> str:
        return f"{self.session_id}#{self.seq} {self.kind}"


class SessionMember(models.Model):
    """A listener who barged in: they take part in the chat, visibly, until they leave."""

    session = models.ForeignKey(ChatSession, on_delete=models.CASCADE, related_name="members")
    user = models.ForeignKey(settings.AUTH_USER_MODEL, on_delete=models.CASCADE, related_name="+")
    joined_at = models.DateTimeField(default=timezone.now)

    class Meta:
        constraints = [models.UniqueConstraint(fields=["session", "user"], name="chat_member_unique")]

    def __str__(self) -> str:
        return f"{self.user_id} in chat {self.session_id}"


class ListenerConnection(models.Model):
    """One open listen socket (a person may listen from several windows).

    Removed when the socket closes; a process killed without closing its sockets leaves
    rows whose ``seen_at`` stops moving, and listeners are counted only while it is fresh.
    """

    session = models.ForeignKey(ChatSession, on_delete=models.CASCADE, related_name="listener_connections")
    user = models.ForeignKey(settings.AUTH_USER_MODEL, on_delete=models.CASCADE, related_name="+")
    connection = models.CharField(max_length=64, unique=True)
    started_at = models.DateTimeField(default=timezone.now)
    seen_at = models.DateTimeField(default=timezone.now)

    class Meta:
        indexes = [models.Index(fields=["session", "seen_at"], name="chat_listener_session")]

    def __str__(self) -> str:
        return f"{self.user_id} listening to chat {self.session_id}"


class ListenAudit(models.Model):
    """Who listened to which session, when, and how (support managers read it)."""

    class Action(models.TextChoices):
        LISTEN_STARTED = "listen_started", "Started listening"
        LISTEN_STOPPED = "listen_stopped", "Stopped listening"
        BARGED = "barged", "Barged in"
        LEFT = "left", "Left the chat (listening again)"
        WHISPERED = "whispered", "Whispered to the agent"

    session = models.ForeignKey(ChatSession, on_delete=models.CASCADE, related_name="listen_audit")
    actor = models.ForeignKey(settings.AUTH_USER_MODEL, on_delete=models.PROTECT, related_name="+")
    action = models.CharField(max_length=20, choices=Action.choices)
    old_mode = models.CharField(max_length=10, blank=True, default="")
    new_mode = models.CharField(max_length=10, blank=True, default="")
    created_at = models.DateTimeField(default=timezone.now)

    class Meta:
        ordering = ["-created_at", "-pk"]
        indexes = [models.Index(fields=["-created_at"], name="chat_listen_audit_recent")]

    def __str__(self) -> str:
        return f"{self.actor_id} {self.action} chat {self.session_id}"


class CoachingMark(models.Model):
    """A listener's comment on one message, for the agent after the session and for support managers."""

    message = models.ForeignKey(ChatMessage, on_delete=models.CASCADE, related_name="coaching_marks")
    session = models.ForeignKey(ChatSession, on_delete=models.CASCADE, related_name="coaching_marks")
    # The agent being coached: the session's agent when the mark was made.
    agent = models.ForeignKey(settings.AUTH_USER_MODEL, on_delete=models.PROTECT, null=True, related_name="+")
    author = models.ForeignKey(settings.AUTH_USER_MODEL, on_delete=models.PROTECT, related_name="+")
    comment = models.TextField()
    created_at = models.DateTimeField(default=timezone.now)
    seen_at = models.DateTimeField(null=True, blank=True)

    class Meta:
        ordering = ["-created_at", "-pk"]
        indexes = [models.Index(fields=["agent", "-created_at"], name="chat_coaching_agent")]

    def __str__(self) -> str:
        return f"Coaching on chat {self.session_id} #{self.message_id}"


class AgentChatSettings(models.Model):
    """An agent's place in the round-robin and their console preferences."""

    user = models.OneToOneField(settings.AUTH_USER_MODEL, on_delete=models.CASCADE, related_name="chat_settings")
    available = models.BooleanField(default=False)
    last_offered_at = models.DateTimeField(null=True, blank=True)
    show_listeners = models.BooleanField(default=True)

    class Meta:
        indexes = [models.Index(fields=["available", "last_offered_at"], name="chat_agent_round_robin")]

    def __str__(self) -> str:
        return f"Chat settings of {self.user_id}"


class SocketTicket(models.Model):
    """A single-use, 30-second stand-in for the session cookie on a websocket (scripts and integrations)."""

    key_hash = models.CharField(max_length=64, unique=True)
    user = models.ForeignKey(settings.AUTH_USER_MODEL, on_delete=models.CASCADE, related_name="+")
    session = models.ForeignKey(ChatSession, on_delete=models.CASCADE, related_name="+")
    expires_at = models.DateTimeField()
    used_at = models.DateTimeField(null=True, blank=True)

    def __str__(self) -> str:
        return f"Socket ticket of {self.user_id}"
