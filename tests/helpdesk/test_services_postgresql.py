"""PostgreSQL only: real concurrency (threads, each with its own connection) and full-text search.

These use committed data (``transactional_db``): a thread cannot see the test's
uncommitted rows, and row locks only mean something between separate connections.
"""

from __future__ import annotations

import threading
import time
from concurrent.futures import ThreadPoolExecutor

import pytest
from django.db import connection, connections
from django.test.utils import CaptureQueriesContext

from helpdesk import events, selectors, services
from helpdesk.errors import StaleVersion
from helpdesk.models import Ticket, TicketEvent
from helpdesk.selectors import TicketFilters

pytestmark = pytest.mark.postgresql


def in_threads(*calls, timeout: float = 30):
    """Run each call in its own thread, released together; return results or exceptions, in order."""
    barrier = threading.Barrier(len(calls))

    def run(call):
        try:
            barrier.wait(timeout)
            return call()
        except Exception as error:  # the caller inspects what each thread raised
            return error
        finally:
            # Each thread opened its own connection; close it or the test database
            # cannot be dropped at the end of the session.
            connections.close_all()

    with ThreadPoolExecutor(max_workers=len(calls)) as pool:
        futures = [pool.submit(run, call) for call in calls]
        return [future.result(timeout=timeout) for future in futures]


def wait_until_another_backend_waits_for_me(timeout: float = 10) -> None:
    """Block until some other session of this database waits on a lock this session holds.

    Asked of PostgreSQL (``pg_blocking_pids``), not guessed with a pause: when it
    returns, the other change is really queued behind this one's row lock.
    """
    deadline = time.monotonic() + timeout
    with connection.cursor() as cursor:
        while True:
            cursor.execute(
                "SELECT EXISTS (SELECT 1 FROM pg_locks"
                " WHERE NOT granted AND pg_backend_pid() = ANY(pg_blocking_pids(pid)))"
            )
            if cursor.fetchone()[0]:
                return
            if time.monotonic() > deadline:
                raise AssertionError("the other change never waited for this one's row lock")
            time.sleep(0.005)


class LockOrder:
    """Makes two concurrent changes overlap for certain: the first to lock the ticket keeps its
    transaction open until the second is blocked behind it; ``after_first`` starts a call only
    once the first holds the lock.

    The broadcast is queued inside the transaction, after the row is written, so that is
    where the first change waits. Changes made before ``arm()`` (setting up) pass through.
    """

    def __init__(self, original) -> None:
        self.original = original
        self.first_holds_lock = threading.Event()
        self._claimed = threading.Lock()
        self._armed = False
        self._first_seen = False

    def arm(self) -> LockOrder:
        self._armed = True
        return self

    def broadcast(self, **kwargs) -> None:
        self.original(**kwargs)
        with self._claimed:
            first = self._armed and not self._first_seen
            self._first_seen = self._first_seen or first
        if first:
            self.first_holds_lock.set()
            wait_until_another_backend_waits_for_me()

    def after_first(self, call):
        def wrapped():
            assert self.first_holds_lock.wait(10), "the first change never took the row lock"
            return call()

        return wrapped


@pytest.fixture
def lock_order(monkeypatch):
    order = LockOrder(events.broadcast_ticket_changed)
    monkeypatch.setattr(events, "broadcast_ticket_changed", order.broadcast)
    return order


@pytest.mark.django_db(transaction=True)
def test_same_expected_version_exactly_one_wins(agent, agent2, ticket, lock_order):
    version = ticket.version
    lock_order.arm()
    results = in_threads(
        lambda: services.ticket_update(actor=agent, ticket=ticket, status="pending", expected_version=version),
        lambda: services.ticket_update(actor=agent2, ticket=ticket, status="on_hold", expected_version=version),
    )
    winners = [r for r in results if isinstance(r, Ticket)]
    losers = [r for r in results if isinstance(r, StaleVersion)]
    assert len(winners) == 1 and len(losers) == 1, results
    fresh = Ticket.objects.get(pk=ticket.pk)
    assert fresh.version == version + 1
    assert fresh.status == winners[0].status
    # The loser was told the state the winner left behind.
    assert losers[0].current.version == version + 1 and losers[0].current.status == fresh.status
    status_rows = list(TicketEvent.objects.filter(ticket=ticket, kind="status"))
    assert [(r.old_value, r.new_value) for r in status_rows] == [("new", fresh.status)]


@pytest.mark.django_db(transaction=True)
def test_twenty_concurrent_creates_get_distinct_consecutive_numbers(agent, customer):
    def create(i):
        return lambda: services.ticket_create(actor=agent, requester=customer, subject=f"Parallel {i}", body="x")

    # No counter row exists yet: the first creators also race to create it.
    results = in_threads(*(create(i) for i in range(20)))
    errors = [r for r in results if isinstance(r, Exception)]
    assert errors == []
    numbers = sorted(t.number for t in results)
    assert numbers == list(range(1001, 1021))
    assert sorted(Ticket.objects.values_list("number", flat=True)) == numbers


