from django.urls import path

from helpdesk.views import account, desk

app_name = "helpdesk"

urlpatterns = [
    path("", desk.home, name="home"),
    path("no-role/", desk.no_role, name="no_role"),
    path("account/tokens/", account.api_tokens, name="api_tokens"),
    path("account/tokens/<int:token_id>/revoke/", account.api_token_revoke, name="api_token_revoke"),
    path("inbox/", desk.inbox, name="inbox"),
    path("notifications/", desk.notification_list, name="notifications"),
    path("notifications/unread/", desk.notification_count, name="notification_count"),
    path("notifications/read/", desk.notifications_read_all, name="notifications_read_all"),
    path("notifications/<int:notification_id>/open/", desk.notification_open, name="notification_open"),
    path("account/notifications/", desk.notification_settings, name="notification_settings"),
    path("inbox/bulk/", desk.inbox_bulk, name="inbox_bulk"),
    path("inbox/matching/", desk.inbox_matching, name="inbox_matching"),
    path("inbox/rows/", desk.inbox_rows, name="inbox_rows"),
    path("audit/", desk.audit_log, name="audit_log"),
    path("removed/", desk.removed_list, name="removed_list"),
    path("removed/<str:reference>/restore/", desk.ticket_restore, name="ticket_restore"),
    path("tickets/new/", desk.ticket_new, name="ticket_new"),
    path("tickets/new/requester/", desk.requester_lookup, name="requester_lookup"),
    path("tickets/<str:reference>/", desk.ticket_detail, name="ticket_detail"),
    path("tickets/<str:reference>/messages/", desk.ticket_message, name="ticket_message"),
    path("tickets/<str:reference>/requester/", desk.ticket_requester, name="ticket_requester"),
    path("tickets/<str:reference>/requester/invite/", desk.requester_invite, name="requester_invite"),
    path("tickets/<str:reference>/cc/", desk.ticket_cc, name="ticket_cc"),
    path("tickets/<str:reference>/macros/new/", desk.macro_new, name="macro_new"),
    path("tickets/<str:reference>/follow/", desk.ticket_follow, name="ticket_follow"),
    path("tickets/<str:reference>/merge/", desk.ticket_merge, name="ticket_merge"),
    path("tickets/<str:reference>/spam/", desk.ticket_spam, name="ticket_spam"),
    path("tickets/<str:reference>/delete/", desk.ticket_delete, name="ticket_delete"),
    path(
        "tickets/<str:reference>/emails/<int:inbound_id>/",
        desk.ticket_email_original,
        name="ticket_email_original",
    ),
    path("tickets/<str:reference>/timeline/", desk.ticket_timeline_earlier, name="ticket_timeline_earlier"),
    path("tickets/<str:reference>/update/", desk.ticket_update, name="ticket_update"),
]
