"""Shapes of the ticket API: what requests may carry and what responses look like.

Input serializers check shape only (types, choices, unknown keys); the rules
(who may change what, transitions, sizes) live in services and permissions.
Output serializers read objects the selectors fetched and make no queries of
their own.
"""

from __future__ import annotations

from typing import Any

from django.conf import settings
from drf_spectacular.extensions import OpenApiSerializerExtension
from rest_framework import serializers

from helpdesk import extensions, permissions, presenters
from helpdesk.apikit import StrictSerializer
from helpdesk.models import TicketChannel, TicketEvent, TicketPriority, TicketStatus

# Not ``TicketPriority.names``: Django's choices metaclass defines ``names`` (the
# upper-case member names), which hides the model's lower-case classmethod.
PRIORITY_NAMES = [member.slug for member in TicketPriority]


def ticket_etag(ticket) -> str:
    """Strong ETag: the ticket's version, quoted (``"7"``); every change of the ticket bumps it.

    Strong because If-Match compares strongly; renaming a team or tag elsewhere
    shows on the next GET without a new version, which is fine for its one use,
    refusing stale writes.
    """
    return f'"{ticket.version}"'


# --- auth ---------------------------------------------------------------------------------


class TokenCredentialsSerializer(StrictSerializer):
    username = serializers.CharField(max_length=150, trim_whitespace=True)
    password = serializers.CharField(max_length=4096, trim_whitespace=False, style={"input_type": "password"})
    name = serializers.CharField(
        max_length=100,
        required=False,
        help_text="What will use the token, to tell it apart in your list (default: “API sign-in” and the time).",
    )


class ApiTokenSerializer(serializers.Serializer):
    """A token as its owner's list shows it; the key itself is never shown again."""

    id = serializers.IntegerField()
    name = serializers.CharField()
    prefix = serializers.CharField(help_text="The key's first characters, to recognise it.")
    created = serializers.DateTimeField(source="created_at")
    expires = serializers.DateTimeField(source="expires_at")
    last_used = serializers.DateTimeField(
        source="last_used_at", allow_null=True, help_text="Within a few minutes; null if never used."
    )
    state = serializers.SerializerMethodField(help_text="`active`, `expired` or `revoked`.")
    revoked_at = serializers.DateTimeField(allow_null=True)
    revoked_reason = serializers.SerializerMethodField(
        help_text="Why it was revoked (`owner`, `administrator`, `password_changed`, `deactivated`), or null."
    )

    def get_state(self, token) -> str:
        return token.state(self.context["now"])

    def get_revoked_reason(self, token) -> str | None:
        return token.revoked_reason or None


class TokenSerializer(ApiTokenSerializer):
    token = serializers.CharField(help_text="The key. Send it as `Authorization: Token <key>`; it is shown only in this answer.")


class ApiTokenListSerializer(serializers.Serializer):
    results = ApiTokenSerializer(many=True)
    next = serializers.URLField(allow_null=True, help_text="Always null: one page holds every token listed.")


# --- errors (documentation only) ------------------------------------------------------------


class ErrorSerializer(serializers.Serializer):
    detail = serializers.CharField()
    field = serializers.CharField(required=False, help_text="The request field the refusal is about, when there is one.")


# --- tickets: output ------------------------------------------------------------------------


class RequesterSerializer(serializers.Serializer):
    id = serializers.IntegerField(help_text="Customer id (the `requester` filter of the list).")
    name = serializers.CharField()
    email = serializers.EmailField()
    username = serializers.SerializerMethodField(help_text="Their sign-in name; null for a customer without a login.")

    def get_username(self, customer) -> str | None:
        return customer.user.get_username() if customer.user_id is not None else None


class TeamRefSerializer(serializers.Serializer):
    id = serializers.IntegerField()
    name = serializers.CharField()


def viewer_is_desk(context: dict[str, Any]) -> bool:
    """Whether the answer goes to the desk; without a request in the context, assume not (show less)."""
    request = context.get("request")
    return request is not None and permissions.can_see_internal(request.user)


