"""Bulk writes for demo data and benchmarks: the one entry for loading many tickets fast.

``ticket_bulk_load`` is what ``manage.py seed_demo --tickets N`` and the benchmarks
(``tests/benchmarks/``) call; the smaller helpers here serve the demo seeding. They
live beside the demo rather than in ``helpdesk.services`` because they exist for it:
the services never import the demo, and the demo builds on the services
(``ticket_reserve_numbers``, ``search_document_fill_range``).

They bypass the one-ticket-at-a-time services on purpose: loading a million tickets
through ``ticket_create`` would take hours. They write the same rows (ticket, timeline
events, tag links) the services would, and the same derived columns, but in blocks:
PostgreSQL gets ``COPY``, SQLite ``bulk_create`` in batches. No real-time events are
broadcast for bulk rows.
"""

from __future__ import annotations

import queue
import threading
import time
from collections.abc import Callable, Iterable, Iterator, Mapping, Sequence
from dataclasses import dataclass, field
from datetime import UTC, datetime, timedelta
from typing import Protocol

from django.contrib.auth.models import AbstractBaseUser
from django.db import connection, transaction

from helpdesk import directory_cache
from helpdesk.errors import InvalidInput
from helpdesk.models import Customer, ReferenceCounter, Tag, Ticket, TicketEvent, TicketStatus
from helpdesk.services.audit import audit_record
from helpdesk.services.search_index import search_document_fill_range
from helpdesk.services.tickets import ticket_reserve_numbers

# Column order of the tuples a row source yields (the ticket id and number are
# added by the loader).
TICKET_COLUMNS = (
    "subject", "requester_id", "organization_id", "assignee_id", "team_id", "status", "priority", "channel",
    "feature_id", "version", "created_at", "updated_at", "first_response_at", "solved_at", "closed_at",
)  # fmt: skip
EVENT_COLUMNS = ("kind", "actor_id", "customer_id", "body", "old_value", "new_value", "created_at")
# Times are UNIX seconds (int) or None.
# Ticket columns the loader derives from the events, as the services keep them.
DERIVED_TICKET_COLUMNS = ("last_customer_message_at", "last_agent_reply_at")
_REPLY = TicketEvent.Kind.REPLY.value

TicketRow = tuple  # values in TICKET_COLUMNS order
EventRow = tuple  # values in EVENT_COLUMNS order
GeneratedTicket = tuple[TicketRow, Sequence[EventRow], Sequence[int]]  # ticket, its events in order, tag ids


class TicketRowSource(Protocol):
    """Produces the rows of generated tickets (``helpdesk.demo.factory.TicketFactory`` is the usual one)."""

    def generate(self, count: int) -> Iterator[GeneratedTicket]: ...


@dataclass
class BulkLoadResult:
    tickets: int
    events: int
    tag_links: int
    first_number: int | None
    seconds: float
    method: str
    phases: dict[str, float] = field(default_factory=dict)  # seconds per step (copy, indexes, analyze…)

    @property
    def rate(self) -> float:
        return self.tickets / self.seconds if self.seconds else 0.0


# --- small helpers for seeding ----------------------------------------------------------


@transaction.atomic
def seed_marker_claim(*, actor: AbstractBaseUser | None, name: str, value: int = 1) -> bool:
    """Record that a one-off seeding step ran; False when it had already been claimed.

    Called inside the seeding transaction, the marker disappears with it if the
    seeding fails, so an interrupted run is simply repeated.
    """
    _, created = ReferenceCounter.objects.get_or_create(name=name, defaults={"value": value})
    return created


@transaction.atomic
def tags_ensure(*, actor: AbstractBaseUser | None, names: Iterable[str]) -> dict[str, int]:
    """Tag ids by name, creating the missing tags."""
    wanted = sorted(set(names))
    existing = set(Tag.objects.filter(name__in=wanted).values_list("name", flat=True))
    Tag.objects.bulk_create([Tag(name=n) for n in wanted], ignore_conflicts=True)
    directory_cache.invalidate()  # bulk_create sends no post_save
    ids = dict(Tag.objects.filter(name__in=wanted).values_list("name", "id"))
    for name in wanted:
        if name not in existing and name in ids:
            audit_record(actor=actor, action="tag.created", object_type="tag", object_id=ids[name],
                         object_label=name, changes={"name": [None, name]})
    return ids


