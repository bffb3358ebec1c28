"""Access ends everywhere at once: API tokens and open sockets follow the user row.

However a password is changed or an account switched off (the password-change and
reset pages, the admin, a service, a management command, a plain ``user.save()``),
the user row changes, so that is where this module looks: ``pre_save`` reads the
stored password hash and ``is_active``, ``post_save`` compares. In the same
transaction as the change it revokes the account's API tokens, and after commit it
tells the account's sockets to close (``events.user_group``). Signing out closes the
sockets of that browser session; a change of someone's roles or permissions makes
their sockets check their rights again.

It also holds the check every socket makes on each command and each forwarded event
(:func:`socket_access`), so that an event lost on the way, or a change made around
the ORM, still cannot keep a socket alive.

Saves that touch only other columns (every sign-in writes ``last_login``) cost
nothing here: they name ``update_fields`` without the watched ones.
"""

from __future__ import annotations

import logging
from collections.abc import Callable
from importlib import import_module
from typing import Any

from django.conf import settings
from django.contrib.auth import HASH_SESSION_KEY, SESSION_KEY, get_user_model
from django.contrib.auth.hashers import get_hasher, identify_hasher
from django.db.models import Subquery
from django.utils import timezone
from django.utils.crypto import constant_time_compare

from helpdesk import directory_cache, events

logger = logging.getLogger(__name__)

_WATCHED = frozenset({"password", "is_active", "is_superuser"})
_BEFORE = "_helpdesk_access_before"
_CLEARED_USERS = "_helpdesk_access_cleared_users"

# Close codes of the desk's sockets (static/helpdesk/desk.js stops reconnecting on both).
CLOSE_SIGNED_OUT = 4401  # the session ended: sign-out, password change; signing in again helps
CLOSE_FORBIDDEN = 4403  # the account is off or lost the right; reconnecting would not help


def close_code_for(reason: str) -> int:
    return CLOSE_SIGNED_OUT if reason in (events.SIGNED_OUT, events.PASSWORD_CHANGED) else CLOSE_FORBIDDEN


# --- the user row ---------------------------------------------------------------------------------


def _remember_stored(sender, instance, raw: bool = False, update_fields=None, **kwargs) -> None:
    if raw or instance.pk is None:
        return
    if update_fields is not None and not (set(update_fields) & _WATCHED):
        return
    stored = (
        sender._default_manager.filter(pk=instance.pk).values_list("password", "is_active", "is_superuser").first()
    )
    setattr(instance, _BEFORE, stored)


def _is_rehash(old_hash: str, user: Any) -> bool:
    """A hasher upgrade on sign-in (same password, new hash), which ends nothing.

    ``check_password`` re-hashes an outdated hash and saves it with ``_password``
    cleared; a real change (``set_password``) keeps the raw password there until
    the save finishes.
    """
    if getattr(user, "_password", None) is not None:
        return False
    try:
        old, new, preferred = identify_hasher(old_hash), identify_hasher(user.password), get_hasher("default")
    except ValueError:  # unusable or unknown: not an upgrade
        return False
    outdated = old.algorithm != preferred.algorithm or preferred.must_update(old_hash)
    return outdated and new.algorithm == preferred.algorithm


def _compare_stored(sender, instance, created: bool = False, raw: bool = False, **kwargs) -> None:
    stored = instance.__dict__.pop(_BEFORE, None)
    if created or raw or stored is None:
        return
    old_password, was_active, was_superuser = stored
    if was_active and not instance.is_active:
        access_end(user=instance, reason=events.DEACTIVATED)
    elif old_password != instance.password and not _is_rehash(old_password, instance):
        access_end(user=instance, reason=events.PASSWORD_CHANGED)
    elif bool(was_superuser) != bool(instance.is_superuser):
        events.broadcast_access_recheck(user_ids=[instance.pk])


def access_end(*, user: Any, reason: str) -> None:
    """Revoke the user's API tokens now (in the caller's transaction) and close their sockets after commit."""
    from helpdesk import services
    from helpdesk.models import ApiToken

    token_reasons = {
        events.DEACTIVATED: ApiToken.RevokedReason.DEACTIVATED,
        events.PASSWORD_CHANGED: ApiToken.RevokedReason.PASSWORD_CHANGED,
    }
    if reason in token_reasons:
        revoked = services.api_tokens_revoke_all(actor=None, user=user, reason=token_reasons[reason])
        if revoked:
            logger.info("revoked %d API token(s) of user %s: %s", revoked, user.pk, reason)
    events.broadcast_access_revoked(user_id=user.pk, reason=reason)


def _deleted(sender, instance, **kwargs) -> None:
    # Tokens go with the row (on_delete=CASCADE); the sockets are told here.
    events.broadcast_access_revoked(user_id=instance.pk, reason=events.DELETED)


# --- roles and permissions ---------------------------------------------------------------------------


