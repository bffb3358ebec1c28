"""Headers every page carries: the Content-Security-Policy (no inline code anywhere), no caching for signed-in people,
and the API's renderers (JSON only in production)."""

from __future__ import annotations

import os
import re
import subprocess
import sys
from html.parser import HTMLParser
from pathlib import Path

import pytest
from django.core.cache import cache
from django.urls import reverse

from helpdesk import roles

ROOT = Path(__file__).resolve().parents[2]
CSP = "Content-Security-Policy"


@pytest.fixture(autouse=True)
def clean_cache():
    cache.clear()
    yield
    cache.clear()


@pytest.fixture
def staff_manager(make_user):
    return make_user("boss", role=roles.SUPPORT_MANAGERS, is_staff=True)


def directives(response) -> dict[str, list[str]]:
    policy = response[CSP]
    return {part.split()[0]: part.split()[1:] for part in policy.split(";") if part.strip()}


def pages(ticket, customer, team) -> dict[str, tuple[str, str]]:
    """Every kind of page: who looks at it, and where."""
    return {
        "inbox": ("agent", reverse("helpdesk:inbox")),
        "ticket": ("agent", reverse("helpdesk:ticket_detail", args=[ticket.reference])),
        "new ticket": ("agent", reverse("helpdesk:ticket_new")),
        "not found": ("agent", "/tickets/HD-999999/"),
        "portal": ("customer", reverse("portal:ticket_list")),
        "portal ticket": ("customer", reverse("portal:ticket_detail", args=[ticket.reference])),
        "portal new": ("customer", reverse("portal:ticket_new")),
        "sign-in": (None, reverse("login")),
        "password reset": (None, reverse("password_reset")),
        "admin index": ("boss", reverse("admin:index")),
        "admin change form": ("boss", reverse("admin:helpdesk_team_change", args=[team.pk])),
        "admin list": ("boss", reverse("admin:helpdesk_team_changelist")),
        "api docs": ("agent", reverse("api-docs")),
        "api docs script": ("agent", reverse("api-docs") + "?script="),
        "api json": ("agent", "/api/v1/tickets/"),
        "api anonymous": (None, "/api/v1/tickets/"),
    }


@pytest.fixture
def every_page(client, agent, customer, staff_manager, ticket):
    from helpdesk import services

    team = services.team_ensure(actor=None, name="Tier 2")
    people = {"agent": agent, "customer": customer.user, "boss": staff_manager}

    def fetch(name: str):
        who, url = pages(ticket, customer, team)[name]
        client.logout()
        if who:
            client.force_login(people[who])
        return client.get(url)

    return fetch


PAGE_NAMES = [
    "inbox",
    "ticket",
    "new ticket",
    "not found",
    "portal",
    "portal ticket",
    "portal new",
    "sign-in",
    "password reset",
    "admin index",
    "admin change form",
    "admin list",
    "api docs",
    "api docs script",
    "api json",
    "api anonymous",
]


@pytest.mark.parametrize("name", PAGE_NAMES)
def test_every_page_carries_a_policy_without_inline_code(every_page, name):
    response = every_page(name)

    assert response.status_code in (200, 401, 403, 404), response.status_code
    policy = directives(response)
    assert policy["default-src"] == ["'self'"]
    assert policy["script-src"] == ["'self'"]
    assert policy["style-src"] == ["'self'"]
    assert policy["object-src"] == ["'none'"]
    assert policy["frame-ancestors"] == ["'none'"]
    # The desk's own websocket, and nothing else, beside this origin.
    assert policy["connect-src"] == ["'self'", "ws://testserver"]
    assert "unsafe-inline" not in response[CSP] and "unsafe-eval" not in response[CSP]


def test_over_https_the_websocket_allowed_is_wss(agent_client):
    response = agent_client.get(reverse("helpdesk:inbox"), secure=True)
    assert directives(response)["connect-src"] == ["'self'", "wss://testserver"]


class _InlineCodeFinder(HTMLParser):
    """What a policy without 'unsafe-inline' blocks: inline scripts, <style>, style= and on…= attributes."""

    def __init__(self):
        super().__init__()
        self.found: list[str] = []

    def handle_starttag(self, tag, attrs):
        names = dict(attrs)
        if tag == "script" and "src" not in names and names.get("type") != "application/json":
            self.found.append(f"inline <script> {names}")
        if tag == "style":
            self.found.append("<style> element")
        for name, _ in attrs:
            if name == "style" or name.startswith("on"):
                self.found.append(f"{name}= on <{tag}>")


@pytest.mark.parametrize("name", [n for n in PAGE_NAMES if not n.startswith("api json") and n != "api docs script"])
def test_pages_contain_no_inline_script_or_style(every_page, name):
    response = every_page(name)
    finder = _InlineCodeFinder()
    finder.feed(response.content.decode())
    assert finder.found == []