@transaction.atomic
def customer_bulk_create(*, actor: AbstractBaseUser | None, customers: Iterable[dict]) -> int:
    """Create many customers (``name``, ``email``, ``organization_id``, values); existing e-mails are skipped."""
    rows = [Customer(**fields) for fields in customers]
    for row in rows:
        if "@" not in (row.email or ""):
            raise InvalidInput(f"{row.email!r} is not an e-mail address.", field="email")
    before = Customer.objects.count()
    Customer.objects.bulk_create(rows, batch_size=2000, ignore_conflicts=True)
    created = Customer.objects.count() - before
    if created:
        # One row for the load (thousands of generated customers), saying how many.
        audit_record(
            actor=actor, action="customer.bulk_created", object_type="customer",
            object_label=f"{created:,} customers loaded in bulk", changes={"count": [None, created]},
        )
    return created


@transaction.atomic
def ticket_backdate_demo(
    *, actor: AbstractBaseUser | None, ticket: Ticket, event_times: Mapping[int, datetime]
) -> Ticket:
    """Move a demo ticket's timeline into the past and derive the ticket's times from it.

    Demo tickets are written through the normal services, which stamp ``now()``;
    this gives each timeline event the moment it "happened". The events must keep
    their order, and the ticket's created/updated/first-response/solved/closed
    times are recomputed from the timeline so the two never disagree.
    """
    # In the order they were written, which is the order the timeline must keep.
    events = list(TicketEvent.objects.filter(ticket_id=ticket.pk).order_by("id"))
    unknown = set(event_times) - {e.pk for e in events}
    if unknown:
        raise InvalidInput(f"Events {sorted(unknown)} are not on {ticket.reference}.", field="event_times")
    for event in events:
        event.created_at = event_times.get(event.pk, event.created_at)
    ordered = [e.created_at for e in events]
    if ordered != sorted(ordered):
        raise InvalidInput("The new times would reorder the timeline.", field="event_times")
    TicketEvent.objects.bulk_update(events, ["created_at"])

    ticket = Ticket.objects.select_for_update().get(pk=ticket.pk)
    created = next((e for e in events if e.kind == TicketEvent.Kind.CREATED), events[0])
    ticket.created_at = created.created_at
    ticket.updated_at = events[-1].created_at
    replies = [e for e in events if e.kind == TicketEvent.Kind.REPLY]
    # The first reply is the request itself; the first desk reply after it is the response.
    answer = next((e for e in replies[1:] if e.customer_id is None), None)
    if ticket.first_response_at is not None and answer is not None:
        ticket.first_response_at = answer.created_at
    statuses = [e for e in events if e.kind == TicketEvent.Kind.STATUS]
    if ticket.solved_at is not None:
        ticket.solved_at = next(e.created_at for e in reversed(statuses) if e.new_value == TicketStatus.SOLVED)
    if ticket.closed_at is not None:
        ticket.closed_at = next(e.created_at for e in reversed(statuses) if e.new_value == TicketStatus.CLOSED)
    ticket.last_customer_message_at = max((e.created_at for e in replies if e.customer_id is not None), default=None)
    ticket.last_agent_reply_at = max((e.created_at for e in replies if e.customer_id is None), default=None)
    ticket.save(
        update_fields=["created_at", "updated_at", "first_response_at", "solved_at", "closed_at", *DERIVED_TICKET_COLUMNS]
    )
    return ticket


