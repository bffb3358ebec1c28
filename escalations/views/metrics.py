"""The escalation metrics page (SVG charts drawn here, no script, no CDN) and its CSV download."""

from __future__ import annotations

import csv

from django.http import HttpResponse
from django.shortcuts import render
from django.utils import timezone
from django.utils.html import format_html
from django.utils.safestring import SafeString

from escalations.selectors_metrics import Bucket, escalation_metrics
from escalations.views._common import desk_only

CHART_WIDTH, CHART_HEIGHT, LABEL_SPACE = 640, 180, 34


def bar_chart(buckets: list[Bucket], *, title: str) -> SafeString:
    """A bar chart as inline SVG: one bar per bucket, its count above it, every text escaped."""
    most = max((bucket.count for bucket in buckets), default=0) or 1
    slot = CHART_WIDTH / max(len(buckets), 1)
    plot = CHART_HEIGHT - LABEL_SPACE
    bars = []
    for index, bucket in enumerate(buckets):
        height = round(plot * bucket.count / most, 1) if bucket.count else 0
        x = round(index * slot + slot * 0.15, 1)
        middle = round(index * slot + slot / 2, 1)
        top = round(plot - height + 14, 1)
        bars.append(
            format_html(
                '<g><rect x="{}" y="{}" width="{}" height="{}" class="bar"><title>{}: {}</title></rect>'
                '<text x="{}" y="{}" class="bar-value" text-anchor="middle">{}</text>'
                '<text x="{}" y="{}" class="bar-label" text-anchor="middle">{}</text></g>',
                x,
                top,
                round(slot * 0.7, 1),
                height,
                bucket.label,
                bucket.count,
                middle,
                round(top - 3, 1),
                bucket.count,
                middle,
                CHART_HEIGHT + 8,
                bucket.label,
            )
        )
    return format_html(
        '<svg class="chart" viewBox="0 0 {} {}" role="img" aria-label="{}" preserveAspectRatio="xMidYMid meet">{}</svg>',
        CHART_WIDTH,
        CHART_HEIGHT + 14,
        title,
        SafeString("".join(bars)),
    )


@desk_only
def metrics(request):
    figures = escalation_metrics(user=request.user)
    context = {
        "m": figures,
        "weekly_chart": bar_chart(figures.weekly, title="Cord pulls per week"),
        "monthly_chart": bar_chart(figures.monthly, title="Cord pulls per month"),
    }
    return render(request, "escalations/metrics.html", context)


@desk_only
def metrics_csv(request):
    figures = escalation_metrics(user=request.user)
    response = HttpResponse(content_type="text/csv; charset=utf-8")
    response["Content-Disposition"] = f'attachment; filename="escalation-metrics-{timezone.now():%Y-%m-%d}.csv"'
    writer = csv.writer(response)
    writer.writerow(["section", "name", "key", "pulls", "affected annual value"])
    for bucket in figures.weekly:
        writer.writerow(["week", bucket.start.date().isoformat(), "", bucket.count, ""])
    for bucket in figures.monthly:
        writer.writerow(["month", bucket.start.strftime("%Y-%m"), "", bucket.count, ""])
    for section, rows in (
        ("top feature by pulls", figures.top_features_by_pulls),
        ("top feature by value", figures.top_features_by_value),
        ("top product by pulls", figures.top_products_by_pulls),
        ("top product by value", figures.top_products_by_value),
    ):
        for row in rows:
            writer.writerow([section, _cell(row.name), row.key, row.pulls, row.value])
    writer.writerow(["now", "blocking escalations open", "", figures.blocking_open, ""])
    writer.writerow(["now", "unresolved escalations", "", figures.unresolved, ""])
    writer.writerow([f"last {figures.window_days} days", "median hours to acknowledge", "", figures.median_ack_hours, ""])
    writer.writerow([f"last {figures.window_days} days", "median hours to fix", "", figures.median_fix_hours, ""])
    share = "" if figures.rejected_share is None else round(figures.rejected_share, 3)
    writer.writerow([f"last {figures.window_days} days", "rejected share of resolved", "", share, ""])
    return response


def _cell(text: str) -> str:
    """A name as a spreadsheet cell: never read as a formula (=, +, -, @ at the start)."""
    return "'" + text if text[:1] in ("=", "+", "-", "@", "\t", "\r") else text
