"""The agent's notices: the list (opening one marks it read), the unread count, and their settings."""

from __future__ import annotations

from django import forms
from django.contrib import messages
from django.http import JsonResponse
from django.shortcuts import redirect, render
from django.urls import reverse
from django.views.decorators.http import require_POST

from helpdesk import selectors_notifications, services
from helpdesk.notifications.models import NotificationReason
from helpdesk.views.desk._common import desk_required


class NotificationSettingsForm(forms.Form):
    assigned = forms.BooleanField(required=False, label=NotificationReason.ASSIGNED.label)
    customer_replied = forms.BooleanField(required=False, label=NotificationReason.CUSTOMER_REPLIED.label)
    team_new_ticket = forms.BooleanField(required=False, label=NotificationReason.TEAM_NEW_TICKET.label)
    mentioned = forms.BooleanField(required=False, label=NotificationReason.MENTIONED.label)
    following = forms.BooleanField(required=False, label=NotificationReason.FOLLOWING.label)
    escalation_raised = forms.BooleanField(required=False, label=NotificationReason.ESCALATION_RAISED.label)
    escalation_changed = forms.BooleanField(required=False, label=NotificationReason.ESCALATION_CHANGED.label)
    escalation_overdue = forms.BooleanField(required=False, label=NotificationReason.ESCALATION_OVERDUE.label)
    by_email = forms.BooleanField(required=False, label="Also send each notice to my email address")


@desk_required
def notification_list(request):
    items = selectors_notifications.notifications_of(user=request.user)
    return render(request, "helpdesk/notifications.html", {"items": items})


@desk_required
def notification_count(request):
    return JsonResponse({"unread": selectors_notifications.unread_count(user=request.user)})


@desk_required
@require_POST
def notification_open(request, notification_id: int):
    """Mark one notice read and go to what it is about (its ticket, or its page)."""
    notice = selectors_notifications.notification_of(user=request.user, notification_id=notification_id)
    if notice is None:
        return redirect("helpdesk:notifications")
    services.notifications_mark_read(actor=request.user, ids=[notice.pk])
    if notice.ticket_id is not None:
        return redirect(reverse("helpdesk:ticket_detail", kwargs={"reference": notice.ticket.reference}))
    # Only the site's own paths are stored (services write them from reverse()); anything else goes to the list.
    if notice.url.startswith("/") and not notice.url.startswith("//"):
        return redirect(notice.url)
    return redirect("helpdesk:notifications")


@desk_required
@require_POST
def notifications_read_all(request):
    count = services.notifications_mark_read(actor=request.user)
    messages.success(request, f"{count} notice(s) marked read.")
    return redirect("helpdesk:notifications")


@desk_required
def notification_settings(request):
    current = selectors_notifications.notification_settings_of(user=request.user)
    names = list(NotificationSettingsForm.base_fields)
    if request.method == "POST":
        form = NotificationSettingsForm(request.POST)
        if form.is_valid():
            services.notification_settings_save(actor=request.user, values=form.cleaned_data)
            messages.success(request, "Your notification settings are saved.")
            return redirect("helpdesk:notification_settings")
    else:
        form = NotificationSettingsForm(initial={name: getattr(current, name) for name in names})
    return render(request, "helpdesk/notification_settings.html", {"form": form})
