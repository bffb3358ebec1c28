"""What live chat adds to the ticketing app's URLs and sockets, through ``helpdesk.extensions``."""

from __future__ import annotations

from django.urls import include, path

from helpdesk import extensions


def register() -> None:
    from livelisten.routing import websocket_urlpatterns

    extensions.register_urls([path("api/v1/", include("livelisten.api.urls"))])
    extensions.register_websocket_urls(websocket_urlpatterns)
