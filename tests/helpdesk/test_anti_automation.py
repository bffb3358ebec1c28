"""Anti-automation in opening tickets: a per-customer creation limit, a cap on tags, and the desk's priority.

Through the edges a customer or agent uses: the API, the portal, the desk forms.
"""

from __future__ import annotations

import pytest
from django.test import override_settings
from django.urls import reverse

from helpdesk import services
from helpdesk.models import Ticket
from tests.helpdesk.test_api_common import LIST_URL, clean_cache, client_for  # noqa: F401
from tests.helpdesk.test_views_desk_ticket import fields, update_url

pytestmark = pytest.mark.usefixtures("clean_cache")

LIMITED = {"HELPDESK_TICKET_CREATE_LIMIT": 3, "HELPDESK_TICKET_CREATE_WINDOW_SECONDS": 600}


def api_open(client, n: int, **extra):
    return client.post(LIST_URL, {"subject": f"Request {n}", "body": "Please help.", **extra}, format="json")


def portal_open(client, subject="Printer on fire", body="It started at 9."):
    return client.post(reverse("portal:ticket_new"), {"subject": subject, "body": body})


@pytest.fixture
def customer_client(client, customer):
    client.force_login(customer.user)
    return client


# --- the creation limit ---------------------------------------------------------------------------------


@override_settings(**LIMITED)
def test_a_customer_opening_too_many_tickets_through_the_api_gets_429(client_for, customer, limiter_clock):
    api = client_for(customer.user)
    for n in range(3):
        assert api_open(api, n).status_code == 201

    refused = api_open(api, 4)

    assert refused.status_code == 429
    assert refused["Retry-After"] == "600"
    assert "You have opened 3 requests in the last 10 minutes" in refused.json()["detail"]
    assert Ticket.objects.filter(requester=customer).count() == 3
    limiter_clock.advance(600)
    assert api_open(api, 5).status_code == 201


@override_settings(**LIMITED)
def test_the_portal_says_so_plainly_and_keeps_what_was_typed(customer_client, customer, limiter_clock):
    for n in range(3):
        assert portal_open(customer_client, subject=f"Request {n}").status_code == 302
    limiter_clock.advance(120)

    refused = portal_open(customer_client, subject="Fourth one", body="Details I typed")

    html = refused.content.decode()
    assert refused.status_code == 429 and refused["Retry-After"] == "480"
    assert "You have opened 3 requests" in html and "Try again in 8 minutes" in html
    assert 'value="Fourth one"' in html and "Details I typed" in html
    assert Ticket.objects.filter(requester=customer).count() == 3


@override_settings(**LIMITED)
def test_the_limit_is_per_customer(client_for, customer, customer2):
    for n in range(3):
        api_open(client_for(customer.user), n)
    assert api_open(client_for(customer.user), 9).status_code == 429
    assert api_open(client_for(customer2.user), 1).status_code == 201


@override_settings(**LIMITED)
def test_mistakes_do_not_use_up_the_limit(client_for, customer):
    api = client_for(customer.user)
    for _ in range(5):
        assert api.post(LIST_URL, {"subject": "", "body": "x"}, format="json").status_code == 400
    for n in range(3):
        assert api_open(api, n).status_code == 201


@override_settings(**LIMITED)
def test_tickets_the_desk_opens_for_a_customer_are_never_limited(client_for, agent, agent_client, customer):
    api = client_for(agent)
    for n in range(5):
        assert api_open(api, n, requester="customer").status_code == 201
    for n in range(3):
        response = agent_client.post(
            reverse("helpdesk:ticket_new"),
            {"requester": "customer", "subject": f"Call {n}", "body": "Logged a call.", "priority": "normal",
             "channel": "phone"},
        )
        assert response.status_code == 302, response.content.decode()[:500]
    # ...and they do not count against the customer's own allowance either.
    for n in range(3):
        assert api_open(client_for(customer.user), n).status_code == 201
    assert Ticket.objects.filter(requester=customer).count() == 11


