"""In Chromium against real Daphne: the inbox refreshes itself through the desk socket.

Agent A has the inbox open, scrolled down, two rows ticked and one focused from the
keyboard. Another agent's changes (services, in this process) reach Daphne's socket
through Redis; the page fetches its rows and merges them in place. The page's timers
run on Playwright's fake clock, so "at most one refresh every two seconds" is
driven, not waited for.
"""

from __future__ import annotations

import json
import re
import time

import pytest
from django.conf import settings
from playwright.sync_api import expect

from helpdesk import services
from helpdesk.models import Ticket, TicketStatus

pytestmark = [pytest.mark.e2e, pytest.mark.django_db(transaction=True)]

OFFERED = """() => Array.from(document.querySelectorAll('#bulk-status option'))
    .filter(o => o.value && !o.disabled).map(o => o.value)"""
CHECKED = """() => Array.from(document.querySelectorAll('input[name=tickets]:checked')).map(b => b.value).sort()"""
VISIBLE = """() => Array.from(document.querySelectorAll('#ticket-table tbody tr.ticket-row'))
    .filter(r => r.getBoundingClientRect().top >= document.querySelector('.topbar').getBoundingClientRect().bottom)
    .map(r => r.dataset.reference)"""
FOCUSED = re.compile(r"\bis-focused\b")
REFERENCES = """() => Array.from(document.querySelectorAll('#ticket-table tbody tr.ticket-row'))
    .map(r => r.dataset.reference)"""


@pytest.fixture(autouse=True)
def _needs_redis():
    if not settings.CHANNEL_LAYERS["default"]["BACKEND"].startswith("channels_redis"):
        pytest.skip("the test's changes reach the server's sockets only through a shared (Redis) channel layer")


def _until(page, condition, *, timeout: float = 10.0, what: str = "condition") -> None:
    # Playwright's sync API delivers events only while it is called: wait in small real-time steps.
    deadline = time.monotonic() + timeout
    while not condition():
        if time.monotonic() > deadline:
            raise AssertionError(f"timed out waiting for {what}")
        page.wait_for_timeout(50)


def _desk_frames(received: list) -> list[dict]:
    frames = []
    for payload in received:
        try:
            frame = json.loads(payload)
        except (TypeError, ValueError):
            continue
        if frame.get("type") == "desk.tickets_changed":
            frames.append(frame)
    return frames


def _offered_for(*statuses: str) -> list[str]:
    """What the bulk bar offers for ticked tickets in ``statuses``, in the menu's order (each may go or is there)."""
    allowed = Ticket.ALLOWED_TRANSITIONS
    return [
        target
        for target in TicketStatus.values
        if all(s == target or target in allowed.get(s, ()) for s in statuses) and any(s != target for s in statuses)
    ]


