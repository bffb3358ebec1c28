"""The inbox's bulk bar: statuses the selection may take, refusals in plain words, the selection kept, bulk tags and
"select all N matching" (the server evaluates the list again, counts it capped, and acts on at most a limit)."""

from __future__ import annotations

import importlib
import json
import re

import pytest
from django.db import connection
from django.test.utils import CaptureQueriesContext
from django.urls import reverse

from helpdesk import services
from helpdesk.errors import ActionForbidden, InvalidInput
from helpdesk.models import Ticket, TicketEvent

# The module, not the view of the same name that helpdesk.views.desk exports.
inbox_views = importlib.import_module("helpdesk.views.desk.inbox")

INBOX = reverse("helpdesk:inbox")
BULK = reverse("helpdesk:inbox_bulk")
MATCHING = reverse("helpdesk:inbox_matching")

# The allowed-transition table, written out here as data (not read from the code under test).
TRANSITIONS = {
    "new": ["on_hold", "open", "pending", "solved"],
    "open": ["on_hold", "pending", "solved"],
    "pending": ["on_hold", "open", "solved"],
    "on_hold": ["open", "pending", "solved"],
    "solved": ["closed", "open"],
    "closed": [],
}


def json_block(html: str, element_id: str):
    found = re.search(rf'<script id="{element_id}" type="application/json">(.*?)</script>', html, re.S)
    return json.loads(found.group(1))


def flashes(response) -> list[str]:
    return [str(message) for message in response.context["messages"]]


def set_status(agent, ticket, *statuses):
    for status in statuses:
        services.ticket_update(actor=agent, ticket=ticket, status=status)
    return Ticket.objects.get(pk=ticket.pk)


# --- what the page gives the bulk bar -------------------------------------------------------------------


def test_rows_carry_their_status_and_the_page_the_transition_table(agent_client, agent, make_ticket):
    new = make_ticket()
    solved = set_status(agent, make_ticket(), "solved")

    html = agent_client.get(INBOX + "?view=all").content.decode()

    assert f'value="{new.reference}" form="bulk-form" data-status="new"' in html
    assert f'value="{solved.reference}" form="bulk-form" data-status="solved"' in html
    data = json_block(html, "status-transitions")
    assert data["next"] == TRANSITIONS
    assert data["labels"]["on_hold"] == "On hold"


def test_the_bulk_bar_offers_tags_and_all_matching(agent_client, make_ticket):
    make_ticket()
    html = agent_client.get(INBOX + "?view=all&priority=high&cursor=").content.decode()
    assert 'name="add_tags"' in html and 'name="remove_tags"' in html and 'value="tags"' in html
    assert 'name="matching" value="view=all&amp;priority=high"' in html  # without the page's cursor
    assert f'data-matching-url="{MATCHING}?view=all&amp;priority=high"' in html


# --- refusals in plain words ---------------------------------------------------------------------------


def test_a_refused_status_is_explained_in_plain_words(agent_client, agent, make_ticket):
    opened = set_status(agent, make_ticket(), "open")
    solved = set_status(agent, make_ticket(), "solved")

    back = agent_client.post(
        BULK, {"tickets": [opened.reference], "action": "status", "status": "new"}, follow=True
    )
    assert f"Not changed (1): {opened.reference} is open and cannot go back to New." in flashes(back)

    back = agent_client.post(
        BULK, {"tickets": [solved.reference], "action": "status", "status": "pending"}, follow=True
    )
    assert (
        f"Not changed (1): {solved.reference} is solved and cannot move to Pending: "
        "a solved ticket can become Open or Closed."
    ) in flashes(back)


def test_tickets_that_already_have_the_value_are_said_to_be_left_alone(agent_client, agent, make_ticket):
    pending = set_status(agent, make_ticket(), "pending")
    new = make_ticket()

    back = agent_client.post(
        BULK, {"tickets": [pending.reference, new.reference], "action": "status", "status": "pending"}, follow=True
    )

    assert flashes(back) == [
        f"Updated 1 ticket ({new.reference}).",
        f"{pending.reference} already had that value; left as it was.",
    ]
    assert Ticket.objects.get(pk=pending.pk).version == pending.version


