"""Reads of the audit log: its filters and keyset pages (the desk's /audit/ page).

Kept apart from ``selectors.py`` (tickets) because nothing here touches tickets.
Every read is scoped by the viewer: without the right, the log is empty.
"""

from __future__ import annotations

from collections.abc import Mapping
from dataclasses import dataclass
from datetime import date, datetime, time, timedelta

from django.contrib.auth import get_user_model
from django.db.models import QuerySet
from django.utils import timezone

from helpdesk import permissions
from helpdesk.errors import InvalidInput
from helpdesk.keyset import Page, SortKey, paginate
from helpdesk.models import AuditEvent

AUDIT_SORT = SortKey(columns=(("created_at", True), ("id", True)))
# "who=system": changes made by no one signed in (seeding, commands).
SYSTEM_ACTOR = "system"
FILTER_PARAMS = ("who", "type", "action", "object", "since", "until")


@dataclass(frozen=True)
class AuditFilters:
    actor_id: int | None = None
    system_only: bool = False
    object_type: str | None = None
    action: str | None = None
    object_id: str | None = None
    since: datetime | None = None
    until: datetime | None = None  # exclusive

    @property
    def any(self) -> bool:
        return any(
            value not in (None, False)
            for value in (self.actor_id, self.system_only, self.object_type, self.action, self.object_id,
                          self.since, self.until)
        )


def _day(raw: str, field: str) -> date:
    try:
        day = date.fromisoformat(raw)
    except ValueError:
        raise InvalidInput("Enter a date as YYYY-MM-DD.", field=field) from None
    # Far from the calendar's ends, where a time zone shift or the day after would overflow.
    if not 1900 <= day.year <= 9000:
        raise InvalidInput("Enter a date between the years 1900 and 9000.", field=field)
    return day


def _start_of(day: date) -> datetime:
    return timezone.make_aware(datetime.combine(day, time.min), timezone.get_current_timezone())


def parse_audit_filters(params: Mapping[str, str]) -> AuditFilters:
    """The log's filters from a query string; a bad value is ``InvalidInput`` naming its parameter."""
    values = {name: (params.get(name) or "").strip() for name in FILTER_PARAMS}
    for name, value in values.items():
        if "\x00" in value or len(value) > 150:
            raise InvalidInput("That value is not valid.", field=name)
    actor_id, system_only = None, False
    if values["who"] == SYSTEM_ACTOR:
        system_only = True
    elif values["who"]:
        # The id first, so the page's query has a constant the index can seek.
        actor_id = get_user_model().objects.filter(username=values["who"]).values_list("pk", flat=True).first()
        if actor_id is None:
            raise InvalidInput(f"No one has the username {values['who']!r}.", field="who")
    object_type = values["type"] or None
    if object_type is not None and object_type not in AuditEvent.OBJECT_TYPES:
        raise InvalidInput(f"Unknown kind of object {object_type!r}.", field="type")
    action = values["action"] or None
    if action is not None and action not in AuditEvent.ACTIONS:
        raise InvalidInput(f"Unknown action {action!r}.", field="action")
    object_id = values["object"] or None
    if object_id is not None and object_type is None:
        raise InvalidInput("Say which kind of object (type) the object filter names.", field="object")
    since = _start_of(_day(values["since"], "since")) if values["since"] else None
    until_day = _day(values["until"], "until") if values["until"] else None
    until = _start_of(until_day + timedelta(days=1)) if until_day else None
    if since is not None and until is not None and since >= until:
        raise InvalidInput("The start date is after the end date.", field="since")
    return AuditFilters(
        actor_id=actor_id,
        system_only=system_only,
        object_type=object_type,
        action=action,
        object_id=object_id,
        since=since,
        until=until,
    )


def audit_events_visible_to(user) -> QuerySet:
    if not permissions.can_view_audit_log(user):
        return AuditEvent.objects.none()
    return AuditEvent.objects.all()


def audit_event_page(*, user, filters: AuditFilters, cursor: str | None, page_size: int) -> Page:
    """One page of the log, newest first, with who made each change (one query)."""
    qs = audit_events_visible_to(user).select_related("actor")
    if filters.actor_id is not None:
        qs = qs.filter(actor_id=filters.actor_id)
    if filters.system_only:
        qs = qs.filter(actor__isnull=True)
    if filters.object_type:
        qs = qs.filter(object_type=filters.object_type)
    if filters.action:
        qs = qs.filter(action=filters.action)
    if filters.object_id:
        qs = qs.filter(object_id=filters.object_id)
    if filters.since:
        qs = qs.filter(created_at__gte=filters.since)
    if filters.until:
        qs = qs.filter(created_at__lt=filters.until)
    return paginate(qs, sort=AUDIT_SORT, cursor=cursor, page_size=page_size)
