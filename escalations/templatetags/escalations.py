"""Badges and small labels of the escalation pages."""

from __future__ import annotations

from django import template
from django.utils import timezone
from django.utils.html import format_html

from escalations.models import EscalationStatus, Severity

register = template.Library()

_STATUS = dict(EscalationStatus.choices)
_SEVERITY = dict(Severity.choices)


@register.filter
def escalation_status(value: str) -> str:
    return format_html('<span class="badge esc-status esc-status-{}">{}</span>', value, _STATUS.get(value, value))


@register.filter
def severity_badge(value: str) -> str:
    return format_html('<span class="badge severity severity-{}">{}</span>', value, _SEVERITY.get(value, value))


@register.filter
def ack_overdue(escalation) -> bool:
    return (
        escalation.status == EscalationStatus.OPEN
        and escalation.acknowledge_by is not None
        and escalation.acknowledge_by < timezone.now()
    )


@register.filter
def money(value) -> str:
    """Whole units with thousands separators: 120000.00 -> 120,000."""
    try:
        return f"{int(value):,}"
    except (TypeError, ValueError):
        return "0"


_ACTION_VERBS = {
    "acknowledge": "acknowledged",
    "start": "started work",
    "request_info": "asked for information",
    "provide_info": "provided information",
    "fix": "marked it fixed",
    "reject": "rejected it",
    "reopen": "reopened it",
    "close": "closed it",
}


@register.filter
def action_verb(action: str) -> str:
    return _ACTION_VERBS.get(action, action.replace("_", " "))
