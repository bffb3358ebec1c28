"""The escalations API: features and the release gate, raising, linking, transitions, comments, and who gets what."""

from __future__ import annotations

import pytest
from django.db import connection
from django.test.utils import CaptureQueriesContext

from escalations import services
from escalations.models import Escalation, EscalationLink
from helpdesk import services as desk_services
from helpdesk.models import AuditEvent
from tests.escalations.conftest import raise_on

pytestmark = pytest.mark.django_db


def test_features_list_their_blocked_state_for_any_desk_user(api, agent, feature, other_feature, ticket):
    raise_on(ticket, feature, agent)
    rows = api(agent).get("/api/v1/features/").json()["results"]
    assert [(row["key"], row["product"], row["blocked"]) for row in rows] == [
        ("billing.invoices", "billing", True),
        ("reports.exports", "reports", False),
    ]
    assert rows[0]["owner"] == "pm" and rows[1]["owner"] is None


def test_the_gate_answers_200_then_423_naming_the_blocking_escalations_then_200_again(
    api, agent, product_manager, feature, ticket
):
    client = api(agent)
    assert client.get("/api/v1/features/billing.invoices/gate/").json() == {
        "feature": "billing.invoices",
        "blocked": False,
        "escalations": [],
    }
    escalation = raise_on(ticket, feature, agent)
    raise_on(ticket, feature, agent, severity="major", title="Slow")  # a major one does not block
    locked = client.get("/api/v1/features/billing.invoices/gate/")
    assert locked.status_code == 423
    assert locked.json() == {"feature": "billing.invoices", "blocked": True, "escalations": [escalation.reference]}
    services.escalation_transition(actor=product_manager, escalation=escalation, action="reject", text="Works as designed.")
    assert client.get("/api/v1/features/billing.invoices/gate/").status_code == 200


def test_the_gate_reads_no_cache_and_costs_at_most_three_queries(api, agent, feature, ticket):
    client = api(agent)
    client.get("/api/v1/features/billing.invoices/gate/")
    raise_on(ticket, feature, agent)
    with CaptureQueriesContext(connection) as queries:
        assert client.get("/api/v1/features/billing.invoices/gate/").status_code == 423
    assert len(queries) <= 4, [q["sql"] for q in queries]  # the token, the permission cache, the gate (one on PostgreSQL)


def test_an_unknown_feature_is_404_and_customers_reach_nothing(api, customer, feature):
    assert api(customer.user).get("/api/v1/features/").status_code == 403
    assert api(customer.user).get("/api/v1/features/billing.invoices/gate/").status_code == 403
    assert api(customer.user).get("/api/v1/escalations/").status_code == 403
    assert api().get("/api/v1/features/billing.invoices/gate/").status_code == 401
    client = api(customer.user)
    assert client.get("/api/v1/features/nope.nothing/gate/").status_code == 403


def test_raising_through_the_api_links_tickets_and_answers_201(api, agent, feature, make_ticket):
    first, second = make_ticket(subject="Blank PDF"), make_ticket(subject="Empty invoice")
    answer = api(agent).post(
        "/api/v1/escalations/",
        {
            "feature": "billing.invoices",
            "title": "Invoice PDFs are empty",
            "description": "Customers download a blank PDF.",
            "severity": "blocking",
            "tickets": [first.reference, second.reference],
        },
        format="json",
    )
    assert answer.status_code == 201, answer.json()
    body = answer.json()
    assert body["reference"].startswith("ESC-") and body["status"] == "open" and answer["Location"].endswith(f"/{body['reference']}/")
    assert sorted(body["tickets"]) == sorted([first.reference, second.reference])
    assert body["impact"]["tickets"] == 2 and body["impact"]["customers"] == 1 and body["impact"]["value"] == "120000.00"
    assert answer["ETag"] == f'"{body["version"]}"'


@pytest.mark.parametrize(
    ("changes", "field", "status"),
    [
        ({"feature": "nope.nothing"}, "feature", 400),
        ({"severity": "catastrophic"}, "severity", 400),
        ({"title": ""}, "title", 400),
        ({"description": "   "}, "customer_impact", 400),
        ({"tickets": ["HD-999999"]}, None, 404),
        ({"colour": "red"}, "colour", 400),
    ],
)
def test_bad_input_to_raise_names_the_field_and_saves_nothing(api, agent, feature, changes, field, status):
    data = {"feature": "billing.invoices", "title": "Broken", "description": "It breaks.", "severity": "blocking", **changes}
    answer = api(agent).post("/api/v1/escalations/", data, format="json")
    assert answer.status_code == status, answer.json()
    if field:
        assert field in answer.json()
    assert not Escalation.objects.exists()
    assert api(agent).get("/api/v1/features/billing.invoices/gate/").status_code == 200


