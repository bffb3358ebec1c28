"""The live chat part of /api/v1/ (namespace ``livelisten-api``)."""

from django.urls import path

from livelisten.api import views

app_name = "livelisten-api"
urlpatterns = [
    path("sessions/", views.SessionListView.as_view(), name="session-list"),
    path("sessions/<str:session_id>/", views.SessionDetailView.as_view(), name="session-detail"),
    path("sessions/<str:session_id>/accept/", views.SessionAcceptView.as_view(), name="session-accept"),
    path("sessions/<str:session_id>/transfer/", views.SessionTransferView.as_view(), name="session-transfer"),
    path("sessions/<str:session_id>/end/", views.SessionEndView.as_view(), name="session-end"),
    path("sessions/<str:session_id>/messages/", views.SessionMessagesView.as_view(), name="session-messages"),
    path("sessions/<str:session_id>/ws-ticket/", views.SocketTicketView.as_view(), name="session-ws-ticket"),
    path("sessions/<str:session_id>/transcript-email/", views.TranscriptEmailView.as_view(), name="session-transcript"),
    path("sessions/<str:session_id>/coaching/", views.SessionCoachingView.as_view(), name="session-coaching"),
    path("coaching-marks/", views.CoachingListView.as_view(), name="coaching-list"),
    path("chat/settings/", views.ChatSettingsView.as_view(), name="chat-settings"),
]
