"""Websocket routes of the escalations app (the ticketing app's router includes them through its registry)."""

from django.urls import path

from escalations.consumers import BoardConsumer, EscalationConsumer

websocket_urlpatterns = [
    path("ws/escalations/", BoardConsumer.as_asgi()),
    path("ws/escalations/<str:reference>/", EscalationConsumer.as_asgi()),
]
