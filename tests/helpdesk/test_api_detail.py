"""GET and PATCH /api/v1/tickets/{reference}/: ETags, stale updates, permissions, 404s."""

from __future__ import annotations

import pytest

from helpdesk import services
from helpdesk.models import Ticket, TicketEvent
from tests.helpdesk.test_api_common import client_for, detail_url, feature, team  # noqa: F401


def patch(client, reference, data, **headers):
    return client.patch(detail_url(reference), data, format="json", headers=headers)


def snapshot(ticket):
    fresh = Ticket.objects.get(pk=ticket.pk)
    return (fresh.version, fresh.status, fresh.priority, fresh.assignee_id, fresh.subject, fresh.events.count())


def test_get_returns_ticket_and_etag(client_for, agent, ticket):  # noqa: F811
    response = client_for(agent).get(detail_url(ticket.reference))
    assert response.status_code == 200
    assert response["ETag"] == '"1"'
    body = response.json()
    assert body["reference"] == ticket.reference
    assert body["subject"] == "Invoice PDF is empty"
    assert body["version"] == 1
    assert body["priority"] == "normal"
    assert body["allowed_statuses"] == ["open", "pending", "on_hold", "solved"]
    assert body["solved_at"] is None and body["closed_at"] is None
    assert body["team"] is None and body["feature"] is None and body["assignee"] is None
    # Per-user answers must not be served from a shared cache.
    assert "private" in response["Cache-Control"]
    assert "Authorization" in response["Vary"]


def test_reference_is_case_insensitive(client_for, agent, ticket):  # noqa: F811
    assert client_for(agent).get(detail_url(ticket.reference.lower())).status_code == 200


def test_other_customers_ticket_looks_exactly_like_a_missing_one(client_for, customer2, ticket):  # noqa: F811
    client = client_for(customer2.user)
    theirs = client.get(detail_url(ticket.reference))
    missing = client.get(detail_url("HD-999999"))
    nonsense = client.get(detail_url("not-a-ticket"))
    assert theirs.status_code == missing.status_code == nonsense.status_code == 404
    assert theirs.content == missing.content == nonsense.content
    before = snapshot(ticket)
    assert patch(client, ticket.reference, {"status": "solved"}).content == missing.content
    assert snapshot(ticket) == before


@pytest.mark.parametrize("how", ["if-match", "bare-if-match", "version"])
def test_patch_with_current_version_applies_and_returns_new_etag(client_for, agent, ticket, how):  # noqa: F811
    client = client_for(agent)
    etag = client.get(detail_url(ticket.reference))["ETag"]
    data = {"status": "pending", "priority": "high"}
    if how == "if-match":
        response = patch(client, ticket.reference, data, **{"If-Match": etag})
    elif how == "bare-if-match":
        response = patch(client, ticket.reference, data, **{"If-Match": etag.strip('"')})
    else:
        response = patch(client, ticket.reference, {**data, "version": 1})
    assert response.status_code == 200, response.content
    assert response["ETag"] == '"2"'
    body = response.json()
    assert (body["status"], body["priority"], body["version"]) == ("pending", "high", 2)
    assert client.get(detail_url(ticket.reference)).json() == body


@pytest.mark.parametrize("how", ["if-match", "version"])
def test_stale_patch_is_409_with_current_ticket_and_changes_nothing(client_for, agent, agent2, ticket, how):  # noqa: F811
    client = client_for(agent)
    # Someone else changed the ticket after we read version 1.
    services.ticket_update(actor=agent2, ticket=ticket, priority="urgent")
    before = snapshot(ticket)
    data = {"status": "solved", "subject": "Mine now"}
    if how == "if-match":
        response = patch(client, ticket.reference, data, **{"If-Match": '"1"'})
    else:
        response = patch(client, ticket.reference, {**data, "version": 1})
    assert response.status_code == 409
    body = response.json()
    assert set(body) == {"detail", "current"}
    assert "changed by someone else" in body["detail"]
    assert body["current"] == client.get(detail_url(ticket.reference)).json()
    assert body["current"]["priority"] == "urgent" and body["current"]["version"] == 2
    assert response["ETag"] == '"2"'
    assert snapshot(ticket) == before


