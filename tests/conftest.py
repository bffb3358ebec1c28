"""Shared fixtures: the built-in roles, one person per role, and ticket factories.

State is always set up through services, as the application itself would.
"""

from __future__ import annotations

import itertools
import uuid

import pytest
from django.db import connection

from helpdesk import ratelimit, roles, services

_counter = itertools.count(1)


def pytest_collection_modifyitems(config, items):
    """Skip PostgreSQL-only tests, with the reason, when running on SQLite."""
    from django.conf import settings

    if settings.DATABASES["default"]["ENGINE"].endswith("postgresql"):
        return
    skip = pytest.mark.skip(reason="needs PostgreSQL (set DATABASE_URL); behaviour differs on SQLite")
    for item in items:
        if "postgresql" in item.keywords:
            item.add_marker(skip)


@pytest.fixture
def role_groups(db):
    return services.roles_ensure(actor=None)


@pytest.fixture
def make_user(role_groups):
    def make(username: str | None = None, *, role: str | None = roles.AGENTS, **extra):
        name = username or f"user{next(_counter)}"
        return services.user_ensure(
            actor=None, username=name, password="pw-" + name, email=f"{name}@desk.test", role=role, **extra
        )

    return make


@pytest.fixture
def agent(make_user):
    return make_user("agent", role=roles.AGENTS, first_name="Alex", last_name="Agent")


@pytest.fixture
def agent2(make_user):
    return make_user("agent2", role=roles.AGENTS, first_name="Sam", last_name="Second")


@pytest.fixture
def manager(make_user):
    return make_user("manager", role=roles.SUPPORT_MANAGERS)


@pytest.fixture
def product_manager(make_user):
    return make_user("pm", role=roles.PRODUCT_MANAGERS)


@pytest.fixture
def organization(db):
    return services.organization_ensure(actor=None, name="Acme Corp", domain="acme.test", annual_value=120000)


@pytest.fixture
def other_organization(db):
    return services.organization_ensure(actor=None, name="Globex", domain="globex.test", annual_value=50000)


@pytest.fixture
def make_customer(make_user):
    def make(username: str | None = None, *, organization=None, with_login: bool = True, name: str = ""):
        handle = username or f"cust{next(_counter)}"
        user = make_user(handle, role=roles.CUSTOMERS) if with_login else None
        return services.customer_ensure(
            actor=None,
            name=name or handle.title(),
            email=f"{handle}@customer.test",
            organization=organization,
            user=user,
        )

    return make


@pytest.fixture
def customer(make_customer, organization):
    return make_customer("customer", organization=organization, name="Casey Customer")


@pytest.fixture
def customer2(make_customer, other_organization):
    return make_customer("customer2", organization=other_organization, name="Dana Other")


@pytest.fixture
def make_ticket(agent, customer):
    def make(*, actor=None, requester=None, subject=None, body="Something is wrong.", **extra):
        return services.ticket_create(
            actor=actor or agent,
            requester=requester or customer,
            subject=subject or f"Problem number {next(_counter)}",
            body=body,
            **extra,
        )

    return make


@pytest.fixture
def ticket(make_ticket):
    return make_ticket(subject="Invoice PDF is empty")


@pytest.fixture
def on_postgresql():
    return connection.vendor == "postgresql"


@pytest.fixture(autouse=True)
def fast_password_hasher(request, settings):
    """Full-strength hashing costs ~0.5 s per user; tests need no such strength.

    Browser tests keep the default: the Daphne process they drive checks passwords
    with the production hashers.
    """
    if request.node.get_closest_marker("e2e") is None:
        settings.PASSWORD_HASHERS = ["django.contrib.auth.hashers.MD5PasswordHasher"]


@pytest.fixture
def agent_client(client, agent):
    """A test client signed in as the ``agent`` fixture."""
    client.force_login(agent)
    return client


class LimiterClock:
    """The rate limiter's clock, moved by hand: windows pass without sleeping."""

    def __init__(self) -> None:
        self.now = 1_900_000_000.0

    def advance(self, seconds: float) -> None:
        self.now += seconds


@pytest.fixture(autouse=True)
def _own_rate_limit_counts(monkeypatch):
    """Each test counts sign-ins and new tickets afresh: ids repeat across tests, the cache outlives them."""
    monkeypatch.setattr(ratelimit, "KEY_NAMESPACE", f"ratelimit-test-{uuid.uuid4().hex}")


@pytest.fixture
def limiter_clock(monkeypatch):
    clock = LimiterClock()
    monkeypatch.setattr(ratelimit, "now", lambda: clock.now)
    return clock


@pytest.fixture
def smtp_server(settings):
    """A real SMTP server (aiosmtpd) on a free port, with Django's SMTP backend pointed at it."""
    from tests.mailserver import SmtpServer

    server = SmtpServer().start()
    for name, value in server.settings().items():
        setattr(settings, name, value)
    yield server
    server.stop()


@pytest.fixture(autouse=True)
def _private_uploads(settings, tmp_path):
    """Each test's attachments go to a folder of its own, removed with it."""
    settings.MEDIA_ROOT = tmp_path / "uploads"
    settings.STORAGES = {
        **settings.STORAGES,
        "default": {"BACKEND": "django.core.files.storage.FileSystemStorage", "OPTIONS": {"location": tmp_path / "uploads"}},
    }


@pytest.fixture(scope="session")
def _imap_server():
    import shutil
    import tempfile
    from pathlib import Path

    from tests import imapserver

    if not imapserver.available():
        pytest.skip("needs Debian's dovecot-imapd (.ci/run installs it)")
    # Not pytest's tmp_path: dovecot's own users must reach the folder (pytest's are 0700).
    root = Path(tempfile.mkdtemp(prefix="helpdesk-imap-"))
    root.chmod(0o755)
    server = imapserver.ImapServer(root).start()
    yield server
    server.stop()
    shutil.rmtree(root, ignore_errors=True)


@pytest.fixture
def imap_server(_imap_server, monkeypatch):
    """A real IMAP server (dovecot), emptied for each test; its certificate is trusted."""
    _imap_server.clear()
    monkeypatch.setenv("HELPDESK_IMAP_CA_FILE", str(_imap_server.cert))
    return _imap_server
