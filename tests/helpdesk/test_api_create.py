"""POST /api/v1/tickets/: agents for a customer, customers for themselves, and bad input."""

from __future__ import annotations

import pytest
from django.conf import settings

from helpdesk import roles
from helpdesk.models import Ticket, TicketEvent
from tests.helpdesk.test_api_common import LIST_URL, client_for, feature, team  # noqa: F401


def post(client, data):
    return client.post(LIST_URL, data, format="json")


@pytest.mark.parametrize("identifier", ["customer", "CUSTOMER@customer.test"])
def test_agent_opens_ticket_for_customer_by_username_or_email(client_for, agent, customer, identifier):  # noqa: F811
    response = post(client_for(agent), {"subject": "Printer jams", "body": "Page two jams.", "requester": identifier})
    assert response.status_code == 201, response.content
    body = response.json()
    assert body["status"] == "new"
    assert body["channel"] == "api"
    assert body["priority"] == "normal"
    assert body["requester"]["email"] == "customer@customer.test"
    assert response["ETag"] == '"1"'
    assert response["Location"].endswith(f"/api/v1/tickets/{body['reference']}/")
    ticket = Ticket.objects.get(number=int(body["reference"].split("-")[1]))
    assert ticket.requester_id == customer.pk and ticket.channel == "api"


def test_agent_routes_the_new_ticket(client_for, agent, agent2, customer, team, feature):  # noqa: F811
    response = post(
        client_for(agent),
        {
            "subject": "Invoice total wrong",
            "body": "Off by one cent.",
            "requester": "customer",
            "priority": "urgent",
            "channel": "phone",
            "team": team.pk,
            "assignee": "agent2",
            "tags": ["Billing", "rounding"],
            "feature": "billing.invoices",
        },
    )
    assert response.status_code == 201, response.content
    body = response.json()
    assert (body["priority"], body["channel"], body["assignee"], body["feature"]) == (
        "urgent", "phone", "agent2", "billing.invoices"
    )
    assert body["team"] == {"id": team.pk, "name": "Tier 2"}
    assert body["tags"] == ["billing", "rounding"]


def test_customer_opens_their_own_ticket(client_for, customer):  # noqa: F811
    response = post(client_for(customer.user), {"subject": "Cannot log in", "body": "It says no.", "priority": "high"})
    assert response.status_code == 201, response.content
    body = response.json()
    assert body["requester"]["username"] == "customer"
    assert body["priority"] == "normal"  # accepted, not applied: the desk sets priorities
    assert body["allowed_statuses"] == ["solved"]
    assert body["channel"] == "api"  # how it came in, set by the API rather than by them
    assert not {"assignee", "team", "tags", "feature"} & set(body)
    event = TicketEvent.objects.get(ticket__number=int(body["reference"].split("-")[1]), kind="reply")
    assert event.customer_id == customer.pk


@pytest.mark.parametrize(
    "extra, field",
    [
        ({"assignee": "agent"}, "assignee"),
        ({"tags": ["vip"]}, "tags"),
        ({"feature": "billing.invoices"}, "feature"),
        ({"requester": "customer2"}, "requester"),
        ({"channel": "phone"}, "channel"),
        ({"channel": "api"}, "channel"),
    ],
)
def test_customer_may_not_route_or_open_for_others(client_for, customer, customer2, agent, feature, extra, field):  # noqa: F811
    response = post(client_for(customer.user), {"subject": "Hi", "body": "Hello", **extra})
    assert response.status_code == 403
    assert response.json()["field"] == field
    assert not Ticket.objects.exists()


def test_someone_without_a_role_cannot_open_tickets(client_for, make_user, customer):  # noqa: F811
    product_manager = make_user("pm", role=roles.PRODUCT_MANAGERS)
    response = post(client_for(product_manager), {"subject": "Hi", "body": "Hello"})
    assert response.status_code == 403
    assert not Ticket.objects.exists()


@pytest.mark.parametrize(
    "data, field",
    [
        ({"body": "x", "requester": "customer"}, "subject"),
        ({"subject": "x", "requester": "customer"}, "body"),
        ({"subject": "x", "body": "x"}, "requester"),
        ({"subject": "x", "body": "x", "requester": "nobody"}, "requester"),
        # An email nobody has adds the customer (test_requester_on_the_fly.py); a broken one is refused.
        ({"subject": "x", "body": "x", "requester": "nobody@nowhere"}, "requester"),
        ({"subject": "x", "body": "   ", "requester": "customer"}, "body"),
        ({"subject": "x" * 201, "body": "x", "requester": "customer"}, "subject"),
        ({"subject": "x", "body": "x", "requester": "customer", "priority": "extreme"}, "priority"),
        ({"subject": "x", "body": "x", "requester": "customer", "channel": "pigeon"}, "channel"),
        ({"subject": "x", "body": "x", "requester": "customer", "assignee": "ghost"}, "assignee"),
        ({"subject": "x", "body": "x", "requester": "customer", "assignee": "customer"}, "assignee"),
        ({"subject": "x", "body": "x", "requester": "customer", "feature": "no.such"}, "feature"),
        ({"subject": "x", "body": "x", "requester": "customer", "team": 999999}, "team"),
        ({"subject": "x", "body": "x", "requester": "customer", "team": "tier-2"}, "team"),
        ({"subject": "x", "body": "x", "requester": "customer", "tags": "billing"}, "tags"),
        ({"subject": "x", "body": "x", "requester": "customer", "tags": [{"a": 1}]}, "tags"),
        ({"subject": ["x"], "body": "x", "requester": "customer"}, "subject"),
        ({"subject": "x", "body": "x", "requester": "customer", "asignee": "agent"}, "asignee"),
    ],
)
def test_bad_input_answers_400_naming_the_field(client_for, agent, customer, feature, data, field):  # noqa: F811
    response = post(client_for(agent), data)
    assert response.status_code == 400, response.content
    assert field in response.json(), response.json()
    assert not Ticket.objects.exists()


def test_body_over_64_kb_is_refused_on_body(client_for, agent, customer):  # noqa: F811
    limit = settings.HELPDESK_MAX_BODY_BYTES
    client = client_for(agent)
    response = post(client, {"subject": "Log", "body": "é" * (limit // 2 + 1), "requester": "customer"})
    assert response.status_code == 400
    assert "64 KB" in response.json()["body"][0]
    assert post(client, {"subject": "Log", "body": "x" * limit, "requester": "customer"}).status_code == 201


def test_malformed_json_and_non_objects_are_400(client_for, agent, customer):  # noqa: F811
    client = client_for(agent)
    broken = client.post(LIST_URL, '{"subject": "x",', content_type="application/json")
    assert broken.status_code == 400 and "detail" in broken.json()
    listed = client.post(LIST_URL, '["subject"]', content_type="application/json")
    assert listed.status_code == 400
    form = client.post(LIST_URL, {"subject": "x", "body": "y", "requester": "customer"})  # multipart
    assert form.status_code == 415
