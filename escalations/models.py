"""Product registry. Escalations against features arrive with the andon-cord issue."""

from __future__ import annotations

from django.conf import settings
from django.core.validators import RegexValidator
from django.db import models

feature_key_validator = RegexValidator(
    r"^[a-z0-9][a-z0-9_-]*(\.[a-z0-9][a-z0-9_-]*)+$",
    "Use a dotted lower-case key such as billing.invoices.",
)


class Product(models.Model):
    key = models.SlugField(max_length=50, unique=True)
    name = models.CharField(max_length=100, unique=True)
    description = models.TextField(blank=True)

    class Meta:
        ordering = ["name"]

    def __str__(self) -> str:
        return self.name


class Feature(models.Model):
    product = models.ForeignKey(Product, on_delete=models.PROTECT, related_name="features")
    key = models.CharField(max_length=100, unique=True, validators=[feature_key_validator])
    name = models.CharField(max_length=100)
    description = models.TextField(blank=True)
    owner = models.ForeignKey(
        settings.AUTH_USER_MODEL,
        null=True,
        blank=True,
        # People are deactivated, never deleted: the feature keeps its owner's name.
        on_delete=models.PROTECT,
        related_name="owned_features",
        help_text="The product manager who owns this feature",
    )

    class Meta:
        ordering = ["product__name", "name"]

    def __str__(self) -> str:
        return f"{self.product.name} · {self.name}" if self.product_id else self.name
