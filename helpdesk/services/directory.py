"""Writes to the directory: organizations, customers, teams, tags, and the admin's configuration saves.

Each write leaves an audit row (``services/audit.py``) in its own transaction;
people and roles are in ``services/people.py``.
"""

from __future__ import annotations

from collections.abc import Iterable, Mapping
from decimal import Decimal

from django.contrib.auth.models import AbstractBaseUser
from django.core.exceptions import ValidationError
from django.core.validators import validate_email
from django.db import IntegrityError, transaction
from django.db.models import Model

from helpdesk import permissions, selectors
from helpdesk.errors import ActionForbidden, InvalidInput
from helpdesk.models import Customer, Macro, Mailbox, Organization, Tag, Team
from helpdesk.services.audit import (
    audit_changes,
    audit_record,
    creation_changes,
    field_values,
    object_type_of,
    stored_values,
)


def _created(actor: AbstractBaseUser | None, obj: Model, fields: Iterable[str]) -> None:
    changes = creation_changes(field_values(obj, fields))
    audit_record(actor=actor, action=f"{object_type_of(obj)}.created", obj=obj, changes=changes)


def _editable_fields(model: type[Model]) -> list[str]:
    """What the audit shows of a new object: the fields a person fills in."""
    return [
        f.name
        for f in [*model._meta.concrete_fields, *model._meta.many_to_many]
        if f.editable and not f.primary_key and not getattr(f, "auto_now_add", False)
    ]


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
    organization, created = Organization.objects.get_or_create(
        name=name.strip(),
        defaults={"domain": domain, "tier": tier, "annual_value": annual_value, "lifetime_value": lifetime_value},
    )
    if created:
        organization.refresh_from_db(fields=["annual_value", "lifetime_value"])  # as stored (Decimal places)
        _created(actor, organization, ["name", "domain", "tier", "annual_value", "lifetime_value"])
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
                customer = Customer.objects.create(
                    name=name.strip() or email,
                    email=email,
                    organization=organization,
                    phone=phone,
                    user=user,
                    annual_value=annual_value,
                    lifetime_value=lifetime_value,
                )
                _created(actor, customer, ["name", "email", "phone", "organization", "user"])
                return customer
        except IntegrityError:
            existing = Customer.objects.get(email__iexact=email)
    if user is not None and existing.user_id is None:
        existing.user = user
        existing.save(update_fields=["user"])
        audit_record(actor=actor, action="customer.updated", obj=existing, changes={"user": [None, str(user)]})
    return existing


@transaction.atomic
def customer_create(
    *,
    actor: AbstractBaseUser | None,
    name: str,
    email: str,
    organization: Organization | None = None,
) -> Customer:
    """A new requester named by the desk (a caller, a walk-in, a first email).

    Refuses an address that is already a customer's, so a typo in the lookup never
    makes a second record of someone. With no organization chosen, the one that lists
    the address's domain is taken.
    """
    if actor is not None and not permissions.can_create_customers(actor):
        raise ActionForbidden("Only the desk may add customers.", field="requester")
    email = (email or "").strip()
    try:
        validate_email(email)
    except ValidationError:
        raise InvalidInput(f"{email!r} is not an email address.", field="email") from None
    name = (name or "").strip()
    if not name:
        raise InvalidInput("Enter the new customer's name.", field="name")
    if len(name) > Customer._meta.get_field("name").max_length:
        raise InvalidInput("Shorten the name to 200 characters.", field="name")
    if Customer.objects.filter(email__iexact=email).exists():
        raise InvalidInput(f"{email} is already a customer: pick them instead.", field="email")
    return customer_ensure(
        actor=actor,
        name=name,
        email=email,
        organization=organization or selectors.organization_for_email(user=actor, email=email),
    )


@transaction.atomic
def team_ensure(*, actor: AbstractBaseUser | None, name: str, members: Iterable[AbstractBaseUser] = ()) -> Team:
    """The team of this name, created when new, with at least these members."""
    team, created = Team.objects.get_or_create(name=name)
    if created:
        _created(actor, team, ["name"])
    members = list(members)
    if members:
        current = list(team.members.all())
        new_members = [m for m in members if m not in current]
        if new_members:
            team.members.add(*new_members)
            audit_record(
                actor=actor,
                action="team.updated",
                obj=team,
                changes=audit_changes({"members": current}, {"members": current + new_members}),
            )
    return team


CONFIGURATION_MODELS = (Organization, Customer, Team, Tag, Mailbox, Macro)


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
    written in the same transaction, after the object has its primary key. The audit
    row holds each changed field's old and new value as read from the database
    before the write.
    """
    if not isinstance(obj, CONFIGURATION_MODELS):
        # Tickets and their timeline change only through the ticket services.
        raise InvalidInput(f"{obj._meta.verbose_name} is not edited through the admin.", field="__all__")
    fields = list(changed_fields or [])
    concrete = {f.name for f in obj._meta.concrete_fields}
    relations = {f.name for f in obj._meta.many_to_many}
    many_to_many = dict(many_to_many or {})
    for name in many_to_many:
        if name not in relations:
            raise InvalidInput(f"{obj._meta.verbose_name} has no many-to-many field {name!r}.", field=name)
    creating = obj.pk is None
    if creating or not fields:
        audited = _editable_fields(type(obj)) if creating else [f for f in concrete if f != "id"]
        before = {} if creating else stored_values(obj, audited)
        obj.save()
        audited = [name for name in audited if name not in relations]
    else:
        audited = [name for name in fields if name in concrete]
        before = stored_values(obj, audited + list(many_to_many))
        if audited:
            obj.save(update_fields=audited)
    after = field_values(obj, audited)
    for name, values in many_to_many.items():
        values = list(values)
        getattr(obj, name).set(values)
        after[name] = values
    changes = creation_changes(after) if creating else audit_changes(before, after)
    if creating or changes:
        action = f"{object_type_of(obj)}.{'created' if creating else 'updated'}"
        audit_record(actor=actor, action=action, obj=obj, changes=changes)
    return obj
