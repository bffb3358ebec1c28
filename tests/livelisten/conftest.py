"""Shared set-up for the live chat tests: a customer's chat, accepted by an agent; listeners."""

from __future__ import annotations

import pytest
from channels.layers import channel_layers
from rest_framework.test import APIClient

from helpdesk import roles
from livelisten import consumers, housekeeping, selectors, services


@pytest.fixture(autouse=True)
def _fresh_caches():
    """Each test's database hands out ids again (SQLite): names and account checks cached for an earlier test's rows must go."""
    selectors.forget_cached()
    consumers.forget_account_checks()
    housekeeping.forget_sweeps()
    channel_layers.backends.clear()
    yield
    selectors.forget_cached()
    consumers.forget_account_checks()
    # A fresh channel layer per test: each test runs its own event loop, and the Redis layer's receive lock
    # belongs to the loop that made it (a socket an earlier test's loop left receiving kept it held).
    channel_layers.backends.clear()


@pytest.fixture
def chat_customer(customer):
    """The signed-in person of the ``customer`` fixture (a Customer with a login)."""
    return customer.user


@pytest.fixture
def listener(make_user):
    return make_user("listener", role=roles.SUPPORT_MANAGERS, first_name="Lee", last_name="Listener")


@pytest.fixture
def start_chat(chat_customer):
    def start(*, actor=None, subject="Export fails", body="The export times out.", **extra):
        return services.session_start(actor=actor or chat_customer, subject=subject, body=body, **extra)

    return start


@pytest.fixture
def waiting_session(start_chat):
    return start_chat()


@pytest.fixture
def active_session(waiting_session, agent):
    return services.session_accept(actor=agent, session_id=waiting_session.pk)


@pytest.fixture
def api():
    def make(user=None):
        client = APIClient()
        if user is not None:
            client.force_authenticate(user)
        return client

    return make
