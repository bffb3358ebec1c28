"""What live chat adds to the ticketing app's URLs and sockets, through ``helpdesk.extensions``."""

from __future__ import annotations

from django.urls import include, path

from helpdesk import extensions


def _render_current(session, context):
    """A 409's ``current``: the session as the caller's GET shows it, with its version as the ETag."""
    from livelisten.api.views import shaped

    request = context.get("request")
    return shaped(getattr(request, "user", None), session), f'"{session.version}"'


def register() -> None:
    from livelisten.models import ChatSession
    from livelisten.routing import websocket_urlpatterns

    extensions.register_urls([path("api/v1/", include("livelisten.api.urls"))])
    extensions.register_websocket_urls(websocket_urlpatterns)
    extensions.register_stale_renderer(ChatSession, _render_current)
