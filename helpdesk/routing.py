"""Websocket URL routes of every app (the ASGI root wires them in)."""

from django.urls import path

from helpdesk import extensions
from helpdesk.consumers import DeskConsumer, NotificationConsumer, TicketWatchConsumer

websocket_urlpatterns = [
    path("ws/desk/", DeskConsumer.as_asgi()),
    path("ws/notifications/", NotificationConsumer.as_asgi()),
    path("ws/tickets/<str:reference>/", TicketWatchConsumer.as_asgi()),
    # Other apps' sockets (escalations' board and pages), registered in their AppConfig.ready().
    *extensions.websocket_patterns(),
]