def message_times(event_rows: Sequence[EventRow]) -> tuple[int | None, int | None]:
    """When the customer last wrote and when the desk last replied in public, from a ticket's events.

    The customer's words carry their ``customer_id``; the desk's replies carry none.
    """
    customer_at = agent_at = None
    for kind, _, customer_id, _, _, _, at in event_rows:
        if kind != _REPLY:
            continue
        if customer_id is not None:
            customer_at = at if customer_at is None or at > customer_at else customer_at
        else:
            agent_at = at if agent_at is None or at > agent_at else agent_at
    return customer_at, agent_at


# --- the loader -----------------------------------------------------------------------------


def ticket_bulk_load(
    *,
    actor: AbstractBaseUser | None,
    count: int,
    source: TicketRowSource | None = None,
    batch_size: int = 25_000,
    rebuild_indexes: bool | None = None,
    analyze: bool = True,
    progress: Callable[[int, int, float], None] | None = None,
) -> BulkLoadResult:
    """Insert ``count`` generated tickets with their timelines and tags, fast.

    Ticket numbers are reserved in one block from the reference counter, so
    tickets created later through ``ticket_create`` continue after them.

    On PostgreSQL everything happens in one transaction (all or nothing) with
    ``COPY``; for large loads (``rebuild_indexes``, by default when adding at
    least 100,000 tickets and more than the table holds) the secondary indexes
    are dropped first and rebuilt at the end, which is several times faster than
    maintaining them row by row. The tables are locked against writers while that
    happens. ``analyze`` refreshes the planner statistics afterwards (when the
    load was committed, i.e. not called inside a transaction).
    """
    if count < 1:
        raise InvalidInput("Load at least one ticket.", field="count")
    if source is None:
        # Imported here: the factory takes its tag ids from ``tags_ensure`` below.
        from helpdesk.demo.factory import TicketFactory

        source = TicketFactory.from_database()
    started = time.perf_counter()
    if connection.vendor == "postgresql":
        with transaction.atomic():
            first_number = ticket_reserve_numbers(actor=actor, count=count)
            totals = _load_with_copy(
                rows=source.generate(count),
                count=count,
                first_number=first_number,
                batch_size=batch_size,
                rebuild_indexes=rebuild_indexes,
                progress=lambda done: progress and progress(done, count, time.perf_counter() - started),
            )
        method = "copy" + ("+rebuild" if totals["rebuilt"] else "")
        # Not inside a caller's transaction: statistics describing uncommitted
        # rows would mislead every other session, and outlive a rollback.
        if analyze and not connection.in_atomic_block:
            analyzing = time.perf_counter()
            with connection.cursor() as cursor:
                # Customers too: a pool of new requesters with stale counts
                # misleads every plan that joins them.
                cursor.execute("ANALYZE helpdesk_ticket, helpdesk_ticketevent, helpdesk_ticket_tags, helpdesk_customer")
            totals["phases"]["analyze"] = time.perf_counter() - analyzing
    else:
        with transaction.atomic():
            first_number = ticket_reserve_numbers(actor=actor, count=count)
            totals = _load_with_orm(
                rows=source.generate(count),
                first_number=first_number,
                batch_size=min(batch_size, 2_000),
                progress=lambda done: progress and progress(done, count, time.perf_counter() - started),
            )
        method = "bulk_create"
        totals["phases"] = {}
    return BulkLoadResult(
        tickets=totals["tickets"],
        events=totals["events"],
        tag_links=totals["tag_links"],
        first_number=first_number,
        seconds=time.perf_counter() - started,
        method=method,
        phases=totals["phases"],
    )


# --- PostgreSQL: COPY -------------------------------------------------------------------------

_TABLES = ("helpdesk_ticket", "helpdesk_ticketevent", "helpdesk_ticket_tags")
_DAYS: dict[int, str] = {}
_EPOCH = datetime(1970, 1, 1, tzinfo=UTC)


