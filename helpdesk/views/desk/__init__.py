"""The agent desk: inbox, ticket page, new ticket. Thin views over selectors and services."""

from django.contrib.auth.decorators import login_required
from django.shortcuts import redirect, render

from helpdesk import permissions
from helpdesk.views.desk.audit import audit_log
from helpdesk.views.desk.inbox import inbox, inbox_bulk, inbox_matching, inbox_rows
from helpdesk.views.desk.new import requester_lookup, ticket_new
from helpdesk.views.desk.notifications import (
    notification_count,
    notification_list,
    notification_open,
    notification_settings,
    notifications_read_all,
)
from helpdesk.views.desk.people import requester_invite, ticket_cc, ticket_follow, ticket_requester
from helpdesk.views.desk.ticket_actions import removed_list, ticket_delete, ticket_merge, ticket_restore, ticket_spam
from helpdesk.views.desk.tickets import (
    macro_new,
    ticket_detail,
    ticket_email_original,
    ticket_message,
    ticket_timeline_earlier,
    ticket_update,
)


@login_required
def home(request):
    return redirect(permissions.home_url_name(request.user))


@login_required
def no_role(request):
    return render(request, "helpdesk/no_role.html", status=403)


__all__ = [
    "removed_list",
    "ticket_delete",
    "ticket_merge",
    "ticket_restore",
    "ticket_spam",
    "audit_log",
    "home",
    "inbox",
    "inbox_bulk",
    "inbox_matching",
    "inbox_rows",
    "macro_new",
    "no_role",
    "notification_count",
    "notification_list",
    "notification_open",
    "notification_settings",
    "notifications_read_all",
    "requester_invite",
    "requester_lookup",
    "ticket_cc",
    "ticket_follow",
    "ticket_requester",
    "ticket_detail",
    "ticket_email_original",
    "ticket_message",
    "ticket_new",
    "ticket_timeline_earlier",
    "ticket_update",
]
