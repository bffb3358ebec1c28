"""In Chromium against real Daphne: an agent opens a ticket for a caller who is not a customer yet.

The lookup (htmx) first suggests existing customers by part of a name, and a click on
one names them; a new email is offered as a new customer of the organization that
lists its domain; the form then creates both, and the ticket page shows the new requester.
"""

from __future__ import annotations

import re

import pytest
from playwright.sync_api import expect

from helpdesk.models import Customer

pytestmark = [pytest.mark.e2e, pytest.mark.django_db(transaction=True)]


def test_an_agent_opens_a_ticket_for_a_new_caller(live_server_url, chromium, sign_in, in_thread, agent, customer, organization):
    browser = chromium()
    desk = sign_in(browser.new_context(), "agent", "pw-agent")
    problems = []
    desk.on("console", lambda message: problems.append(message.text) if message.type == "error" else None)
    desk.on("pageerror", lambda error: problems.append(str(error)))
    desk.goto(live_server_url + "/tickets/new/")

    requester = desk.locator("#n-requester")
    requester.fill(customer.name.split()[0][:4])
    pick = desk.locator(".lookup-suggestions .lookup-pick", has_text=customer.email)
    expect(pick).to_be_visible()
    pick.click()
    expect(requester).to_have_value(customer.email)
    expect(desk.locator("#requester-lookup .lookup-ok")).to_contain_text(customer.name)

    requester.fill("jordan.ellis@acme.test")
    expect(desk.locator("#requester-lookup .lookup-new")).to_contain_text("to Acme Corp, by the email's domain")
    desk.fill("#n-requester_name", "Jordan Ellis")
    desk.fill("#n-subject", "Scanner will not pair")
    desk.fill("#n-body", "Called from the warehouse: the scanner shows error 42.")
    desk.locator("#new-ticket-form button[type=submit]").click()

    desk.wait_for_url(re.compile(r"/tickets/HD-\d+/$"))
    expect(desk.locator("body")).to_contain_text("Jordan Ellis")
    created = in_thread(lambda: Customer.objects.select_related("organization").get(email="jordan.ellis@acme.test"))
    assert (created.name, created.organization.name) == ("Jordan Ellis", "Acme Corp")
    assert problems == []
