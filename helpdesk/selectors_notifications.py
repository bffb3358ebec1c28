"""An agent's own notices and settings; nobody reads anyone else's."""

from __future__ import annotations

from helpdesk.notifications.models import Notification, NotificationSettings

PAGE = 50


def notifications_of(*, user, limit: int = PAGE) -> list[Notification]:
    return list(
        Notification.objects.filter(user=user).select_related("ticket").order_by("-created_at", "-id")[:limit]
    )


def notification_of(*, user, notification_id: int) -> Notification | None:
    """One of the user's own notices; None for anyone else's, as for a missing one."""
    return Notification.objects.filter(user=user, pk=notification_id).select_related("ticket").first()


def unread_count(*, user, cap: int = 99) -> int:
    return Notification.objects.filter(user=user, read_at__isnull=True).values("pk")[: cap + 1].count()


def notification_settings_of(*, user) -> NotificationSettings:
    return NotificationSettings.objects.filter(user=user).first() or NotificationSettings(user=user)
