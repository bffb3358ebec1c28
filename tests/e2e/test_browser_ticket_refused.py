"""In Chromium: a refused update leaves the browser on the ticket page, so reloading it shows the ticket, not a 405."""

from __future__ import annotations

import re

import pytest
from playwright.sync_api import expect

from helpdesk import services

pytestmark = [pytest.mark.e2e, pytest.mark.django_db(transaction=True)]


def test_a_conflict_then_a_reload_shows_the_ticket_page(
    live_server_url, chromium, sign_in, in_thread, agent, agent2, make_ticket
):
    ticket = make_ticket(subject="Export hangs")
    page_url = f"{live_server_url}/tickets/{ticket.reference}/"
    browser = chromium()
    desk = sign_in(browser.new_context(), "agent", "pw-agent")
    desk.goto(page_url)

    # Someone else saves first; this agent then submits over the version they had.
    in_thread(lambda: services.ticket_update(actor=agent2, ticket=ticket, priority="low"))
    desk.select_option("#f-priority", "high")
    desk.locator("#fields-form button[type=submit]").click()

    expect(desk.locator("#conflict")).to_contain_text("was changed by Sam Second while you were editing")
    assert desk.url == page_url
    expect(desk.locator("#f-priority")).to_have_value("high")  # the agent's choice is kept

    response = desk.reload()
    assert response is not None and response.status == 200
    expect(desk.locator("h1")).to_have_text("Export hangs")
    expect(desk.locator("#conflict")).to_have_count(0)


def test_a_refused_reply_keeps_the_text_through_a_reload(live_server_url, chromium, sign_in, agent, make_ticket):
    ticket = make_ticket(subject="Huge log")
    page_url = f"{live_server_url}/tickets/{ticket.reference}/"
    browser = chromium()
    desk = sign_in(browser.new_context(), "agent", "pw-agent")
    desk.goto(page_url)
    too_long = "Here is the whole log. " + "x" * (65 * 1024)

    desk.locator("form#composer textarea[name=body]").fill(too_long)
    desk.locator("form#composer button[name=kind][value=reply]").click()

    expect(desk.locator("#composer-body-error")).to_contain_text("the limit is 64 KB")
    assert re.fullmatch(re.escape(page_url) + "#composer", desk.url)
    desk.reload()
    expect(desk.locator("form#composer textarea[name=body]")).to_have_value(too_long)
