"""The websocket handshake's own checks: the page's full origin, and paths no route serves.

A browser sends any site's page's origin with a handshake and the signed-in user's
cookie along with it, so the ``Origin`` is what keeps another site's page from
opening a socket as that user. It is compared whole (scheme, host and port) with
what Django's CSRF check accepts for a form post:

- the origin the handshake was made to: its ``Host`` (which must be in
  ``ALLOWED_HOSTS``) with ``http``, or ``https`` when the socket is ``wss`` or a
  trusted proxy says so (``SECURE_PROXY_SSL_HEADER``);
- the origins in ``CSRF_TRUSTED_ORIGINS`` (``https://*.example.com`` covering subdomains).

Anything else, a missing ``Origin`` included, is refused before the handshake
completes (Daphne answers 403).
"""

from __future__ import annotations

import logging
from urllib.parse import urlsplit

from channels.security.websocket import WebsocketDenier
from django.conf import settings
from django.http.request import is_same_domain, split_domain_port, validate_host

logger = logging.getLogger(__name__)

_DEFAULT_PORTS = {"http": "80", "https": "443"}


def _header(scope, name: bytes) -> str | None:
    for key, value in scope.get("headers", []):
        if key == name:
            return value.decode("latin-1")
    return None


def _normalized(scheme: str, netloc: str) -> str:
    scheme, netloc = scheme.lower(), netloc.lower()
    host, _, port = netloc.rpartition(":") if not netloc.endswith("]") else (netloc, "", "")
    if host and port == _DEFAULT_PORTS.get(scheme):
        netloc = host
    return f"{scheme}://{netloc}"


def _is_secure(scope) -> bool:
    if scope.get("scheme") in ("wss", "https"):
        return True
    proxy = getattr(settings, "SECURE_PROXY_SSL_HEADER", None)
    if proxy:
        meta_name, secure_value = proxy
        if meta_name.startswith("HTTP_"):
            header = _header(scope, meta_name[5:].lower().replace("_", "-").encode("latin-1"))
            # As Django reads it: the first value of a comma-separated list.
            return header is not None and header.split(",", 1)[0].strip() == secure_value
    return False


def _allowed_hosts() -> list[str]:
    hosts = settings.ALLOWED_HOSTS
    if settings.DEBUG and not hosts:
        return [".localhost", "127.0.0.1", "[::1]"]
    return hosts


def origin_allowed(scope) -> bool:
    origin = _header(scope, b"origin")
    if not origin or origin == "null":
        return False
    try:
        parsed = urlsplit(origin)
    except ValueError:
        return False
    if parsed.scheme.lower() not in _DEFAULT_PORTS or not parsed.netloc or parsed.path not in ("", "/"):
        return False
    requested = _normalized(parsed.scheme, parsed.netloc)

    host = _header(scope, b"host")
    if host:
        domain, _ = split_domain_port(host)
        if domain and validate_host(domain, _allowed_hosts()):
            if requested == _normalized("https" if _is_secure(scope) else "http", host):
                return True

    for trusted in settings.CSRF_TRUSTED_ORIGINS:
        try:
            pattern = urlsplit(trusted)
        except ValueError:
            continue
        if "*" in pattern.netloc:
            if parsed.scheme.lower() == pattern.scheme.lower() and is_same_domain(
                parsed.netloc.lower(), pattern.netloc.lower().lstrip("*")
            ):
                return True
        elif requested == _normalized(pattern.scheme, pattern.netloc):
            return True
    return False


class OriginValidator:
    """ASGI middleware for the websocket router: refuses handshakes from any other origin."""

    def __init__(self, application) -> None:
        self.application = application

    async def __call__(self, scope, receive, send):
        if scope["type"] == "websocket" and not origin_allowed(scope):
            logger.info("websocket %s refused: origin %r", scope.get("path"), _header(scope, b"origin"))
            return await WebsocketDenier()(scope, receive, send)
        return await self.application(scope, receive, send)
