"""Where ``next`` may send someone (every view that takes it), and absolute links from the one configured site URL."""

from __future__ import annotations

import os
import re
import subprocess
import sys
from pathlib import Path

import pytest
from django.core import mail
from django.test import RequestFactory
from django.urls import reverse

from helpdesk import links, roles
from helpdesk.models import Ticket

ROOT = Path(__file__).resolve().parents[2]

# Values a ``next`` parameter must never be followed to, each with why.
UNSAFE_NEXT = [
    "HD-1001",  # a bare word: django's redirect() resolves it as a URL name (500 before)
    "inbox",  # a relative path: the browser resolves it against the current URL
    "https://evil.example/",
    "//evil.example/inbox/",
    "/\\evil.example/",  # browsers read the backslash as a slash
    "javascript:alert(1)",
    "http://[",  # malformed: urlsplit raises
    "/inbox/\nSet-Cookie: x=1",
]


@pytest.fixture
def empty_cache():
    from django.core.cache import cache

    cache.clear()
    yield
    cache.clear()


# --- the helper ----------------------------------------------------------------------------------


@pytest.mark.parametrize("candidate", UNSAFE_NEXT)
def test_safe_next_refuses_anything_but_a_same_site_path(candidate):
    request = RequestFactory().get("/")
    assert links.safe_next(request, candidate, default="/fallback/") == "/fallback/"


@pytest.mark.parametrize(
    ("candidate", "expected"),
    [
        ("/inbox/?view=all&tag=vip", "/inbox/?view=all&tag=vip"),
        ("  /tickets/HD-1001/#e5  ", "/tickets/HD-1001/#e5"),
        # This very site, same scheme: reduced to its path.
        ("http://testserver/inbox/?view=all", "/inbox/?view=all"),
        ("", "/fallback/"),
        (None, "/fallback/"),
    ],
)
def test_safe_next_keeps_same_site_paths(candidate, expected):
    request = RequestFactory().get("/")
    assert links.safe_next(request, candidate, default="/fallback/") == expected


def test_safe_next_over_https_refuses_this_site_over_plain_http():
    request = RequestFactory().get("/", secure=True)
    assert links.safe_next(request, "http://testserver/inbox/", default="/x/") == "/x/"
    assert links.safe_next(request, "https://testserver/inbox/", default="/x/") == "/inbox/"


# --- every view that takes next, through HTTP ------------------------------------------------------


@pytest.mark.parametrize("candidate", UNSAFE_NEXT)
def test_bulk_action_with_an_unsafe_next_returns_to_the_inbox(agent_client, agent, make_ticket, candidate):
    ticket = make_ticket()

    response = agent_client.post(
        reverse("helpdesk:inbox_bulk"), {"tickets": [ticket.reference], "action": "assign_me", "next": candidate}
    )

    assert response.status_code == 302
    assert response["Location"] == reverse("helpdesk:inbox")
    assert Ticket.objects.get(pk=ticket.pk).assignee_id == agent.pk


def test_bulk_action_follows_a_same_site_next(agent_client, make_ticket):
    ticket = make_ticket()
    response = agent_client.post(
        reverse("helpdesk:inbox_bulk"),
        {"tickets": [ticket.reference], "action": "assign_me", "next": "/inbox/?view=all&sort=created"},
    )
    assert response["Location"] == "/inbox/?view=all&sort=created"


@pytest.mark.parametrize("candidate", ["HD-1001", "https://evil.example/", "//evil.example/"])
def test_sign_in_with_an_unsafe_next_lands_on_the_role_home(client, agent, empty_cache, candidate):
    page = client.get(reverse("login"), {"next": candidate})
    # Not echoed into the form either.
    assert re.search(r'name="next" value=""', page.content.decode())

    response = client.post(reverse("login"), {"username": "agent", "password": "pw-agent", "next": candidate})

    assert response.status_code == 302
    assert response["Location"] == "/"


def test_sign_in_follows_a_same_site_next(client, agent, empty_cache):
    response = client.post(reverse("login"), {"username": "agent", "password": "pw-agent", "next": "/inbox/?view=all"})
    assert response["Location"] == "/inbox/?view=all"


@pytest.mark.parametrize("candidate", ["HD-1001", "https://evil.example/"])
def test_sign_out_with_an_unsafe_next_lands_on_the_sign_in_page(agent_client, candidate):
    response = agent_client.post(reverse("logout"), {"next": candidate})

    assert response.status_code == 302
    assert response["Location"] == reverse("login")
    assert "_auth_user_id" not in agent_client.session


def test_sign_out_follows_a_same_site_next(agent_client):
    response = agent_client.post(reverse("logout"), {"next": "/portal/"})
    assert response["Location"] == "/portal/"


