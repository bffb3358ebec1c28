"""Who hears of an escalation's events, in the desk (the bell) and by email, once per person and event.

- a new **blocking** escalation: the feature's product manager;
- **needs info**, **rejected**, **fixed**: the agent who raised it and the assignees of its linked tickets;
- **acknowledgement overdue**: the feature's product manager and the support managers.

Everything goes through ``helpdesk.services.notification_send`` inside the event's
transaction; its ``key`` names the event, and the notice's unique constraint keeps a
person from being told of the same event twice.
"""

from __future__ import annotations

from django.contrib.auth import get_user_model
from django.db.models import Q
from django.urls import reverse

from escalations import permissions
from escalations.models import Escalation, EscalationLink
from helpdesk import services as desk_services
from helpdesk.notifications.models import NotificationReason

_CHANGED_WORDS = {
    "request_info": "needs information",
    "reject": "was rejected",
    "fix": "is fixed",
}


def _url(escalation: Escalation) -> str:
    return reverse("escalations:detail", args=[escalation.reference])


def _name(user) -> str:
    if user is None:
        return "The system"
    return user.get_full_name() or user.get_username()


def support_manager_ids() -> list[int]:
    """Active people who hold the support managers' overruling right (by group or directly)."""
    app, codename = permissions.REOPEN.split(".")
    condition = Q(groups__permissions__codename=codename, groups__permissions__content_type__app_label=app) | Q(
        user_permissions__codename=codename, user_permissions__content_type__app_label=app
    )
    return list(get_user_model().objects.filter(condition, is_active=True).values_list("pk", flat=True).distinct())


def notify_raised(*, actor, escalation: Escalation) -> int:
    owner = escalation.feature.owner_id
    if escalation.severity != "blocking" or owner is None:
        return 0
    return desk_services.notification_send(
        actor=actor,
        user_ids=[owner],
        reason=NotificationReason.ESCALATION_RAISED,
        headline=f"{_name(actor)} pulled the cord on {escalation.feature.name}: {escalation.reference} “{escalation.title}”",
        excerpt=escalation.customer_impact,
        url=_url(escalation),
        key=f"{escalation.reference}:raised",
    )


def notify_changed(*, actor, escalation: Escalation, action: str, note: str) -> int:
    words = _CHANGED_WORDS.get(action)
    if words is None:
        return 0
    assignees = (
        EscalationLink.objects.filter(escalation=escalation, ticket__assignee__isnull=False, ticket__removed="")
        .values_list("ticket__assignee_id", flat=True)
        .distinct()
    )
    return desk_services.notification_send(
        actor=actor,
        user_ids=[escalation.raised_by_id, *assignees],
        reason=NotificationReason.ESCALATION_CHANGED,
        headline=f"{escalation.reference} “{escalation.title}” {words} ({_name(actor)})",
        excerpt=note,
        url=_url(escalation),
        # The version makes each step its own event: fixed, reopened and fixed again is told twice.
        key=f"{escalation.reference}:{action}:{escalation.version}",
    )


def notify_overdue(*, escalation: Escalation) -> int:
    return desk_services.notification_send(
        actor=None,
        user_ids=[escalation.feature.owner_id, *support_manager_ids()],
        reason=NotificationReason.ESCALATION_OVERDUE,
        headline=(
            f"{escalation.reference} “{escalation.title}” blocks {escalation.feature.name} and is not acknowledged "
            "past its deadline"
        ),
        excerpt=escalation.customer_impact,
        url=_url(escalation),
        key=f"{escalation.reference}:overdue:{escalation.acknowledge_by.isoformat()}",
    )