DESK_ONLY = "Desk only: left out of the answers customers get."
# Routing is the desk's business: who works a ticket, in which team, under which
# tags and feature is not shown to the customer who asked.
DESK_ONLY_TICKET_FIELDS = ("assignee", "team", "tags", "feature")


_EXTENSION_VALUES = "_extension_values"


def _extension_values(context: dict[str, Any], tickets: list[Any]) -> None:
    """Other apps' ticket fields (helpdesk.extensions) for these tickets: a fixed number of queries for all."""
    request = context.get("request")
    viewer = request.user if request is not None else None
    context[_EXTENSION_VALUES] = {field.name: field.values(viewer, tickets) for field in extensions.ticket_api_fields()}


class ExtensionListField(serializers.ListField):
    """A desk-only list another app gives each ticket (``escalations``: references), read from the batch above."""

    def __init__(self, extension: extensions.TicketApiField):
        self.extension = extension
        super().__init__(child=serializers.CharField(), source="*", read_only=True, help_text=extension.help_text)

    def get_attribute(self, ticket):
        if _EXTENSION_VALUES not in self.context:  # a single ticket, not a list
            _extension_values(self.context, [ticket])
        return self.context[_EXTENSION_VALUES][self.extension.name].get(ticket.pk, self.extension.default())


class TicketListSerializer(serializers.ListSerializer):
    def to_representation(self, data):
        tickets = list(data.all() if hasattr(data, "all") else data)
        if viewer_is_desk(self.context):
            _extension_values(self.context, tickets)
        return super().to_representation(tickets)


class TicketSerializer(serializers.Serializer):
    """A ticket as every endpoint returns it (also the `current` of a 409).

    For customers the desk-only fields (assignee, team, tags, feature, and other
    apps' fields such as escalations) are left out.
    """

    class Meta:
        list_serializer_class = TicketListSerializer

    def get_fields(self):
        fields = super().get_fields()
        for extension in extensions.ticket_api_fields():
            fields[extension.name] = ExtensionListField(extension)
        return fields

    reference = serializers.CharField(read_only=True)
    subject = serializers.CharField()
    status = serializers.ChoiceField(choices=TicketStatus.values)
    priority = serializers.SerializerMethodField()
    channel = serializers.ChoiceField(choices=TicketChannel.values)
    requester = RequesterSerializer()
    organization = serializers.SerializerMethodField()
    assignee = serializers.SerializerMethodField(help_text=f"Username of the assignee, or null. {DESK_ONLY}")
    team = TeamRefSerializer(allow_null=True, help_text=DESK_ONLY)
    tags = serializers.SerializerMethodField(help_text=f"Tag names. {DESK_ONLY}")
    feature = serializers.SerializerMethodField(help_text=f"Feature key, or null. {DESK_ONLY}")
    version = serializers.IntegerField(help_text="Bumped by every change; send it back (or the ETag) to update safely.")
    created = serializers.DateTimeField(source="created_at")
    updated = serializers.DateTimeField(source="updated_at")
    solved_at = serializers.DateTimeField(allow_null=True)
    closed_at = serializers.DateTimeField(allow_null=True)
    allowed_statuses = serializers.SerializerMethodField(
        help_text="The statuses the caller may move the ticket to now (transition table and their rights)."
    )
    merged_into = serializers.SerializerMethodField(
        help_text="The reference of the ticket this one was merged into (it is then closed), or null."
    )

    def to_representation(self, ticket) -> dict[str, Any]:
        if not viewer_is_desk(self.context):
            # Left out before they are read: other apps' values are never even fetched for a customer.
            fields = self.fields
            for extension in extensions.ticket_api_fields():
                fields.pop(extension.name, None)
            data = super().to_representation(ticket)
            for name in DESK_ONLY_TICKET_FIELDS:
                del data[name]
            return data
        return super().to_representation(ticket)

    def get_priority(self, ticket) -> str:
        return TicketPriority(ticket.priority).slug

    def get_merged_into(self, ticket) -> str | None:
        if ticket.merged_into_id is None:
            return None
        # A customer hears only of a target that is theirs too; the desk sees every pointer.
        if viewer_is_desk(self.context) or ticket.merged_into.requester_id == ticket.requester_id:
            return ticket.merged_into.reference
        return None

    def get_organization(self, ticket) -> str | None:
        return ticket.organization.name if ticket.organization_id is not None else None

    def get_assignee(self, ticket) -> str | None:
        return ticket.assignee.get_username() if ticket.assignee_id is not None else None

    def get_tags(self, ticket) -> list[str]:
        return sorted(tag.name for tag in ticket.tags.all())

    def get_feature(self, ticket) -> str | None:
        return ticket.feature.key if ticket.feature_id is not None else None

    def get_allowed_statuses(self, ticket) -> list[str]:
        request = self.context.get("request")
        statuses = ticket.allowed_next_statuses()
        if request is None:
            return statuses
        return [s for s in statuses if not permissions.forbidden_fields(request.user, ticket, {"status": s})]


