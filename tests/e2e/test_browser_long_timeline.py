"""A long ticket in the browser: the latest events first, the earlier ones swapped in by htmx on request."""

from __future__ import annotations

import re

import pytest
from django.conf import settings
from playwright.sync_api import expect

from helpdesk import services
from helpdesk.models import TicketEvent

pytestmark = [pytest.mark.e2e, pytest.mark.django_db(transaction=True)]


def test_show_earlier_events_in_place(live_server_url, chromium, sign_in, in_thread, agent, customer, make_ticket):
    window = settings.HELPDESK_TIMELINE_WINDOW  # the server runs with the same default
    ticket = make_ticket(subject="Printer on fire, again", body="first words", assignee=agent)
    for i in range(window + 5):
        services.ticket_message_post(actor=customer.user, ticket=ticket, body=f"follow-up number {i}")
    total = TicketEvent.objects.filter(ticket=ticket).count()
    messages = TicketEvent.objects.filter(ticket=ticket, kind__in=["reply", "note"]).count()

    page = sign_in(chromium().new_context(), "agent", "pw-agent")
    page.goto(f"{live_server_url}/tickets/{ticket.reference}/")
    cards = page.locator(".timeline > li.event .event-body")
    expect(cards).to_have_count(window)  # the latest events are all messages
    expect(page.locator(".timeline .event-body", has_text="first words")).to_have_count(0)

    link = page.locator(".timeline-earlier a")
    expect(link).to_have_text(f"Show {total - window} earlier events")
    link.click()

    expect(page.locator(".timeline .event-body", has_text="first words")).to_be_visible()
    expect(cards).to_have_count(messages)
    expect(page.locator(".timeline > li.event-audit", has_text="created the ticket")).to_have_count(1)
    expect(page.locator(".timeline-earlier")).to_have_count(0)
    # The page did not navigate: the earlier events were put in place of the link.
    assert re.search(rf"/tickets/{ticket.reference}/$", page.url)
    # Oldest first, all the way down.
    bodies = page.locator(".timeline .event-body").all_inner_texts()
    assert bodies[0] == "first words" and bodies[-1] == f"follow-up number {window + 4}"


def test_a_session_that_ended_leads_to_sign_in_not_into_the_timeline(
    live_server_url, chromium, sign_in, agent, customer, make_ticket
):
    ticket = make_ticket(subject="Long and left open", body="first words", assignee=agent)
    for i in range(settings.HELPDESK_TIMELINE_WINDOW + 1):
        services.ticket_message_post(actor=customer.user, ticket=ticket, body=f"follow-up number {i}")
    context = chromium().new_context()
    page = sign_in(context, "agent", "pw-agent")
    page.goto(f"{live_server_url}/tickets/{ticket.reference}/")

    context.clear_cookies()  # signed out elsewhere, or the session expired
    page.locator(".timeline-earlier a").click()

    page.wait_for_url(re.compile(r"/accounts/login/"))
    expect(page.locator("#id_password")).to_be_visible()
    expect(page.locator(".timeline")).to_have_count(0)
