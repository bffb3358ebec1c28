"""API tokens: the key a script or integration sends as ``Authorization: Token <key>``."""

from __future__ import annotations

from django.contrib.auth.models import AbstractBaseUser
from django.db import transaction
from rest_framework.authtoken.models import Token


@transaction.atomic
def api_token_issue(*, actor: AbstractBaseUser) -> str:
    """The actor's API token, created on first request.

    One token per user (DRF's model): asking again returns the same key, so
    several scripts of one person share it until it is revoked in the admin.
    """
    token, _ = Token.objects.get_or_create(user=actor)
    return token.key
