"""Writes of the escalations app: the product registry (``registry``) and the andon cord (``lifecycle``)."""

from escalations.services.lifecycle import (
    escalation_comment,
    escalation_link,
    escalation_raise,
    escalation_transition,
)
from escalations.services.registry import feature_ensure, feature_save, product_ensure, product_save

__all__ = [
    "escalation_comment",
    "escalation_link",
    "escalation_raise",
    "escalation_transition",
    "feature_ensure",
    "feature_save",
    "product_ensure",
    "product_save",
]
