"""The numbers a product or support manager acts on: cord pulls over time, how fast product answers, where it hurts.

Every figure is a few SQL aggregates whatever the number of escalations (the medians
read the durations of one window's escalations, at most ``MEDIAN_SAMPLE`` rows).
"""

from __future__ import annotations

import statistics
from dataclasses import dataclass
from datetime import datetime, timedelta

from django.db.models import Count, Q, Sum
from django.db.models.functions import TruncMonth, TruncWeek
from django.utils import timezone

from escalations import permissions
from escalations.models import UNRESOLVED_STATUSES, Escalation, EscalationStatus, Severity
from helpdesk.errors import NotFound

WEEKS = 12
MONTHS = 12
TOP = 5
WINDOW_DAYS = 90
MEDIAN_SAMPLE = 20_000


@dataclass(frozen=True)
class Bucket:
    start: datetime
    label: str
    count: int


@dataclass(frozen=True)
class Ranked:
    name: str
    key: str
    pulls: int
    value: int


@dataclass(frozen=True)
class Metrics:
    weekly: list[Bucket]
    monthly: list[Bucket]
    median_ack_hours: float | None
    median_fix_hours: float | None
    blocking_open: int
    unresolved: int
    rejected_share: float | None  # of the escalations resolved in the window
    resolved_in_window: int
    top_features_by_pulls: list[Ranked]
    top_features_by_value: list[Ranked]
    top_products_by_pulls: list[Ranked]
    top_products_by_value: list[Ranked]
    window_days: int


def _week_start(moment: datetime) -> datetime:
    day = timezone.localtime(moment).replace(hour=0, minute=0, second=0, microsecond=0)
    return day - timedelta(days=day.weekday())


def _month_start(moment: datetime, back: int = 0) -> datetime:
    local = timezone.localtime(moment).replace(day=1, hour=0, minute=0, second=0, microsecond=0)
    year, month = local.year, local.month - back
    while month <= 0:
        month += 12
        year -= 1
    return local.replace(year=year, month=month)


def _series(trunc, since: datetime) -> dict:
    rows = (
        Escalation.objects.filter(created_at__gte=since)
        .annotate(bucket=trunc("created_at"))
        .values("bucket")
        .annotate(n=Count("id"))
    )
    return {
        timezone.localtime(row["bucket"]).date() if isinstance(row["bucket"], datetime) else row["bucket"]: row["n"]
        for row in rows
    }


def _median_hours(rows) -> float | None:
    hours = [(end - start).total_seconds() / 3600 for start, end in rows if start and end and end >= start]
    return round(statistics.median(hours), 1) if hours else None


def _ranked(rows, name_field: str, key_field: str) -> list[Ranked]:
    return [Ranked(name=row[name_field], key=row[key_field], pulls=row["pulls"], value=int(row["value"] or 0)) for row in rows]


def escalation_metrics(*, user, now: datetime | None = None) -> Metrics:
    if not permissions.can_view_escalations(user):
        raise NotFound("No such page.")
    now = now or timezone.now()
    first_week = _week_start(now) - timedelta(weeks=WEEKS - 1)
    weekly_counts = _series(TruncWeek, first_week)
    weekly = []
    for index in range(WEEKS):
        start = first_week + timedelta(weeks=index)
        weekly.append(Bucket(start=start, label=start.strftime("%d %b"), count=weekly_counts.get(start.date(), 0)))
    first_month = _month_start(now, MONTHS - 1)
    monthly_counts = _series(TruncMonth, first_month)
    monthly = []
    for index in range(MONTHS):
        start = _month_start(now, MONTHS - 1 - index)
        monthly.append(Bucket(start=start, label=start.strftime("%b %Y"), count=monthly_counts.get(start.date(), 0)))

    since = now - timedelta(days=WINDOW_DAYS)
    window = Escalation.objects.filter(created_at__gte=since)
    acknowledged = window.filter(acknowledged_at__isnull=False).values_list("created_at", "acknowledged_at")[:MEDIAN_SAMPLE]
    fixed = window.filter(status__in=[EscalationStatus.FIXED, EscalationStatus.CLOSED], resolved_at__isnull=False).values_list(
        "created_at", "resolved_at"
    )[:MEDIAN_SAMPLE]
    resolved = Escalation.objects.filter(resolved_at__gte=since).aggregate(
        total=Count("id"), rejected=Count("id", filter=Q(status=EscalationStatus.REJECTED))
    )
    resolved_total, rejected = resolved["total"], resolved["rejected"]
    by_feature = window.values("feature__name", "feature__key").annotate(pulls=Count("id"), value=Sum("affected_value"))
    by_product = window.values("feature__product__name", "feature__product__key").annotate(
        pulls=Count("id"), value=Sum("affected_value")
    )
    return Metrics(
        weekly=weekly,
        monthly=monthly,
        median_ack_hours=_median_hours(acknowledged),
        median_fix_hours=_median_hours(fixed),
        blocking_open=Escalation.objects.filter(severity=Severity.BLOCKING, status__in=UNRESOLVED_STATUSES).count(),
        unresolved=Escalation.objects.filter(status__in=UNRESOLVED_STATUSES).count(),
        rejected_share=(rejected / resolved_total) if resolved_total else None,
        resolved_in_window=resolved_total,
        top_features_by_pulls=_ranked(by_feature.order_by("-pulls", "feature__key")[:TOP], "feature__name", "feature__key"),
        top_features_by_value=_ranked(by_feature.order_by("-value", "feature__key")[:TOP], "feature__name", "feature__key"),
        top_products_by_pulls=_ranked(
            by_product.order_by("-pulls", "feature__product__key")[:TOP], "feature__product__name", "feature__product__key"
        ),
        top_products_by_value=_ranked(
            by_product.order_by("-value", "feature__product__key")[:TOP], "feature__product__name", "feature__product__key"
        ),
        window_days=WINDOW_DAYS,
    )
