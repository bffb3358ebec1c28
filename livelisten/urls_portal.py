"""The customer's live chat in the portal (namespace ``livelisten-portal``), under /portal/chat/."""

from django.urls import path

from livelisten import views

app_name = "livelisten-portal"
urlpatterns = [
    path("", views.portal_chat_start, name="start"),
    path("<str:session_id>/", views.portal_chat, name="chat"),
    path("<str:session_id>/end/", views.portal_chat_end, name="end"),
    path("<str:session_id>/transcript/", views.portal_chat_transcript, name="transcript"),
]
