"""Writes to people and roles: accounts, their built-in roles, passwords, activation, role permissions.

Every write leaves an audit row in its own transaction. People are deactivated,
never deleted: tickets, timelines and the audit log keep naming them. ``actor=None``
is the system (seeding, management commands) and skips the permission checks; any
other actor is held to ``permissions.py`` (only superusers grant staff, superuser,
single permissions or roles beyond the built-in ones, and only they change a
superuser).
"""

from __future__ import annotations

from collections.abc import Iterable

from django.contrib.auth import get_user_model
from django.contrib.auth.models import AbstractBaseUser, Group, Permission
from django.db import transaction

from helpdesk import permissions, roles
from helpdesk.errors import ActionForbidden, InvalidInput
from helpdesk.services.audit import (
    PASSWORD_CHANGED,
    PASSWORD_SET,
    PASSWORD_UNUSABLE,
    audit_changes,
    audit_record,
    creation_changes,
    field_values,
)

# What a person's own fields are (the admin's change form); passwords, roles and
# single permissions have services of their own.
PERSON_FIELDS = ("username", "first_name", "last_name", "email", "is_staff", "is_superuser", "is_active")
PRIVILEGE_FIELDS = frozenset({"is_staff", "is_superuser"})


def person_label(user: AbstractBaseUser) -> str:
    """How the audit log names a person: full name and username, so both stay findable."""
    full = user.get_full_name() if hasattr(user, "get_full_name") else ""
    return f"{full} ({user.get_username()})" if full else user.get_username()


def _permission(dotted: str) -> Permission:
    app_label, codename = dotted.split(".", 1)
    return Permission.objects.get(content_type__app_label=app_label, codename=codename)


def _dotted(permission_set: Iterable[Permission]) -> list[str]:
    return sorted(f"{p.content_type.app_label}.{p.codename}" for p in permission_set)


def _require(allowed: bool, message: str, *, field: str | None = None) -> None:
    if not allowed:
        raise ActionForbidden(message, field=field)


def _check_may_change(actor: AbstractBaseUser | None, person: AbstractBaseUser) -> None:
    if actor is None:
        return
    _require(permissions.can_manage_people(actor), "You may not change people's accounts.")
    _require(permissions.can_manage_person(actor, person), "Only a superuser may change a superuser's account.")


def _check_privileges(actor: AbstractBaseUser | None, person: AbstractBaseUser, fields: Iterable[str]) -> None:
    granted = [name for name in fields if name in PRIVILEGE_FIELDS]
    if actor is not None and granted and not permissions.can_grant_privileges(actor):
        raise ActionForbidden("Only a superuser may grant or remove staff or superuser status.", field=granted[0])


def _locked(user: AbstractBaseUser) -> AbstractBaseUser:
    # Row lock: two managers editing one person see each other's change as "old".
    return get_user_model()._base_manager.select_for_update().get(pk=user.pk)


# --- people ---------------------------------------------------------------------------------


@transaction.atomic
def user_create(
    *, actor: AbstractBaseUser | None, user: AbstractBaseUser, role_names: Iterable[str] = ()
) -> AbstractBaseUser:
    """Save a new person built by the caller (the admin's validated form, or ``user_ensure``).

    The password arrives hashed (``set_password``) or unusable; the audit row says
    only which.
    """
    if user.pk is not None:
        raise InvalidInput("This person already exists; change them instead.", field="username")
    if actor is not None:
        _require(permissions.can_manage_people(actor), "You may not add people.")
    _check_privileges(actor, user, [name for name in PRIVILEGE_FIELDS if getattr(user, name, False)])
    user.save()
    changes = creation_changes({name: getattr(user, name) for name in PERSON_FIELDS})
    changes["password"] = [None, PASSWORD_SET if user.has_usable_password() else PASSWORD_UNUSABLE]
    audit_record(actor=actor, action="user.created", obj=user, object_label=person_label(user), changes=changes)
    if role_names:
        user_set_roles(actor=actor, user=user, role_names=role_names, keep=True)
    return user


@transaction.atomic
def user_ensure(
    *,
    actor: AbstractBaseUser | None,
    username: str,
    password: str,
    email: str = "",
    first_name: str = "",
    last_name: str = "",
    role: str | None = None,
    is_staff: bool = False,
    is_superuser: bool = False,
) -> AbstractBaseUser:
    """Create a person (or leave an existing one's details and password alone) and put them in a role."""
    if role is not None and role not in roles.ROLE_PERMISSIONS:
        raise InvalidInput(f"Unknown role {role!r}.", field="role")
    User = get_user_model()
    user = User.objects.filter(username=username).first()
    if user is None:
        user = User(
            username=username,
            email=email,
            first_name=first_name,
            last_name=last_name,
            is_staff=is_staff or is_superuser,
            is_superuser=is_superuser,
        )
        user.set_password(password)
        user_create(actor=actor, user=user)
    if role is not None:
        user_set_roles(actor=actor, user=user, role_names=[role], keep=True)
    return user


