"""Writes to the directory: roles, people, organizations, customers, teams."""

from __future__ import annotations

from decimal import Decimal
from typing import Iterable, Mapping

from django.contrib.auth import get_user_model
from django.contrib.auth.models import AbstractBaseUser, Group, Permission
from django.db import IntegrityError, transaction
from django.db.models import Model

from helpdesk import roles
from helpdesk.errors import InvalidInput
from helpdesk.models import Customer, Organization, Tag, Team


def _permission(dotted: str) -> Permission:
    app_label, codename = dotted.split(".", 1)
    return Permission.objects.get(content_type__app_label=app_label, codename=codename)


@transaction.atomic
def roles_ensure(*, actor: AbstractBaseUser | None) -> dict[str, Group]:
    """Create the built-in role groups and give each exactly its permissions."""
    groups = {}
    for name, dotted_perms in roles.ROLE_PERMISSIONS.items():
        group, _ = Group.objects.get_or_create(name=name)
        group.permissions.set([_permission(p) for p in dotted_perms])
        groups[name] = group
    return groups


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
) -> AbstractBaseUser:
    """Create a user (or leave an existing one's password alone) and put them in a role."""
    User = get_user_model()
    user, created = User.objects.get_or_create(
        username=username,
        defaults={"email": email, "first_name": first_name, "last_name": last_name, "is_staff": is_staff},
    )
    if created:
        user.set_password(password)
        user.save(update_fields=["password"])
    if role is not None:
        if role not in roles.ROLE_PERMISSIONS:
            raise InvalidInput(f"Unknown role {role!r}.", field="role")
        user.groups.add(Group.objects.get(name=role))
    return user


@transaction.atomic
def user_set_active(*, actor: AbstractBaseUser | None, user: AbstractBaseUser, is_active: bool) -> AbstractBaseUser:
    """Switch a person's account on or off (open websockets notice on their next command)."""
    if user.is_active != is_active:
        user.is_active = is_active
        user.save(update_fields=["is_active"])
    return user


@transaction.atomic
def user_set_roles(*, actor: AbstractBaseUser | None, user: AbstractBaseUser, role_names: Iterable[str]) -> AbstractBaseUser:
    """Give a person exactly these built-in roles (other groups they belong to are kept)."""
    wanted = set(role_names)
    unknown = wanted - set(roles.ROLE_PERMISSIONS)
    if unknown:
        raise InvalidInput(f"Unknown role {sorted(unknown)[0]!r}.", field="roles")
    built_in = Group.objects.filter(name__in=roles.ROLE_PERMISSIONS)
    user.groups.remove(*[group for group in built_in if group.name not in wanted])
    user.groups.add(*[group for group in built_in if group.name in wanted])
    return user


@transaction.atomic
def organization_ensure(
    *,
    actor: AbstractBaseUser | None,
    name: str,
    domain: str = "",
    tier: str = Organization.Tier.STANDARD,
    annual_value: Decimal | int = 0,
    lifetime_value: Decimal | int = 0,
) -> Organization:
    if not name.strip():
        raise InvalidInput("Name the organization.", field="name")
    organization, _ = Organization.objects.get_or_create(
        name=name.strip(),
        defaults={"domain": domain, "tier": tier, "annual_value": annual_value, "lifetime_value": lifetime_value},
    )
    return organization


@transaction.atomic
def customer_ensure(
    *,
    actor: AbstractBaseUser | None,
    name: str,
    email: str,
    organization: Organization | None = None,
    phone: str = "",
    user: AbstractBaseUser | None = None,
    annual_value: Decimal | int = 0,
    lifetime_value: Decimal | int = 0,
) -> Customer:
    """The customer with this email (case-insensitive), created when new."""
    email = (email or "").strip()
    if "@" not in email:
        raise InvalidInput("Enter the customer's email address.", field="email")
    existing = Customer.objects.filter(email__iexact=email).first()
    if existing is None:
        try:
            # A savepoint: two requests creating the same address at once meet the
            # case-insensitive unique constraint; the loser uses the winner's row.
            with transaction.atomic():
                return Customer.objects.create(
                    name=name.strip() or email,
                    email=email,
                    organization=organization,
                    phone=phone,
                    user=user,
                    annual_value=annual_value,
                    lifetime_value=lifetime_value,
                )
        except IntegrityError:
            existing = Customer.objects.get(email__iexact=email)
    if user is not None and existing.user_id is None:
        existing.user = user
        existing.save(update_fields=["user"])
    return existing


@transaction.atomic
def team_ensure(*, actor: AbstractBaseUser | None, name: str, members: Iterable[AbstractBaseUser] = ()) -> Team:
    team, _ = Team.objects.get_or_create(name=name)
    if members:
        team.members.add(*members)
    return team


CONFIGURATION_MODELS = (Organization, Customer, Team, Tag)


@transaction.atomic
def directory_object_save(
    *,
    actor: AbstractBaseUser | None,
    obj: Model,
    changed_fields: Iterable[str] | None,
    many_to_many: Mapping[str, Iterable[Model]] | None = None,
) -> Model:
    """Save a configuration object edited in the admin (organizations, teams, tags, customers).

    ``many_to_many`` (field name -> the complete new set, e.g. a team's members) is
    written in the same transaction, after the object has its primary key.
    """
    if not isinstance(obj, CONFIGURATION_MODELS):
        # Tickets and their timeline change only through the ticket services.
        raise InvalidInput(f"{obj._meta.verbose_name} is not edited through the admin.", field="__all__")
    fields = list(changed_fields or [])
    concrete = {f.name for f in obj._meta.concrete_fields}
    if obj.pk is None or not fields:
        obj.save()
    else:
        update = [name for name in fields if name in concrete]
        if update:
            obj.save(update_fields=update)
    relations = {f.name for f in obj._meta.many_to_many}
    for name, values in (many_to_many or {}).items():
        if name not in relations:
            raise InvalidInput(f"{obj._meta.verbose_name} has no many-to-many field {name!r}.", field=name)
        getattr(obj, name).set(list(values))
    return obj
