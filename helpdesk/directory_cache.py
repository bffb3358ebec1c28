"""The desk's pick-lists and people's permission sets, cached across requests.

Every desk page lists the same short directory (people tickets can be assigned to,
teams, features, tag suggestions) and asks what the signed-in person may do. Loading
both from the database took six queries and a fifth of the inbox's server time
(docs/benchmarks.md, finding 6). They change rarely, so they are cached under a
*generation*: a random token in one database row (``DirectoryGeneration``) that any
saved or deleted user, group, permission, team, product, feature or tag, and any
change of someone's groups or permissions, replaces inside the writing transaction.

Because the token lives in the database, a change reaches every process (with the
local-memory cache as well as with Redis) exactly when it commits, and a rolled-back
change never does: what its transaction cached went under a token nobody else ever
reads. A request reads the token once (one small query) and keeps it, and what it
unpickled, on the viewing user object, which lives as long as the request. Writes
that bypass model signals (``QuerySet.update``, raw SQL, ``bulk_create``) are caught
by the entries' lifetime, ``HELPDESK_DIRECTORY_CACHE_SECONDS``, or by calling
:func:`invalidate`.
"""

from __future__ import annotations

import itertools
import logging
import uuid
from collections.abc import Callable
from dataclasses import dataclass
from typing import Any

from django.conf import settings
from django.core.cache import cache

logger = logging.getLogger(__name__)

# Part of every key: a release that changes what is cached must not unpickle the old shape.
_FORMAT = 1
# Tag suggestions offered by the desk's tag inputs.
TAG_SUGGESTIONS = 50
# Moves on every change made in this process, so a viewer's remembered token is re-read.
_local_changes = itertools.count()
_local_epoch = next(_local_changes)

_GENERATION_MEMO = "_helpdesk_directory_generation"
_PICK_LISTS_MEMO = "_helpdesk_pick_lists"


@dataclass(frozen=True)
class PickLists:
    """What the desk's forms offer, in display order; the same for every desk user."""

    assignees: tuple
    teams: tuple
    features: tuple
    tag_names: tuple[str, ...]


def _lifetime() -> int:
    return settings.HELPDESK_DIRECTORY_CACHE_SECONDS


def generation(viewer: Any = None) -> str:
    """The current token; remembered on ``viewer`` (a request's user) until this process changes something."""
    memo = getattr(viewer, _GENERATION_MEMO, None)
    if memo is not None and memo[1] == _local_epoch:
        return memo[0]
    from helpdesk.models import DirectoryGeneration

    token = DirectoryGeneration.objects.filter(pk=1).values_list("token", flat=True).first()
    if token is None:
        # First use, or a flushed table: start a generation nobody has cached under.
        token = DirectoryGeneration.objects.get_or_create(pk=1, defaults={"token": uuid.uuid4().hex})[0].token
    if viewer is not None:
        setattr(viewer, _GENERATION_MEMO, (token, _local_epoch))
    return token


def remember_generation(viewer: Any, token: str) -> None:
    """Hand ``viewer`` a token read by the caller (a socket's one query per check reads it beside the user)."""
    setattr(viewer, _GENERATION_MEMO, (token, _local_epoch))


def invalidate() -> None:
    """Start a new generation, visible to others when the current transaction commits."""
    global _local_epoch
    from helpdesk.models import DirectoryGeneration

    token = uuid.uuid4().hex
    if not DirectoryGeneration.objects.filter(pk=1).update(token=token):
        DirectoryGeneration.objects.get_or_create(pk=1, defaults={"token": token})
    _local_epoch = next(_local_changes)


def _cached(viewer: Any, name: str, build: Callable[[], Any]) -> Any:
    if _lifetime() <= 0:
        return build()
    key = f"helpdesk:directory:{_FORMAT}:{generation(viewer)}:{name}"
    try:
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


def pick_lists(viewer: Any) -> PickLists:
    """The directory every desk form picks from. Unscoped: the selectors decide who sees it."""
    memo = getattr(viewer, _PICK_LISTS_MEMO, None)
    token = generation(viewer)
    if memo is not None and memo[0] == token:
        return memo[1]
    lists = _cached(viewer, "pick-lists", _build_pick_lists)
    if viewer is not None:
        setattr(viewer, _PICK_LISTS_MEMO, (token, lists))
    return lists


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


def permission_set(user: Any, build: Callable[[], set[str]]) -> set[str]:
    """Someone's permissions ("app_label.codename") for the generation; a superuser's are keyed apart."""
    if user.pk is None:
        return build()
    name = f"permissions:{user.pk}:{int(bool(user.is_superuser))}"
    return set(_cached(user, name, lambda: frozenset(build())))


def connect_signals() -> None:
    """Start a new generation whenever anything the cache holds changes."""
    from django.contrib.auth import get_user_model
    from django.contrib.auth.models import Group, Permission
    from django.db.models.signals import m2m_changed, post_delete, post_migrate, post_save

    from helpdesk.models import Tag, Team, Ticket

    User = get_user_model()
    feature_model = Ticket._meta.get_field("feature").related_model
    product_model = feature_model._meta.get_field("product").related_model
    for model in (User, Group, Permission, Team, Tag, feature_model, product_model):
        post_save.connect(_on_save, sender=model, dispatch_uid=f"directory-cache-save-{model._meta.label}")
        post_delete.connect(_on_change, sender=model, dispatch_uid=f"directory-cache-delete-{model._meta.label}")
    for through in (User.groups.through, User.user_permissions.through, Group.permissions.through):
        m2m_changed.connect(_on_m2m, sender=through, dispatch_uid=f"directory-cache-m2m-{through._meta.label}")
    post_migrate.connect(_on_migrate, dispatch_uid="directory-cache-migrate")


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


def _on_migrate(sender, using: str = "default", **kwargs) -> None:
    # Migrations add permissions with bulk_create and may change anything else; the
    # table itself exists once this app is migrated.
    from django.db import connections

    from helpdesk.models import DirectoryGeneration

    if sender.label != "helpdesk":
        return
    if DirectoryGeneration._meta.db_table in connections[using].introspection.table_names():
        invalidate()