def _copy_time(ts: int | float | None) -> str:
    """UNIX seconds as a COPY timestamptz literal; ~5x faster than datetime.isoformat()."""
    if ts is None:
        return "\\N"
    day, second = divmod(int(ts), 86400)
    date_text = _DAYS.get(day)
    if date_text is None:
        date_text = _DAYS[day] = (_EPOCH + timedelta(days=day)).date().isoformat()
    hour, rest = divmod(second, 3600)
    minute, sec = divmod(rest, 60)
    return f"{date_text} {hour:02d}:{minute:02d}:{sec:02d}+00"


def _copy_text(value: str | None) -> str:
    if value is None:
        return "\\N"
    return value.replace("\\", "\\\\").replace("\t", "\\t").replace("\n", "\\n").replace("\r", "\\r")


def _copy_id(value: int | None) -> str:
    return "\\N" if value is None else str(value)


def _secondary_indexes(cursor, table: str) -> list[tuple[str, str]]:
    """Indexes that back no constraint (those can be dropped and rebuilt), with their definitions."""
    cursor.execute(
        """
        SELECT i.relname, pg_get_indexdef(i.oid)
        FROM pg_index x JOIN pg_class i ON i.oid = x.indexrelid
        WHERE x.indrelid = %s::regclass
          AND NOT EXISTS (SELECT 1 FROM pg_constraint c WHERE c.conindid = x.indexrelid)
        ORDER BY i.relname
        """,
        [table],
    )
    return list(cursor.fetchall())


def _foreign_keys(cursor, table: str) -> list[tuple[str, str]]:
    """The table's own foreign keys, with definitions to re-add them exactly."""
    cursor.execute(
        "SELECT conname, pg_get_constraintdef(oid) FROM pg_constraint "
        "WHERE conrelid = %s::regclass AND contype = 'f' ORDER BY conname",
        [table],
    )
    return list(cursor.fetchall())


def _reserve_ticket_ids(cursor, count: int) -> int:
    """Take ``count`` consecutive ticket ids from the id sequence (the table is locked meanwhile)."""
    cursor.execute("SELECT pg_get_serial_sequence('helpdesk_ticket', 'id')")
    (sequence,) = cursor.fetchone()
    cursor.execute("SELECT nextval(%s)", [sequence])
    (first_id,) = cursor.fetchone()
    cursor.execute("SELECT setval(%s, %s)", [sequence, first_id + count - 1])
    return first_id


def _copy_batches(
    rows: Iterator[GeneratedTicket], *, first_id: int, first_number: int, batch_size: int
) -> Iterator[tuple[int, str, str, str, int, int]]:
    """COPY text for batches of tickets: (tickets, ticket text, event text, tag-link text, events, links)."""
    ticket_id, number = first_id, first_number
    ticket_lines: list[str] = []
    event_lines: list[str] = []
    link_lines: list[str] = []
    for ticket_row, event_rows, tag_ids in rows:
        (subject, requester_id, organization_id, assignee_id, team_id, status, priority, channel, feature_id,
         version, created_at, updated_at, first_response_at, solved_at, closed_at) = ticket_row  # fmt: skip
        customer_at, agent_at = message_times(event_rows)
        ticket_lines.append(
            f"{ticket_id}\t{number}\t{_copy_text(subject)}\t{requester_id}\t{_copy_id(organization_id)}\t"
            f"{_copy_id(assignee_id)}\t{_copy_id(team_id)}\t{status}\t{priority}\t{channel}\t"
            f"{_copy_id(feature_id)}\t{version}\t{_copy_time(created_at)}\t{_copy_time(updated_at)}\t"
            f"{_copy_time(first_response_at)}\t{_copy_time(solved_at)}\t{_copy_time(closed_at)}\t"
            f"{_copy_time(customer_at)}\t{_copy_time(agent_at)}\n"
        )
        for kind, actor_id, customer_id, body, old_value, new_value, at in event_rows:
            event_lines.append(
                f"{ticket_id}\t{kind}\t{_copy_id(actor_id)}\t{_copy_id(customer_id)}\t{_copy_text(body)}\t"
                f"{_copy_text(old_value)}\t{_copy_text(new_value)}\t{_copy_time(at)}\n"
            )
        for tag_id in tag_ids:
            link_lines.append(f"{ticket_id}\t{tag_id}\n")
        ticket_id += 1
        number += 1
        if len(ticket_lines) >= batch_size:
            yield (len(ticket_lines), "".join(ticket_lines), "".join(event_lines), "".join(link_lines),
                   len(event_lines), len(link_lines))  # fmt: skip
            ticket_lines, event_lines, link_lines = [], [], []
    if ticket_lines:
        yield (len(ticket_lines), "".join(ticket_lines), "".join(event_lines), "".join(link_lines),
               len(event_lines), len(link_lines))  # fmt: skip