def test_patch_without_version_applies_to_current_state(client_for, agent, agent2, ticket):  # noqa: F811
    services.ticket_update(actor=agent2, ticket=ticket, priority="urgent")
    response = patch(client_for(agent), ticket.reference, {"assignee": "agent"})
    assert response.status_code == 200
    assert response.json()["assignee"] == "agent" and response.json()["priority"] == "urgent"


def test_if_match_star_means_any_version(client_for, agent, agent2, ticket):  # noqa: F811
    services.ticket_update(actor=agent2, ticket=ticket, priority="urgent")
    assert patch(client_for(agent), ticket.reference, {"priority": "low"}, **{"If-Match": "*"}).status_code == 200


@pytest.mark.parametrize("data", [{}, {"status": "new", "priority": "normal", "subject": "Invoice PDF is empty"}])
def test_noop_patch_is_200_and_keeps_the_version(client_for, agent, ticket, data):  # noqa: F811
    before = snapshot(ticket)
    response = patch(client_for(agent), ticket.reference, data, **{"If-Match": '"1"'})
    assert response.status_code == 200
    assert response["ETag"] == '"1"'
    assert snapshot(ticket) == before


def test_patch_every_field(client_for, agent, agent2, ticket, team, feature):  # noqa: F811
    client = client_for(agent)
    response = patch(
        client,
        ticket.reference,
        {
            "subject": "PDF export is empty",
            "assignee": "agent2",
            "team": team.pk,
            "tags": ["pdf", "Billing"],
            "feature": "billing.invoices",
            "status": "open",
            "priority": "low",
        },
    )
    assert response.status_code == 200, response.content
    body = response.json()
    assert body["subject"] == "PDF export is empty"
    assert (body["assignee"], body["team"], body["tags"], body["feature"]) == (
        "agent2", {"id": team.pk, "name": "Tier 2"}, ["billing", "pdf"], "billing.invoices"
    )
    assert body["version"] == 2  # one step, one version
    kinds = set(TicketEvent.objects.filter(ticket=ticket).values_list("kind", flat=True))
    assert {"subject", "assignee", "team", "tags", "feature", "status", "priority"} <= kinds

    cleared = patch(client, ticket.reference, {"assignee": None, "team": None, "feature": None, "tags": []}).json()
    assert (cleared["assignee"], cleared["team"], cleared["feature"], cleared["tags"]) == (None, None, None, [])


@pytest.mark.parametrize(
    "data, field",
    [
        ({"assignee": "ghost"}, "assignee"),
        ({"feature": "no.such"}, "feature"),
        ({"team": 999999}, "team"),
        ({"status": "closed"}, "status"),  # new -> closed is not a transition
        ({"status": "bogus"}, "status"),
        ({"priority": 9}, "priority"),
        ({"subject": ""}, "subject"),
        ({"tags": "pdf"}, "tags"),
        ({"version": "one"}, "version"),
        ({"version": 0}, "version"),
        ({"colour": "red"}, "colour"),
    ],
)
def test_bad_patch_is_400_naming_the_field_and_changes_nothing(client_for, agent, ticket, feature, data, field):  # noqa: F811
    before = snapshot(ticket)
    response = patch(client_for(agent), ticket.reference, data)
    assert response.status_code == 400, response.content
    assert field in response.json()
    assert snapshot(ticket) == before


@pytest.mark.parametrize("header", ['W/"1"', ' W/"1" ', "W/1"])
def test_weak_if_match_is_refused_as_bad_input_and_changes_nothing(client_for, agent, ticket, header):  # noqa: F811
    # RFC 9110: If-Match compares strongly, so a weak validator never matches, not even the current version.
    before = snapshot(ticket)
    response = patch(client_for(agent), ticket.reference, {"priority": "low"}, **{"If-Match": header})
    assert response.status_code == 400, response.content
    message = response.json()["If-Match"][0]
    assert "strong" in message and "W/" in message
    assert snapshot(ticket) == before


