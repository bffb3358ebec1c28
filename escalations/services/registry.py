"""Writes of the escalations app.

Products and features are configuration: every write leaves a row in the help
desk's audit log (``helpdesk.services.audit_record``) in its own transaction.
"""

from __future__ import annotations

from collections.abc import Iterable

from django.contrib.auth.models import AbstractBaseUser
from django.db import transaction

from escalations.models import Feature, Product
from helpdesk.services import audit_changes, audit_record, creation_changes, field_values, stored_values

_PRODUCT_FIELDS = ("key", "name", "description")
_FEATURE_FIELDS = ("product", "key", "name", "description", "owner")


def _fields_of(obj: Product | Feature) -> tuple[str, ...]:
    return _PRODUCT_FIELDS if isinstance(obj, Product) else _FEATURE_FIELDS


def _audit_created(actor: AbstractBaseUser | None, obj: Product | Feature) -> None:
    audit_record(
        actor=actor,
        action=f"{obj._meta.model_name}.created",
        obj=obj,
        changes=creation_changes(field_values(obj, _fields_of(obj))),
    )


@transaction.atomic
def product_ensure(*, actor: AbstractBaseUser | None, key: str, name: str, description: str = "") -> Product:
    product, created = Product.objects.get_or_create(key=key, defaults={"name": name, "description": description})
    if created:
        _audit_created(actor, product)
    return product


@transaction.atomic
def feature_ensure(
    *,
    actor: AbstractBaseUser | None,
    product: Product,
    key: str,
    name: str,
    description: str = "",
    owner: AbstractBaseUser | None = None,
) -> Feature:
    feature, created = Feature.objects.get_or_create(
        key=key, defaults={"product": product, "name": name, "description": description, "owner": owner}
    )
    if created:
        _audit_created(actor, feature)
    elif owner is not None and feature.owner_id is None:
        feature.owner = owner
        feature.save(update_fields=["owner"])
        audit_record(actor=actor, action="feature.updated", obj=feature, changes={"owner": [None, str(owner)]})
    return feature


def _save(actor: AbstractBaseUser | None, obj: Product | Feature, changed_fields: Iterable[str] | None) -> None:
    # Only what was edited is written, so a save does not put back a value someone
    # else changed meanwhile; a new row (or an unknown change set) is saved whole.
    audited = _fields_of(obj)
    if obj.pk is None:
        obj.save()
        _audit_created(actor, obj)
        return
    concrete = {field.name for field in obj._meta.concrete_fields}
    fields = list(audited) if changed_fields is None else [n for n in changed_fields if n in concrete]
    if not fields:
        return
    changes = audit_changes(stored_values(obj, fields), field_values(obj, fields))
    if changed_fields is None:
        obj.save()
    else:
        obj.save(update_fields=fields)
    if changes:
        audit_record(actor=actor, action=f"{obj._meta.model_name}.updated", obj=obj, changes=changes)


@transaction.atomic
def product_save(*, actor: AbstractBaseUser | None, product: Product, changed_fields: Iterable[str] | None) -> Product:
    """Save a product edited in the admin (its form has validated it); ``None`` fields: save it whole."""
    _save(actor, product, changed_fields)
    return product


@transaction.atomic
def feature_save(*, actor: AbstractBaseUser | None, feature: Feature, changed_fields: Iterable[str] | None) -> Feature:
    """Save a feature edited in the admin (its form has validated it); ``None`` fields: save it whole."""
    _save(actor, feature, changed_fields)
    return feature