def test_a_ticket_the_caller_may_not_see_is_404_like_a_missing_one(api, agent, manager, feature, make_ticket):
    hidden = make_ticket(subject="Spam")
    desk_services.ticket_mark_spam(actor=manager, ticket=hidden)
    answer = api(agent).post(
        "/api/v1/escalations/",
        {"feature": "billing.invoices", "title": "X", "description": "Y", "severity": "minor", "tickets": [hidden.reference]},
        format="json",
    )
    missing = api(agent).post(
        "/api/v1/escalations/",
        {"feature": "billing.invoices", "title": "X", "description": "Y", "severity": "minor", "tickets": ["HD-999999"]},
        format="json",
    )
    assert answer.status_code == missing.status_code == 404
    assert not Escalation.objects.exists()


def test_linking_is_201_then_a_200_no_op(api, agent, feature, ticket, make_ticket):
    escalation = raise_on(ticket, feature, agent)
    other = make_ticket(subject="Me too")
    url = f"/api/v1/escalations/{escalation.reference}/links/"
    first = api(agent).post(url, {"ticket": other.reference}, format="json")
    again = api(agent).post(url, {"ticket": other.reference}, format="json")
    assert first.status_code == 201 and again.status_code == 200
    assert EscalationLink.objects.filter(escalation=escalation).count() == 2
    assert again.json()["version"] == first.json()["version"] and again.json()["impact"]["tickets"] == 2
    assert api(agent).post(url, {"ticket": "HD-999999"}, format="json").status_code == 404


def test_transitions_check_the_table_the_role_and_the_reason(api, agent, product_manager, manager, feature, ticket):
    escalation = raise_on(ticket, feature, agent)
    url = f"/api/v1/escalations/{escalation.reference}/transitions/"
    pm = api(product_manager)
    assert api(agent).post(url, {"action": "acknowledge"}, format="json").status_code == 403
    not_from_open = pm.post(url, {"action": "fix", "note": "Shipped."}, format="json")
    assert not_from_open.status_code == 400 and "action" in not_from_open.json()
    unknown = pm.post(url, {"action": "explode"}, format="json")
    assert unknown.status_code == 400 and "action" in unknown.json()
    done = pm.post(url, {"action": "acknowledge"}, format="json")
    assert done.status_code == 200 and done.json()["status"] == "acknowledged"
    assert done.json()["allowed_actions"] == ["start", "request_info", "fix", "reject"]
    no_reason = pm.post(url, {"action": "reject"}, format="json")
    assert no_reason.status_code == 400 and "note" in no_reason.json()
    stale = pm.post(url, {"action": "start", "version": 1}, format="json")
    assert stale.status_code == 409 and stale.json()["current"]["status"] == "acknowledged"
    assert stale["ETag"] == f'"{done.json()["version"]}"'
    rejected = pm.post(url, {"action": "reject", "note": "Works as designed."}, format="json")
    assert rejected.status_code == 200 and rejected.json()["status"] == "rejected"
    assert api(agent).post(url, {"action": "reopen", "note": "Customers disagree."}, format="json").status_code == 403
    reopened = api(manager).post(url, {"action": "reopen", "note": "Customers disagree."}, format="json")
    assert reopened.status_code == 200 and reopened.json()["status"] == "open"
    assert AuditEvent.objects.filter(action="escalation.reopen", actor=manager).exists()


def test_comments_are_listed_and_created_like_ticket_messages(api, agent, product_manager, customer, feature, ticket):
    escalation = raise_on(ticket, feature, agent)
    url = f"/api/v1/escalations/{escalation.reference}/comments/"
    made = api(agent).post(url, {"body": "Three more customers called <b>today</b>."}, format="json")
    assert made.status_code == 201
    assert set(made.json()) == {"id", "body", "author", "created"} and made.json()["author"] == "agent"
    assert api(product_manager).post(url, {"body": ""}, format="json").status_code == 400
    listed = api(product_manager).get(url).json()
    assert [row["body"] for row in listed] == ["Three more customers called <b>today</b>."]
    assert api(customer.user).get(url).status_code == 404
    assert api(customer.user).post(url, {"body": "hi"}, format="json").status_code == 404


def test_a_customer_never_gets_escalation_data(api, agent, customer, feature, ticket):
    escalation = raise_on(ticket, feature, agent)
    client = api(customer.user)
    assert client.get(f"/api/v1/escalations/{escalation.reference}/").status_code == 404
    assert client.post(f"/api/v1/escalations/{escalation.reference}/links/", {"ticket": ticket.reference}, format="json").status_code == 404
    shown = client.get(f"/api/v1/tickets/{ticket.reference}/").json()
    assert "escalations" not in shown
    assert all("escalations" not in row for row in client.get("/api/v1/tickets/").json()["results"])