class TicketSchema(OpenApiSerializerExtension):
    """The schema of ``TicketSerializer``: the desk-only fields are optional, as customers never get them."""

    target_class = TicketSerializer

    def map_serializer(self, auto_schema, direction):
        schema = super().map_serializer(auto_schema, direction)
        required = [name for name in schema.get("required", []) if name not in DESK_ONLY_TICKET_FIELDS]
        if required:
            schema["required"] = required
        else:
            schema.pop("required", None)
        return schema


class TicketPageSerializer(serializers.Serializer):
    results = TicketSerializer(many=True)
    next = serializers.URLField(allow_null=True, help_text="The next page (same filters), or null on the last page.")


class StaleTicketSerializer(serializers.Serializer):
    detail = serializers.CharField()
    current = TicketSerializer(help_text="The ticket as it is now; nothing of the request was applied.")


# --- tickets: input -------------------------------------------------------------------------


class TicketCreateSerializer(StrictSerializer):
    subject = serializers.CharField(max_length=200)
    body = serializers.CharField(
        trim_whitespace=False, help_text=f"The request. At most {settings.HELPDESK_MAX_BODY_BYTES // 1024} KB (UTF-8)."
    )
    priority = serializers.ChoiceField(
        choices=PRIORITY_NAMES,
        required=False,
        default="normal",
        help_text=(
            "Set by the desk. A customer may send it (no error) but it is not applied: their tickets start as "
            "`normal` and the desk decides."
        ),
    )
    requester = serializers.CharField(
        required=False,
        help_text=(
            "Username or email of the customer the ticket is for. Desk users must give it; customers leave it out. "
            "An email that is not a customer's yet adds the customer (named by `requester_name`, or by the email; "
            "in the organization that lists the email's domain)."
        ),
    )
    requester_name = serializers.CharField(
        required=False,
        max_length=200,
        help_text="The new customer's name, when `requester` is an email that is not a customer yet (desk users only).",
    )
    channel = serializers.ChoiceField(
        choices=TicketChannel.values,
        required=False,
        help_text="How the request came in (desk users only); `api` when left out.",
    )
    team = serializers.IntegerField(required=False, allow_null=True, help_text="Team id (desk users only).")
    assignee = serializers.CharField(required=False, allow_null=True, help_text="Username (desk users only).")
    tags = serializers.ListField(
        child=serializers.CharField(max_length=50),
        required=False,
        help_text=f"Tag names (desk users only), at most {settings.HELPDESK_MAX_TAGS_PER_TICKET}.",
    )
    feature = serializers.CharField(required=False, allow_null=True, help_text="Feature key (desk users only).")


