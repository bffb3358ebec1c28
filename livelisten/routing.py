"""Websocket routes of live chat (the ticketing app's router includes them through its registry)."""

from django.urls import path

from livelisten.consumers import AgentQueueConsumer, ListenConsumer, LiveDashboardConsumer, ParticipantConsumer

websocket_urlpatterns = [
    path("ws/sessions/<str:session_id>/", ParticipantConsumer.as_asgi()),
    path("ws/sessions/<str:session_id>/listen/", ListenConsumer.as_asgi()),
    path("ws/live/", LiveDashboardConsumer.as_asgi()),
    path("ws/chat/queue/", AgentQueueConsumer.as_asgi()),
]