def test_ticket_answers_carry_their_escalations_for_the_desk_in_a_fixed_number_of_queries(api, agent, feature, make_ticket):
    tickets = [make_ticket(subject=f"Problem {n}") for n in range(3)]
    first = raise_on(tickets[0], feature, agent)
    second = raise_on(tickets[0], feature, agent, severity="minor", title="Also")
    services.escalation_link(actor=agent, escalation=first, ticket=tickets[1])
    client = api(agent)
    assert client.get(f"/api/v1/tickets/{tickets[0].reference}/").json()["escalations"] == [first.reference, second.reference]
    with CaptureQueriesContext(connection) as few:
        rows = client.get("/api/v1/tickets/", {"view": "all"}).json()["results"]
    by_ref = {row["reference"]: row["escalations"] for row in rows}
    assert by_ref[tickets[1].reference] == [first.reference] and by_ref[tickets[2].reference] == []
    for n in range(5):
        make_ticket(subject=f"More {n}")
    with CaptureQueriesContext(connection) as more:
        client.get("/api/v1/tickets/", {"view": "all"})
    assert len(more) == len(few)


def test_the_board_ranks_blocking_first_then_by_impact_and_pages_by_cursor(
    api, agent, product_manager, feature, other_feature, make_ticket, customer2
):
    minor_big = raise_on(make_ticket(subject="a"), feature, agent, severity="minor", title="Many")
    for n in range(3):
        services.escalation_link(actor=agent, escalation=minor_big, ticket=make_ticket(subject=f"m{n}"))
    blocking_small = raise_on(make_ticket(subject="b"), other_feature, agent, title="Stopped")
    blocking_wide = raise_on(make_ticket(subject="c"), feature, agent, title="Stopped for two customers")
    services.escalation_link(actor=agent, escalation=blocking_wide, ticket=make_ticket(subject="d", requester=customer2))
    client = api(product_manager)
    first = client.get("/api/v1/escalations/", {"page_size": 2}).json()
    assert [row["reference"] for row in first["results"]] == [blocking_wide.reference, blocking_small.reference]
    second = client.get(first["next"]).json()
    assert [row["reference"] for row in second["results"]] == [minor_big.reference] and second["next"] is None
    mine = client.get("/api/v1/escalations/", {"mine": "1"}).json()["results"]
    assert {row["reference"] for row in mine} == {blocking_wide.reference, minor_big.reference}
    assert client.get("/api/v1/escalations/", {"severity": "minor"}).json()["results"][0]["reference"] == minor_big.reference
    assert client.get("/api/v1/escalations/", {"product": "reports"}).json()["results"][0]["reference"] == blocking_small.reference
    assert client.get("/api/v1/escalations/", {"status": "fixed"}).json()["results"] == []
    bad = client.get("/api/v1/escalations/", {"status": "sideways"})
    assert bad.status_code == 400 and "status" in bad.json()


def test_the_board_costs_the_same_queries_for_more_rows(api, agent, product_manager, feature, make_ticket):
    raise_on(make_ticket(subject="one"), feature, agent)
    client = api(product_manager)
    client.get("/api/v1/escalations/")  # the viewer's permissions are looked up once
    with CaptureQueriesContext(connection) as few:
        client.get("/api/v1/escalations/")
    for n in range(6):
        raise_on(make_ticket(subject=f"n{n}"), feature, agent, severity="major", title=f"Bug {n}")
    with CaptureQueriesContext(connection) as more:
        assert len(client.get("/api/v1/escalations/").json()["results"]) == 7
    assert len(more) == len(few)


def test_the_schema_documents_the_gate_and_the_escalations(client):
    schema = client.get("/api/schema/", {"format": "json"}).json()
    assert "423" in schema["paths"]["/api/v1/features/{key}/gate/"]["get"]["responses"]
    assert "post" in schema["paths"]["/api/v1/escalations/{reference}/transitions/"]
    ticket = schema["components"]["schemas"]["Ticket"]["properties"]
    assert ticket["escalations"]["type"] == "array"


def test_a_blocked_gate_is_not_logged_as_a_warning(api, agent, feature, ticket, caplog):
    raise_on(ticket, feature, agent)
    with caplog.at_level("WARNING", logger="django.request"):
        assert api(agent).get("/api/v1/features/billing.invoices/gate/").status_code == 423
        assert api(agent).get("/api/v1/features/nope.none/gate/").status_code == 404
    messages = [record.getMessage() for record in caplog.records if record.name == "django.request"]
    assert not any("Locked" in m for m in messages) and any("Not Found" in m for m in messages)
