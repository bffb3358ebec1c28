"""Shapes of the live chat API (validation of input; the output is the selectors' session object)."""

from __future__ import annotations

from rest_framework import serializers

from helpdesk.apikit import StrictSerializer


class SessionStartInput(StrictSerializer):
    subject = serializers.CharField(max_length=200, allow_blank=True, required=False, default="", trim_whitespace=True)
    body = serializers.CharField(max_length=20000, trim_whitespace=True)
    ticket = serializers.CharField(
        max_length=30, required=False, help_text="Continue one of your open tickets (`HD-1042`) instead of a new one."
    )


class VersionInput(StrictSerializer):
    version = serializers.IntegerField(required=False, min_value=1, help_text="The version you saw (409 when it moved).")


class TransferInput(StrictSerializer):
    agent = serializers.CharField(max_length=150, help_text="Username of the agent who takes the chat over.")
    version = serializers.IntegerField(required=False, min_value=1)


class CoachingInput(StrictSerializer):
    seq = serializers.IntegerField(min_value=1, help_text="The number of the message marked.")
    comment = serializers.CharField(max_length=4000)


class ChatSettingsInput(StrictSerializer):
    available = serializers.BooleanField(required=False, help_text="Offered waiting chats in turn (round-robin).")
    show_listeners = serializers.BooleanField(required=False, help_text="Your console shows who is listening.")


class SessionOutput(serializers.Serializer):
    id = serializers.IntegerField()
    status = serializers.ChoiceField(choices=["waiting", "active", "ended"])
    subject = serializers.CharField()
    ticket = serializers.CharField(help_text="The ticket's reference (`HD-1042`).")
    customer = serializers.CharField(help_text="The customer's username.")
    customer_name = serializers.CharField()
    organization = serializers.CharField(allow_null=True)
    key_account = serializers.BooleanField()
    agent = serializers.CharField(allow_null=True)
    offered_to = serializers.CharField(allow_null=True, required=False)
    listeners = serializers.ListField(child=serializers.CharField(), help_text="Usernames (empty for the customer).")
    message_count = serializers.IntegerField()
    last_seq = serializers.IntegerField(allow_null=True, help_text="The last line's number (null for the customer).")
    started = serializers.DateTimeField()
    accepted = serializers.DateTimeField(allow_null=True)
    ended = serializers.DateTimeField(allow_null=True)
    version = serializers.IntegerField()


class SessionListOutput(serializers.Serializer):
    results = SessionOutput(many=True)
    next = serializers.URLField(allow_null=True, help_text="The next page (same filters), or null on the last page.")


class SenderOutput(serializers.Serializer):
    username = serializers.CharField(allow_null=True)
    name = serializers.CharField()
    role = serializers.ChoiceField(choices=["customer", "agent", "manager", "system"])


class MessageOutput(serializers.Serializer):
    type = serializers.CharField()
    seq = serializers.IntegerField()
    kind = serializers.ChoiceField(choices=["message", "whisper", "system"])
    sender = SenderOutput()
    body = serializers.CharField()
    client_id = serializers.CharField(allow_null=True)
    created = serializers.DateTimeField()


class MessageListOutput(serializers.Serializer):
    results = MessageOutput(many=True)
    next = serializers.URLField(allow_null=True, help_text="The next (later) messages, or null.")


class TranscriptEmailOutput(serializers.Serializer):
    queued = serializers.BooleanField(help_text="Always true: the outbox sends it.")
    to = serializers.ListField(child=serializers.EmailField(), help_text="Where it goes: the customer's address.")


class SocketTicketOutput(serializers.Serializer):
    ticket = serializers.CharField(help_text="Use once within 30 seconds as `?ticket=` on a chat socket.")


class CoachingOutput(serializers.Serializer):
    id = serializers.IntegerField()
    session = serializers.IntegerField()
    seq = serializers.IntegerField()
    message = serializers.CharField()
    agent = serializers.CharField(allow_null=True)
    author = serializers.CharField()
    comment = serializers.CharField()
    created = serializers.DateTimeField()
    seen = serializers.BooleanField()


class CoachingListOutput(serializers.Serializer):
    results = CoachingOutput(many=True)
    next = serializers.URLField(allow_null=True, help_text="The next (older) marks, or null.")


class ChatSettingsOutput(serializers.Serializer):
    available = serializers.BooleanField()
    show_listeners = serializers.BooleanField()


def coaching_object(mark) -> dict:
    return {
        "id": mark.pk,
        "session": mark.session_id,
        "seq": mark.message.seq,
        "message": mark.message.body,
        "agent": mark.agent.get_username() if mark.agent_id else None,
        "author": mark.author.get_username(),
        "comment": mark.comment,
        "created": mark.created_at,
        "seen": mark.seen_at is not None,
    }
