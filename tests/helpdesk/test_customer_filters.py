"""Security item 2: filters on desk-only data mean nothing to customers (API 400, portal and selectors ignore them)."""

from __future__ import annotations

import pytest

from helpdesk import services
from tests.helpdesk.test_api_common import LIST_URL, client_for, feature, team  # noqa: F401


@pytest.fixture
def tagged(make_ticket, agent, agent2, customer, team, feature):  # noqa: F811
    """The customer's three tickets: one tagged vip and assigned, one routed, one untouched."""
    vip = make_ticket(subject="VIP one", tags=["vip"], assignee=agent2)
    routed = make_ticket(subject="Routed one", team=team, feature=feature, assignee=agent)
    plain = make_ticket(subject="Plain one")
    return {"vip": vip.reference, "routed": routed.reference, "plain": plain.reference}


@pytest.mark.parametrize(
    "query, field",
    [
        ("tag=vip", "tag"),
        ("tag=no-such-tag", "tag"),
        ("assignee=agent2", "assignee"),
        # The same answer for a username that does not exist: nothing is confirmed.
        ("assignee=nobody-here", "assignee"),
        ("assignee=none", "assignee"),
        ("assignee=me", "assignee"),
        ("team=1", "team"),
        ("feature=billing.invoices", "feature"),
        ("view=mine", "view"),
        ("view=unassigned", "view"),
        ("view=features", "view"),
    ],
)
def test_customer_naming_a_desk_only_filter_gets_400_naming_it(client_for, customer, tagged, query, field):  # noqa: F811
    response = client_for(customer.user).get(f"{LIST_URL}?{query}")

    assert response.status_code == 400, response.content
    assert list(response.json()) == [field]
    # Not a word about which tickets carry it.
    for reference in tagged.values():
        assert reference.encode() not in response.content


def test_refusal_does_not_depend_on_whether_the_agent_exists(client_for, customer, tagged):  # noqa: F811
    client = client_for(customer.user)
    real = client.get(f"{LIST_URL}?assignee=agent2")
    made_up = client.get(f"{LIST_URL}?assignee=nobody-here")
    assert (real.status_code, real.json()) == (made_up.status_code, made_up.json())


def test_customer_views_and_filters_on_their_own_data_still_work(client_for, customer, agent, tagged):  # noqa: F811
    services.ticket_update(actor=agent, ticket=services_ticket(tagged["plain"]), status="pending")
    client = client_for(customer.user)

    assert [t["reference"] for t in client.get(f"{LIST_URL}?view=pending").json()["results"]] == [tagged["plain"]]
    assert [t["reference"] for t in client.get(f"{LIST_URL}?status=pending").json()["results"]] == [tagged["plain"]]
    assert client.get(f"{LIST_URL}?view=open&sort=created_asc").status_code == 200


def test_the_desk_keeps_every_filter(client_for, agent, tagged, team):  # noqa: F811
    client = client_for(agent)
    assert [t["reference"] for t in client.get(f"{LIST_URL}?tag=vip").json()["results"]] == [tagged["vip"]]
    assert [t["reference"] for t in client.get(f"{LIST_URL}?team={team.pk}").json()["results"]] == [tagged["routed"]]
    assert client.get(f"{LIST_URL}?view=unassigned").status_code == 200


def test_portal_ignores_desk_only_filters(client, customer, tagged):
    client.force_login(customer.user)

    response = client.get("/portal/", {"tag": "vip", "assignee": "agent2", "view": "mine", "feature": "billing.invoices"})

    assert response.status_code == 200
    html = response.content.decode()
    # Every one of their requests, as without the parameters: nothing is filtered by desk data.
    for reference in tagged.values():
        assert reference in html


def services_ticket(reference):
    from helpdesk.models import Ticket, parse_reference

    return Ticket.objects.get(number=parse_reference(reference))
