"""``Authorization: Token <key>``: the API's token authentication, against hashed, expiring tokens."""

from __future__ import annotations

from django.utils import timezone
from django.utils.formats import date_format
from drf_spectacular.extensions import OpenApiAuthenticationExtension
from rest_framework.authentication import BaseAuthentication, get_authorization_header
from rest_framework.exceptions import AuthenticationFailed

from helpdesk import selectors, services

KEYWORD = "Token"
# Tokens look like "hdk_" and 43 characters; old ones were 40 hex digits.
_MAX_KEY_LENGTH = 200


def _when(moment) -> str:
    return date_format(timezone.localtime(moment), "DATETIME_FORMAT")


class ApiTokenAuthentication(BaseAuthentication):
    """Looks the key's digest up (one indexed query) and answers 401 saying why a known token no longer works.

    Saying "expired" or "revoked" tells only someone who holds the key, and it tells
    them what to do next, which "invalid token" does not.
    """

    def authenticate(self, request):
        parts = get_authorization_header(request).split()
        if not parts or parts[0].lower() != KEYWORD.lower().encode():
            return None
        if len(parts) != 2:
            raise AuthenticationFailed("Send the header as `Authorization: Token <key>`, the key without spaces.")
        try:
            key = parts[1].decode("ascii")
        except UnicodeDecodeError:
            raise AuthenticationFailed("Invalid token.") from None
        if len(key) > _MAX_KEY_LENGTH:
            raise AuthenticationFailed("Invalid token.")
        token = selectors.api_token_for_key(key=key)
        if token is None:
            raise AuthenticationFailed("Invalid token.")
        now = timezone.now()
        if token.revoked_at is not None:
            raise AuthenticationFailed(
                f"This token was revoked on {_when(token.revoked_at)} ({token.get_revoked_reason_display()}). "
                "Create a new one under API tokens in the desk, or with POST /api/v1/auth/token/."
            )
        if token.expires_at <= now:
            raise AuthenticationFailed(
                f"This token expired on {_when(token.expires_at)}. "
                "Create a new one under API tokens in the desk, or with POST /api/v1/auth/token/."
            )
        if not token.user.is_active:
            raise AuthenticationFailed("The account this token belongs to is deactivated.")
        services.api_token_touch(token=token, now=now)
        return token.user, token

    def authenticate_header(self, request) -> str:
        return KEYWORD


class ApiTokenScheme(OpenApiAuthenticationExtension):
    target_class = ApiTokenAuthentication
    name = "tokenAuth"

    def get_security_definition(self, auto_schema):
        return {
            "type": "apiKey",
            "in": "header",
            "name": "Authorization",
            "description": (
                "`Token <key>`. Create keys under API tokens in the desk or with `POST /api/v1/auth/token/`; "
                "they expire (90 days by default) and end when the account's password changes."
            ),
        }