def _in_background(batches: Iterator, depth: int = 2) -> Iterator:
    """Run a generator in a thread, ``depth`` items ahead.

    Python builds the next batch while the server ingests the current one (the
    COPY write waits on the socket with the GIL released), so on two cores the
    load takes about as long as the slower side instead of the sum of both.
    """
    done = object()
    items: queue.Queue = queue.Queue(maxsize=depth)
    stop = threading.Event()

    def produce() -> None:
        try:
            for item in batches:
                if stop.is_set():
                    return
                items.put(item)
            items.put(done)
        except BaseException as error:  # handed to the consumer, which re-raises it
            items.put(error)

    worker = threading.Thread(target=produce, name="bulk-load-rows", daemon=True)
    worker.start()
    try:
        while True:
            item = items.get()
            if item is done:
                return
            if isinstance(item, BaseException):
                raise item
            yield item
    finally:
        stop.set()
        while worker.is_alive():  # unblock a producer waiting on a full queue
            try:
                items.get_nowait()
            except queue.Empty:
                worker.join(0.05)


def _load_with_copy(
    *, rows: Iterator[GeneratedTicket], count: int, first_number: int, batch_size: int, rebuild_indexes, progress
) -> dict:
    totals = {"tickets": 0, "events": 0, "tag_links": 0, "rebuilt": False, "phases": {}}
    phases = totals["phases"]
    with connection.cursor() as cursor:
        # Losing the last commit in a crash is acceptable for a bulk load; it
        # saves a WAL flush per statement. Memory for the index rebuilds.
        cursor.execute("SET LOCAL synchronous_commit = off")
        cursor.execute("SET LOCAL maintenance_work_mem = '512MB'")
        # Check foreign keys as rows arrive rather than queueing millions of
        # deferred checks for the commit.
        cursor.execute("SET CONSTRAINTS ALL IMMEDIATE")
        cursor.execute(f"LOCK TABLE {', '.join(_TABLES)} IN SHARE ROW EXCLUSIVE MODE")
        cursor.execute("SELECT count(*) FROM helpdesk_ticket")
        (existing,) = cursor.fetchone()
        rebuild = rebuild_indexes if rebuild_indexes is not None else (count >= 100_000 and count > existing)
        dropped_indexes: list[tuple[str, str]] = []
        dropped_keys: list[tuple[str, str, str]] = []
        if rebuild:
            # Rebuilt in one pass at the end; foreign keys are re-validated by one
            # join per key instead of one lookup per row. All inside this
            # transaction: a failure leaves the schema exactly as it was.
            for table in _TABLES:
                for name, definition in _foreign_keys(cursor, table):
                    cursor.execute(f'ALTER TABLE {table} DROP CONSTRAINT "{name}"')
                    dropped_keys.append((table, name, definition))
                for name, definition in _secondary_indexes(cursor, table):
                    cursor.execute(f'DROP INDEX "{name}"')
                    dropped_indexes.append((name, definition))
        first_id = _reserve_ticket_ids(cursor, count)
        raw = cursor.cursor  # the psycopg cursor, for COPY
        statements = (
            f"COPY helpdesk_ticket (id, number, {', '.join(TICKET_COLUMNS + DERIVED_TICKET_COLUMNS)}) FROM STDIN",
            f"COPY helpdesk_ticketevent (ticket_id, {', '.join(EVENT_COLUMNS)}) FROM STDIN",
            "COPY helpdesk_ticket_tags (ticket_id, tag_id) FROM STDIN",
        )
        started = time.perf_counter()
        batches = _copy_batches(rows, first_id=first_id, first_number=first_number, batch_size=batch_size)
        for tickets, *texts, events, links in _in_background(batches):
            for statement, text in zip(statements, texts):
                if text:
                    with raw.copy(statement) as copy:
                        copy.write(text)
            totals["tickets"] += tickets
            totals["events"] += events
            totals["tag_links"] += links
            progress(totals["tickets"])
        phases["copy"] = time.perf_counter() - started
        if totals["tickets"] != count:
            raise InvalidInput(f"The row source produced {totals['tickets']} tickets, not {count}.", field="source")
        started = time.perf_counter()
        # Before the indexes come back: filling a column is cheaper with its GIN index absent.
        search_document_fill_range(actor=None, first_id=first_id, last_id=first_id + count - 1)
        phases["search_documents"] = time.perf_counter() - started
        started = time.perf_counter()
        for _, definition in dropped_indexes:
            cursor.execute(definition)
        phases["indexes"] = time.perf_counter() - started
        started = time.perf_counter()
        for table, name, definition in dropped_keys:
            cursor.execute(f'ALTER TABLE {table} ADD CONSTRAINT "{name}" {definition}')
        phases["foreign_keys"] = time.perf_counter() - started
        # Back to Django's deferred foreign-key checks for whatever else the
        # surrounding transaction (a caller's atomic block) still does.
        cursor.execute("SET CONSTRAINTS ALL DEFERRED")
        totals["rebuilt"] = bool(dropped_indexes)
    return totals