@pytest.mark.parametrize("candidate", ["HD-1001", "https://evil.example/"])
def test_admin_sign_in_with_an_unsafe_next_lands_on_the_admin_index(client, make_user, empty_cache, candidate):
    make_user("boss", role=roles.SUPPORT_MANAGERS, is_staff=True)

    page = client.get(reverse("admin:login"), {"next": candidate}, follow=True)
    assert page.status_code == 200
    assert page.redirect_chain == [(reverse("admin:login") + "?next=%2Fadmin%2F", 302)]
    assert candidate not in page.content.decode()

    response = client.post(
        reverse("admin:login") + "?next=" + candidate, {"username": "boss", "password": "pw-boss", "next": candidate}
    )

    assert response.status_code == 302
    assert response["Location"] == reverse("admin:index")


def test_admin_sign_in_follows_a_same_site_next(client, make_user, empty_cache):
    make_user("boss", role=roles.SUPPORT_MANAGERS, is_staff=True)
    response = client.post(
        reverse("admin:login"), {"username": "boss", "password": "pw-boss", "next": "/admin/helpdesk/team/"}
    )
    assert response["Location"] == "/admin/helpdesk/team/"


def test_admin_sign_out_with_an_unsafe_next_stays_on_the_site(client, make_user):
    client.force_login(make_user("boss", role=roles.SUPPORT_MANAGERS, is_staff=True))

    response = client.post(reverse("admin:logout"), {"next": "HD-1001"})

    assert response.status_code == 302
    assert response["Location"] == reverse("admin:index")
    assert "_auth_user_id" not in client.session


# --- absolute links from SITE_URL ------------------------------------------------------------------


def test_password_reset_link_ignores_the_host_header(client, customer, settings, empty_cache):
    settings.SITE_URL = "https://desk.example.com"
    settings.ALLOWED_HOSTS = ["testserver", "desk.example.com", "evil.example"]

    client.post(reverse("password_reset"), {"email": "customer@desk.test"}, HTTP_HOST="evil.example:6666")

    assert len(mail.outbox) == 1
    body = mail.outbox[0].body
    assert "evil.example" not in body and "6666" not in body
    link = re.search(r"https://desk\.example\.com(/accounts/reset/\S+/)", body).group(1)
    # The link works on the site it names.
    assert client.get(link, follow=True).status_code == 200


def test_absolute_url_starts_from_site_url(settings):
    settings.SITE_URL = "https://desk.example.com:8443/"
    assert links.absolute_url("/tickets/HD-1/") == "https://desk.example.com:8443/tickets/HD-1/"
    with pytest.raises(ValueError):
        links.absolute_url("tickets/HD-1/")


def _settings_in_a_fresh_process(env: dict[str, str], code: str) -> subprocess.CompletedProcess:
    full_env = {k: v for k, v in os.environ.items() if k not in {"SITE_URL", "DEBUG", "ALLOWED_HOSTS", "SECRET_KEY"}}
    full_env.update(env)
    full_env["DJANGO_SETTINGS_MODULE"] = "helpdesk.settings"
    return subprocess.run(
        [sys.executable, "-c", "import django; django.setup(); from django.conf import settings; " + code],
        cwd=ROOT,
        env=full_env,
        capture_output=True,
        text=True,
        timeout=60,
    )


def test_site_url_defaults_to_the_first_allowed_host_in_production():
    production = {"DEBUG": "0", "SECRET_KEY": "x" * 60, "ALLOWED_HOSTS": "desk.example.com,other.example.com"}
    done = _settings_in_a_fresh_process(production, "print(settings.SITE_URL)")
    assert done.returncode == 0, done.stderr
    assert done.stdout.strip() == "https://desk.example.com"

    development = _settings_in_a_fresh_process({}, "print(settings.SITE_URL)")
    assert development.stdout.strip() == "http://127.0.0.1:8000"

    configured = _settings_in_a_fresh_process({"SITE_URL": "https://help.example.org/"}, "print(settings.SITE_URL)")
    assert configured.stdout.strip() == "https://help.example.org"


@pytest.mark.parametrize("bad", ["desk.example.com", "ftp://desk.example.com", "https://desk.example.com/help/"])
def test_a_malformed_site_url_is_refused_at_start(bad):
    done = _settings_in_a_fresh_process({"SITE_URL": bad}, "print(settings.SITE_URL)")
    assert done.returncode != 0
    assert "SITE_URL must look like" in done.stderr


def test_production_needs_only_secret_key_and_allowed_hosts():
    """SITE_URL has a production default, so check --deploy stays clean with the two settings alone."""
    env = {k: v for k, v in os.environ.items() if k not in {"SITE_URL", "DEBUG", "ALLOWED_HOSTS", "SECRET_KEY"}}
    secret = "k" * 20 + "-production-secret-for-the-check-" + "z" * 20
    env.update(DEBUG="0", SECRET_KEY=secret, ALLOWED_HOSTS="desk.example.com")
    done = subprocess.run(
        [sys.executable, "manage.py", "check", "--deploy", "--fail-level", "WARNING"],
        cwd=ROOT,
        env=env,
        capture_output=True,
        text=True,
        timeout=120,
    )
    assert done.returncode == 0, done.stdout + done.stderr
