"""Writes of the escalations app."""

from __future__ import annotations

from typing import Iterable

from django.contrib.auth.models import AbstractBaseUser
from django.db import transaction

from escalations.models import Feature, Product


@transaction.atomic
def product_ensure(*, actor: AbstractBaseUser | None, key: str, name: str, description: str = "") -> Product:
    product, _ = Product.objects.get_or_create(key=key, defaults={"name": name, "description": description})
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
    if not created and owner is not None and feature.owner_id is None:
        feature.owner = owner
        feature.save(update_fields=["owner"])
    return feature


def _save(obj: Product | Feature, changed_fields: Iterable[str] | None) -> None:
    # Only what was edited is written, so a save does not put back a value someone
    # else changed meanwhile; a new row (or an unknown change set) is saved whole.
    concrete = {field.name for field in obj._meta.concrete_fields}
    fields = [name for name in (changed_fields or ()) if name in concrete]
    if obj.pk is None or changed_fields is None:
        obj.save()
    elif fields:
        obj.save(update_fields=fields)


@transaction.atomic
def product_save(
    *, actor: AbstractBaseUser | None, product: Product, changed_fields: Iterable[str] | None
) -> Product:
    """Save a product edited in the admin (its form has validated it); ``None`` fields: save it whole."""
    _save(product, changed_fields)
    return product


@transaction.atomic
def feature_save(
    *, actor: AbstractBaseUser | None, feature: Feature, changed_fields: Iterable[str] | None
) -> Feature:
    """Save a feature edited in the admin (its form has validated it); ``None`` fields: save it whole."""
    _save(feature, changed_fields)
    return feature
