"""Websocket URL routes of every app (the ASGI root wires them in)."""

from django.urls import path

from helpdesk.consumers import DeskConsumer, TicketWatchConsumer

websocket_urlpatterns = [
    path("ws/desk/", DeskConsumer.as_asgi()),
    path("ws/tickets/<str:reference>/", TicketWatchConsumer.as_asgi()),
]