@transaction.atomic
def user_update(
    *, actor: AbstractBaseUser | None, user: AbstractBaseUser, changed_fields: Iterable[str]
) -> AbstractBaseUser:
    """Save the edited fields of a person (``PERSON_FIELDS``; the caller's form has validated them).

    Switching ``is_active`` is audited as a deactivation or reactivation.
    """
    fields = [name for name in PERSON_FIELDS if name in set(changed_fields)]
    if not fields:
        return user
    stored = _locked(user)
    _check_may_change(actor, stored)
    changes = audit_changes(field_values(stored, fields), field_values(user, fields))
    _check_privileges(actor, user, changes)
    activation = changes.pop("is_active", None)
    if changes:
        user.save(update_fields=list(changes))
        audit_record(actor=actor, action="user.updated", obj=user, object_label=person_label(user), changes=changes)
    if activation is not None:
        user_set_active(actor=actor, user=stored, is_active=bool(activation[1]))
        user.is_active = stored.is_active
    return user


@transaction.atomic
def user_set_active(*, actor: AbstractBaseUser | None, user: AbstractBaseUser, is_active: bool) -> AbstractBaseUser:
    """Deactivate or reactivate a person: their sign-in stops (or works again); their name stays everywhere.

    Nothing is deleted: tickets keep their assignee and timelines their author,
    so a leaver's work stays attributed to them.
    """
    stored = _locked(user)
    if actor is not None:
        _check_may_change(actor, stored)
        _require(
            permissions.can_set_active(actor, stored), "You cannot deactivate your own account.", field="is_active"
        )
    if stored.is_active != is_active:
        stored.is_active = is_active
        stored.save(update_fields=["is_active"])
        audit_record(
            actor=actor,
            action="user.reactivated" if is_active else "user.deactivated",
            obj=stored,
            object_label=person_label(stored),
            changes={"is_active": [not is_active, is_active]},
        )
    user.is_active = stored.is_active
    return user


@transaction.atomic
def user_set_password(
    *, actor: AbstractBaseUser | None, user: AbstractBaseUser, password: str | None
) -> AbstractBaseUser:
    """Set a person's password for them (the admin), or disable password sign-in with ``None``.

    The caller's form has checked it against the password validators; the log says
    only that it changed.
    """
    stored = _locked(user)
    _check_may_change(actor, stored)
    if password is None:
        user.set_unusable_password()
    else:
        user.set_password(password)
    user.save(update_fields=["password"])
    audit_record(
        actor=actor,
        action="user.password_changed",
        obj=user,
        object_label=person_label(user),
        changes={"password": [None, PASSWORD_CHANGED if password is not None else PASSWORD_UNUSABLE]},
    )
    return user


def _apply_groups(actor: AbstractBaseUser | None, user: AbstractBaseUser, wanted: set[Group]) -> AbstractBaseUser:
    current = set(user.groups.all())
    added, removed = wanted - current, current - wanted
    if actor is not None:
        for group in sorted(added | removed, key=lambda g: g.name):
            _require(
                permissions.can_assign_role(actor, group.name),
                f"Only a superuser may give or take the group {group.name!r}; you may change the built-in roles.",
                field="groups",
            )
    if not added and not removed:
        return user
    user.groups.remove(*removed)
    user.groups.add(*added)
    audit_record(
        actor=actor,
        action="user.roles_changed",
        obj=user,
        object_label=person_label(user),
        changes={"roles": [sorted(g.name for g in current), sorted(g.name for g in wanted)]},
    )
    return user


@transaction.atomic
def user_set_roles(
    *, actor: AbstractBaseUser | None, user: AbstractBaseUser, role_names: Iterable[str], keep: bool = False
) -> AbstractBaseUser:
    """Give a person exactly these built-in roles (``keep``: add them to the ones they have).

    Groups that are not built-in roles are left as they are.
    """
    wanted_names = set(role_names)
    unknown = wanted_names - set(roles.ROLE_PERMISSIONS)
    if unknown:
        raise InvalidInput(f"Unknown role {sorted(unknown)[0]!r}.", field="roles")
    _check_may_change(actor, user)
    built_in = {g.name: g for g in Group.objects.filter(name__in=roles.ROLE_PERMISSIONS)}
    missing = wanted_names - set(built_in)
    if missing:
        raise InvalidInput(f"The role {sorted(missing)[0]!r} is not set up yet (run migrate).", field="roles")
    current = set(user.groups.all())
    wanted = {g for g in current if g.name not in built_in or keep} | {built_in[n] for n in wanted_names}
    return _apply_groups(actor, user, wanted)


