"""The issue's browser test: an agent replies and adds a note; the customer sees the reply, never the note.

Written against the hooks of the browser-test contract (see the helper brief):
``a.ticket-link``, ``form#composer`` with ``button[name=kind][value=reply|note]``,
``.timeline .event.event-reply|event-note .event-body``, ``.message .message-body``,
``form#reply-form``.
"""

from __future__ import annotations

import re

import pytest
from playwright.sync_api import expect

from helpdesk.models import TicketEvent

pytestmark = [pytest.mark.e2e, pytest.mark.django_db(transaction=True)]

REPLY = "We found the cause: the PDF renderer ran out of fonts. Fixed now."
NOTE = "INTERNAL: renderer pod 7 was misconfigured; do not tell the customer about pod names."
CUSTOMER_REPLY = "Thank you, the invoice downloads fine now."


def test_agent_reply_and_note_customer_sees_only_the_reply(
    live_server_url, chromium, sign_in, in_thread, agent, customer, make_ticket
):
    ticket = make_ticket(subject="Invoice PDF is empty", assignee=agent)
    reference = ticket.reference
    browser = chromium()

    # --- the agent -------------------------------------------------------------------
    desk = sign_in(browser.new_context(), "agent", "pw-agent")
    desk.goto(live_server_url + "/inbox/")
    link = desk.locator("a.ticket-link", has_text=reference)
    expect(link).to_contain_text("Invoice PDF is empty")
    link.click()
    desk.wait_for_url(re.compile(rf"/tickets/{reference}/"))

    composer = desk.locator("form#composer")
    composer.locator("textarea[name=body]").fill(REPLY)
    composer.locator("button[name=kind][value=reply]").click()
    expect(desk.locator(".timeline .event.event-reply .event-body", has_text=REPLY)).to_be_visible()

    composer = desk.locator("form#composer")
    composer.locator("textarea[name=body]").fill(NOTE)
    composer.locator("button[name=kind][value=note]").click()
    expect(desk.locator(".timeline .event.event-note .event-body", has_text=NOTE)).to_be_visible()
    # The note is not shown as a public reply on the desk either.
    expect(desk.locator(".timeline .event.event-reply .event-body", has_text=NOTE)).to_have_count(0)

    def stored():
        return list(TicketEvent.objects.filter(ticket_id=ticket.pk).order_by("id").values_list("kind", "body"))

    rows = in_thread(stored)
    assert ("reply", REPLY) in rows and ("note", NOTE) in rows

    # --- the customer, in a separate browser context (own cookies) ---------------------
    portal = sign_in(browser.new_context(), "customer", "pw-customer")
    portal.goto(live_server_url + "/portal/")
    portal.locator("a.ticket-link", has_text=reference).click()
    portal.wait_for_url(re.compile(rf"/portal/tickets/{reference}/"))

    expect(portal.locator(".message .message-body", has_text=REPLY)).to_be_visible()
    assert NOTE not in portal.content()
    assert "renderer pod" not in portal.locator("body").inner_text()

    # The customer can answer, and still never sees the note afterwards.
    reply_form = portal.locator("form#reply-form")
    reply_form.locator("textarea[name=body]").fill(CUSTOMER_REPLY)
    reply_form.locator("button[type=submit]").click()
    expect(portal.locator(".message .message-body", has_text=CUSTOMER_REPLY)).to_be_visible()
    assert NOTE not in portal.content()

    # Back on the desk the customer's answer shows up in the timeline.
    desk.reload()
    expect(desk.locator(".timeline .event.event-reply .event-body", has_text=CUSTOMER_REPLY)).to_be_visible()
