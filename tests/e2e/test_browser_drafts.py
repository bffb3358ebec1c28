"""Unsent reply and note drafts do not outlive the session in the browser: signing out clears them."""

from __future__ import annotations

import re

import pytest
from playwright.sync_api import expect

pytestmark = [pytest.mark.e2e, pytest.mark.django_db(transaction=True)]

DRAFT = "Half-written answer mentioning the customer's account number 4711"
DRAFT_KEYS = "Object.keys(localStorage).filter(function (k) { return k.indexOf('draft:') === 0; })"


def test_signing_out_clears_unsent_drafts(live_server_url, chromium, sign_in, agent, make_ticket):
    ticket = make_ticket(subject="Refund request")
    browser = chromium()
    context = browser.new_context()
    desk = sign_in(context, "agent", "pw-agent")

    desk.goto(f"{live_server_url}/tickets/{ticket.reference}/")
    desk.locator("form#composer textarea[name=body]").fill(DRAFT)
    expect(desk.locator(".draft-state")).to_have_text("Draft saved")
    assert desk.evaluate(DRAFT_KEYS) == [f"draft:agent:{ticket.reference}"]
    # Kept while signed in: a reload restores it.
    desk.reload()
    expect(desk.locator("form#composer textarea[name=body]")).to_have_value(DRAFT)

    desk.get_by_role("button", name="Sign out").click()
    desk.wait_for_url(re.compile(r"/accounts/login/"))
    expect(desk.locator(".flash")).to_contain_text("You have signed out.")
    assert desk.evaluate(DRAFT_KEYS) == []

    # Signing in again brings back no draft.
    desk = sign_in(context, "agent", "pw-agent")
    desk.goto(f"{live_server_url}/tickets/{ticket.reference}/")
    expect(desk.locator("form#composer textarea[name=body]")).to_have_value("")


def test_a_sign_out_made_elsewhere_clears_drafts_on_the_page_that_follows(
    live_server_url, chromium, sign_in, agent, make_ticket
):
    """Signed out without the desk's button (the admin's, a script): the next page clears them."""
    ticket = make_ticket(subject="Login loop")
    browser = chromium()
    context = browser.new_context()
    desk = sign_in(context, "agent", "pw-agent")
    desk.goto(f"{live_server_url}/tickets/{ticket.reference}/")
    desk.locator("form#composer textarea[name=body]").fill(DRAFT)
    expect(desk.locator(".draft-state")).to_have_text("Draft saved")

    status = desk.evaluate(
        """() => fetch("/accounts/logout/", {
               method: "POST",
               headers: {"X-CSRFToken": document.querySelector("input[name=csrfmiddlewaretoken]").value},
               redirect: "manual"
           }).then(function (response) { return response.type; })"""
    )
    assert status == "opaqueredirect"
    assert desk.evaluate(DRAFT_KEYS) == [f"draft:agent:{ticket.reference}"]  # nothing ran on this page

    desk.goto(f"{live_server_url}/accounts/login/")
    expect(desk.locator(".flash")).to_contain_text("You have signed out.")
    assert desk.evaluate(DRAFT_KEYS) == []