# --- elsewhere (SQLite): bulk_create -----------------------------------------------------------


_TIME_COLUMNS = ("created_at", "updated_at", "first_response_at", "solved_at", "closed_at", *DERIVED_TICKET_COLUMNS)


def _aware(ts: int | float | None) -> datetime | None:
    return None if ts is None else datetime.fromtimestamp(ts, tz=UTC)


def _load_with_orm(*, rows: Iterator[GeneratedTicket], first_number: int, batch_size: int, progress) -> dict:
    """The portable path (SQLite): bulk_create in batches; fine for thousands, not millions."""
    TagLink = Ticket.tags.through
    totals = {"tickets": 0, "events": 0, "tag_links": 0}
    number = first_number
    batch: list[GeneratedTicket] = []

    def flush() -> None:
        nonlocal number
        tickets = []
        for ticket_row, event_rows, _ in batch:
            fields = dict(zip(TICKET_COLUMNS, ticket_row))
            fields.update(zip(DERIVED_TICKET_COLUMNS, message_times(event_rows)))
            for name in _TIME_COLUMNS:
                fields[name] = _aware(fields[name])
            tickets.append(Ticket(number=number, **fields))
            number += 1
        Ticket.objects.bulk_create(tickets)  # fills in the ids on SQLite and PostgreSQL
        events, links = [], []
        for ticket, (_, event_rows, tag_ids) in zip(tickets, batch):
            for event_row in event_rows:
                fields = dict(zip(EVENT_COLUMNS, event_row))
                fields["created_at"] = _aware(fields["created_at"])
                events.append(TicketEvent(ticket_id=ticket.pk, **fields))
            links.extend(TagLink(ticket_id=ticket.pk, tag_id=tag_id) for tag_id in tag_ids)
        TicketEvent.objects.bulk_create(events, batch_size=batch_size)
        TagLink.objects.bulk_create(links, batch_size=batch_size)
        totals["tickets"] += len(tickets)
        totals["events"] += len(events)
        totals["tag_links"] += len(links)
        batch.clear()
        progress(totals["tickets"])

    for generated in rows:
        batch.append(generated)
        if len(batch) >= batch_size:
            flush()
    if batch:
        flush()
    return totals
