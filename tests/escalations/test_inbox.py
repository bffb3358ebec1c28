"""The inbox with escalations: "linked to an escalation" and "feature blocked" filters, and the bulk bar's cord."""

from __future__ import annotations

import pytest
from django.urls import reverse

from escalations.models import Escalation, EscalationLink
from tests.escalations.conftest import raise_on

pytestmark = pytest.mark.django_db


@pytest.fixture
def three(make_ticket, feature, other_feature):
    return (
        make_ticket(subject="Linked one", feature=feature),
        make_ticket(subject="Same feature, not linked", feature=feature),
        make_ticket(subject="Other feature", feature=other_feature),
    )


def listed(client, **params) -> str:
    return client.get(reverse("helpdesk:inbox"), {"view": "all", **params}).content.decode()


def test_the_inbox_filters_linked_tickets_and_blocked_features(agent_client, agent, three, feature):
    linked, same_feature, other = three
    raise_on(linked, feature, agent)
    html = listed(agent_client, escalated="1")
    assert linked.reference in html and same_feature.reference not in html and other.reference not in html
    html = listed(agent_client, feature_blocked="1")
    assert linked.reference in html and same_feature.reference in html and other.reference not in html
    assert 'name="escalated" value="1"' in html and "Feature blocked" in html
    assert agent_client.get(reverse("helpdesk:inbox"), {"escalated": "maybe"}).status_code == 400


def test_the_api_takes_the_same_filters_and_refuses_them_to_customers(api, agent, customer, three, feature):
    linked, *_ = three
    raise_on(linked, feature, agent)
    rows = api(agent).get("/api/v1/tickets/", {"view": "all", "escalated": "1"}).json()["results"]
    assert [row["reference"] for row in rows] == [linked.reference]
    refused = api(customer.user).get("/api/v1/tickets/", {"escalated": "1"})
    assert refused.status_code == 400 and "escalated" in refused.json()


def test_bulk_link_to_an_escalation(agent_client, agent, three, feature):
    linked, same_feature, other = three
    escalation = raise_on(linked, feature, agent)
    response = agent_client.post(
        reverse("helpdesk:inbox_bulk"),
        {"action": "link_escalation", "escalation": escalation.reference, "tickets": [linked.reference, other.reference]},
    )
    assert response.status_code == 302
    assert set(EscalationLink.objects.filter(escalation=escalation).values_list("ticket_id", flat=True)) == {linked.pk, other.pk}
    messages = [str(m) for m in list(response.wsgi_request._messages)]
    assert any("Updated 1 ticket" in m for m in messages) and any("already had that value" in m for m in messages)
    missing = agent_client.post(
        reverse("helpdesk:inbox_bulk"), {"action": "link_escalation", "escalation": "ESC-999", "tickets": [other.reference]}
    )
    assert any("No escalation ESC-999" in str(m) for m in missing.wsgi_request._messages)


def test_bulk_cord_pull_opens_the_form_with_the_selection_and_links_all(agent_client, three, feature):
    linked, same_feature, other = three
    response = agent_client.post(
        reverse("helpdesk:inbox_bulk"), {"action": "raise_escalation", "tickets": [linked.reference, other.reference]}
    )
    assert response.status_code == 302 and response["Location"].startswith(reverse("escalations:raise", args=[linked.reference]))
    form = agent_client.get(response["Location"]).content.decode()
    assert 'id="also-linked"' in form and other.reference in form
    made = agent_client.post(
        response["Location"],
        {"feature": feature.key, "severity": "major", "title": "Exports", "customer_impact": "Fails.", "also": [other.reference]},
    )
    assert made.status_code == 302
    escalation = Escalation.objects.get()
    assert set(EscalationLink.objects.filter(escalation=escalation).values_list("ticket_id", flat=True)) == {linked.pk, other.pk}
