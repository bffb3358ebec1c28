"""Fixtures and helpers shared by the API tests (no tests here; import what you use)."""

from __future__ import annotations

import pytest
from django.core.cache import cache
from django.urls import reverse
from rest_framework.test import APIClient

from helpdesk import services

LIST_URL = "/api/v1/tickets/"
TOKEN_URL = "/api/v1/auth/token/"


def detail_url(reference: str) -> str:
    return reverse("api:ticket-detail", args=[reference])


def messages_url(reference: str) -> str:
    return reverse("api:ticket-messages", args=[reference])


@pytest.fixture
def clean_cache():
    # Failed sign-ins are counted in the cache (Redis on the PostgreSQL run).
    cache.clear()
    yield
    cache.clear()


@pytest.fixture
def client_for(db):
    """An API client signed in with a real token, as a script would be."""

    def make(user) -> APIClient:
        client = APIClient()
        _, key = services.api_token_create(actor=user, name="test script")
        client.credentials(HTTP_AUTHORIZATION="Token " + key)
        return client

    return make


@pytest.fixture
def feature(db):
    from escalations.services import feature_ensure, product_ensure

    product = product_ensure(actor=None, key="billing", name="Billing")
    return feature_ensure(actor=None, product=product, key="billing.invoices", name="Invoices")


@pytest.fixture
def team(db, agent):
    return services.team_ensure(actor=None, name="Tier 2", members=[agent])