@override_settings(**LIMITED)
def test_the_service_refuses_with_a_rate_limited_error(customer):
    from helpdesk.errors import RateLimited

    for n in range(3):
        services.ticket_create(actor=customer.user, subject=f"S{n}", body="B")
    with pytest.raises(RateLimited) as error:
        services.ticket_create(actor=customer.user, subject="S", body="B")
    assert error.value.http_status == 429 and error.value.retry_after > 0


# --- tags per ticket ------------------------------------------------------------------------------------------


def tags(n: int) -> list[str]:
    return [f"tag-{i}" for i in range(n)]


@override_settings(HELPDESK_MAX_TAGS_PER_TICKET=20)
def test_creating_with_too_many_tags_is_a_400_naming_tags(client_for, agent, customer):
    api = client_for(agent)
    refused = api_open(api, 1, requester="customer", tags=tags(21))
    assert refused.status_code == 400
    assert "at most 20 tags" in refused.json()["tags"][0]
    assert api_open(api, 2, requester="customer", tags=tags(20)).status_code == 201


@override_settings(HELPDESK_MAX_TAGS_PER_TICKET=20)
def test_twenty_thousand_tags_are_refused_before_any_is_stored(client_for, agent, ticket):
    from helpdesk.models import Tag

    before = Tag.objects.count()
    response = client_for(agent).patch(
        reverse("api:ticket-detail", args=[ticket.reference]), {"tags": tags(20_000)}, format="json"
    )
    assert response.status_code == 400 and "tags" in response.json()
    assert Tag.objects.count() == before and ticket.tags.count() == 0


@override_settings(HELPDESK_MAX_TAGS_PER_TICKET=3)
def test_duplicates_do_not_count_twice(client_for, agent, ticket):
    response = client_for(agent).patch(
        reverse("api:ticket-detail", args=[ticket.reference]), {"tags": ["a", "A", "b", " c "]}, format="json"
    )
    assert response.status_code == 200 and response.json()["tags"] == ["a", "b", "c"]


@override_settings(HELPDESK_MAX_TAGS_PER_TICKET=3)
def test_the_desk_form_names_the_tags_field(agent_client, ticket):
    # The refusal is carried across the redirect after the POST and shown once, with its status.
    response = agent_client.post(update_url(ticket), fields(ticket, tags="a b c d"), follow=True)
    assert response.redirect_chain[-1][1] == 303 and response.status_code == 400
    html = response.content.decode()
    assert 'id="f-tags-error"' in html and "at most 3 tags" in html
    assert ticket.tags.count() == 0


@override_settings(HELPDESK_MAX_TAGS_PER_TICKET=3)
def test_the_new_ticket_form_names_the_tags_field(agent_client, customer):
    response = agent_client.post(
        reverse("helpdesk:ticket_new"),
        {"requester": "customer", "subject": "S", "body": "B", "priority": "normal", "channel": "phone",
         "tags": "a b c d"},
    )
    assert response.status_code == 400 and "at most 3 tags" in response.content.decode()
    assert not Ticket.objects.exists()


# --- the desk sets the priority -----------------------------------------------------------------------------


def test_a_customers_priority_is_accepted_and_not_applied(client_for, customer):
    response = api_open(client_for(customer.user), 1, priority="urgent")
    assert response.status_code == 201 and response.json()["priority"] == "normal"


def test_the_portal_asks_no_priority_and_ignores_one_sent(customer_client, customer):
    page = customer_client.get(reverse("portal:ticket_new")).content.decode()
    assert 'name="priority"' not in page
    customer_client.post(reverse("portal:ticket_new"), {"subject": "Hi", "body": "Now!", "priority": "urgent"})
    assert Ticket.objects.get(requester=customer).priority_slug == "normal"


def test_the_desk_still_sets_priorities(client_for, agent, customer):
    response = api_open(client_for(agent), 1, requester="customer", priority="urgent")
    assert response.json()["priority"] == "urgent"
