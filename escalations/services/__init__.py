"""Writes of the escalations app: the product registry (``registry``) and the andon cord (``lifecycle``)."""

from escalations.services.fix_notices import fix_notices_deliver
from escalations.services.lifecycle import (
    escalation_comment,
    escalation_link,
    escalation_raise,
    escalation_transition,
    escalations_flag_overdue,
)
from escalations.services.registry import feature_ensure, feature_save, product_ensure, product_save
from escalations.services.webhooks import (
    webhook_delivery_retry,
    webhook_endpoint_save,
    webhooks_deliver_due,
    webhooks_enqueue,
)

__all__ = [
    "escalation_comment",
    "escalation_link",
    "escalation_raise",
    "escalation_transition",
    "escalations_flag_overdue",
    "fix_notices_deliver",
    "feature_ensure",
    "feature_save",
    "product_ensure",
    "product_save",
    "webhook_delivery_retry",
    "webhook_endpoint_save",
    "webhooks_deliver_due",
    "webhooks_enqueue",
]
