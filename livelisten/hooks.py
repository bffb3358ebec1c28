"""What live chat adds to the ticketing app's URLs and sockets, through ``helpdesk.extensions``."""

from __future__ import annotations

from django.urls import include, path

from helpdesk import extensions


def _render_current(session, context):
    """A 409's ``current``: the session as the caller's GET shows it, with its version as the ETag."""
    from livelisten.api.views import shaped

    request = context.get("request")
    return shaped(getattr(request, "user", None), session), f'"{session.version}"'


def _serves(user) -> bool:
    from livelisten import permissions

    return permissions.can_serve_chats(user)


def _listens(user) -> bool:
    from livelisten import permissions

    return permissions.can_listen(user)


def _starts(user) -> bool:
    from livelisten import permissions

    return permissions.can_start_session(user)


def _portal_chat_panel(request, ticket):
    """On the customer's open request: chat about it live, or go back to the chat already open on it."""
    from django.urls import reverse

    from livelisten import permissions, selectors
    from livelisten.services.sessions import OPEN_TICKET_STATUSES

    user = request.user
    if not permissions.can_start_session(user) or ticket.status not in OPEN_TICKET_STATUSES:
        return None
    live = selectors.live_session_on_ticket(user=user, ticket=ticket)
    if live is not None:
        return {"live_url": reverse("livelisten-portal:chat", args=[live.pk])}
    return {"start_url": reverse("livelisten-portal:start") + f"?ticket={ticket.reference}"}


def register() -> None:
    from livelisten.models import ChatSession
    from livelisten.routing import websocket_urlpatterns

    extensions.register_urls(
        [
            path("api/v1/", include("livelisten.api.urls")),
            path("portal/chat/", include("livelisten.urls_portal")),
            path("", include("livelisten.urls")),
        ]
    )
    extensions.register_nav_link(extensions.NavLink(label="Chat", url_name="livelisten:console", visible=_serves))
    extensions.register_nav_link(extensions.NavLink(label="Live", url_name="livelisten:dashboard", visible=_listens))
    extensions.register_nav_link(
        extensions.NavLink(label="Chat with us", url_name="livelisten-portal:start", visible=_starts, portal=True)
    )
    extensions.register_ticket_panel(
        extensions.TicketPanel(
            name="chat", template="livelisten/_portal_ticket_chat.html", context=_portal_chat_panel, place="portal"
        )
    )
    extensions.register_websocket_urls(websocket_urlpatterns)
    extensions.register_stale_renderer(ChatSession, _render_current)
