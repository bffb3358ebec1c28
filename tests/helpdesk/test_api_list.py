"""GET /api/v1/tickets/: scoping, every filter, sorting and keyset pagination."""

from __future__ import annotations

from datetime import timedelta

import pytest
from django.utils import timezone

from helpdesk import services
from tests.helpdesk.test_api_common import LIST_URL, client_for, feature, team  # noqa: F401


def refs(response) -> list[str]:
    assert response.status_code == 200, response.content
    return [item["reference"] for item in response.json()["results"]]


@pytest.fixture
def board(make_ticket, agent, agent2, customer, customer2, team, feature):  # noqa: F811
    """Five tickets that differ in one thing each, named by what sets them apart."""
    t = {}
    t["printer"] = make_ticket(subject="Printer jams on page two", priority="urgent", tags=["hardware"])
    t["mine"] = make_ticket(subject="Login loop", assignee=agent, team=team)
    t["theirs"] = make_ticket(subject="Invoice total wrong", assignee=agent2, feature=feature, tags=["billing"])
    t["other"] = make_ticket(subject="Export fails", requester=customer2, priority="low")
    t["solved"] = make_ticket(subject="Password reset", assignee=agent)
    services.ticket_update(actor=agent, ticket=t["solved"], status="solved")
    services.ticket_update(actor=agent, ticket=t["theirs"], status="pending")
    services.ticket_message_post(actor=agent, ticket=t["other"], body="The flux capacitor needs a restart.", internal=True)
    return {name: ticket.reference for name, ticket in t.items()}


def test_agent_sees_every_ticket_with_the_documented_shape(client_for, agent, board):  # noqa: F811
    response = client_for(agent).get(LIST_URL)
    body = response.json()
    assert set(body) == {"results", "next"}
    assert body["next"] is None
    assert sorted(refs(response)) == sorted(board.values())
    item = next(i for i in body["results"] if i["reference"] == board["mine"])
    assert set(item) == {
        "reference", "subject", "status", "priority", "channel", "requester", "organization", "assignee", "team",
        "tags", "feature", "version", "created", "updated", "solved_at", "closed_at", "allowed_statuses", "merged_into",
            "escalations",  # from the escalations app (helpdesk.extensions)
    }
    assert item["assignee"] == "agent"
    assert item["team"]["name"] == "Tier 2"
    assert item["requester"] == {
        "id": item["requester"]["id"], "name": "Casey Customer", "email": "customer@customer.test", "username": "customer"
    }
    assert item["organization"] == "Acme Corp"


def test_customer_sees_only_their_own(client_for, customer2, board):  # noqa: F811
    assert refs(client_for(customer2.user).get(LIST_URL)) == [board["other"]]


def test_customer_list_leaves_out_routing_fields(client_for, customer, board):  # noqa: F811
    response = client_for(customer.user).get(LIST_URL)
    items = response.json()["results"]
    assert sorted(i["reference"] for i in items) == sorted(board[n] for n in ("printer", "mine", "theirs", "solved"))
    for item in items:
        assert not {"assignee", "team", "tags", "feature"} & set(item)
    # Their tickets are assigned to agent and agent2, in Tier 2, tagged, with a feature.
    for leak in (b"agent", b"Tier 2", b"billing", b"hardware"):
        assert leak not in response.content, leak


@pytest.mark.parametrize(
    "query, expected",
    [
        ("view=mine", ["mine"]),
        ("view=unassigned", ["printer", "other"]),
        ("view=open", ["printer", "mine", "other"]),
        ("view=pending", ["theirs"]),
        ("view=solved", ["solved"]),
        ("status=pending,solved", ["theirs", "solved"]),
        ("status=pending&status=solved", ["theirs", "solved"]),
        ("priority=urgent", ["printer"]),
        ("priority=low,urgent", ["printer", "other"]),
        ("assignee=me", ["mine", "solved"]),
        ("assignee=agent2", ["theirs"]),
        ("assignee=none", ["printer", "other"]),
        ("tag=billing", ["theirs"]),
        ("tag=HARDWARE", ["printer"]),
        ("feature=billing.invoices", ["theirs"]),
        ("q=printer", ["printer"]),
        ("q=capacitor", ["other"]),  # words of an internal note count for the desk
        ("q=customer2@customer.test", ["other"]),
    ],
)
def test_each_filter(client_for, agent, board, query, expected):  # noqa: F811
    assert sorted(refs(client_for(agent).get(f"{LIST_URL}?{query}"))) == sorted(board[name] for name in expected)