class TicketUpdateSerializer(StrictSerializer):
    """Every field optional; only the ones sent are changed."""

    subject = serializers.CharField(required=False, max_length=200)
    status = serializers.ChoiceField(choices=TicketStatus.values, required=False)
    priority = serializers.ChoiceField(choices=PRIORITY_NAMES, required=False)
    assignee = serializers.CharField(required=False, allow_null=True, help_text="Username, or null to unassign.")
    team = serializers.IntegerField(required=False, allow_null=True, help_text="Team id, or null.")
    tags = serializers.ListField(
        child=serializers.CharField(max_length=50),
        required=False,
        help_text=f"The complete new list of tag names, at most {settings.HELPDESK_MAX_TAGS_PER_TICKET}.",
    )
    feature = serializers.CharField(required=False, allow_null=True, help_text="Feature key, or null.")
    version = serializers.IntegerField(
        required=False,
        min_value=1,
        help_text="The version you last saw (alternative to If-Match); a newer ticket answers 409.",
    )


# --- messages -------------------------------------------------------------------------------


class AttachmentSerializer(serializers.Serializer):
    id = serializers.IntegerField()
    filename = serializers.CharField()
    content_type = serializers.CharField(help_text="What the file's bytes are (sniffed when stored), not what the sender said.")
    size = serializers.IntegerField(help_text="Bytes.")
    width = serializers.IntegerField(allow_null=True, help_text="Pixels, for images; else null.")
    height = serializers.IntegerField(allow_null=True)
    url = serializers.SerializerMethodField(help_text="The file's content (same credentials as this request).")

    def get_url(self, attachment) -> str:
        from django.urls import reverse

        path = reverse("api:attachment-content", kwargs={"attachment_id": attachment.pk})
        request = self.context.get("request")
        return request.build_absolute_uri(path) if request is not None else path


class MessageSerializer(serializers.Serializer):
    id = serializers.IntegerField()
    body = serializers.CharField()
    internal = serializers.SerializerMethodField(help_text="An internal note (never shown to customers).")
    author = serializers.SerializerMethodField(
        help_text=(
            "Who wrote it. A customer's words: their username when they wrote them signed in, otherwise their "
            "email. Anyone else's: for the desk their username; for customers the writer's first name, or "
            '"Support team". Null for the system.'
        )
    )
    created = serializers.DateTimeField(source="created_at")
    attachments = AttachmentSerializer(many=True, read_only=True, source="attachments.all")

    def get_internal(self, event) -> bool:
        return event.kind == TicketEvent.Kind.NOTE

    def get_author(self, event) -> str | None:
        return presenters.author_handle(event, viewer_is_desk=viewer_is_desk(self.context))


class MessagePageSerializer(serializers.Serializer):
    results = MessageSerializer(many=True)
    next = serializers.URLField(allow_null=True, help_text="The next (later) messages, or null.")


class MessageCreateSerializer(StrictSerializer):
    body = serializers.CharField(
        trim_whitespace=False, help_text=f"At most {settings.HELPDESK_MAX_BODY_BYTES // 1024} KB (UTF-8)."
    )
    internal = serializers.BooleanField(required=False, default=False, help_text="Desk only.")
    status = serializers.ChoiceField(
        choices=TicketStatus.values,
        required=False,
        allow_null=True,
        help_text='Desk only: the status the ticket takes with this message ("submit as pending").',
    )
    attachments = serializers.ListField(
        child=serializers.FileField(allow_empty_file=False, use_url=False),
        required=False,
        default=list,
        help_text=(
            f"Files (multipart/form-data, the field repeated): at most {settings.HELPDESK_ATTACHMENTS_PER_MESSAGE}, "
            f"{settings.HELPDESK_ATTACHMENT_MAX_BYTES // (1024 * 1024)} MB each."
        ),
    )


class TicketMergeSerializer(serializers.Serializer):
    into = serializers.CharField(max_length=40, help_text="The reference of the ticket to merge into, such as `HD-1042`.")
    notice = serializers.CharField(
        required=False,
        allow_blank=True,
        max_length=64 * 1024,
        help_text="What the merged ticket's requester is told (a public reply, emailed); the standard text when left out.",
    )
    version = serializers.IntegerField(
        required=False, min_value=1, help_text="The merged ticket's version as you saw it (or send If-Match)."
    )