def _users_of_groups(group_ids) -> list[int]:
    User = get_user_model()
    return list(User._default_manager.filter(groups__in=list(group_ids)).values_list("pk", flat=True).distinct())


def _membership_changed(sender, instance, action: str, reverse: bool, pk_set=None, **kwargs) -> None:
    """A user's groups or own permissions changed (from either side of the relation)."""
    user_model = get_user_model()
    from_user_side = isinstance(instance, user_model)
    if action == "pre_clear" and not from_user_side:
        # After the clear the group no longer knows its members: note them now.
        setattr(instance, _CLEARED_USERS, list(instance.user_set.values_list("pk", flat=True)))
        return
    if action not in ("post_add", "post_remove", "post_clear"):
        return
    if from_user_side:
        user_ids = [instance.pk]
    elif action == "post_clear":
        user_ids = instance.__dict__.pop(_CLEARED_USERS, [])
    else:
        user_ids = list(pk_set or [])
    events.broadcast_access_recheck(user_ids=user_ids)


def _group_permissions_changed(sender, instance, action: str, reverse: bool, pk_set=None, **kwargs) -> None:
    from django.contrib.auth.models import Group

    if action not in ("post_add", "post_remove", "post_clear"):
        return
    group_ids = [instance.pk] if isinstance(instance, Group) else list(pk_set or [])
    if group_ids:
        events.broadcast_access_recheck(user_ids=_users_of_groups(group_ids))


# --- sessions -------------------------------------------------------------------------------------------


def _signed_out(sender, request, user, **kwargs) -> None:
    session = getattr(request, "session", None)
    key = getattr(session, "session_key", None)
    if key:
        events.broadcast_session_ended(session_key=key)


def connect_signals() -> None:
    from django.contrib.auth.models import Group
    from django.contrib.auth.signals import user_logged_out
    from django.db.models.signals import m2m_changed, post_delete, post_save, pre_save

    User = get_user_model()
    pre_save.connect(_remember_stored, sender=User, dispatch_uid="helpdesk-access-pre-save")
    post_save.connect(_compare_stored, sender=User, dispatch_uid="helpdesk-access-post-save")
    post_delete.connect(_deleted, sender=User, dispatch_uid="helpdesk-access-delete")
    for through in (User.groups.through, User.user_permissions.through):
        m2m_changed.connect(_membership_changed, sender=through, dispatch_uid=f"helpdesk-access-{through._meta.label}")
    m2m_changed.connect(
        _group_permissions_changed, sender=Group.permissions.through, dispatch_uid="helpdesk-access-group-perms"
    )
    user_logged_out.connect(_signed_out, dispatch_uid="helpdesk-access-signed-out")


# --- the check each socket makes -----------------------------------------------------------------------


def _uses_database_sessions() -> bool:
    return settings.SESSION_ENGINE in ("django.contrib.sessions.backends.db", "django.contrib.sessions.backends.cached_db")


def socket_access(
    *, user_id: int, session_key: str | None, allowed: Callable[[Any], bool]
) -> int | None:
    """None while a socket opened by this user and session may go on; otherwise the code to close it with.

    The account must still be active and pass ``allowed`` (the consumer's right), and
    the session must still exist and carry the account's current auth hash (a
    password change or sign-out ends it). One query: the user row with the session's
    data and the directory generation (for the cached permission set) as subqueries.
    """
    if not session_key:
        return CLOSE_SIGNED_OUT
    from django.contrib.sessions.models import Session

    from helpdesk.models import DirectoryGeneration

    User = get_user_model()
    rows = User._default_manager.filter(pk=user_id).annotate(
        directory_generation=Subquery(DirectoryGeneration.objects.filter(pk=1).values("token")[:1])
    )
    database_sessions = _uses_database_sessions()
    if database_sessions:
        rows = rows.annotate(
            session_data=Subquery(
                Session.objects.filter(session_key=session_key, expire_date__gt=timezone.now()).values(
                    "session_data"
                )[:1]
            )
        )
    user = rows.first()
    if user is None or not user.is_active:
        return CLOSE_FORBIDDEN
    engine = import_module(settings.SESSION_ENGINE)
    if database_sessions:
        data = engine.SessionStore().decode(user.session_data) if user.session_data else {}
    else:
        data = engine.SessionStore(session_key=session_key).load()
    if str(data.get(SESSION_KEY, "")) != str(user.pk) or not _hash_matches(data.get(HASH_SESSION_KEY) or "", user):
        return CLOSE_SIGNED_OUT
    if user.directory_generation:
        directory_cache.remember_generation(user, user.directory_generation)
    return None if allowed(user) else CLOSE_FORBIDDEN


def _hash_matches(session_hash: str, user: Any) -> bool:
    if constant_time_compare(session_hash, user.get_session_auth_hash()):
        return True
    fallbacks = getattr(user, "get_session_auth_fallback_hash", None)
    return fallbacks is not None and any(constant_time_compare(session_hash, h) for h in fallbacks())
