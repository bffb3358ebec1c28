"""A few token-authenticated JSON reads answered before Django's full request stack.

Some endpoints are polled by machines many times a second: a CI/CD pipeline asking
the release gate before every deployment step. Through the whole stack (middleware,
DRF, content negotiation) such a request costs about 8 ms of CPU here; this path answers
the same request in about one, so one small machine serves hundreds a second.

It answers only what it is sure of, and hands everything else to Django unchanged:

- a ``GET`` of a registered route (``helpdesk.extensions.FastRoute``) carrying
  ``Authorization: Token <key>``, no query string;
- a token that exists, is neither revoked nor expired, was used within
  ``TOUCH_INTERVAL`` (so its "last used" needs no write), of an active account with the
  route's permission (as Django's ``ModelBackend`` would grant it): one SQL query;
- and a route handler that returns an answer (the gate: a known feature).

A missing, malformed, unknown, revoked or expired token, an inactive account, one
without the right, an unknown feature: all go to Django, which answers exactly as it
always does (401 saying why, 403, 404). The answer carries the headers the full stack
would have set on it (tests/helpdesk/test_fastpath.py compares them).
"""

from __future__ import annotations

import json
import logging
from collections.abc import Callable
from typing import Any

from django.db import close_old_connections, connection
from django.utils import timezone

logger = logging.getLogger(__name__)

_STATUS_TEXT = {200: "200 OK", 423: "423 Locked"}
_MAX_KEY_LENGTH = 200
_HEADERS = [
    ("Content-Type", "application/json"),
    ("Vary", "Authorization, Cookie"),
    ("Cache-Control", "private, no-store"),
    ("X-Frame-Options", "DENY"),
    ("X-Content-Type-Options", "nosniff"),
    ("Referrer-Policy", "same-origin"),
    ("Cross-Origin-Opener-Policy", "same-origin"),
    ("Content-Security-Policy", "default-src 'none'; frame-ancestors 'none'"),
]


def _token_key(authorization: str | None) -> str | None:
    if not authorization:
        return None
    parts = authorization.split()
    if len(parts) != 2 or parts[0].lower() != "token" or len(parts[1]) > _MAX_KEY_LENGTH:
        return None
    try:
        parts[1].encode("ascii")
    except UnicodeEncodeError:
        return None
    return parts[1]


def _user_sql() -> str:
    from django.contrib.auth import get_user_model
    from django.contrib.auth.models import Group, Permission
    from django.contrib.contenttypes.models import ContentType

    from helpdesk.models import ApiToken

    User = get_user_model()
    user_groups = User.groups.through._meta.db_table
    user_perms = User.user_permissions.through._meta.db_table
    group_perms = Group.permissions.through._meta.db_table
    permission, content_type = Permission._meta.db_table, ContentType._meta.db_table
    perm_join = f"JOIN {permission} p ON p.id = {{alias}}.permission_id JOIN {content_type} ct ON ct.id = p.content_type_id"
    return f"""
        SELECT u.id FROM {ApiToken._meta.db_table} t JOIN {User._meta.db_table} u ON u.id = t.user_id
        WHERE t.digest = %s AND t.revoked_at IS NULL AND t.expires_at > %s AND t.last_used_at >= %s AND u.is_active
          AND (u.is_superuser
               OR EXISTS (SELECT 1 FROM {user_groups} ug JOIN {group_perms} gp ON gp.group_id = ug.group_id
                          {perm_join.format(alias="gp")}
                          WHERE ug.user_id = u.id AND ct.app_label = %s AND p.codename = %s)
               OR EXISTS (SELECT 1 FROM {user_perms} up {perm_join.format(alias="up")}
                          WHERE up.user_id = u.id AND ct.app_label = %s AND p.codename = %s))
    """


_SQL: dict[str, str] = {}


def token_user_with_permission(key: str, permission: str) -> int | None:
    """The id of the token's account when the token is good and fresh and the account holds ``permission``; else None."""
    from helpdesk.models import ApiToken
    from helpdesk.services.api_tokens import TOUCH_INTERVAL

    if "user" not in _SQL:
        _SQL["user"] = _user_sql()
    app_label, codename = permission.split(".", 1)
    now = timezone.now()
    with connection.cursor() as cursor:
        cursor.execute(
            _SQL["user"], [ApiToken.digest_of(key), now, now - TOUCH_INTERVAL, app_label, codename, app_label, codename]
        )
        row = cursor.fetchone()
    return row[0] if row else None


def answer(path: str, authorization: str | None) -> tuple[int, bytes] | None:
    """(status, JSON body) for a request this path is sure of, or None for Django to answer."""
    from helpdesk import extensions

    key = _token_key(authorization)
    if key is None:
        return None
    for route in extensions.fast_routes():
        match = route.pattern.fullmatch(path)
        if match is None:
            continue
        user_id = token_user_with_permission(key, route.permission)
        if user_id is None:
            return None
        result = route.handler(user_id=user_id, **match.groupdict())
        if result is None:
            return None
        status, body = result
        return status, json.dumps(body, separators=(",", ":")).encode()
    return None


def _guarded(path: str, authorization: str | None) -> tuple[int, bytes] | None:
    close_old_connections()
    try:
        return answer(path, authorization)
    except Exception:  # anything odd: the full stack answers (and logs) instead
        logger.exception("fast path failed for %s; handing it to Django", path)
        return None
    finally:
        close_old_connections()


def _headers(body: bytes) -> list[tuple[str, str]]:
    return [*_HEADERS, ("Content-Length", str(len(body)))]


class WSGIFastPath:
    """Wraps the WSGI application (gunicorn in the production recipe)."""

    def __init__(self, application: Callable[..., Any]) -> None:
        self.application = application

    def __call__(self, environ, start_response):
        if environ.get("REQUEST_METHOD") == "GET" and not environ.get("QUERY_STRING"):
            result = _guarded(environ.get("PATH_INFO", ""), environ.get("HTTP_AUTHORIZATION"))
            if result is not None:
                status, body = result
                start_response(_STATUS_TEXT.get(status, f"{status} Unknown"), _headers(body))
                return [body]
        return self.application(environ, start_response)


class ASGIFastPath:
    """Wraps the ASGI HTTP application (Daphne, the embedded default)."""

    def __init__(self, application: Callable[..., Any]) -> None:
        self.application = application

    async def __call__(self, scope, receive, send):
        if scope["type"] == "http" and scope.get("method") == "GET" and not scope.get("query_string"):
            from asgiref.sync import sync_to_async

            authorization = next(
                (value.decode("latin-1") for name, value in scope.get("headers", []) if name == b"authorization"), None
            )
            result = await sync_to_async(_guarded, thread_sensitive=False)(scope.get("path", ""), authorization)
            if result is not None:
                status, body = result
                headers = [(name.lower().encode(), value.encode()) for name, value in _headers(body)]
                await send({"type": "http.response.start", "status": status, "headers": headers})
                await send({"type": "http.response.body", "body": body})
                return
        await self.application(scope, receive, send)