def test_long_lists_of_refusals_are_cut_short(agent_client, agent, make_ticket):
    closed = [set_status(agent, make_ticket(), "solved", "closed") for _ in range(12)]

    back = agent_client.post(
        BULK, {"tickets": [t.reference for t in closed], "action": "priority", "priority": "high"}, follow=True
    )

    (text,) = flashes(back)
    assert text.startswith("Not changed (12): ")
    assert text.count("is closed and can no longer be changed") == 10
    assert text.endswith("And 2 more for the same kind of reason.")


# --- the selection is kept -----------------------------------------------------------------------------------


def test_the_selection_is_kept_once_after_the_redirect(agent_client, make_ticket):
    a, b = make_ticket(), make_ticket()
    back = INBOX + "?view=all"

    response = agent_client.post(
        BULK, {"tickets": [a.reference, b.reference], "action": "priority", "priority": "low", "next": back}
    )
    assert response["Location"] == back

    html = agent_client.get(back).content.decode()
    assert sorted(json_block(html, "bulk-kept-selection")) == sorted([a.reference, b.reference])
    assert json_block(agent_client.get(back).content.decode(), "bulk-kept-selection") == []


# --- bulk tags ---------------------------------------------------------------------------------------------------


def test_bulk_tags_add_and_remove_keeping_the_others(agent_client, agent, make_ticket):
    one = make_ticket(tags=["billing", "old"])
    two = make_ticket(tags=["refund"])

    back = agent_client.post(
        BULK,
        {"tickets": [one.reference, two.reference], "action": "tags", "add_tags": "VIP, urgent", "remove_tags": "old"},
        follow=True,
    )

    assert flashes(back) == [f"Updated 2 tickets ({one.reference}, {two.reference})."]
    assert sorted(one.tags.values_list("name", flat=True)) == ["billing", "urgent", "vip"]
    assert sorted(two.tags.values_list("name", flat=True)) == ["refund", "urgent", "vip"]
    event = TicketEvent.objects.filter(ticket=one, kind="tags").latest("id")
    assert (event.old_value, event.new_value, event.actor_id) == ("billing old", "billing urgent vip", agent.pk)


def test_bulk_tags_on_a_closed_ticket_are_refused_in_plain_words(agent_client, agent, make_ticket):
    closed = set_status(agent, make_ticket(tags=["x"]), "solved", "closed")
    same = make_ticket(tags=["vip"])

    back = agent_client.post(
        BULK, {"tickets": [closed.reference, same.reference], "action": "tags", "add_tags": "vip"}, follow=True
    )

    assert flashes(back) == [
        f"{same.reference} already had that value; left as it was.",
        f"Not changed (1): {closed.reference} is closed and can no longer be changed. Open a new ticket instead.",
    ]
    assert list(closed.tags.values_list("name", flat=True)) == ["x"]


@pytest.mark.parametrize(
    ("fields", "message"),
    [
        ({}, "Name the tags to add or to remove."),
        ({"add_tags": "vip", "remove_tags": "VIP"}, "vip: a tag cannot be added and removed at once."),
    ],
)
def test_bulk_tags_need_tags(agent_client, make_ticket, fields, message):
    ticket = make_ticket()
    back = agent_client.post(BULK, {"tickets": [ticket.reference], "action": "tags", **fields}, follow=True)
    assert message in flashes(back)
    assert Ticket.objects.get(pk=ticket.pk).version == 1


def test_the_bulk_tag_service_refuses_customers_and_empty_changes(agent, customer, ticket):
    with pytest.raises(ActionForbidden):
        services.ticket_bulk_tag(actor=customer.user, tickets=[ticket], add=["x"])
    with pytest.raises(InvalidInput) as refused:
        services.ticket_bulk_tag(actor=agent, tickets=[ticket], add=[" "], remove=[])
    assert refused.value.field == "tags"


# --- select all N matching ---------------------------------------------------------------------------------------


