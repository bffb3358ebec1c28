"""In Chromium, the inbox's bulk flow: only statuses every ticked ticket can take, the selection kept after each
action, bulk tags, and "select all N matching" beyond the page."""

from __future__ import annotations

import pytest
from playwright.sync_api import expect

from helpdesk import services
from helpdesk.models import Ticket

pytestmark = [pytest.mark.e2e, pytest.mark.django_db(transaction=True)]

OFFERED = """() => Array.from(document.querySelectorAll('#bulk-status option'))
    .filter(o => o.value && !o.disabled).map(o => o.value)"""
CHECKED = """() => Array.from(document.querySelectorAll('input[name=tickets]:checked')).map(b => b.value).sort()"""


def test_bulk_statuses_tags_and_all_matching(live_server_url, chromium, sign_in, in_thread, agent, make_ticket):
    # More than one page (25 a page): the oldest three are the ones worked on by hand.
    fresh = make_ticket(subject="Bulk new")
    opened = make_ticket(subject="Bulk open")
    services.ticket_update(actor=agent, ticket=opened, status="open")
    solved = make_ticket(subject="Bulk solved")
    services.ticket_update(actor=agent, ticket=solved, status="solved")
    for number in range(25):
        make_ticket(subject=f"Filler {number}")
    three = sorted([fresh.reference, opened.reference, solved.reference])
    browser = chromium()
    desk = sign_in(browser.new_context(), "agent", "pw-agent")
    desk.goto(live_server_url + "/inbox/?view=all&sort=created_asc")

    def tick(reference):
        desk.locator(f'input[name=tickets][value="{reference}"]').check()

    # New and open together: New is not offered (an open ticket cannot go back), nor Closed.
    tick(fresh.reference)
    tick(opened.reference)
    assert desk.evaluate(OFFERED) == ["open", "pending", "on_hold", "solved"]
    # With a solved one too, only what all three can take (or already have) is left.
    tick(solved.reference)
    assert desk.evaluate(OFFERED) == ["open", "solved"]
    expect(desk.locator("#bulk-count")).to_have_text("3 selected")

    desk.select_option("#bulk-status", "solved")
    desk.locator("#bulk-status-button").click()
    expect(desk.locator(".flash")).to_contain_text("Updated 2 tickets")
    desk.wait_for_load_state("load")  # the kept selection is ticked by the page's script, after the HTML
    expect(desk.locator(".flash")).to_contain_text(f"{solved.reference} already had that value")
    # The selection is kept across the redirect.
    assert desk.evaluate(CHECKED) == three
    expect(desk.locator("#bulk-count")).to_have_text("3 selected")
    assert desk.evaluate(OFFERED) == ["open", "closed"]

    desk.fill("input[name=add_tags]", "vip, callback")
    desk.get_by_role("button", name="Apply tags").click()
    expect(desk.locator(".flash")).to_contain_text("Updated 3 tickets")
    desk.wait_for_load_state("load")
    for reference in three:
        row = desk.locator("tr.ticket-row", has=desk.locator(f'input[value="{reference}"]'))
        expect(row.locator("a.tag", has_text="vip")).to_have_count(1)
    assert desk.evaluate(CHECKED) == three

    # Every ticket of the list, not only this page's 25. With the list's start in sight a live refresh
    # (the page's own changes coming back over the desk socket) keeps the page where it is, so nothing
    # moves under the click.
    desk.evaluate("window.scrollTo(0, 0)")
    desk.wait_for_load_state("load")
    desk.locator("#select-all").check()
    expect(desk.locator("#bulk-matching")).to_contain_text("All 25 tickets on this page are selected.")
    desk.locator("#bulk-matching-toggle").click()
    expect(desk.locator("#bulk-matching")).to_contain_text("All 28 matching tickets are selected.")
    expect(desk.locator("#bulk-count")).to_have_text("28 selected")
    desk.get_by_role("button", name="Assign to me").click()
    expect(desk.locator(".flash")).to_contain_text("Updated 28 tickets.")
    assert in_thread(lambda: Ticket.objects.filter(assignee=agent).count()) == 28

    # Unticking one box on the page goes back to just the page's selection. The page after the change
    # ticks the kept selection from its script: act once that has run, not on the bare HTML.
    desk.wait_for_load_state("load")
    desk.locator("#select-all").check()
    desk.locator("#bulk-matching-toggle").click()
    expect(desk.locator("#bulk-count")).to_have_text("28 selected")
    desk.locator(f'input[name=tickets][value="{fresh.reference}"]').uncheck()
    expect(desk.locator("#bulk-count")).to_have_text("24 selected")
    expect(desk.locator("#bulk-matching")).to_be_hidden()
