"""On a phone the main controls are usable: form fields at least 16 px (below that, mobile browsers zoom the page
on focus) and tap targets at least 44 px each way. Measured in Chromium at a phone's viewport."""

from __future__ import annotations

import pytest

from helpdesk import services

pytestmark = [pytest.mark.e2e, pytest.mark.django_db(transaction=True)]

PHONE = {"viewport": {"width": 390, "height": 844}, "device_scale_factor": 2, "is_mobile": True, "has_touch": True}

# Every visible control; links inside a sentence are exempt (as WCAG's target-size rule exempts them).
MEASURE = """() => {
  const problems = [];
  const visible = (el) => {
    const box = el.getBoundingClientRect();
    const style = getComputedStyle(el);
    return box.width > 0 && box.height > 0 && style.visibility !== "hidden"
      && el.closest("[hidden], dialog:not([open])") === null;
  };
  const name = (el) => el.tagName.toLowerCase() + (el.id ? "#" + el.id : "") + (el.name ? "[name=" + el.name + "]" : "")
      + " '" + (el.textContent || el.value || el.getAttribute("aria-label") || "").trim().slice(0, 30) + "'";
  document.querySelectorAll("input:not([type=hidden]), select, textarea").forEach((el) => {
    if (!visible(el)) return;
    const size = parseFloat(getComputedStyle(el).fontSize);
    if (el.type !== "checkbox" && el.type !== "radio" && size < 16) problems.push(name(el) + " font " + size + "px");
  });
  document.querySelectorAll("a[href], button, input:not([type=hidden]), select, textarea, summary").forEach((el) => {
    if (!visible(el)) return;
    if (el.tagName === "A" && getComputedStyle(el).display === "inline" && el.closest("p, li, td, dd, span.muted")
        && el.parentElement.textContent.trim() !== el.textContent.trim()) return;
    const box = el.getBoundingClientRect();
    if (box.height < 44 || box.width < 44) {
      problems.push(name(el) + " " + Math.round(box.width) + "x" + Math.round(box.height));
    }
  });
  return problems;
}"""


def test_main_pages_have_phone_sized_controls(live_server_url, chromium, sign_in, agent, customer, make_ticket):
    ticket = make_ticket(subject="Cannot sign in on my phone", tags=["mobile"])
    services.ticket_message_post(actor=agent, ticket=ticket, body="Which app version?")
    browser = chromium()
    base = live_server_url

    found: dict[str, list[str]] = {}
    anonymous = browser.new_context(**PHONE).new_page()
    anonymous.goto(base + "/accounts/login/")
    found["sign-in"] = anonymous.evaluate(MEASURE)

    desk = sign_in(browser.new_context(**PHONE), "agent", "pw-agent")
    for path in ("/inbox/?view=all", f"/tickets/{ticket.reference}/", "/tickets/new/"):
        desk.goto(base + path)
        found[path] = desk.evaluate(MEASURE)

    portal = sign_in(browser.new_context(**PHONE), "customer", "pw-customer")
    for path in ("/portal/", f"/portal/tickets/{ticket.reference}/", "/portal/tickets/new/"):
        portal.goto(base + path)
        found[path] = portal.evaluate(MEASURE)

    bad = {page: problems for page, problems in found.items() if problems}
    assert not bad, "\n".join(f"{page}: {p}" for page, problems in bad.items() for p in problems)
