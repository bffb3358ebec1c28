"""The desk's pick-lists and people's permission sets, cached across requests.

Every desk page lists the same short directory (people tickets can be assigned to,
teams, features, tag suggestions) and asks what the signed-in person may do. Loading
both from the database took six queries and about a third of the inbox's server time
(docs/benchmarks.md, finding 6). They change rarely, so they are cached under a
*generation*: any saved or deleted user, group, permission, team, product, feature or
tag, and any change of someone's groups or permissions, starts a new generation and
the next request rebuilds what it needs.

The generation moves both at once (so the writing request itself sees its change) and
again after commit (so nobody caches the old state, read before the commit, under
the new generation). With ``REDIS_URL`` the cache is shared: every Daphne process sees
a new generation at once. Writes that bypass model signals (``QuerySet.update``, raw
SQL, bulk loads) are caught by the entries' lifetime, ``HELPDESK_DIRECTORY_CACHE_SECONDS``,
or by calling :func:`invalidate`.
"""

from __future__ import annotations

import logging
import uuid
from dataclasses import dataclass
from typing import Any, Callable

from django.conf import settings
from django.core.cache import cache
from django.db import transaction

logger = logging.getLogger(__name__)

_GENERATION_KEY = "helpdesk:directory:generation"
# Tag suggestions offered by the desk's tag inputs.
TAG_SUGGESTIONS = 50


@dataclass(frozen=True)
class PickLists:
    """What the desk's forms offer, in display order; the same for every desk user."""

    assignees: tuple
    teams: tuple
    features: tuple
    tag_names: tuple[str, ...]


def _lifetime() -> int:
    return settings.HELPDESK_DIRECTORY_CACHE_SECONDS


def generation() -> str:
    current = cache.get(_GENERATION_KEY)
    if current is None:
        # A lost key (eviction, a restart of Redis, a new deployment) starts afresh.
        cache.add(_GENERATION_KEY, uuid.uuid4().hex, None)
        current = cache.get(_GENERATION_KEY)
    return current


def _cached(name: str, build: Callable[[], Any]) -> Any:
    if _lifetime() <= 0:
        return build()
    try:
        key = f"helpdesk:directory:{generation()}:{name}"
        value = cache.get(key)
    except Exception:  # noqa: BLE001 - an unreachable cache must not take the desk down
        logger.warning("directory cache unreachable; reading %s from the database", name, exc_info=True)
        return build()
    if value is None:
        value = build()
        try:
            cache.set(key, value, _lifetime())
        except Exception:  # noqa: BLE001
            logger.warning("directory cache unreachable; %s not stored", name, exc_info=True)
    return value


def _new_generation() -> None:
    try:
        cache.set(_GENERATION_KEY, uuid.uuid4().hex, None)
    except Exception:  # noqa: BLE001 - the change itself must still be saved
        # What was cached before expires within HELPDESK_DIRECTORY_CACHE_SECONDS.
        logger.warning("directory cache unreachable; generation not renewed", exc_info=True)


def invalidate() -> None:
    """Start a new generation now and once more when the current transaction commits."""
    _new_generation()
    transaction.on_commit(_new_generation)


def forget() -> None:
    """Start a new generation without touching the database (tests, between two of them)."""
    _new_generation()


def pick_lists() -> PickLists:
    """The directory every desk form picks from. Unscoped: the selectors decide who sees it."""
    return _cached("pick-lists", _build_pick_lists)


def _build_pick_lists() -> PickLists:
    from django.contrib.auth import get_user_model

    from helpdesk import permissions
    from helpdesk.models import Tag, Team, Ticket

    User = get_user_model()
    # Only what the pick-lists show and the services check: no password hashes in the cache.
    people = (
        User.objects.filter(pk__in=User.objects.filter(is_active=True).filter(permissions.works_tickets_condition()).values("pk"))
        .only("id", "username", "first_name", "last_name", "email", "is_active", "is_staff", "is_superuser")
        .order_by("username")
    )
    feature_model = Ticket._meta.get_field("feature").related_model
    return PickLists(
        assignees=tuple(people),
        teams=tuple(Team.objects.order_by("name")),
        features=tuple(feature_model.objects.select_related("product").order_by("key")),
        tag_names=tuple(Tag.objects.order_by("name").values_list("name", flat=True)[:TAG_SUGGESTIONS]),
    )


def permission_set(user_id: int, build: Callable[[], set[str]]) -> set[str]:
    """Someone's permissions ("app_label.codename"), cached for the generation."""
    return set(_cached(f"permissions:{user_id}", lambda: frozenset(build())))


def connect_signals() -> None:
    """Start a new generation whenever anything the cache holds changes."""
    from django.contrib.auth import get_user_model
    from django.contrib.auth.models import Group, Permission
    from django.db.models.signals import m2m_changed, post_delete, post_save

    from helpdesk.models import Tag, Team, Ticket

    User = get_user_model()
    feature_model = Ticket._meta.get_field("feature").related_model
    product_model = feature_model._meta.get_field("product").related_model
    for model in (User, Group, Permission, Team, Tag, feature_model, product_model):
        post_save.connect(_on_save, sender=model, dispatch_uid=f"directory-cache-save-{model._meta.label}")
        post_delete.connect(_on_change, sender=model, dispatch_uid=f"directory-cache-delete-{model._meta.label}")
    for through in (User.groups.through, User.user_permissions.through, Group.permissions.through):
        m2m_changed.connect(_on_m2m, sender=through, dispatch_uid=f"directory-cache-m2m-{through._meta.label}")


def _on_save(sender, instance, update_fields=None, **kwargs) -> None:
    # Every sign-in saves last_login; nothing cached shows it.
    if update_fields is not None and set(update_fields) <= {"last_login"}:
        return
    invalidate()


def _on_change(sender, **kwargs) -> None:
    invalidate()


def _on_m2m(sender, action: str, **kwargs) -> None:
    if action in ("post_add", "post_remove", "post_clear"):
        invalidate()
