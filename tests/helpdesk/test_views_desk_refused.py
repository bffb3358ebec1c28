"""Post/redirect/get on the ticket page: a refused update or message never leaves the browser on a POST-only URL.

Before, a refused POST (400, 403, 409, a closed ticket) answered with the page itself, so the address bar
stayed on ``/tickets/<ref>/update/`` or ``/messages/``, which a reload answers with a bare 405.
"""

from __future__ import annotations

import re

import pytest
from django.urls import reverse

from helpdesk import services
from helpdesk.models import Ticket
from helpdesk.views.desk import refused


def page_url(ticket) -> str:
    return reverse("helpdesk:ticket_detail", kwargs={"reference": ticket.reference})


def update_url(ticket) -> str:
    return reverse("helpdesk:ticket_update", kwargs={"reference": ticket.reference})


def message_url(ticket) -> str:
    return reverse("helpdesk:ticket_message", kwargs={"reference": ticket.reference})


def fields(ticket, **changes) -> dict:
    ticket = Ticket.objects.get(pk=ticket.pk)
    data = {
        "version": str(ticket.version),
        "seen": "",
        "status": ticket.status,
        "priority": ticket.priority_slug,
        "assignee": ticket.assignee.username if ticket.assignee_id else "",
        "team": "",
        "tags": " ".join(ticket.tags.values_list("name", flat=True)),
        "feature": "",
    }
    data.update(changes)
    return data


@pytest.fixture
def closed_ticket(agent, ticket):
    services.ticket_update(actor=agent, ticket=ticket, status="solved")
    services.ticket_update(actor=agent, ticket=ticket, status="closed")
    return ticket


@pytest.mark.parametrize(
    ("changes", "status", "text"),
    [
        ({"status": "closed"}, 400, "A new ticket cannot become closed"),  # the service refuses
        ({"priority": "enormous"}, 400, "Select a valid choice"),  # the form refuses
        ({"version": "1", "priority": "high"}, 409, "while you were editing"),  # a stale version
    ],
)
def test_a_refused_update_redirects_to_the_ticket_page_and_shows_the_refusal_once(
    agent_client, agent2, ticket, changes, status, text
):
    if changes.get("version"):
        services.ticket_update(actor=agent2, ticket=ticket, priority="low")

    response = agent_client.post(update_url(ticket), fields(ticket, **changes))

    assert response.status_code == 303
    assert response["Location"] == page_url(ticket)
    shown = agent_client.get(response["Location"])
    assert shown.status_code == status
    assert text in shown.content.decode()
    # A reload is the plain ticket page again: nothing of the refusal, and never a 405.
    again = agent_client.get(page_url(ticket))
    assert again.status_code == 200
    assert text not in again.content.decode()


def test_a_refused_message_keeps_the_text_across_the_redirect(agent_client, ticket):
    body = "My long answer. " + "x" * (64 * 1024)

    response = agent_client.post(message_url(ticket), {"body": body, "kind": "note"})

    assert response.status_code == 303
    assert response["Location"] == page_url(ticket) + "#composer"
    shown = agent_client.get(page_url(ticket))
    html = shown.content.decode()
    assert shown.status_code == 400
    assert "the limit is 64 KB" in html and body in html
    assert 'class="composer mode-note' in html  # the mode chosen is kept too
    assert body not in agent_client.get(page_url(ticket)).content.decode()


def test_a_refusal_belongs_to_its_ticket(agent_client, make_ticket):
    first, second = make_ticket(), make_ticket()

    agent_client.post(update_url(first), fields(first, status="closed"))

    # Another ticket opened meanwhile (another tab) neither shows nor consumes it.
    other = agent_client.get(page_url(second))
    assert other.status_code == 200 and "cannot become closed" not in other.content.decode()
    assert agent_client.get(page_url(first)).status_code == 400


def test_a_refusal_not_shown_within_minutes_is_dropped(agent_client, ticket, monkeypatch):
    now = [1_000_000.0]
    monkeypatch.setattr(refused.time, "time", lambda: now[0])

    agent_client.post(update_url(ticket), fields(ticket, status="closed"))
    now[0] += refused.MAX_AGE_SECONDS + 1

    page = agent_client.get(page_url(ticket))
    assert page.status_code == 200
    assert "cannot become closed" not in page.content.decode()


def test_a_closed_ticket_shows_read_only_fields_with_a_note(agent_client, closed_ticket):
    html = agent_client.get(page_url(closed_ticket)).content.decode()

    assert 'id="fields-form"' not in html
    props = html[html.index('id="read-only-props"') : html.index("</section>", html.index('id="read-only-props"'))]
    assert 'class="badge status status-closed">Closed<' in props
    assert "This ticket is closed, so its fields can no longer change" in props


def test_an_update_posted_to_a_closed_ticket_is_said_above_the_page(agent_client, closed_ticket):
    response = agent_client.post(update_url(closed_ticket), fields(closed_ticket, priority="urgent"), follow=True)

    assert response.redirect_chain == [(page_url(closed_ticket), 303)]
    assert response.status_code == 400
    html = response.content.decode()
    assert re.search(r'class="alert alert-error" role="alert">[^<]*is closed and can no longer be changed', html)
    assert Ticket.objects.get(pk=closed_ticket.pk).priority_slug == "normal"


def test_an_anonymous_or_foreign_refusal_cannot_be_planted(client, agent, ticket):
    """Only the session that posted sees its refusal: another person's page of the same ticket is plain."""
    client.force_login(agent)
    client.post(update_url(ticket), fields(ticket, status="closed"))

    from django.test import Client

    other = Client()
    other.force_login(agent)
    assert other.get(page_url(ticket)).status_code == 200
