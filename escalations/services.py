"""Writes of the escalations app."""

from __future__ import annotations

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
