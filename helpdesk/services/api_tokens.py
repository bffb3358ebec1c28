"""API tokens: create, revoke, revoke all of a person's, and note their use.

A token is a random key shown once; the database keeps its SHA-256 (see
``models.ApiToken``). Tokens expire after ``HELPDESK_API_TOKEN_DAYS`` and end
early when revoked: by their owner, by someone allowed to revoke others' (support
managers, superusers: ``permissions.can_revoke_api_token``), and by
``helpdesk.access`` whenever the account's password changes or it is deactivated.
"""

from __future__ import annotations

import secrets
from datetime import datetime, timedelta

from django.conf import settings
from django.contrib.auth.models import AbstractBaseUser
from django.db import transaction
from django.db.models import Q
from django.utils import timezone

from helpdesk import permissions
from helpdesk.errors import ActionForbidden, InvalidInput
from helpdesk.models import ApiToken
from helpdesk.services.audit import audit_record

# Marks the key as ours (secret scanners, and people, recognise it in a leaked file).
KEY_PREFIX = "hdk_"
# Characters of the key kept in clear for lists ("hdk_" and 8 random ones).
DISPLAY_PREFIX_LENGTH = 12
NAME_MAX_LENGTH = 100
# Live tokens one person may hold; each is a door into their account.
MAX_ACTIVE_TOKENS = 100
# How stale ``last_used_at`` may get before a request writes it again.
TOUCH_INTERVAL = timedelta(minutes=5)


def _clean_name(name: str | None) -> str:
    text = " ".join((name or "").split())
    if "\x00" in text:
        raise InvalidInput("Remove the NUL (\\x00) characters from the name.", field="name")
    if not text:
        raise InvalidInput("Name the token after what will use it, such as “nightly export”.", field="name")
    if len(text) > NAME_MAX_LENGTH:
        raise InvalidInput(f"Keep the name under {NAME_MAX_LENGTH} characters.", field="name")
    return text


@transaction.atomic
def api_token_create(
    *, actor: AbstractBaseUser, name: str, now: datetime | None = None
) -> tuple[ApiToken, str]:
    """A new token for the actor; returns it and its key, which is not stored and cannot be shown again."""
    if not permissions.can_create_api_token(actor):
        raise ActionForbidden("Only active accounts can have API tokens.")
    clean = _clean_name(name)
    now = now or timezone.now()
    active = ApiToken.objects.filter(user=actor, revoked_at__isnull=True, expires_at__gt=now).count()
    if active >= MAX_ACTIVE_TOKENS:
        raise InvalidInput(
            f"You already have {active} active API tokens, the most one account may hold. "
            "Revoke the ones no longer in use, then create this one.",
            field="name",
        )
    key = KEY_PREFIX + secrets.token_urlsafe(32)
    token = ApiToken.objects.create(
        user=actor,
        name=clean,
        digest=ApiToken.digest_of(key),
        prefix=key[:DISPLAY_PREFIX_LENGTH],
        created_at=now,
        expires_at=now + timedelta(days=settings.HELPDESK_API_TOKEN_DAYS),
    )
    audit_record(
        actor=actor,
        action="api_token.created",
        obj=token,
        object_type="api_token",
        object_label=f"{clean} ({token.prefix}…) of {actor.get_username()}",
        changes={"expires": [None, token.expires_at.isoformat(timespec="minutes")]},
    )
    return token, key


@transaction.atomic
def api_token_revoke(*, actor: AbstractBaseUser, token: ApiToken) -> ApiToken:
    """End one token now. Revoking a token that has already ended changes nothing."""
    locked = ApiToken.objects.select_for_update().select_related("user").get(pk=token.pk)
    if not permissions.can_revoke_api_token(actor, locked):
        raise ActionForbidden("You may not revoke this token.")
    if locked.revoked_at is None:
        locked.revoked_at = timezone.now()
        locked.revoked_reason = (
            ApiToken.RevokedReason.OWNER if locked.user_id == actor.pk else ApiToken.RevokedReason.ADMINISTRATOR
        )
        locked.revoked_by = actor
        locked.save(update_fields=["revoked_at", "revoked_reason", "revoked_by"])
        audit_record(
            actor=actor,
            action="api_token.revoked",
            obj=locked,
            object_type="api_token",
            object_label=f"{locked.name} ({locked.prefix}…) of {locked.user.get_username()}",
            changes={"state": ["active", locked.get_revoked_reason_display()]},
        )
    return locked


def api_tokens_revoke_all(
    *, actor: AbstractBaseUser | None, user: AbstractBaseUser, reason: str
) -> int:
    """End every live token of ``user`` (their password changed, they were deactivated); returns how many.

    Runs in the caller's transaction (``helpdesk.access`` calls it beside the
    change of the user row), so the tokens end exactly when that change commits.
    """
    if reason not in ApiToken.RevokedReason.values:
        raise InvalidInput(f"Unknown revocation reason {reason!r}.", field="reason")
    now = timezone.now()
    with transaction.atomic():
        ended = ApiToken.objects.filter(user_id=user.pk, revoked_at__isnull=True, expires_at__gt=now).update(
            revoked_at=now, revoked_reason=reason, revoked_by=actor if actor is not None and actor.pk else None
        )
        if ended:
            audit_record(
                actor=actor,
                action="api_token.revoked_all",
                object_type="user",
                object_id=user.pk,
                object_label=user.get_username(),
                changes={"live API tokens": [ended, 0], "why": [None, ApiToken.RevokedReason(reason).label]},
            )
        return ended


def api_token_touch(*, token: ApiToken, now: datetime | None = None) -> None:
    """Note that the token was just used, at most once per ``TOUCH_INTERVAL`` (a write per request would cost more)."""
    now = now or timezone.now()
    if token.last_used_at is not None and now - token.last_used_at < TOUCH_INTERVAL:
        return
    # A conditional UPDATE: of several requests at once, one writes and the rest match nothing.
    stale = now - TOUCH_INTERVAL
    ApiToken.objects.filter(Q(last_used_at__isnull=True) | Q(last_used_at__lt=stale), pk=token.pk).update(
        last_used_at=now
    )
    token.last_used_at = now