@pytest.mark.parametrize("header", ['"1', '1"', '"1", "2"', "-1", '""'])
def test_malformed_if_match_is_400(client_for, agent, ticket, header):  # noqa: F811
    before = snapshot(ticket)
    response = patch(client_for(agent), ticket.reference, {"priority": "low"}, **{"If-Match": header})
    assert response.status_code == 400 and "If-Match" in response.json()
    assert snapshot(ticket) == before


def test_if_match_and_version_must_agree(client_for, agent, ticket):  # noqa: F811
    client = client_for(agent)
    response = patch(client, ticket.reference, {"priority": "low", "version": 1}, **{"If-Match": '"2"'})
    assert response.status_code == 400 and "version" in response.json()
    response = patch(client, ticket.reference, {"priority": "low"}, **{"If-Match": "yesterday"})
    assert response.status_code == 400 and "If-Match" in response.json()


@pytest.mark.parametrize(
    "data, field",
    [({"priority": "urgent"}, "priority"), ({"assignee": "agent"}, "assignee"), ({"status": "pending"}, "status"),
     ({"tags": ["vip"]}, "tags"), ({"subject": "Mine"}, "subject")],
)
def test_customer_may_not_change_desk_fields(client_for, customer, ticket, data, field):  # noqa: F811
    before = snapshot(ticket)
    response = patch(client_for(customer.user), ticket.reference, data)
    assert response.status_code == 403
    assert response.json()["field"] == field
    assert snapshot(ticket) == before


DESK_ONLY = {"assignee", "team", "tags", "feature", "escalations"}


def test_customer_gets_no_routing_fields(client_for, agent, customer, make_ticket, team, feature):  # noqa: F811
    ticket = make_ticket(assignee=agent, team=team, tags=["vip-escalation"], feature=feature)
    desk = client_for(agent).get(detail_url(ticket.reference))
    mine = client_for(customer.user).get(detail_url(ticket.reference))
    assert DESK_ONLY <= set(desk.json())
    assert mine.status_code == 200
    assert not DESK_ONLY & set(mine.json())
    # Nothing of them anywhere in the answer either (the agent's username, team, tag, feature key).
    for leak in (b"agent", b"Tier 2", b"vip-escalation", b"billing.invoices"):
        assert leak not in mine.content, leak
    assert set(desk.json()) - set(mine.json()) == DESK_ONLY


def test_customers_409_current_has_no_routing_fields(client_for, agent, customer, make_ticket, team):  # noqa: F811
    ticket = make_ticket(assignee=agent, team=team)
    services.ticket_update(actor=agent, ticket=ticket, priority="high")
    response = patch(client_for(customer.user), ticket.reference, {"status": "solved"}, **{"If-Match": '"1"'})
    assert response.status_code == 409
    current = response.json()["current"]
    assert current["version"] == 2
    assert not DESK_ONLY & set(current)
    assert b"agent" not in response.content and b"Tier 2" not in response.content


def test_customer_may_mark_their_ticket_solved(client_for, customer, ticket):  # noqa: F811
    response = patch(client_for(customer.user), ticket.reference, {"status": "solved"}, **{"If-Match": '"1"'})
    assert response.status_code == 200
    body = response.json()
    assert body["status"] == "solved" and body["solved_at"] is not None
    assert body["allowed_statuses"] == []  # reopening is the desk's (or a reply's) business


def test_session_callers_need_csrf_for_writes(agent, ticket):
    from rest_framework.test import APIClient

    browser = APIClient(enforce_csrf_checks=True)
    browser.force_login(agent)
    assert browser.get(detail_url(ticket.reference)).status_code == 200
    refused = browser.patch(detail_url(ticket.reference), {"priority": "low"}, format="json")
    assert refused.status_code == 403 and "CSRF" in refused.json()["detail"]
    assert Ticket.objects.get(pk=ticket.pk).priority == ticket.priority
