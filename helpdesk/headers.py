"""Response headers every page carries: a Content-Security-Policy, and no caching of what a signed-in person sees.

**Content-Security-Policy.** Scripts and styles come only from this site's own
files: no ``'unsafe-inline'``, no ``'unsafe-eval'``, so an injected ``<script>``,
``style=`` attribute or ``onclick=`` does nothing even if escaping ever failed.
The desk's templates carry no inline script or style for that reason (data goes
to scripts as ``json_script`` blocks and ``data-`` attributes; htmx is told not to
inject its indicator ``<style>``, see ``templates/base.html``). ``connect-src``
allows this origin's own websocket, named explicitly because older browsers do
not count ``ws:``/``wss:`` as ``'self'``. In DEBUG only, Django's technical error
pages and DRF's browsable API (both built on inline scripts and styles) go out
without the header so that debugging keeps working; in production neither exists.

**Cache-Control.** A page for a signed-in person (tickets, customers' details) must
not be kept by a shared proxy or left in the browser's cache for the next person at
that computer: every response to a signed-in user, and every answer to a POST (the
sign-in form's included), says ``private, no-store``. Static files are answered by
WhiteNoise before this middleware runs and keep their long cache lifetimes.
"""

from __future__ import annotations

from django.conf import settings
from django.core.exceptions import DisallowedHost

CSP_HEADER = "Content-Security-Policy"
NO_STORE = "private, no-store"

_STATIC_POLICY = (
    ("default-src", "'self'"),
    ("script-src", "'self'"),
    ("style-src", "'self'"),
    # data: for the small SVG icons that the admin's and Swagger UI's stylesheets embed.
    ("img-src", "'self' data:"),
    ("font-src", "'self'"),
    ("object-src", "'none'"),
    ("base-uri", "'self'"),
    ("form-action", "'self'"),
    ("frame-ancestors", "'none'"),
)

# Django's debug pages (technical 404 and 500) start with this line; no page of the desk does.
_DEBUG_PAGE_MARK = b'<meta name="robots" content="NONE,NOARCHIVE">'


def content_security_policy(request) -> str:
    """The policy for a response to ``request``: the fixed directives plus this origin's websocket."""
    try:
        connect = "'self' " + ("wss://" if request.is_secure() else "ws://") + request.get_host()
    except DisallowedHost:  # the 400 answering a foreign Host header
        connect = "'self'"
    directives = [*_STATIC_POLICY, ("connect-src", connect)]
    return "; ".join(f"{name} {value}" for name, value in directives)


def _is_debug_tooling(response) -> bool:
    if not settings.DEBUG:
        return False
    renderer = getattr(response, "accepted_renderer", None)
    if renderer is not None and getattr(renderer, "format", "") == "api":  # DRF's browsable API
        return True
    if response.status_code in (404, 500) and not getattr(response, "streaming", False):
        return _DEBUG_PAGE_MARK in response.content[:2000]
    return False


def _signed_in(request) -> bool:
    user = getattr(request, "user", None)
    return bool(user is not None and user.is_authenticated)


class SecurityHeadersMiddleware:
    """The Content-Security-Policy on every response; ``private, no-store`` for signed-in people and POST answers."""

    def __init__(self, get_response):
        self.get_response = get_response

    def __call__(self, request):
        response = self.get_response(request)
        if CSP_HEADER not in response and not _is_debug_tooling(response):
            response[CSP_HEADER] = content_security_policy(request)
        if request.method not in ("GET", "HEAD", "OPTIONS") or _signed_in(request):
            # Replaces whatever a view set: for these answers nothing may be stored.
            response["Cache-Control"] = NO_STORE
        return response
