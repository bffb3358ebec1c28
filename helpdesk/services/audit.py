"""The audit log of configuration: one row per directory write, in the writing transaction.

Every service that changes people, roles, teams, tags, organizations, customers,
products or features calls :func:`audit_record` inside its own transaction, so the
change and its row commit together or not at all. Values are stored as people read
them (a related object's name, a list of names, a date as text): the log must stay
readable when the objects it names are renamed, and it never holds a password hash.
"""

from __future__ import annotations

from collections.abc import Iterable, Mapping
from datetime import date, datetime
from decimal import Decimal
from typing import Any

from django.contrib.auth.models import AbstractBaseUser
from django.db import transaction
from django.db.models import Model
from django.utils import timezone

from helpdesk.models import AuditEvent

# The object types of the log, by model label; the values name them in the log's filter.
OBJECT_TYPES: dict[str, str] = {
    "auth.user": "user",
    "auth.group": "role",
    "helpdesk.team": "team",
    "helpdesk.tag": "tag",
    "helpdesk.organization": "organization",
    "helpdesk.customer": "customer",
    "escalations.product": "product",
    "escalations.feature": "feature",
    "helpdesk.outboundemail": "outbound_email",
    "helpdesk.mailtemplate": "mail_template",
    "helpdesk.mailbox": "mailbox",
    "helpdesk.macro": "macro",
    "helpdesk.ticket": "ticket",
    "escalations.escalation": "escalation",
    "escalations.webhookendpoint": "webhook",
}

# What the log says instead of a password (or its hash).
PASSWORD_SET = "set"
PASSWORD_CHANGED = "changed"
PASSWORD_UNUSABLE = "sign-in by password disabled"
_PASSWORD_MARKERS = frozenset({None, "", PASSWORD_SET, PASSWORD_CHANGED, PASSWORD_UNUSABLE})

_LABEL_LENGTH = AuditEvent._meta.get_field("object_label").max_length


def object_type_of(obj: Model) -> str:
    return OBJECT_TYPES.get(obj._meta.label_lower, obj._meta.model_name)


def audit_value(value: Any) -> Any:
    """A value as the log keeps it: JSON, and readable without the object it named."""
    if value is None or isinstance(value, (bool, int, float, str)):
        return value
    if isinstance(value, Model):
        return str(value)
    if isinstance(value, Decimal):
        return str(value)
    if isinstance(value, (datetime, date)):
        return value.isoformat()
    if isinstance(value, (list, tuple, set, frozenset)) or hasattr(value, "__iter__"):
        return sorted(str(audit_value(item)) for item in value)
    return str(value)


def audit_changes(before: Mapping[str, Any], after: Mapping[str, Any]) -> dict[str, list]:
    """``{field: [old, new]}`` for the fields whose readable value differs."""
    changes = {}
    for name in after:
        old, new = audit_value(before.get(name)), audit_value(after[name])
        if old != new:
            changes[name] = [old, new]
    return changes


def creation_changes(values: Mapping[str, Any]) -> dict[str, list]:
    """``{field: [None, value]}`` for what a new object was given (blank fields left out)."""
    changes = {}
    for name, value in values.items():
        shown = audit_value(value)
        if shown not in (None, "", []):
            changes[name] = [None, shown]
    return changes


def field_values(obj: Model, names: Iterable[str]) -> dict[str, Any]:
    """The current values of ``names`` on ``obj`` (related objects as themselves, many-to-many as lists)."""
    relations = {f.name for f in obj._meta.many_to_many}
    values = {}
    for name in names:
        if name in relations:
            values[name] = list(getattr(obj, name).all()) if obj.pk is not None else []
        else:
            values[name] = getattr(obj, name)
    return values


def stored_values(obj: Model, names: Iterable[str]) -> dict[str, Any]:
    """What the database holds for ``names`` of ``obj`` (empty for a new object)."""
    if obj.pk is None:
        return {}
    stored = type(obj)._base_manager.filter(pk=obj.pk).first()
    return field_values(stored, names) if stored is not None else {}


def _without_secrets(changes: Mapping[str, Any]) -> dict[str, list]:
    clean = {}
    for name, pair in changes.items():
        old, new = pair
        if "password" in name and not (old in _PASSWORD_MARKERS and new in _PASSWORD_MARKERS):
            # A hash (or a password) reached the log: say only that it changed.
            old, new = None, PASSWORD_CHANGED
        clean[name] = [old, new]
    return clean


def audit_record(
    *,
    actor: AbstractBaseUser | None,
    action: str,
    obj: Model | None = None,
    object_type: str | None = None,
    object_id: Any = None,
    object_label: str | None = None,
    changes: Mapping[str, Any] | None = None,
) -> AuditEvent:
    """Write one audit row inside the caller's transaction.

    ``obj`` fills the type, id and label; the explicit arguments override them (an
    object that no longer exists, or a summary of a bulk write).
    """
    if not transaction.get_connection().in_atomic_block:
        # Outside a transaction the change could commit without its audit row.
        raise RuntimeError("audit_record must run inside the transaction of the change it records.")
    if obj is not None:
        object_type = object_type or object_type_of(obj)
        object_id = obj.pk if object_id is None else object_id
        object_label = str(obj) if object_label is None else object_label
    if not object_type:
        raise ValueError("An audit row names the type of object it concerns.")
    return AuditEvent.objects.create(
        actor=actor if actor is not None and actor.pk is not None else None,
        action=action,
        object_type=object_type,
        object_id="" if object_id is None else str(object_id),
        object_label=(object_label or "")[:_LABEL_LENGTH],
        changes=_without_secrets(changes or {}),
        created_at=timezone.now(),
    )