def test_team_requester_and_reference_filters(client_for, agent, board, team, customer2):  # noqa: F811
    client = client_for(agent)
    assert refs(client.get(f"{LIST_URL}?team={team.pk}")) == [board["mine"]]
    assert refs(client.get(f"{LIST_URL}?requester={customer2.pk}")) == [board["other"]]
    assert refs(client.get(f"{LIST_URL}?q={board['printer'].lower()}")) == [board["printer"]]


def test_customer_search_ignores_internal_notes(client_for, customer2, board):  # noqa: F811
    assert refs(client_for(customer2.user).get(f"{LIST_URL}?q=capacitor")) == []


def test_sorts(client_for, agent, board):  # noqa: F811
    client = client_for(agent)
    created = refs(client.get(f"{LIST_URL}?sort=created_asc"))
    assert created == [board[n] for n in ("printer", "mine", "theirs", "other", "solved")]
    assert refs(client.get(f"{LIST_URL}?sort=created")) == created[::-1]
    assert refs(client.get(f"{LIST_URL}?sort=priority"))[0] == board["printer"]
    # Most recently changed first by default. The note on "other" came last, but a note
    # changes nothing a customer sees, so it is not activity: "theirs" (set pending) is first.
    assert refs(client.get(LIST_URL))[0] == board["theirs"]


@pytest.mark.parametrize(
    "query, field",
    [
        ("view=everything", "view"),
        ("status=bogus", "status"),
        ("priority=extreme", "priority"),
        ("team=abc", "team"),
        ("requester=abc", "requester"),
        ("sort=sideways", "sort"),
        ("page_size=abc", "page_size"),
        ("page_size=0", "page_size"),
        ("cursor=bm90IGpzb24", "cursor"),
    ],
)
def test_bad_filters_answer_400_naming_the_parameter(client_for, agent, query, field):  # noqa: F811
    response = client_for(agent).get(f"{LIST_URL}?{query}")
    assert response.status_code == 400
    assert list(response.json()) == [field]


def test_anonymous_gets_401_with_token_challenge(db):
    from rest_framework.test import APIClient

    response = APIClient().get(LIST_URL)
    assert response.status_code == 401
    assert response["WWW-Authenticate"] == "Token"


# --- keyset pagination ------------------------------------------------------------------


def _walk(client, url):
    pages = []
    while url:
        response = client.get(url)
        assert response.status_code == 200
        body = response.json()
        pages.append([item["reference"] for item in body["results"]])
        url = body["next"]
    return pages


@pytest.fixture
def sixty(make_ticket, monkeypatch):
    """60 tickets in three bursts of 20 sharing one timestamp each: ties must not lose or repeat rows."""
    base = timezone.now() - timedelta(hours=1)
    made = []
    for burst in range(3):
        moment = base + timedelta(minutes=burst)
        monkeypatch.setattr(timezone, "now", lambda moment=moment: moment)
        made += [make_ticket(subject=f"Burst {burst} ticket {i}").reference for i in range(20)]
    monkeypatch.undo()
    return made


@pytest.mark.parametrize("sort", ["updated", "updated_asc", "created", "created_asc", "priority"])
def test_keyset_pages_have_no_duplicates_or_gaps(client_for, agent, sixty, sort):  # noqa: F811
    pages = _walk(client_for(agent), f"{LIST_URL}?page_size=25&sort={sort}")
    assert [len(p) for p in pages] == [25, 25, 10]
    flat = [ref for page in pages for ref in page]
    assert len(set(flat)) == 60 and set(flat) == set(sixty)
    newest_first = sort in ("updated", "created", "priority")
    # Within a tie the id decides, so the order is the creation order (or its reverse).
    assert flat == (sixty[::-1] if newest_first else sixty)


def test_next_link_keeps_filters_and_is_absolute(client_for, agent, sixty):  # noqa: F811
    body = client_for(agent).get(f"{LIST_URL}?page_size=5&status=new&q=Burst").json()
    assert body["next"].startswith("http://testserver/api/v1/tickets/?")
    assert "status=new" in body["next"] and "q=Burst" in body["next"] and "cursor=" in body["next"]


def test_page_size_is_capped_at_100(client_for, agent, make_ticket):  # noqa: F811
    for _ in range(3):
        make_ticket()
    body = client_for(agent).get(f"{LIST_URL}?page_size=1000").json()
    assert len(body["results"]) == 3 and body["next"] is None