@transaction.atomic
def user_set_groups(
    *, actor: AbstractBaseUser | None, user: AbstractBaseUser, groups: Iterable[Group]
) -> AbstractBaseUser:
    """Give a person exactly these groups; anyone but a superuser may change only built-in roles."""
    _check_may_change(actor, user)
    return _apply_groups(actor, user, set(groups))


@transaction.atomic
def user_set_permissions(
    *, actor: AbstractBaseUser | None, user: AbstractBaseUser, permission_set: Iterable[Permission]
) -> AbstractBaseUser:
    """Give a person exactly these single permissions (beside their roles'): superusers only."""
    _check_may_change(actor, user)
    if actor is not None:
        _require(
            permissions.can_grant_privileges(actor),
            "Only a superuser may grant single permissions; give a role instead.",
            field="user_permissions",
        )
    wanted = set(permission_set)
    current = set(user.user_permissions.select_related("content_type"))
    if wanted == current:
        return user
    user.user_permissions.set(wanted)
    audit_record(
        actor=actor,
        action="user.permissions_changed",
        obj=user,
        object_label=person_label(user),
        changes={"permissions": [_dotted(current), _dotted(wanted)]},
    )
    return user


# --- roles (groups) ---------------------------------------------------------------------------


def _check_may_edit_roles(actor: AbstractBaseUser | None) -> None:
    if actor is not None:
        _require(
            permissions.can_grant_privileges(actor),
            "Only a superuser may change roles and what they carry.",
            field="permissions",
        )


def _set_role_permissions(actor: AbstractBaseUser | None, group: Group, wanted: set[Permission]) -> None:
    current = set(group.permissions.select_related("content_type"))
    if wanted == current:
        return
    group.permissions.set(wanted)
    audit_record(
        actor=actor,
        action="role.permissions_changed",
        obj=group,
        changes={"permissions": [_dotted(current), _dotted(wanted)]},
    )


@transaction.atomic
def roles_ensure(*, actor: AbstractBaseUser | None) -> dict[str, Group]:
    """Create the built-in role groups and give each exactly its permissions (audited when that changes)."""
    _check_may_edit_roles(actor)
    groups = {}
    for name, dotted_perms in roles.ROLE_PERMISSIONS.items():
        group, created = Group.objects.get_or_create(name=name)
        if created:
            audit_record(actor=actor, action="role.created", obj=group, changes={"name": [None, name]})
        _set_role_permissions(actor, group, {_permission(p) for p in dotted_perms})
        groups[name] = group
    return groups


@transaction.atomic
def role_save(
    *,
    actor: AbstractBaseUser | None,
    group: Group,
    changed_fields: Iterable[str] | None,
    permission_set: Iterable[Permission] | None = None,
) -> Group:
    """Save a role edited in the admin (its name; ``permission_set``: the complete new permissions)."""
    _check_may_edit_roles(actor)
    if group.pk is None:
        group.save()
        audit_record(actor=actor, action="role.created", obj=group, changes={"name": [None, group.name]})
    elif changed_fields and "name" in changed_fields:
        stored = Group.objects.select_for_update().get(pk=group.pk)
        if stored.name in roles.ROLE_PERMISSIONS and stored.name != group.name:
            raise InvalidInput("Built-in roles keep their names; create a new role instead.", field="name")
        if stored.name != group.name:
            group.save(update_fields=["name"])
            audit_record(actor=actor, action="role.updated", obj=group, changes={"name": [stored.name, group.name]})
    if permission_set is not None:
        if group.name in roles.ROLE_PERMISSIONS and set(permission_set) != set(group.permissions.all()):
            # migrate puts roles.py back on every release; an edit here would not last.
            raise InvalidInput(
                "What a built-in role carries is set in helpdesk/roles.py; create a role of your own instead.",
                field="permissions",
            )
        _set_role_permissions(actor, group, set(permission_set))
    return group


@transaction.atomic
def role_delete(*, actor: AbstractBaseUser | None, group: Group) -> None:
    """Remove a role that is not built in; its members lose what it carried."""
    _check_may_edit_roles(actor)
    if group.name in roles.ROLE_PERMISSIONS:
        raise InvalidInput("Built-in roles cannot be deleted.", field="name")
    members = sorted(get_user_model().objects.filter(groups=group).values_list("username", flat=True))
    label, pk = str(group), group.pk
    permissions_before = _dotted(group.permissions.select_related("content_type"))
    group.delete()
    audit_record(
        actor=actor,
        action="role.deleted",
        object_type="role",
        object_id=pk,
        object_label=label,
        changes={"name": [label, None], "members": [members, []], "permissions": [permissions_before, []]},
    )
