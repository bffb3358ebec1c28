"""The websocket handshake's origin check: the full origin (scheme, host, port), as Django's CSRF check."""

from __future__ import annotations

import pytest
from django.test import override_settings

from helpdesk.websocket import origin_allowed


def scope(origin: str | None, host: str | None = "desk.example.com", *, scheme: str = "ws", extra=()):
    headers = []
    if host is not None:
        headers.append((b"host", host.encode()))
    if origin is not None:
        headers.append((b"origin", origin.encode()))
    headers.extend(extra)
    return {"type": "websocket", "scheme": scheme, "headers": headers, "path": "/ws/tickets/HD-1/"}


PRODUCTION = {"ALLOWED_HOSTS": ["desk.example.com", "127.0.0.1"], "DEBUG": False, "CSRF_TRUSTED_ORIGINS": []}


@override_settings(**PRODUCTION)
@pytest.mark.parametrize(
    "origin, host, scheme, allowed",
    [
        ("http://desk.example.com", "desk.example.com", "ws", True),
        ("https://desk.example.com", "desk.example.com", "wss", True),
        ("HTTP://Desk.Example.com", "desk.example.com", "ws", True),  # scheme and host compare case-blind
        ("http://desk.example.com:80", "desk.example.com", "ws", True),  # the default port is the same origin
        ("http://127.0.0.1:8000", "127.0.0.1:8000", "ws", True),
        ("http://127.0.0.1:8001", "127.0.0.1:8000", "ws", False),  # another port is another origin
        ("http://127.0.0.1", "127.0.0.1:8000", "ws", False),
        ("https://desk.example.com", "desk.example.com", "ws", False),  # scheme must match the socket's
        ("http://desk.example.com", "desk.example.com", "wss", False),
        ("http://evil.example", "desk.example.com", "ws", False),
        ("http://desk.example.com.evil.example", "desk.example.com", "ws", False),
        ("http://evil.example", "evil.example", "ws", False),  # Host not in ALLOWED_HOSTS
        ("null", "desk.example.com", "ws", False),
        ("", "desk.example.com", "ws", False),
        (None, "desk.example.com", "ws", False),  # no Origin at all
        ("http://desk.example.com", None, "ws", False),  # no Host: nothing to compare with
        ("javascript://desk.example.com", "desk.example.com", "ws", False),
        ("http://desk.example.com/path", "desk.example.com", "ws", False),
        ("http://[::1", "desk.example.com", "ws", False),  # unparsable
    ],
)
def test_the_origin_must_be_the_one_the_socket_was_opened_on(origin, host, scheme, allowed):
    assert origin_allowed(scope(origin, host, scheme=scheme)) is allowed


@override_settings(**(PRODUCTION | {"CSRF_TRUSTED_ORIGINS": ["https://support.example.com", "https://*.example.org"]}))
@pytest.mark.parametrize(
    "origin, allowed",
    [
        ("https://support.example.com", True),
        ("http://support.example.com", False),
        ("https://support.example.com:8443", False),
        ("https://help.example.org", True),
        ("https://a.b.example.org", True),
        ("http://help.example.org", False),
        ("https://example.org.evil.example", False),
    ],
)
def test_csrf_trusted_origins_are_accepted_too(origin, allowed):
    assert origin_allowed(scope(origin)) is allowed


@override_settings(**PRODUCTION, SECURE_PROXY_SSL_HEADER=("HTTP_X_FORWARDED_PROTO", "https"))
def test_behind_a_tls_proxy_the_forwarded_scheme_counts():
    forwarded = [(b"x-forwarded-proto", b"https")]
    assert origin_allowed(scope("https://desk.example.com", extra=forwarded))
    assert not origin_allowed(scope("http://desk.example.com", extra=forwarded))
    assert not origin_allowed(scope("https://desk.example.com"))  # the proxy did not say so


@override_settings(**PRODUCTION)
def test_without_a_trusted_proxy_a_forwarded_scheme_is_ignored():
    assert not origin_allowed(scope("https://desk.example.com", extra=[(b"x-forwarded-proto", b"https")]))


@override_settings(ALLOWED_HOSTS=[], DEBUG=True, CSRF_TRUSTED_ORIGINS=[])
def test_in_development_with_no_allowed_hosts_localhost_works_as_in_django():
    assert origin_allowed(scope("http://localhost:8000", "localhost:8000"))
    assert not origin_allowed(scope("http://desk.example.com", "desk.example.com"))
