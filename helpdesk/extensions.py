"""Where other apps plug into the ticketing app without it importing them.

``helpdesk`` never imports ``escalations`` or ``livelisten`` (import-linter checks it).
Where a desk page, the ticket API or the URL tree shows another app's data, the other
app registers a provider here from its ``AppConfig.ready()``, and ``helpdesk`` asks the
registry. Each registry is a plain ordered list or dict filled once at start-up.
"""

from __future__ import annotations

from collections.abc import Callable, Iterable
from dataclasses import dataclass
from typing import Any

# --- URLs ------------------------------------------------------------------------------------

_url_patterns: list[Any] = []


def register_urls(patterns: Iterable[Any]) -> None:
    """URL patterns another app serves under the site root (its pages and its part of ``/api/v1/``)."""
    _url_patterns.extend(patterns)


def url_patterns() -> list[Any]:
    return list(_url_patterns)


_websocket_patterns: list[Any] = []


def register_websocket_urls(patterns: Iterable[Any]) -> None:
    """Websocket routes another app serves (``ws/...``); the ASGI root's router includes them."""
    _websocket_patterns.extend(patterns)


def websocket_patterns() -> list[Any]:
    return list(_websocket_patterns)


# --- Fast token-authenticated reads (helpdesk.fastpath) ------------------------------------


@dataclass(frozen=True)
class FastRoute:
    """A GET answered before the full stack when its token is good and holds ``permission``.

    ``pattern`` matches the whole path (named groups go to ``handler`` as keyword
    arguments); ``handler(user_id=, **groups)`` returns (status, JSON-able body), or
    None to let Django answer. See helpdesk/fastpath.py for what it may and may not do.
    """

    pattern: Any
    permission: str
    handler: Callable[..., tuple[int, Any] | None]


_fast_routes: list[FastRoute] = []


def register_fast_route(route: FastRoute) -> None:
    _fast_routes.append(route)


def fast_routes() -> list[FastRoute]:
    return _fast_routes


# --- The ticket API ------------------------------------------------------------------------


@dataclass(frozen=True)
class TicketApiField:
    """A field the desk's ticket API answers carry (customers never get these).

    ``values`` gets the viewer and the tickets of one answer and returns each ticket's
    value by id, in a fixed number of queries whatever the number of tickets.
    """

    name: str
    values: Callable[[Any, list[Any]], dict[int, Any]]
    default: Callable[[], Any]
    help_text: str


_ticket_api_fields: dict[str, TicketApiField] = {}


def register_ticket_api_field(field: TicketApiField) -> None:
    _ticket_api_fields[field.name] = field


def ticket_api_fields() -> list[TicketApiField]:
    return list(_ticket_api_fields.values())


# --- Inbox filters ----------------------------------------------------------------------------


@dataclass(frozen=True)
class TicketFilter:
    """A yes/no filter of the inbox and the ticket API (``?<name>=1``), desk only.

    ``condition`` returns the query condition on tickets (it may use Exists over the
    other app's tables, reached by ORM lookups).
    """

    name: str
    label: str
    condition: Callable[[], Any]


_ticket_filters: dict[str, TicketFilter] = {}


def register_ticket_filter(ticket_filter: TicketFilter) -> None:
    _ticket_filters[ticket_filter.name] = ticket_filter


def ticket_filters() -> list[TicketFilter]:
    return list(_ticket_filters.values())


def ticket_filter(name: str) -> TicketFilter | None:
    return _ticket_filters.get(name)


# --- Inbox bulk actions -----------------------------------------------------------------------


@dataclass
class BulkOutcome:
    """What a bulk action did: references changed, already so, and refused (reference -> why)."""

    updated: list[str]
    unchanged: list[str]
    skipped: dict[str, str]


@dataclass(frozen=True)
class BulkAction:
    """A button of the inbox's bulk bar, with an optional text input (``input_name``).

    ``run(actor=, tickets=, value=)`` acts on the selected tickets the viewer may see and
    returns a ``BulkOutcome`` (shown like the desk's own), or a path to go to instead
    (a form that needs more than one value).
    """

    name: str
    label: str
    run: Callable[..., Any]
    input_name: str = ""
    input_label: str = ""
    placeholder: str = ""


_bulk_actions: dict[str, BulkAction] = {}


def register_bulk_action(action: BulkAction) -> None:
    _bulk_actions[action.name] = action


def bulk_actions() -> list[BulkAction]:
    return list(_bulk_actions.values())


def bulk_action(name: str) -> BulkAction | None:
    return _bulk_actions.get(name)


# --- The ticket page -------------------------------------------------------------------------


@dataclass(frozen=True)
class TicketPanel:
    """A block on the desk's ticket page.

    ``context`` gets the request and the ticket and returns the template's context, or
    None to show nothing; ``place`` is "banner" (above the conversation) or "side" (in
    the properties column) of the desk's page, or "portal" (under the heading of the
    customer's page in the portal).
    """

    name: str
    template: str
    context: Callable[[Any, Any], dict[str, Any] | None]
    place: str = "side"


_ticket_panels: list[TicketPanel] = []


def register_ticket_panel(panel: TicketPanel) -> None:
    _ticket_panels.append(panel)


def ticket_panels(place: str) -> list[TicketPanel]:
    return [panel for panel in _ticket_panels if panel.place == place]


# --- Navigation ------------------------------------------------------------------------------


@dataclass(frozen=True)
class NavLink:
    """A link in the desk's top navigation (or, with ``portal``, the portal's), shown to those ``visible`` lets see it."""

    label: str
    url_name: str
    visible: Callable[[Any], bool]
    portal: bool = False


_nav_links: list[NavLink] = []


def register_nav_link(link: NavLink) -> None:
    _nav_links.append(link)


def nav_links(user, *, portal: bool = False) -> list[NavLink]:
    return [link for link in _nav_links if link.portal == portal and link.visible(user)]


# --- 409 answers -----------------------------------------------------------------------------

# model class -> function(obj, context) returning (body of "current", ETag)
_stale_renderers: dict[type, Callable[[Any, dict[str, Any]], tuple[dict[str, Any], str]]] = {}


def register_stale_renderer(model: type, render: Callable[[Any, dict[str, Any]], tuple[dict[str, Any], str]]) -> None:
    """How the API shows the current state of another app's object in a 409 answer."""
    _stale_renderers[model] = render


def stale_renderer(obj) -> Callable[[Any, dict[str, Any]], tuple[dict[str, Any], str]] | None:
    return _stale_renderers.get(type(obj))
