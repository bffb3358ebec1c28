"""The desk's stored search document (PostgreSQL): current after every write, used by search."""

import pytest
from django.db import connection
from django.http import QueryDict
from django.test.utils import CaptureQueriesContext

from helpdesk import selectors, services
from helpdesk.demo import bulk_load
from helpdesk.models import Ticket

pytestmark = pytest.mark.postgresql


def found(user, text: str) -> list[int]:
    filters = selectors.parse_filters(QueryDict(), default_view="all")
    filters.q = text
    return [t.pk for t in selectors.ticket_list(user=user, filters=filters).items]


def test_created_ticket_is_searchable_by_subject_and_request(agent, make_ticket):
    ticket = make_ticket(subject="Invoices arrive empty", body="The PDF attachment has zero pages")
    assert found(agent, "invoice") == [ticket.pk]  # stemmed
    assert found(agent, "attachment") == [ticket.pk]
    assert found(agent, "unrelated") == []


def test_replies_notes_and_subject_changes_are_indexed_in_the_same_transaction(agent, ticket):
    services.ticket_message_post(actor=agent, ticket=ticket, body="Reproduced with the kangaroo template")
    services.ticket_message_post(actor=agent, ticket=ticket, body="Escalated to the wombat team", internal=True)
    services.ticket_update(actor=agent, ticket=ticket, subject="Renamed platypus subject")
    assert found(agent, "kangaroo") == [ticket.pk]
    assert found(agent, "wombat") == [ticket.pk]  # the desk searches notes
    assert found(agent, "platypus") == [ticket.pk]


def test_customers_never_match_on_internal_notes(agent, customer, ticket):
    services.ticket_message_post(actor=agent, ticket=ticket, body="Customer is a wombat fancier", internal=True)
    assert found(agent, "wombat") == [ticket.pk]
    assert found(customer.user, "wombat") == []


def test_search_uses_the_search_document_index(agent, make_ticket):
    for i in range(30):
        make_ticket(subject=f"Filler subject {i}")
    make_ticket(subject="Needle in the haystack")
    with CaptureQueriesContext(connection) as queries:
        found(agent, "needle")
    sql = [q["sql"] for q in queries.captured_queries if "search_document" in q["sql"] and "@@" in q["sql"]]
    assert len(sql) == 1, sql
    sql = sql[0]
    with connection.cursor() as cursor:
        # On a table this small a walk down the "recently updated" index is cheapest;
        # with plain scans off, the only way left to the match is an index on it.
        cursor.execute("SET LOCAL enable_seqscan = off")
        cursor.execute("SET LOCAL enable_indexscan = off")
        cursor.execute("EXPLAIN " + sql)
        plan = "\n".join(row[0] for row in cursor.fetchall())
    assert "ticket_search_document" in plan, plan


def test_bulk_load_fills_the_documents(agent, make_customer):
    make_customer("walkin", with_login=False)  # bulk requesters are customers without a login
    result = bulk_load.ticket_bulk_load(actor=None, count=40, rebuild_indexes=True)
    assert result.tickets == 40
    assert not Ticket.objects.filter(search_document__isnull=True).exists()
