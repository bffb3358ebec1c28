"""Two everyday desk flows in a real browser against Daphne: who is viewing and typing on a ticket, and
"send, then open the next ticket" through the list the agent came from."""

from __future__ import annotations

import re

import pytest
from playwright.sync_api import expect

pytestmark = [pytest.mark.e2e, pytest.mark.django_db(transaction=True)]


def test_two_agents_see_each_other_view_and_type(live_server_url, chromium, sign_in, agent, agent2, make_ticket):
    ticket = make_ticket(subject="Export button does nothing")
    url = f"{live_server_url}/tickets/{ticket.reference}/"
    browser = chromium()
    alex = sign_in(browser.new_context(), "agent", "pw-agent")
    alex.goto(url)
    sam = sign_in(browser.new_context(), "agent2", "pw-agent2")
    sam.goto(url)

    # Each hears of the other: the one already there, and the one arriving.
    expect(alex.locator("#presence")).to_have_text("Sam Second is viewing", timeout=10_000)
    expect(sam.locator("#presence")).to_have_text("Alex Agent is viewing", timeout=10_000)

    sam.locator("#composer textarea[name=body]").press_sequentially("Looking at it", delay=20)
    expect(alex.locator("#presence")).to_have_text("Sam Second is typing a reply", timeout=10_000)
    expect(sam.locator("#presence")).to_have_text("Alex Agent is viewing")  # nobody sees themselves

    alex.locator("#composer textarea[name=body]").click()
    alex.keyboard.press("Escape")
    alex.keyboard.press("n")  # note mode
    alex.locator("#composer textarea[name=body]").press_sequentially("Known bug", delay=20)
    expect(sam.locator("#presence")).to_have_text("Alex Agent is typing an internal note", timeout=10_000)

    sam.close()
    expect(alex.locator("#presence")).to_be_hidden(timeout=10_000)


def test_send_then_open_the_next_ticket_of_my_list(live_server_url, chromium, sign_in, agent, make_ticket):
    first = make_ticket(subject="First of mine", assignee=agent)
    second = make_ticket(subject="Second of mine", assignee=agent)
    browser = chromium()
    desk = sign_in(browser.new_context(), "agent", "pw-agent")
    desk.goto(f"{live_server_url}/inbox/?view=mine&sort=created_asc")
    desk.locator("a.ticket-link", has_text=first.reference).click()
    desk.wait_for_url(re.compile(rf"/tickets/{first.reference}/"))
    expect(desk.locator(".back-link")).to_have_text("← My unsolved tickets")

    desk.locator("#composer input[name=then_next]").check()
    desk.locator("#composer textarea[name=body]").fill("Done on our side.")
    desk.locator("#composer textarea[name=body]").press("Control+Enter")
    desk.wait_for_url(re.compile(rf"/tickets/{second.reference}/"))
    expect(desk.locator(".flash-success").first).to_contain_text(f"Next in My unsolved tickets: {second.reference}")
    # The box stays ticked from one ticket to the next.
    expect(desk.locator("#composer input[name=then_next]")).to_be_checked()

    desk.locator("#composer textarea[name=body]").fill("Also done.")
    desk.locator("#composer textarea[name=body]").press("Control+Enter")
    # (The browser keeps the form's #composer across the redirect.)
    desk.wait_for_url(re.compile(r"/inbox/\?view=mine&sort=created_asc(#composer)?$"))
    expect(desk.get_by_text(f"{second.reference} was the last ticket in My unsolved tickets.")).to_be_visible()


def test_the_email_template_preview_follows_the_typing(live_server_url, chromium, sign_in, make_user, in_thread):
    from helpdesk import roles, services
    from helpdesk.mail.models import MailTemplate

    boss = make_user("boss", role=roles.SUPPORT_MANAGERS, is_staff=True)
    services.mail_templates_ensure(actor=boss)
    row = MailTemplate.objects.get(key="reply")
    browser = chromium()
    admin = sign_in(browser.new_context(), "boss", "pw-boss")
    admin.goto(f"{live_server_url}/admin/helpdesk/mailtemplate/{row.pk}/change/")
    expect(admin.locator("#mail-preview")).to_contain_text("As saved.")
    admin.locator("textarea[name=body]").fill("**Fixed** for {{ customer.name }}")
    expect(admin.locator("#mail-preview")).to_contain_text("Your edits, not saved yet.", timeout=10_000)
    expect(admin.locator("#mail-preview .mail-preview-html strong")).to_have_text("Fixed")
    assert in_thread(lambda: MailTemplate.objects.get(pk=row.pk).body) == row.body  # nothing saved
