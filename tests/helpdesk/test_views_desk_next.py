"""The way back to the list an agent came from, and "send, then open the next ticket" in that list."""

from __future__ import annotations

from datetime import timedelta

import pytest
from django.urls import reverse
from django.utils import timezone

from helpdesk import services
from helpdesk.models import Ticket
from helpdesk.views.desk.lists import LIST_SESSION_KEY

pytestmark = pytest.mark.django_db


@pytest.fixture
def three(make_ticket, agent):
    """Three of the agent's tickets, HD-a updated last (top of "Recently updated"), then b, then c."""
    now = timezone.now()
    made = []
    for index, subject in enumerate(["Alpha broken", "Bravo broken", "Charlie broken"]):
        ticket = make_ticket(subject=subject, assignee=agent)
        Ticket.objects.filter(pk=ticket.pk).update(updated_at=now - timedelta(minutes=index))
        made.append(Ticket.objects.get(pk=ticket.pk))
    return made


def send(client, ticket, *, list_query: str | None, then_next: bool = True, body: str = "On it."):
    data = {"kind": "reply", "body": body}
    if then_next:
        data["then_next"] = "1"
    if list_query is not None:
        data["list"] = list_query
    return client.post(reverse("helpdesk:ticket_message", args=[ticket.reference]), data)


def test_the_ticket_page_leads_back_to_the_list_the_agent_came_from(agent_client, three):
    agent_client.get(reverse("helpdesk:inbox"), {"view": "mine", "sort": "created", "cursor": ""})
    assert agent_client.session[LIST_SESSION_KEY] == "view=mine&sort=created"
    page = agent_client.get(reverse("helpdesk:ticket_detail", args=[three[0].reference])).content.decode()
    assert 'href="/inbox/?view=mine&amp;sort=created"' in page and "← My unsolved tickets" in page
    assert 'name="list" value="view=mine&amp;sort=created"' in page
    assert "then open the next ticket in My unsolved tickets" in page


def test_a_search_is_named_as_such_and_a_bad_list_is_not_remembered(agent_client, three):
    agent_client.get(reverse("helpdesk:inbox"), {"q": "broken"})
    page = agent_client.get(reverse("helpdesk:ticket_detail", args=[three[0].reference])).content.decode()
    assert "← Search results for “broken”" in page
    agent_client.get(reverse("helpdesk:inbox"), {"view": "nonsense"})
    assert agent_client.session[LIST_SESSION_KEY] == "q=broken"


def test_without_a_list_the_page_offers_no_next(client, agent, three):
    client.force_login(agent)
    page = client.get(reverse("helpdesk:ticket_detail", args=[three[0].reference])).content.decode()
    assert "then open the next ticket" not in page and "← Inbox" in page


def test_send_then_next_walks_the_list_in_the_order_the_agent_saw(agent_client, three):
    a, b, c = three
    # A reply moves the ticket to the top of "Recently updated": the next one is still the one below it.
    response = send(agent_client, a, list_query="view=mine")
    assert response.status_code == 302 and response["Location"] == reverse("helpdesk:ticket_detail", args=[b.reference])
    assert a.events.filter(kind="reply", body="On it.").exists()
    response = send(agent_client, b, list_query="view=mine")
    assert response["Location"] == reverse("helpdesk:ticket_detail", args=[c.reference])
    shown = agent_client.get(response["Location"]).content.decode()
    assert f"Next in My unsolved tickets: {c.reference}." in shown

    last = send(agent_client, c, list_query="view=mine")
    assert last["Location"] == "/inbox/?view=mine"
    shown = agent_client.get(last["Location"]).content.decode()
    assert f"{c.reference} was the last ticket in My unsolved tickets." in shown


def test_next_follows_the_lists_sort_and_filters(agent_client, three, make_ticket, agent):
    a, b, c = three
    services.ticket_update(actor=agent, ticket=b, priority="urgent")
    # Oldest first, the created order is a, b, c; with only normal priority b (now urgent) is not in the list.
    response = send(agent_client, a, list_query="view=mine&sort=created_asc")
    assert response["Location"] == reverse("helpdesk:ticket_detail", args=[b.reference])
    response = send(agent_client, a, list_query="view=mine&priority=normal", body="Again.")
    assert response["Location"] == reverse("helpdesk:ticket_detail", args=[c.reference])


def test_a_ticket_that_left_the_view_still_leads_to_the_next(agent_client, three):
    a, b, _ = three
    data = {"kind": "reply", "body": "Fixed.", "status": "solved", "then_next": "1", "list": "view=mine"}
    response = agent_client.post(reverse("helpdesk:ticket_message", args=[a.reference]), data)
    assert response["Location"] == reverse("helpdesk:ticket_detail", args=[b.reference])
    assert Ticket.objects.get(pk=a.pk).status == "solved"


def test_without_the_box_the_agent_stays_on_the_ticket(agent_client, three):
    response = send(agent_client, three[0], list_query="view=mine", then_next=False)
    assert response["Location"].startswith(reverse("helpdesk:ticket_detail", args=[three[0].reference]))


def test_a_refused_message_stays_and_keeps_the_choice(agent_client, three):
    response = send(agent_client, three[0], list_query="view=mine", body="   ")
    assert response.status_code == 303  # back to the composer, the refused words kept (refused.py)
    page = agent_client.get(response["Location"]).content.decode()
    assert 'name="then_next" value="1" checked' in page and 'name="list" value="view=mine"' in page
    assert not three[0].events.filter(kind="reply", body="   ").exists()


def test_an_unreadable_list_goes_back_to_the_inbox(agent_client, three):
    response = send(agent_client, three[0], list_query="view=nonsense")
    assert response.status_code == 302 and response["Location"] == reverse("helpdesk:inbox")
    assert three[0].events.filter(kind="reply", body="On it.").exists()  # the reply itself was sent


def test_the_next_ticket_is_one_the_agent_may_see(agent_client, three, manager):
    a, b, c = three
    services.ticket_mark_spam(actor=manager, ticket=b)
    response = send(agent_client, a, list_query="view=mine")
    assert response["Location"] == reverse("helpdesk:ticket_detail", args=[c.reference])


def test_a_posted_list_with_control_characters_is_rebuilt_not_echoed(agent_client, three):
    response = send(agent_client, three[0], list_query="view=mine\r\nSet-Cookie: x=1")
    assert response.status_code == 302
    assert "\r" not in response["Location"] and "\n" not in response["Location"]