def test_matching_counts_the_whole_list_capped_with_its_statuses(agent_client, agent, make_ticket, monkeypatch):
    for _ in range(4):
        make_ticket(priority="high")
    set_status(agent, make_ticket(priority="high"), "pending")
    make_ticket(priority="low")

    summary = agent_client.get(MATCHING, {"view": "all", "priority": "high"}).json()
    assert summary == {"count": 5, "more": False, "label": "5", "statuses": ["new", "pending"], "limit": 500}

    monkeypatch.setattr(inbox_views, "MATCHING_COUNT_CAP", 3)
    capped = agent_client.get(MATCHING, {"view": "all", "priority": "high"}).json()
    assert (capped["count"], capped["more"], capped["label"]) == (3, True, "3+")


def test_matching_reads_the_same_number_of_rows_whatever_the_size(agent_client, make_ticket, monkeypatch):
    monkeypatch.setattr(inbox_views, "MATCHING_COUNT_CAP", 3)

    def queries() -> int:
        agent_client.get(MATCHING, {"view": "all"})  # steady state: permission sets cached
        with CaptureQueriesContext(connection) as captured:
            assert agent_client.get(MATCHING, {"view": "all"}).status_code == 200
        return len(captured.captured_queries)

    make_ticket()
    few = queries()
    for _ in range(8):
        make_ticket()
    assert queries() == few


def test_matching_refuses_a_bad_filter_naming_it(agent_client):
    response = agent_client.get(MATCHING, {"view": "everything"})
    assert response.status_code == 400
    assert response.json()["field"] == "view"


def test_matching_is_for_the_desk_only(client, customer):
    client.force_login(customer.user)
    assert client.get(MATCHING, {"view": "all"}).status_code == 302


def test_acting_on_all_matching_evaluates_the_list_again(agent_client, agent, make_ticket):
    high = [make_ticket(priority="high") for _ in range(3)]
    low = make_ticket(priority="low")
    # Matched when the page was shown, no longer now: left alone.
    services.ticket_update(actor=agent, ticket=high[0], priority="normal")

    back = agent_client.post(
        BULK,
        {
            "scope": "matching",
            "matching": "view=all&priority=high",
            "tickets": [low.reference],  # ticked boxes do not count in this scope
            "action": "assign_me",
        },
        follow=True,
    )

    assigned = set(Ticket.objects.filter(assignee=agent).values_list("pk", flat=True))
    assert assigned == {high[1].pk, high[2].pk}
    assert flashes(back)[0].startswith("Updated 2 tickets")


def test_all_matching_acts_on_at_most_the_limit_and_then_on_the_next_ones(
    agent_client, agent, make_ticket, monkeypatch
):
    monkeypatch.setattr(inbox_views, "BULK_MATCHING_LIMIT", 2)
    tickets = [make_ticket() for _ in range(5)]  # newest first in the list's default order
    post = {"scope": "matching", "matching": "view=all&sort=created", "action": "priority", "priority": "urgent"}

    first = agent_client.post(BULK, post, follow=True)

    urgent = set(Ticket.objects.filter(priority=4).values_list("pk", flat=True))
    assert urgent == {tickets[4].pk, tickets[3].pk}
    assert (
        "One action changes at most 2 tickets: this one took the first of the 5 matching. "
        "Apply it again for the next ones."
    ) in flashes(first)

    agent_client.post(BULK, post)
    assert Ticket.objects.filter(priority=4).count() == 4  # those done are left out, the next two taken


def test_all_matching_with_a_broken_list_says_so(agent_client, make_ticket):
    make_ticket()
    back = agent_client.post(BULK, {"scope": "matching", "matching": "view=nope", "action": "assign_me"}, follow=True)
    assert any(text.startswith("The list to change is not valid: Unknown view") for text in flashes(back))
    assert not Ticket.objects.filter(assignee__isnull=False).exists()


def test_all_matching_needs_no_ticked_box_but_selected_scope_does(agent_client, make_ticket):
    make_ticket()
    back = agent_client.post(BULK, {"scope": "selected", "action": "assign_me"}, follow=True)
    assert "Select at least one ticket (x, or the checkboxes) first." in flashes(back)
