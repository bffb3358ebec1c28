"""Links the desk builds: where a ``next`` parameter may send someone, and absolute URLs for emails.

Both are security rules, so they live in one place:

- A ``next`` value comes from the request, so it may name anything: another site
  (an open redirect), a scheme the browser would run (``javascript:``), or a bare
  word that ``django.shortcuts.redirect`` would try to resolve as a URL name (an
  uncaught ``NoReverseMatch``, i.e. a 500). Only a path on this site is followed.
- An absolute link (a password reset email, later notifications) must not take its
  host from the request: the ``Host`` header is whatever the sender typed, port
  included, so a link built from it can point anywhere. Links start from the one
  configured ``SITE_URL``.
"""

from __future__ import annotations

from urllib.parse import urlsplit

from django.conf import settings
from django.utils.http import url_has_allowed_host_and_scheme


def safe_next(request, candidate: str | None, *, default: str) -> str:
    """``candidate`` if it is a path on this site (``/inbox/?view=all``), else ``default``.

    An absolute URL naming this very site and scheme is reduced to its path; any
    other absolute URL, a scheme-relative ``//host`` path, a relative word
    (``HD-1001``), backslashes (which browsers read as slashes) and control
    characters all give ``default``.
    """
    text = (candidate or "").strip()
    if not text or "\\" in text or not text.isprintable():
        return default
    try:
        parts = urlsplit(text)
    except ValueError:  # "http://[" and similar
        return default
    if parts.scheme or parts.netloc:
        scheme = "https" if request.is_secure() else "http"
        if parts.scheme != scheme or parts.netloc != request.get_host():
            return default
        text = parts.path or "/"
        if parts.query:
            text += "?" + parts.query
        if parts.fragment:
            text += "#" + parts.fragment
    if not text.startswith("/") or text.startswith("//"):
        return default
    # The same check Django's own views make, for whatever the rules above let through.
    if not url_has_allowed_host_and_scheme(text, allowed_hosts={request.get_host()}, require_https=request.is_secure()):
        return default
    return text


def site_url() -> str:
    """The configured ``SITE_URL`` (``https://desk.example.com``), without a trailing slash."""
    return settings.SITE_URL.rstrip("/")


def absolute_url(path: str) -> str:
    """``/accounts/reset/…`` -> ``https://desk.example.com/accounts/reset/…``, never from the request's host."""
    if not path.startswith("/"):
        raise ValueError(f"absolute_url() takes a path starting with '/', not {path!r}")
    return site_url() + path


def email_link_context() -> dict[str, str]:
    """What Django's email templates use to build links (``protocol``, ``domain``, ``site_name``), from ``SITE_URL``.

    Django's password reset form merges this over the values it would take from
    the request, so the reset link names the configured site whatever ``Host`` the
    request carried.
    """
    parts = urlsplit(site_url())
    return {"protocol": parts.scheme, "domain": parts.netloc, "site_name": parts.netloc, "site_url": site_url()}


def portal_ticket_url(reference: str) -> str:
    """The customer's page of a ticket, absolute (for emails)."""
    from django.urls import reverse

    return absolute_url(reverse("portal:ticket_detail", kwargs={"reference": reference}))


def desk_ticket_url(reference: str) -> str:
    """The desk's page of a ticket, absolute (for agents' notifications)."""
    from django.urls import reverse

    return absolute_url(reverse("helpdesk:ticket_detail", kwargs={"reference": reference}))
