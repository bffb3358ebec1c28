"""Shapes of the escalations API (no rules here: permissions.py and the services hold them)."""

from __future__ import annotations

from typing import Any

from django.utils import timezone
from rest_framework import serializers

from escalations import permissions
from escalations.models import Escalation, EscalationStatus, Severity
from helpdesk.apikit import StrictSerializer


def escalation_etag(escalation: Escalation) -> str:
    """Strong ETag: the escalation's version, quoted; every lifecycle step bumps it."""
    return f'"{escalation.version}"'


def _username(user) -> str | None:
    return user.get_username() if user is not None else None


class FeatureSerializer(serializers.Serializer):
    key = serializers.CharField()
    name = serializers.CharField()
    product = serializers.CharField(source="product.key", help_text="The product's key.")
    owner = serializers.SerializerMethodField(help_text="The owning product manager's username, or null.")
    blocked = serializers.BooleanField(help_text="True while at least one blocking escalation against the feature is unresolved.")

    def get_owner(self, feature) -> str | None:
        return _username(feature.owner)


class GateSerializer(serializers.Serializer):
    feature = serializers.CharField(help_text="The feature's key.")
    blocked = serializers.BooleanField()
    escalations = serializers.ListField(
        child=serializers.CharField(), help_text="The unresolved blocking escalations (`ESC-12`), oldest first."
    )


class ImpactSerializer(serializers.Serializer):
    tickets = serializers.IntegerField(source="ticket_count", help_text="Linked tickets.")
    customers = serializers.IntegerField(source="customer_count", help_text="Distinct requesters of those tickets.")
    organizations = serializers.IntegerField(source="organization_count")
    value = serializers.DecimalField(
        source="affected_value",
        max_digits=16,
        decimal_places=2,
        coerce_to_string=True,
        help_text="The affected organizations' annual value, each organization once.",
    )
    key_customers = serializers.IntegerField(source="key_account_count", help_text="Key-account organizations affected.")
    score = serializers.IntegerField(source="impact", help_text="The board's impact score (docs/escalations.md).")


class EscalationSerializer(serializers.Serializer):
    reference = serializers.CharField(help_text="`ESC-12`.")
    feature = serializers.CharField(source="feature.key")
    product = serializers.CharField(source="feature.product.key")
    severity = serializers.ChoiceField(choices=Severity.choices)
    status = serializers.ChoiceField(choices=EscalationStatus.choices)
    title = serializers.CharField()
    description = serializers.CharField(source="customer_impact", help_text="What customers experience.")
    steps = serializers.CharField(help_text="Steps to reproduce.")
    raised_by = serializers.SerializerMethodField()
    owner = serializers.SerializerMethodField(help_text="The feature's product manager.")
    created = serializers.DateTimeField(source="created_at")
    updated = serializers.DateTimeField(source="updated_at")
    acknowledged_at = serializers.DateTimeField(allow_null=True)
    acknowledge_by = serializers.DateTimeField(allow_null=True, help_text="A blocking escalation's acknowledgement deadline.")
    acknowledgement_overdue = serializers.SerializerMethodField()
    resolved_at = serializers.DateTimeField(allow_null=True)
    fix_update = serializers.CharField(help_text="The customer-facing text of the latest fix.")
    impact = ImpactSerializer(source="*")
    version = serializers.IntegerField(help_text="Send it back (or the ETag as If-Match) to change it safely.")
    allowed_actions = serializers.SerializerMethodField(
        help_text="The actions the caller may take now (status table and their rights)."
    )

    def get_raised_by(self, escalation) -> str | None:
        return _username(escalation.raised_by)

    def get_owner(self, escalation) -> str | None:
        return _username(escalation.feature.owner)

    def get_acknowledgement_overdue(self, escalation) -> bool:
        return (
            escalation.status == EscalationStatus.OPEN
            and escalation.acknowledge_by is not None
            and escalation.acknowledge_by < timezone.now()
        )

    def get_allowed_actions(self, escalation) -> list[str]:
        request = self.context.get("request")
        user = request.user if request is not None else None
        return [action for action in escalation.allowed_actions() if permissions.can_take_action(user, escalation, action)]


class EscalationDetailSerializer(EscalationSerializer):
    tickets = serializers.SerializerMethodField(help_text="References of the linked tickets, newest link first.")

    def get_tickets(self, escalation) -> list[str]:
        return self.context["tickets"]


class EscalationPageSerializer(serializers.Serializer):
    results = EscalationSerializer(many=True)
    next = serializers.URLField(allow_null=True)


class FeaturePageSerializer(serializers.Serializer):
    results = FeatureSerializer(many=True)


class EscalationCreateSerializer(StrictSerializer):
    feature = serializers.CharField(max_length=100, help_text="The feature's key, such as `billing.invoices`.")
    title = serializers.CharField(max_length=200, trim_whitespace=False)
    description = serializers.CharField(max_length=20_000, trim_whitespace=False, help_text="What customers experience.")
    steps = serializers.CharField(max_length=20_000, required=False, allow_blank=True, trim_whitespace=False)
    severity = serializers.ChoiceField(choices=Severity.choices)
    tickets = serializers.ListField(
        child=serializers.CharField(max_length=30),
        required=False,
        max_length=100,
        help_text="References of tickets to link (`HD-1042`); at most 100.",
    )


class LinkCreateSerializer(StrictSerializer):
    ticket = serializers.CharField(max_length=30, help_text="The ticket's reference, such as `HD-1042`.")


class TransitionSerializer(StrictSerializer):
    action = serializers.ChoiceField(choices=list(Escalation.TRANSITIONS))
    note = serializers.CharField(
        required=False,
        allow_blank=True,
        trim_whitespace=False,
        max_length=20_000,
        help_text=(
            "Required for request_info (the question), provide_info, fix (the customer-facing update), "
            "reject and reopen (the reason)."
        ),
    )
    version = serializers.IntegerField(required=False, min_value=1, help_text="The version you saw (or If-Match).")


class CommentSerializer(serializers.Serializer):
    id = serializers.IntegerField()
    body = serializers.CharField(source="note")
    author = serializers.SerializerMethodField(help_text="The writer's username, or null for the system.")
    created = serializers.DateTimeField(source="created_at")

    def get_author(self, event) -> str | None:
        return _username(event.actor)


class CommentCreateSerializer(StrictSerializer):
    body = serializers.CharField(max_length=20_000, trim_whitespace=False)


def render_current(escalation: Escalation, context: dict[str, Any]) -> tuple[dict[str, Any], str]:
    """The escalation as a 409 answer's ``current`` (registered with helpdesk.extensions)."""
    return EscalationSerializer(escalation, context=context).data, escalation_etag(escalation)
