"""The inbox at a laptop's width in Chromium: the subject has the room, no column vanishes, nothing hidden takes focus."""

from __future__ import annotations

import pytest
from playwright.sync_api import expect

from helpdesk import services

pytestmark = [pytest.mark.e2e, pytest.mark.django_db(transaction=True)]

LONG_SUBJECT = (
    "Exporting the quarterly revenue report to CSV drops every second column when the report has more than forty "
    "columns and a filter on the region"
)


@pytest.fixture
def laptop_inbox(agent, customer, make_ticket):
    team = services.team_ensure(actor=None, name="Technical support")
    make_ticket(
        subject=LONG_SUBJECT, assignee=agent, team=team, priority="high",
        tags=["csv", "export", "reporting", "regression", "vip", "enterprise"],
    )
    for index in range(3):
        make_ticket(subject=f"Short one {index}", assignee=agent, tags=["billing"])


def boxes_outside_their_cells(page) -> list[str]:
    """Tab stops in the rows that sit (partly) outside their cell: clipped, yet reachable by the keyboard."""
    return page.evaluate(
        """() => [...document.querySelectorAll('#ticket-table tbody a, #ticket-table tbody input')]
            .filter(el => el.tabIndex >= 0)
            .filter(el => el.offsetParent !== null)
            .filter(el => {
                const cell = el.closest('td').getBoundingClientRect(), box = el.getBoundingClientRect();
                return box.left < cell.left - 0.5 || box.right > cell.right + 0.5;
            })
            .map(el => el.outerHTML.slice(0, 80))"""
    )


def test_every_column_fits_at_1280_px_and_the_subject_has_the_room(live_server_url, chromium, sign_in, laptop_inbox):
    context = chromium().new_context(viewport={"width": 1280, "height": 800})
    page = sign_in(context, "agent", "pw-agent")
    page.goto(f"{live_server_url}/inbox/?view=all")

    for column in ("subject", "requester", "status", "priority", "assignee", "team", "tags", "customer", "updated"):
        expect(page.locator(f"#ticket-table th.col-{column}")).to_be_visible()
    subject_cell = page.locator("#ticket-table tbody tr", has_text="quarterly").locator("td.col-subject")
    width = subject_cell.bounding_box()["width"]
    assert width >= 260, width
    # Two lines of it before the cut: at least 60 characters of the subject show.
    link = subject_cell.locator("a.ticket-link")
    shown = link.evaluate("el => el.clientHeight / parseFloat(getComputedStyle(el).lineHeight)")
    assert shown >= 1.9, shown
    assert link.get_attribute("title") == LONG_SUBJECT
    assert boxes_outside_their_cells(page) == []

    # Focus shows the whole subject, for those who do not hover.
    link.focus()
    assert link.evaluate("el => el.scrollHeight <= el.clientHeight + 1")


def test_my_view_has_no_assignee_column_and_gives_the_room_to_the_subject(
    live_server_url, chromium, sign_in, laptop_inbox
):
    context = chromium().new_context(viewport={"width": 1280, "height": 800})
    page = sign_in(context, "agent", "pw-agent")
    page.goto(f"{live_server_url}/inbox/?view=all")
    wide_all = page.locator("#ticket-table td.col-subject").first.bounding_box()["width"]

    page.goto(f"{live_server_url}/inbox/")  # "My unsolved tickets"

    expect(page.locator("#ticket-table th.col-assignee")).to_have_count(0)
    expect(page.locator("#ticket-table th.col-team")).to_be_visible()
    expect(page.locator("#ticket-table th.col-tags")).to_be_visible()
    assert page.locator("#ticket-table td.col-subject").first.bounding_box()["width"] > wide_all
    assert boxes_outside_their_cells(page) == []
