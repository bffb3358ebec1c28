"""The andon cord end to end in Chromium against real Daphne.

An agent pulls the cord from a ticket; the product manager's open board shows it
without a reload; the product manager acknowledges and fixes it from the escalation
page; the agent's ticket shows the update and the customer's portal the message.
"""

from __future__ import annotations

import re

import pytest
from playwright.sync_api import expect

pytestmark = [pytest.mark.e2e, pytest.mark.django_db(transaction=True)]

UPDATE = "Fixed in 4.2.1: invoices download with their lines again."


def test_pull_the_cord_triage_and_fix_reach_the_customer(
    live_server_url, chromium, sign_in, in_thread, agent, product_manager, customer, make_ticket
):
    from escalations import services

    product = services.product_ensure(actor=None, key="billing", name="Billing")
    feature = services.feature_ensure(actor=None, product=product, key="billing.invoices", name="Invoices", owner=product_manager)
    ticket = make_ticket(subject="Invoice PDF is blank", feature=feature)
    browser = chromium()
    problems: list[str] = []

    pm = sign_in(browser.new_context(), "pm", "pw-pm")
    pm.on("pageerror", lambda error: problems.append(str(error)))
    pm.goto(f"{live_server_url}/escalations/")
    expect(pm.locator("#board-table")).to_contain_text("No unresolved escalations")

    desk = sign_in(browser.new_context(), "agent", "pw-agent")
    desk.on("pageerror", lambda error: problems.append(str(error)))
    desk.goto(f"{live_server_url}/tickets/{ticket.reference}/")
    desk.locator("#pull-the-cord").click()
    desk.wait_for_url(re.compile(r"/escalations/raise/"))
    expect(desk.locator("#id_feature")).to_have_value("billing.invoices")  # preset from the ticket
    desk.locator("input[name=severity][value=blocking]").check()
    desk.locator("#id_title").fill("Invoice PDFs are blank")
    desk.locator("#id_customer_impact").fill("Customers download an empty PDF.")
    desk.locator("#raise-form button[type=submit]").click()
    desk.wait_for_url(re.compile(rf"/tickets/{ticket.reference}/$"))
    expect(desk.locator(".flash-success").first).to_contain_text("You pulled the cord")
    expect(desk.locator("#ticket-escalations")).to_contain_text("Invoice PDFs are blank")
    expect(desk.locator("#feature-blocked-banner")).to_contain_text("is blocked")

    # The product manager's board, open all along, shows it without a reload.
    row = pm.locator("#board-table tr.board-row", has_text="Invoice PDFs are blank")
    expect(row).to_be_visible(timeout=15_000)
    expect(row).to_contain_text("Blocking")
    row.locator("a").click()
    pm.wait_for_url(re.compile(r"/escalations/ESC-\d+/$"))
    expect(pm.locator("#gate-banner")).to_contain_text("billing.invoices is blocked")
    pm.locator("form[data-action=acknowledge] button").click()
    expect(pm.locator(".escalation-badges")).to_contain_text("Acknowledged")
    pm.locator("#note-fix").fill(UPDATE)
    pm.locator("form[data-action=fix] button").click()
    expect(pm.locator(".escalation-badges")).to_contain_text("Fixed")
    expect(pm.locator("#gate-banner")).to_have_count(0)

    # The agent's ticket shows the update (a public reply) and the fix on its timeline.
    desk.reload()
    expect(desk.locator("#timeline")).to_contain_text(UPDATE, timeout=10_000)
    expect(desk.locator("#timeline")).to_contain_text("fixed escalation")
    expect(desk.locator("#feature-blocked-banner")).to_have_count(0)

    # The customer reads it in the portal.
    portal = sign_in(browser.new_context(), "customer", "pw-customer")
    portal.goto(f"{live_server_url}/portal/tickets/{ticket.reference}/")
    expect(portal.locator(".conversation")).to_contain_text(UPDATE)
    assert "ESC-" not in portal.content()  # no escalation data in the portal
    assert problems == []
    assert in_thread(lambda: services.fix_notices_deliver()) == 0  # told once, already