def test_the_ticket_page_with_a_conflict_and_errors_contains_no_inline_code(agent_client, agent2, ticket):
    from helpdesk import services

    page = agent_client.get(reverse("helpdesk:ticket_detail", args=[ticket.reference])).content.decode()
    version = re.search(r'name="version" value="(\d+)"', page).group(1)
    services.ticket_update(actor=agent2, ticket=ticket, status="pending")
    response = agent_client.post(
        reverse("helpdesk:ticket_update", args=[ticket.reference]),
        {"version": version, "status": "new", "priority": "high", "assignee": "", "team": "", "tags": ""},
        follow=True,
    )
    finder = _InlineCodeFinder()
    finder.feed(response.content.decode())
    assert "while you were editing" in response.content.decode()
    assert finder.found == []


def test_templates_hold_no_inline_script_or_style():
    offenders = []
    for path in (ROOT / "templates").rglob("*.html"):
        text = path.read_text()
        for pattern in (r"<style", r"\sstyle=", r"<script(?![^>]*\bsrc=)(?![^>]*application/json)", r"\son[a-z]+="):
            if re.search(pattern, text):
                offenders.append(f"{path.relative_to(ROOT)}: {pattern}")
    assert offenders == []


def test_htmx_is_told_not_to_inject_styles_or_evaluate_code(agent_client):
    html = agent_client.get(reverse("helpdesk:inbox")).content.decode()
    config = re.search(r'<meta name="htmx-config" content=\'([^\']+)\'>', html).group(1)
    import json

    assert json.loads(config) == {"includeIndicatorStyles": False, "allowEval": False, "allowScriptTags": False}


# --- Cache-Control ------------------------------------------------------------------------------------


@pytest.mark.parametrize(
    "name", ["inbox", "ticket", "new ticket", "not found", "portal", "portal ticket", "admin index", "api json"]
)
def test_pages_for_signed_in_people_are_never_stored(every_page, name):
    response = every_page(name)
    assert response["Cache-Control"] == "private, no-store"


def test_sign_in_answers_are_never_stored(client, agent):
    wrong = client.post(reverse("login"), {"username": "agent", "password": "wrong"})
    assert wrong.status_code == 200
    assert wrong["Cache-Control"] == "private, no-store"

    right = client.post(reverse("login"), {"username": "agent", "password": "pw-agent"})
    assert right.status_code == 302
    assert right["Cache-Control"] == "private, no-store"


def test_static_files_keep_their_own_caching(agent_client):
    response = agent_client.get("/static/helpdesk/app.css")
    assert response.status_code == 200
    assert "no-store" not in response.get("Cache-Control", "")
    assert CSP not in response  # answered by WhiteNoise before the middleware


def test_a_foreign_host_still_gets_a_plain_400(client):
    response = client.get("/accounts/login/", HTTP_HOST="evil.example")
    assert response.status_code == 400


# --- DRF renderers --------------------------------------------------------------------------------------


def test_the_browsable_api_is_there_in_development(agent_client, settings):
    settings.DEBUG = True  # pytest-django runs with DEBUG off; the renderers were chosen with it on
    response = agent_client.get("/api/v1/tickets/", HTTP_ACCEPT=BROWSER_ACCEPT)
    assert response.status_code == 200
    assert response["Content-Type"].startswith("text/html")
    # A development aid built on inline code: left without the policy, in DEBUG only.
    assert CSP not in response


BROWSER_ACCEPT = "text/html,application/xhtml+xml,application/xml;q=0.9,*/*;q=0.8"


def _api_answer_in_a_fresh_process(env: dict[str, str]) -> str:
    code = (
        "import django; django.setup()\n"
        "from django.test import Client\n"
        f"r = Client().get('/api/v1/tickets/', HTTP_ACCEPT={BROWSER_ACCEPT!r})\n"
        "print(r.status_code, r['Content-Type'], 'Content-Security-Policy' in r, sep='|')\n"
    )
    full_env = {k: v for k, v in os.environ.items() if k not in {"DEBUG", "ALLOWED_HOSTS", "SECRET_KEY"}}
    full_env.update(env, DJANGO_SETTINGS_MODULE="helpdesk.settings")
    done = subprocess.run(
        [sys.executable, "-c", code], cwd=ROOT, env=full_env, capture_output=True, text=True, timeout=60
    )
    assert done.returncode == 0, done.stderr
    return done.stdout.strip()


def test_in_production_the_api_answers_json_only():
    production = {"DEBUG": "0", "SECRET_KEY": "x" * 60, "ALLOWED_HOSTS": "testserver", "SECURE_SSL_REDIRECT": "0"}
    status, content_type, has_policy = _api_answer_in_a_fresh_process(production).split("|")
    assert status in ("401", "403")
    assert content_type == "application/json"
    assert has_policy == "True"

    status, content_type, _ = _api_answer_in_a_fresh_process({"DEBUG": "1"}).split("|")
    assert content_type.startswith("text/html")
