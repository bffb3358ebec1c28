"""REST API, version 1 (namespace ``api``). Documented at /api/docs/, schema at /api/schema/."""

from django.urls import path

from helpdesk.api import views, views_actions
from helpdesk.api.index import ApiIndexView

app_name = "api"
urlpatterns = [
    path("", ApiIndexView.as_view(), name="index"),
    path("auth/token/", views.TokenView.as_view(), name="token"),
    path("auth/tokens/", views.TokenListView.as_view(), name="token-list"),
    path("auth/tokens/<int:token_id>/", views.TokenDetailView.as_view(), name="token-detail"),
    path("tickets/", views.TicketListView.as_view(), name="ticket-list"),
    path("tickets/<str:reference>/", views.TicketDetailView.as_view(), name="ticket-detail"),
    path("tickets/<str:reference>/messages/", views.TicketMessagesView.as_view(), name="ticket-messages"),
    path("tickets/<str:reference>/merge/", views_actions.TicketMergeView.as_view(), name="ticket-merge"),
    path("tickets/<str:reference>/spam/", views_actions.TicketSpamView.as_view(), name="ticket-spam"),
    path("tickets/<str:reference>/restore/", views_actions.TicketRestoreView.as_view(), name="ticket-restore"),
    path("attachments/<int:attachment_id>/", views.AttachmentContentView.as_view(), name="attachment-content"),
]
