"""Live chat and live-listen in Chromium against real Daphne: three people in three browser contexts.

A customer (on a 390 px phone screen) starts a chat from the portal; an agent accepts it in the console and
answers; a support manager opens the live dashboard, listens, sees both sides live and whispers; the whisper
reaches the agent only; the manager barges in and the customer sees them join.
"""

from __future__ import annotations

import re

import pytest
from playwright.sync_api import expect

from livelisten.models import ChatMessage

pytestmark = [pytest.mark.e2e, pytest.mark.django_db(transaction=True)]

PHONE = {"width": 390, "height": 844}


def test_customer_agent_and_a_listening_manager(live_server_url, chromium, sign_in, in_thread, agent, manager, customer):
    browser = chromium()
    problems: list[str] = []

    def watch(page):
        page.on("pageerror", lambda error: problems.append(str(error)))
        return page

    phone = browser.new_context(viewport=PHONE, is_mobile=True, has_touch=True)
    shopper = watch(sign_in(phone, "customer", "pw-customer"))
    shopper.goto(f"{live_server_url}/portal/chat/")
    shopper.locator("#chat-subject").fill("Export keeps failing")
    shopper.locator("#chat-body").fill("The CSV export stops at 10,000 rows <b>every time</b>.")
    shopper.locator("button[type=submit]", has_text="Start the chat").click()
    shopper.wait_for_url(re.compile(r"/portal/chat/\d+/$"))
    log = shopper.locator("[data-chat-log]")
    expect(log).to_contain_text("stops at 10,000 rows <b>every time</b>.")  # shown as typed, not as HTML
    assert shopper.locator("[data-chat-log] b").count() == 0
    width = shopper.evaluate("() => document.scrollingElement.scrollWidth")
    assert width <= PHONE["width"], f"the chat page scrolls sideways on a phone ({width} px)"

    desk = watch(sign_in(browser.new_context(), "agent", "pw-agent"))
    desk.goto(f"{live_server_url}/chat/")
    desk.locator("[data-session-list] button", has_text="Accept").first.click()
    desk.wait_for_url(re.compile(r"/chat/$"))
    pane = desk.locator("[data-chat-pane]").first
    expect(pane.locator("[data-chat-log]")).to_contain_text("every time")
    expect(pane.locator("[data-chat-state]")).to_contain_text("Connected")
    expect(log).to_contain_text("Alex Agent joined the chat.")

    boss = watch(sign_in(browser.new_context(), "manager", "pw-manager"))
    boss.goto(f"{live_server_url}/live/")
    row = boss.locator("[data-session-list] tbody tr", has_text="Export keeps failing")
    expect(row).to_contain_text("agent")
    row.locator("a", has_text="Listen").click()
    boss.wait_for_url(re.compile(r"/live/\d+/$"))
    shadow_log = boss.locator("[data-chat-log]")
    expect(shadow_log).to_contain_text("every time")  # the whole conversation from the start
    expect(pane.locator("[data-chat-listeners]")).to_contain_text("Listening:")  # the agent sees who listens

    # Both sides reach the listener live.
    pane.locator("textarea").fill("Let me look at your export settings.")
    pane.locator("textarea").press("Enter")
    expect(shadow_log).to_contain_text("Let me look at your export settings.")
    expect(log).to_contain_text("Let me look at your export settings.")
    shopper.locator("[data-chat-compose] textarea").fill("Thanks, it's the monthly report.")
    shopper.locator("[data-chat-compose] button").click()
    expect(shadow_log).to_contain_text("it's the monthly report.")
    expect(pane.locator("[data-chat-log]")).to_contain_text("it's the monthly report.")

    # The whisper reaches the agent only.
    boss.locator("#whisper-input").fill("Offer the nightly export as a workaround.")
    boss.locator("[data-chat-whisper] button").click()
    whisper = pane.locator(".chat-line.chat-whisper")
    expect(whisper).to_contain_text("Offer the nightly export as a workaround.")
    pane.locator("textarea").fill("Meanwhile, the nightly export has no row limit.")
    pane.locator("textarea").press("Enter")
    expect(log).to_contain_text("the nightly export has no row limit.")  # a later line arrived, the whisper did not
    assert "workaround" not in log.inner_text()
    assert "Listening" not in shopper.content() and "manager" not in log.inner_text().lower()

    # Barging in is visible to the customer.
    boss.locator("[data-chat-barge]").click()
    expect(log).to_contain_text("(support manager) joined the chat.")
    boss.locator("[data-chat-compose] textarea").fill("I'm the support manager; we're fixing the limit.")
    boss.locator("[data-chat-compose] button").click()
    expect(log).to_contain_text("we're fixing the limit.")

    # Nothing twice: every line once, in order, in each view.
    for page in (shopper, pane, boss):
        seqs = page.locator("[data-chat-log] li[data-seq]").evaluate_all("nodes => nodes.map(n => +n.dataset.seq)")
        assert seqs == sorted(set(seqs)), seqs
    stored = in_thread(lambda: list(ChatMessage.objects.order_by("seq").values_list("seq", flat=True)))
    assert stored == list(range(1, len(stored) + 1))
    assert problems == []


def test_a_chat_transferred_to_an_agent_opens_in_their_console_without_a_reload(
    live_server_url, chromium, sign_in, in_thread, agent, agent2, customer
):
    from livelisten import services

    def start_and_accept():
        session = services.session_start(actor=customer.user, subject="Invoice question", body="Why two invoices?")
        return services.session_accept(actor=agent, session_id=session.pk).pk

    session_id = in_thread(start_and_accept)
    browser = chromium()
    problems: list[str] = []
    second = sign_in(browser.new_context(), "agent2", "pw-agent2")
    second.on("pageerror", lambda error: problems.append(str(error)))
    second.goto(f"{live_server_url}/chat/")
    expect(second.locator("[data-no-chats]")).to_be_visible()
    expect(second.locator("[data-session-list] [data-list-state]")).to_contain_text("Live.")

    first = sign_in(browser.new_context(), "agent", "pw-agent")
    first.goto(f"{live_server_url}/chat/")
    first.locator(f"#transfer-{session_id}").select_option("agent2")
    first.locator("button", has_text="Transfer").click()

    pane = second.locator(f'[data-chat-pane][data-session="{session_id}"]')
    expect(pane.locator("[data-chat-log]")).to_contain_text("Why two invoices?")  # the history, then live
    expect(pane.locator("[data-chat-log]")).to_contain_text("transferred the chat to Sam Second.")
    expect(pane.locator("[data-chat-state]")).to_contain_text("Connected")
    expect(second.locator("[data-no-chats]")).to_be_hidden()
    assert second.locator("[data-console-note]").is_hidden()
    pane.locator("textarea").fill("I'm taking over: the second one is a duplicate.")
    pane.locator("textarea").press("Enter")
    expect(pane.locator("[data-chat-log]")).to_contain_text("the second one is a duplicate.")
    bodies = in_thread(lambda: list(ChatMessage.objects.filter(session_id=session_id).values_list("body", flat=True)))
    assert "I'm taking over: the second one is a duplicate." in bodies
    assert second.locator("[data-chat-pane]").count() == 1 and problems == []
