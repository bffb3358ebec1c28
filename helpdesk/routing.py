"""Websocket URL routes of every app (the ASGI root wires them in)."""

from django.urls import path

from helpdesk.consumers import TicketWatchConsumer

websocket_urlpatterns = [
    path("ws/tickets/<str:reference>/", TicketWatchConsumer.as_asgi()),
]
