"""Small display helpers for desk templates: badges and times. Everything they print is escaped."""

from __future__ import annotations

from datetime import datetime

from django import template
from django.utils import timezone
from django.utils.html import format_html

from helpdesk.models import TicketPriority, TicketStatus

register = template.Library()


@register.filter
def status_badge(value: str) -> str:
    label = TicketStatus(value).label if value in TicketStatus.values else value
    return format_html('<span class="badge status status-{}">{}</span>', value, label)


@register.filter
def priority_badge(value: int | str) -> str:
    try:
        priority = TicketPriority(int(value)) if str(value).isdigit() else TicketPriority.from_name(str(value))
    except (KeyError, ValueError):
        return format_html('<span class="badge priority">{}</span>', value)
    return format_html('<span class="badge priority priority-{}">{}</span>', priority.slug, priority.label)


@register.filter
def abstime(value: datetime | None) -> str:
    """The full local time, for tooltips and audit lines: ``Tue 4 Mar 2025, 10:42``."""
    if not value:
        return ""
    return timezone.localtime(value).strftime("%a %-d %b %Y, %H:%M")


def relative_age(value: datetime | None, *, now: datetime | None = None, compact: bool = False) -> str:
    """Age the way agents scan it: ``5 min ago``, ``3 h ago``, ``2 d ago``, then the date.

    ``compact`` drops "ago" for columns headed "Updated", where it only costs width.
    """
    if not value:
        return ""
    now = now or timezone.now()
    seconds = max(0.0, (now - value).total_seconds())
    suffix = "" if compact else " ago"
    if seconds < 60:
        return "now" if compact else "just now"
    if seconds < 3600:
        return f"{int(seconds // 60)} min{suffix}"
    if seconds < 86400:
        return f"{int(seconds // 3600)} h{suffix}"
    if seconds < 7 * 86400:
        return f"{int(seconds // 86400)} d{suffix}"
    local = timezone.localtime(value)
    if local.year == timezone.localtime(now).year:
        return local.strftime("%-d %b")
    return local.strftime("%-d %b %Y")


@register.filter
def reltime(value: datetime | None) -> str:
    return relative_age(value)


@register.simple_tag
def when(value: datetime | None, compact: bool = False) -> str:
    """``<time>`` with the relative age shown and the exact time in its title."""
    # A simple tag, not an inclusion template: it runs once per inbox row.
    if not value:
        return ""
    return format_html(
        '<time datetime="{}" title="{}">{}</time>',
        value.isoformat(),
        abstime(value),
        relative_age(value, compact=compact),
    )


@register.filter
def user_label(user) -> str:
    if user is None:
        return ""
    return user.get_full_name() or user.get_username()


@register.filter
def money(value) -> str:
    """``120000`` -> ``120,000``: annual values are read at a glance, not to the cent."""
    if value in (None, ""):
        return ""
    try:
        return f"{int(round(float(value))):,}"
    except (TypeError, ValueError):
        return str(value)


@register.filter
def shorttime(value: datetime | None) -> str:
    """Audit-line time: ``10:42`` today, ``4 Mar 10:42`` this year, the full date before."""
    if not value:
        return ""
    local = timezone.localtime(value)
    today = timezone.localtime(timezone.now())
    if local.date() == today.date():
        return local.strftime("%H:%M")
    if local.year == today.year:
        return local.strftime("%-d %b %H:%M")
    return local.strftime("%-d %b %Y %H:%M")


@register.filter
def initials(name: str) -> str:
    parts = [p for p in str(name or "").replace("@", " ").split() if p[:1].isalnum()]
    if not parts:
        return "?"
    return (parts[0][0] + (parts[-1][0] if len(parts) > 1 else "")).upper()


@register.simple_tag(takes_context=True)
def extension_panels(context, place: str):
    """The blocks other apps add to the ticket page at ``place`` ("banner", "side"): helpdesk.extensions."""
    from django.template.loader import render_to_string
    from django.utils.safestring import mark_safe

    from helpdesk import extensions

    request, ticket = context.get("request"), context.get("ticket")
    if request is None or ticket is None:
        return ""
    parts = []
    for panel in extensions.ticket_panels(place):
        values = panel.context(request, ticket)
        if values is not None:
            parts.append(render_to_string(panel.template, {"ticket": ticket, **values}, request=request))
    # Each part is a template rendered with autoescaping: safe to join.
    return mark_safe("".join(parts))  # noqa: S308