@pytest.mark.django_db(transaction=True)
@pytest.mark.parametrize("customer_first", [True, False])
def test_concurrent_customer_reply_and_agent_status_change_lose_nothing(
    agent, customer, ticket, lock_order, customer_first
):
    services.ticket_update(actor=agent, ticket=ticket, status="pending")
    start = Ticket.objects.get(pk=ticket.pk)

    def reply():
        return services.ticket_message_post(actor=customer.user, ticket=ticket, body="Still broken")

    def solve():
        return services.ticket_update(actor=agent, ticket=ticket, status="solved")

    # The first takes the row lock; the second starts only then and queues behind it.
    first, second = (reply, solve) if customer_first else (solve, reply)
    results = in_threads(first, lock_order.arm().after_first(second))
    assert not [r for r in results if isinstance(r, Exception)], results

    fresh = Ticket.objects.get(pk=ticket.pk)
    assert fresh.version == start.version + 2, "both changes were applied, one after the other"
    rows = list(TicketEvent.objects.filter(ticket=ticket, created_at__gt=start.updated_at).order_by("created_at", "id"))
    assert sum(r.kind == "reply" for r in rows) == 1
    statuses = [(r.old_value, r.new_value) for r in rows if r.kind == "status"]
    # The status rows form an unbroken chain from pending to the final status:
    # neither change was computed from a state the other had already replaced.
    assert statuses[0][0] == "pending"
    for (_, new), (old, _) in zip(statuses, statuses[1:]):
        assert old == new
    assert statuses[-1][1] == fresh.status
    if customer_first:
        assert statuses == [("pending", "open"), ("open", "solved")]
    else:
        assert statuses == [("pending", "solved"), ("solved", "open")]


# --- full-text search -----------------------------------------------------------------------


def search(user, text):
    page = selectors.ticket_list(user=user, filters=TicketFilters(view="all", q=text), page_size=100)
    return {t.subject for t in page.items}


@pytest.fixture
def searchable(agent, customer, customer2, make_ticket):
    invoice = make_ticket(subject="Cannot download invoices", body="The PDF button does nothing.")
    login = make_ticket(subject="Login loop", body="I keep getting redirected when I sign in.")
    services.ticket_message_post(actor=customer.user, ticket=login, body="It started after the invoice email.")
    services.ticket_message_post(actor=agent, ticket=login, body="Suspect the zanzibar cache layer", internal=True)
    other = make_ticket(requester=customer2, subject="Refund invoice request", body="Please refund.")
    return invoice, login, other


@pytest.mark.django_db
def test_search_subject_word(agent, searchable):
    assert search(agent, "download") == {"Cannot download invoices"}


@pytest.mark.django_db
def test_search_is_stemmed(agent, searchable):
    # "invoices" in a subject and "invoice" in a message both match either form.
    expected = {"Cannot download invoices", "Login loop", "Refund invoice request"}
    assert search(agent, "invoices") == expected
    assert search(agent, "invoice") == expected
    assert search(agent, "redirecting") == {"Login loop"}


@pytest.mark.django_db
def test_search_message_word(agent, searchable):
    assert search(agent, "button") == {"Cannot download invoices"}


@pytest.mark.django_db
def test_notes_are_searchable_for_agents_only(agent, customer, searchable):
    assert search(agent, "zanzibar") == {"Login loop"}
    assert search(customer.user, "zanzibar") == set()
    # A customer's search is scoped to their own tickets too.
    assert search(customer.user, "invoice") == {"Cannot download invoices", "Login loop"}


@pytest.mark.django_db
def test_web_search_syntax_and_stopwords_do_not_error(agent, customer2, searchable):
    assert search(agent, '"download invoices"') == {"Cannot download invoices"}
    assert search(agent, "invoice -refund") == {"Cannot download invoices", "Login loop"}
    # A stopword matches no words; the desk still finds Dana Other's ticket by her name.
    assert search(agent, "the") == {"Refund invoice request"}
    assert search(customer2.user, "the") == set()
    assert search(agent, "'); drop table x; --") == set()


@pytest.mark.django_db
def test_customer_search_plan_uses_an_index_on_messages(customer, searchable):
    """Customers search replies only (kind = 'reply'), which the partial index predicate covers."""
    with CaptureQueriesContext(connection) as queries:
        search(customer.user, "invoice")
    sql = [q["sql"] for q in queries.captured_queries if "to_tsvector" in q["sql"]]
    with connection.cursor() as cursor:
        cursor.execute("SET LOCAL enable_seqscan = off")
        cursor.execute("EXPLAIN " + sql[0])
        plan = "\n".join(row[0] for row in cursor.fetchall())
    # Bounded by the customer's own tickets (the partial full-text index, or the
    # messages of their tickets by ticket id): never a scan of every message on the desk.
    assert "Seq Scan on helpdesk_ticketevent" not in plan, plan
    assert "on helpdesk_ticketevent" in plan, plan