def test_the_inbox_merges_changes_keeping_ticks_focus_and_scroll(
    live_server_url, chromium, sign_in, in_thread, agent, agent2, make_ticket
):
    made = [make_ticket(subject=f"Live row {n}") for n in range(30)]
    newest_first = made[::-1]  # the list below is sorted "Newest"
    changing, staying, focused = newest_first[10], newest_first[14], newest_first[12]

    browser = chromium()
    context = browser.new_context(viewport={"width": 1280, "height": 560})
    context.clock.install()
    desk = sign_in(context, "agent", "pw-agent")
    problems, received, row_requests = [], [], []
    desk.on("console", lambda message: problems.append(message.text) if message.type == "error" else None)
    desk.on("pageerror", lambda error: problems.append(str(error)))
    desk.on("request", lambda request: row_requests.append(request.url) if "/inbox/rows/" in request.url else None)
    desk.on("websocket", lambda ws: ws.on("framereceived", lambda payload: received.append(payload)))

    desk.goto(live_server_url + "/inbox/?view=all&sort=created")
    _until(desk, lambda: any('"hello"' in str(p) for p in received), what="the desk socket's hello")
    assert desk.evaluate(REFERENCES) == [t.reference for t in newest_first[:25]]

    def box(ticket):
        return desk.locator(f'input[name=tickets][value="{ticket.reference}"]')

    def row(ticket):
        return desk.locator(f'#ticket-table tr.ticket-row[data-reference="{ticket.reference}"]')

    box(changing).check()
    box(staying).check()
    assert desk.evaluate(OFFERED) == _offered_for("new", "new")
    desk.keyboard.press("Escape")  # leave the checkbox, so the shortcuts apply
    for _ in range(13):
        desk.keyboard.press("j")
    expect(row(focused)).to_have_class(FOCUSED)
    row(focused).evaluate("r => r.scrollIntoView({block: 'center'})")
    scrolled = desk.evaluate("window.scrollY")
    focused_top = row(focused).evaluate("r => r.getBoundingClientRect().top")
    assert desk.evaluate(REFERENCES)[0] not in desk.evaluate(VISIBLE), "the list's start is out of sight"

    # Another agent solves a ticked row and a customer's new ticket arrives.
    in_thread(services.ticket_update, actor=agent2, ticket=changing, status="solved")
    arrived = in_thread(make_ticket, subject="Arrived while watching")
    _until(desk, lambda: len(_desk_frames(received)) >= 2, what="both desk lines")
    desk.clock.run_for(2_500)

    expect(row(arrived)).to_have_count(1)
    # The sidebar's counts came with the rows.
    expect(desk.locator('a[data-view="all"] .view-count')).to_have_text("31")
    expect(row(changing).locator(".badge.status")).to_have_text("Solved")
    assert desk.evaluate(REFERENCES)[:2] == [arrived.reference, newest_first[0].reference]
    # The ticks are kept, the replaced row's with its new status, and the bulk bar follows it.
    assert desk.evaluate(CHECKED) == sorted([changing.reference, staying.reference])
    assert box(changing).get_attribute("data-status") == "solved"
    assert _offered_for("solved", "new") != _offered_for("new", "new")
    assert desk.evaluate(OFFERED) == _offered_for("solved", "new")
    expect(desk.locator("#bulk-count")).to_have_text("2 selected")
    # The focused row keeps its mark and the keyboard focus, and stays where the agent was looking.
    expect(row(focused)).to_have_class(FOCUSED)
    assert desk.evaluate("document.activeElement.closest('tr').dataset.reference") == focused.reference
    assert abs(row(focused).evaluate("r => r.getBoundingClientRect().top") - focused_top) < 2
    assert desk.evaluate("window.scrollY") > scrolled
    expect(row(arrived)).to_have_class(re.compile(r"\bis-new\b"))
    expect(row(changing)).to_have_class(re.compile(r"\bis-changed\b"))
    expect(row(changing)).to_have_class(re.compile(r"\bis-selected\b"))
    # Pushed to the next page by the new one.
    expect(row(newest_first[24])).to_have_count(0)
    expect(desk.locator("#live-note")).to_have_text("List updated: 1 new, 1 changed, 1 left this page.")
    # The keyboard goes on from the focused row: the next one down.
    desk.keyboard.press("j")
    expect(row(newest_first[13])).to_have_class(FOCUSED)
    expect(row(focused)).not_to_have_class(FOCUSED)
    # Both lines were in before the clock ran: one refresh for the two.
    assert len(row_requests) == 1

    # An internal note changes no column: no refresh. A change elsewhere that this list can show does one.
    desk.clock.run_for(3_000)
    in_thread(services.ticket_message_post, actor=agent2, ticket=staying, body="Note only", internal=True)
    _until(desk, lambda: any(f["tickets"][0]["changes"] == ["note"] for f in _desk_frames(received)), what="the note")
    desk.clock.run_for(3_000)
    in_thread(services.ticket_update, actor=agent2, ticket=staying, priority="urgent")
    _until(desk, lambda: any(f["tickets"][0]["changes"] == ["priority"] for f in _desk_frames(received)), what="it")
    desk.clock.run_for(3_000)
    expect(row(staying).locator(".badge.priority")).to_have_text("Urgent")
    assert len(row_requests) == 2
    assert desk.evaluate(CHECKED) == sorted([changing.reference, staying.reference])

    # Switched off: the server closes the desk socket (4403), the page says live updates stopped and
    # does not reconnect, however long it stays open.
    desk_sockets = []
    desk.on("websocket", lambda ws: desk_sockets.append(ws))
    in_thread(services.user_set_active, actor=None, user=agent, is_active=False)
    expect(desk.locator("#live-note")).to_have_text("Live updates stopped. Reload the page to see the current list.")
    desk.clock.run_for(5 * 60_000)
    desk.wait_for_timeout(300)
    assert desk_sockets == [], "no new socket"
    assert problems == []
