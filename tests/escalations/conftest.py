"""Shared set-up for the escalations tests: a product manager's feature, and pulling the cord through the service."""

from __future__ import annotations

import pytest
from rest_framework.test import APIClient

from escalations import services


@pytest.fixture
def feature(product_manager):
    product = services.product_ensure(actor=None, key="billing", name="Billing")
    return services.feature_ensure(actor=None, product=product, key="billing.invoices", name="Invoices", owner=product_manager)


@pytest.fixture
def other_feature():
    product = services.product_ensure(actor=None, key="reports", name="Reports")
    return services.feature_ensure(actor=None, product=product, key="reports.exports", name="Exports")


@pytest.fixture
def api():
    """An API client acting as whoever is passed (force-authenticated, like a token)."""

    def make(user=None):
        client = APIClient()
        if user is not None:
            client.force_authenticate(user)
        return client

    return make


def raise_on(ticket, feature, agent, *, severity="blocking", title="Invoice PDFs are empty"):
    return services.escalation_raise(
        actor=agent,
        ticket=ticket,
        feature=feature,
        severity=severity,
        title=title,
        customer_impact="Customers download a blank PDF.",
        steps="Open any invoice, press Download.",
    )
