"""Keyset ("seek") pagination: pages are found by the last row's sort key, never OFFSET.

A cursor is the sort-key values of the last row on a page, encoded opaquely.
Depth costs nothing: page 4,000 is one index range scan like page 1.
"""

from __future__ import annotations

import base64
import binascii
import json
from collections.abc import Sequence
from dataclasses import dataclass
from datetime import UTC, datetime
from typing import Any, Generic, TypeVar

from django.core.exceptions import FieldDoesNotExist, ValidationError
from django.db.models import Model, Q, QuerySet

from helpdesk.errors import InvalidInput

T = TypeVar("T")

# The largest page any list hands out, whatever page_size asks for.
MAX_PAGE_SIZE = 100


@dataclass(frozen=True)
class SortKey:
    """An ordering: (field, descending) pairs, ending in a unique field."""

    columns: tuple[tuple[str, bool], ...]

    def order_by(self) -> list[str]:
        return [("-" if desc else "") + name for name, desc in self.columns]

    def values_of(self, obj: Any) -> list[Any]:
        return [getattr(obj, name) for name, _ in self.columns]

    def after(self, values: Sequence[Any]) -> Q:
        """Rows strictly after ``values`` in this ordering.

        Besides the exact lexicographic condition, the first column gets a plain
        range bound (``<=``/``>=``) that an index can start its scan from.
        """
        if len(values) != len(self.columns):
            raise InvalidInput("That page link is out of date; start from the first page.", field="cursor")
        condition = Q()
        for index in range(len(self.columns) - 1, -1, -1):
            name, desc = self.columns[index]
            strictly = Q(**{f"{name}__{'lt' if desc else 'gt'}": values[index]})
            condition = strictly if index == len(self.columns) - 1 else strictly | (Q(**{name: values[index]}) & condition)
        first_name, first_desc = self.columns[0]
        bound = Q(**{f"{first_name}__{'lte' if first_desc else 'gte'}": values[0]})
        return bound & condition


@dataclass
class Page(Generic[T]):
    items: list[T]
    next_cursor: str | None


_BAD_CURSOR = "That page link is not valid; start from the first page."


def encode_cursor(values: Sequence[Any]) -> str:
    payload = [{"dt": v.isoformat()} if isinstance(v, datetime) else v for v in values]
    raw = json.dumps(payload, separators=(",", ":")).encode()
    return base64.urlsafe_b64encode(raw).decode().rstrip("=")


# Real cursors are a few dozen characters; anything longer is not one of ours.
MAX_CURSOR_LENGTH = 512


def decode_cursor(cursor: str) -> list[Any]:
    if len(cursor) > MAX_CURSOR_LENGTH:
        raise InvalidInput(_BAD_CURSOR, field="cursor")
    try:
        raw = base64.urlsafe_b64decode(cursor + "=" * (-len(cursor) % 4))
        payload = json.loads(raw)
        if not isinstance(payload, list):
            raise ValueError
        return [datetime.fromisoformat(v["dt"]) if isinstance(v, dict) else v for v in payload]
    except (ValueError, TypeError, KeyError, binascii.Error, UnicodeDecodeError, RecursionError):
        raise InvalidInput(_BAD_CURSOR, field="cursor") from None


def _checked_values(model: type[Model], sort: SortKey, values: list[Any]) -> list[Any]:
    """The cursor's values converted to the sort columns' types.

    A cursor comes back from the client: a string where a date belongs, a null,
    or an id beyond the column's range would otherwise fail inside the query
    (500) instead of being refused as a bad link (400).
    """
    if len(values) != len(sort.columns):
        raise InvalidInput(_BAD_CURSOR, field="cursor")
    checked = []
    for (name, _), value in zip(sort.columns, values):
        try:
            field = model._meta.get_field(name)
        except FieldDoesNotExist:  # an annotation: nothing to check it against
            checked.append(value)
            continue
        try:
            if value is None or isinstance(value, (bool, list, dict)):
                raise ValidationError("not a sort value")
            value = field.to_python(value)
            field.run_validators(value)  # integer columns carry their range
            if isinstance(value, datetime):
                # Only aware values are ours; normalising to UTC also surfaces
                # dates at the edge of the calendar that the database cannot take.
                if value.tzinfo is None:
                    raise ValidationError("naive datetime")
                value = value.astimezone(UTC)
        except (ValidationError, TypeError, ValueError, OverflowError):
            raise InvalidInput(_BAD_CURSOR, field="cursor") from None
        checked.append(value)
    return checked


def paginate(queryset: QuerySet, *, sort: SortKey, cursor: str | None, page_size: int) -> Page:
    """One page of ``queryset`` in ``sort`` order, fetching one extra row to know if more follow."""
    qs = queryset.order_by(*sort.order_by())
    if cursor:
        qs = qs.filter(sort.after(_checked_values(queryset.model, sort, decode_cursor(cursor))))
    rows = list(qs[: page_size + 1])
    has_more = len(rows) > page_size
    rows = rows[:page_size]
    next_cursor = encode_cursor(sort.values_of(rows[-1])) if has_more and rows else None
    return Page(items=rows, next_cursor=next_cursor)
