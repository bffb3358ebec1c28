"""In Chromium, the main pages run under the Content-Security-Policy without a single violation.

The header alone proves little: a policy that the desk's own scripts break would
show up only here, as ``securitypolicyviolation`` events and console errors.
"""

from __future__ import annotations

import pytest
from playwright.sync_api import expect

from helpdesk import roles, services

pytestmark = [pytest.mark.e2e, pytest.mark.django_db(transaction=True)]

# Every violation the page reports, collected before any of its own scripts run.
LISTEN = """
window.__cspViolations = [];
document.addEventListener("securitypolicyviolation", function (event) {
  window.__cspViolations.push(event.violatedDirective + " " + (event.blockedURI || "inline") + " "
    + (event.sourceFile || "") + ":" + event.lineNumber);
});
"""


def _watch(context):
    context.add_init_script(LISTEN)
    problems: list[str] = []

    def on_console(message):
        if message.type == "error" and "Content Security Policy" in message.text:
            problems.append(message.text)

    def attach(page):
        page.on("console", on_console)
        page.on("pageerror", lambda error: problems.append(f"page error: {error}"))

    context.on("page", attach)
    return problems


def _visit(page, url: str, ready: str, problems: list[str]) -> None:
    response = page.goto(url)
    assert response is not None and response.ok, (url, response and response.status)
    assert "script-src 'self'" in (response.headers.get("content-security-policy") or "")
    expect(page.locator(ready).first).to_be_visible()
    page.wait_for_load_state("networkidle")
    violations = page.evaluate("window.__cspViolations")
    assert violations == [] and problems == [], (url, violations, problems)


def test_main_pages_raise_no_policy_violations(
    live_server_url, chromium, sign_in, agent, customer, make_ticket, make_user
):
    ticket = make_ticket(subject="Printer on fire", tags=["hardware"])
    services.ticket_message_post(actor=agent, ticket=ticket, body="Checking with the vendor.", internal=True)
    team = services.team_ensure(actor=None, name="Tier 2")
    make_user("boss", role=roles.SUPPORT_MANAGERS, is_staff=True)
    browser = chromium()
    base = live_server_url

    anonymous = browser.new_context()
    problems = _watch(anonymous)
    page = anonymous.new_page()
    _visit(page, base + "/accounts/login/", "#login-form", problems)
    _visit(page, base + "/accounts/password_reset/", "input[name=email]", problems)

    desk_context = browser.new_context()
    problems = _watch(desk_context)
    desk = sign_in(desk_context, "agent", "pw-agent")
    _visit(desk, base + "/inbox/?view=all", "a.ticket-link", problems)
    _visit(desk, base + f"/tickets/{ticket.reference}/", "form#composer", problems)
    # The websocket of the collision notice connects under connect-src.
    desk.wait_for_function("document.getElementById('collision') !== null")
    _visit(desk, base + "/tickets/new/", "form", problems)
    _visit(desk, base + "/api/docs/", ".swagger-ui .info", problems)

    portal_context = browser.new_context()
    problems = _watch(portal_context)
    portal = sign_in(portal_context, "customer", "pw-customer")
    _visit(portal, base + "/portal/", "a.ticket-link", problems)
    _visit(portal, base + f"/portal/tickets/{ticket.reference}/", "form#reply-form", problems)
    _visit(portal, base + "/portal/tickets/new/", "#new-request-form", problems)

    admin_context = browser.new_context()
    problems = _watch(admin_context)
    admin = sign_in(admin_context, "boss", "pw-boss")
    _visit(admin, base + "/admin/", "#content", problems)
    _visit(admin, base + "/admin/helpdesk/team/", "#changelist", problems)
    _visit(admin, base + f"/admin/helpdesk/team/{team.pk}/change/", "form", problems)
