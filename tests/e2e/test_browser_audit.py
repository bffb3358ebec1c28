"""A support manager deactivates an agent in the admin and reads it in the desk's audit log (real Daphne, Chromium)."""

from __future__ import annotations

import re

import pytest
from playwright.sync_api import expect

from helpdesk import roles

pytestmark = [pytest.mark.e2e, pytest.mark.django_db(transaction=True)]


def test_manager_deactivates_an_agent_and_the_audit_log_says_so(
    live_server_url, chromium, sign_in, in_thread, make_user, agent2, make_ticket
):
    make_user("boss", role=roles.SUPPORT_MANAGERS, is_staff=True, first_name="Morgan", last_name="Boss")
    ticket = make_ticket(subject="Refund went to an expired card", assignee=agent2)
    page = sign_in(chromium().new_context(), "boss", "pw-boss")

    page.goto(live_server_url + "/admin/auth/user/?q=agent2")
    page.locator("input[name=_selected_action]").first.check()
    page.select_option("select[name=action]", "deactivate")
    page.click("button[name=index]")
    expect(page.locator(".messagelist")).to_contain_text("Deactivated agent2")
    expect(page.locator("a[href*='delete']")).to_have_count(0)

    page.goto(live_server_url + "/")
    page.click("nav.topnav >> text=Audit log")
    page.wait_for_url(re.compile(r"/audit/"))
    row = page.locator("tr.audit-row").first
    expect(row).to_contain_text("Person deactivated")
    expect(row).to_contain_text("Sam Second (agent2)")
    expect(row).to_contain_text("Morgan Boss (boss)")
    expect(row.locator(".audit-changes")).to_contain_text("Active: yes")
    expect(row.locator(".audit-new")).to_have_text("no")

    def state():
        from django.contrib.auth import get_user_model

        from helpdesk.models import Ticket

        return get_user_model().objects.get(username="agent2").is_active, Ticket.objects.get(pk=ticket.pk).assignee_id

    is_active, assignee_id = in_thread(state)
    assert not is_active and assignee_id == agent2.pk
