"""Every read of escalations a page, the API or a consumer uses, scoped to the viewer.

Escalations name tickets and their customers, so only people who see every ticket (the
desk) see any; to anyone else every escalation and feature "does not exist" (404).
Lists take a fixed number of queries whatever their length.
"""

from __future__ import annotations

import re
from collections import defaultdict
from collections.abc import Iterable
from dataclasses import dataclass

from django.db import connection
from django.db.models import Q, QuerySet

from escalations import permissions
from escalations.models import (
    SEVERITY_RANK,
    UNRESOLVED_STATUSES,
    Escalation,
    EscalationEvent,
    EscalationLink,
    EscalationStatus,
    Feature,
    Product,
    Severity,
)
from helpdesk.errors import InvalidInput, NotFound
from helpdesk.keyset import MAX_PAGE_SIZE, Page, SortKey, paginate
from helpdesk.models import Ticket, format_reference

REFERENCE = re.compile(r"(?i)^\s*ESC-(\d{1,12})\s*$")

# Severity first (a stopped feature is answered before anything else), then impact,
# then the oldest first, then id: docs/escalations.md explains the ranking.
BOARD_ORDER = SortKey(columns=(("severity_rank", True), ("impact", True), ("created_at", False), ("id", False)))
BOARD_PAGE_SIZE = 50

STATUS_FILTERS = frozenset({"unresolved", "all", *EscalationStatus.values})


def _check_viewer(user) -> None:
    if not permissions.can_view_escalations(user):
        raise NotFound("No such escalation.")


def parse_reference(reference: str) -> int:
    match = REFERENCE.match(reference or "")
    if match is None:
        raise NotFound("No such escalation.")
    return int(match.group(1))


# --- Features and the gate -------------------------------------------------------------------


def features_visible_to(user) -> QuerySet[Feature]:
    """Every feature for the desk (the release gate is for any desk user's token); none for anyone else."""
    if not permissions.can_view_escalations(user):
        return Feature.objects.none()
    return Feature.objects.select_related("product", "owner").order_by("key")


def feature_get(*, user, key: str) -> Feature:
    feature = features_visible_to(user).filter(key=key).first()
    if feature is None:
        raise NotFound(f"No feature with the key {key!r}.")
    return feature


@dataclass(frozen=True)
class Gate:
    feature: str
    blocked: bool
    escalations: list[str]


_GATE_SQL = """
    SELECT f.blocked,
           CASE WHEN f.blocked THEN ARRAY(
               SELECT e.id FROM escalations_escalation e
               WHERE e.feature_id = f.id AND e.severity = %s AND e.status IN ({unresolved})
               ORDER BY e.id)
           END
    FROM escalations_feature f WHERE f.key = %s
"""


def feature_gate(*, user, key: str) -> Gate:
    """Whether ``key`` may ship, for ``user`` (the desk): see ``feature_gate_row``."""
    if not permissions.can_view_escalations(user):
        raise NotFound(f"No feature with the key {key!r}.")
    gate = feature_gate_row(key=key)
    if gate is None:
        raise NotFound(f"No feature with the key {key!r}.")
    return gate


def feature_gate_row(*, key: str) -> Gate | None:
    """The gate of ``key``, or None when there is no such feature; the caller has checked who asks.

    Read from the feature row the escalation services keep under lock, never a cache:
    one statement on PostgreSQL (pipelines ask this many times a minute), the flag and,
    when it is set, the blocking escalations' ids. They agree in every snapshot, since
    both change in the same transactions.
    """
    if connection.vendor == "postgresql":
        unresolved = sorted(UNRESOLVED_STATUSES)
        sql = _GATE_SQL.format(unresolved=", ".join(["%s"] * len(unresolved)))
        with connection.cursor() as cursor:
            cursor.execute(sql, [Severity.BLOCKING.value, *unresolved, key])
            row = cursor.fetchone()
    else:  # no arrays: the flag, then the ids
        found = Feature.objects.filter(key=key).order_by().values_list("pk", "blocked").first()
        row = None
        if found is not None:
            blocking = Escalation.objects.filter(
                feature_id=found[0], severity=Severity.BLOCKING, status__in=UNRESOLVED_STATUSES
            ).order_by("id")
            row = (found[1], list(blocking.values_list("id", flat=True)) if found[1] else None)
    if row is None:
        return None
    blocked, ids = row
    if not blocked:
        return Gate(feature=key, blocked=False, escalations=[])
    return Gate(feature=key, blocked=True, escalations=[f"ESC-{pk}" for pk in ids or []])


# --- The board -------------------------------------------------------------------------------


@dataclass(frozen=True)
class BoardFilters:
    status: str = "unresolved"  # "unresolved", "all" or one status
    severity: str = ""
    product: str = ""  # product key
    feature: str = ""  # feature key
    mine: bool = False  # only features the viewer owns
    q: str = ""

    def as_query(self) -> dict[str, str]:
        pairs = {
            "status": self.status if self.status != "unresolved" else "",
            "severity": self.severity,
            "product": self.product,
            "feature": self.feature,
            "mine": "1" if self.mine else "",
            "q": self.q,
        }
        return {name: value for name, value in pairs.items() if value}


def parse_board_filters(query) -> BoardFilters:
    """Board filters from a query string (a QueryDict or dict); a bad value is a 400 naming it."""
    status = (query.get("status") or "unresolved").strip()
    if status not in STATUS_FILTERS:
        raise InvalidInput(
            f"Unknown status {status!r}: use unresolved, all or one of {', '.join(EscalationStatus.values)}.",
            field="status",
        )
    severity = (query.get("severity") or "").strip()
    if severity and severity not in Severity.values:
        raise InvalidInput(f"Unknown severity {severity!r}: use {', '.join(Severity.values)}.", field="severity")
    mine = (query.get("mine") or "").strip().lower()
    if mine not in ("", "0", "1", "true", "false", "yes", "no"):
        raise InvalidInput("mine is 1 (only my features) or 0.", field="mine")
    q = (query.get("q") or "").strip()
    if len(q) > 200 or "\x00" in q:
        raise InvalidInput("Search for at most 200 characters.", field="q")
    return BoardFilters(
        status=status,
        severity=severity,
        product=(query.get("product") or "").strip()[:100],
        feature=(query.get("feature") or "").strip()[:100],
        mine=mine in ("1", "true", "yes"),
        q=q,
    )


def _board_queryset(user, filters: BoardFilters) -> QuerySet[Escalation] | None:
    """The board's rows for ``filters``; None when no row can match (an unknown key).

    Keys are turned into ids first (the product and feature tables are tiny), so the
    conditions land on the escalation's own indexed columns: severity as its rank (the
    leading column of the board's order), features as ids.
    """
    rows = Escalation.objects.all()
    if filters.status == "unresolved":
        rows = rows.filter(status__in=UNRESOLVED_STATUSES)
    elif filters.status != "all":
        rows = rows.filter(status=filters.status)
    if filters.severity:
        rows = rows.filter(severity_rank=SEVERITY_RANK[filters.severity])
    features = Feature.objects.all()
    narrowed = False
    if filters.feature:
        features, narrowed = features.filter(key=filters.feature), True
    if filters.product:
        features, narrowed = features.filter(product__key=filters.product), True
    if filters.mine:
        features, narrowed = features.filter(owner=user), True
    if narrowed:
        ids = list(features.values_list("pk", flat=True))
        if not ids:
            return None
        rows = rows.filter(feature_id=ids[0]) if len(ids) == 1 else rows.filter(feature_id__in=ids)
    if filters.q:
        number = REFERENCE.match(filters.q)
        rows = rows.filter(pk=int(number.group(1))) if number else rows.filter(title__icontains=filters.q)
    return rows


# What the board shows of each row: not the long texts.
BOARD_DEFERRED = ("customer_impact", "steps", "fix_update")


def escalation_board(
    *, user, filters: BoardFilters, cursor: str | None = None, page_size: int = BOARD_PAGE_SIZE, with_texts: bool = False
) -> Page[Escalation]:
    """One page of the triage board, ranked by BOARD_ORDER: the rows, then their features (and for the API
    their raisers), plus one to resolve a product, feature or "my features" filter. ``with_texts`` also reads
    the long texts (the API shows them; the page does not)."""
    _check_viewer(user)
    page_size = max(1, min(page_size, MAX_PAGE_SIZE))
    rows = _board_queryset(user, filters)
    if rows is None:
        return Page(items=[], next_cursor=None)
    if not with_texts:
        rows = rows.defer(*BOARD_DEFERRED)
    page = paginate(rows, sort=BOARD_ORDER, cursor=cursor, page_size=page_size)
    _attach_people_and_features(page.items, with_raiser=with_texts)
    return page


def _attach_people_and_features(escalations: list[Escalation], *, with_raiser: bool) -> None:
    """Give each escalation its feature (with product and owner), and its raiser, from one small query each.

    A page names a handful of features many times over: joining them into every row
    cost more in building objects than the rows themselves (docs/benchmarks.md).
    """
    if not escalations:
        return
    features = Feature.objects.select_related("product", "owner").in_bulk({e.feature_id for e in escalations})
    feature_field = Escalation._meta.get_field("feature")
    for escalation in escalations:
        feature_field.set_cached_value(escalation, features[escalation.feature_id])
    if with_raiser:
        from django.contrib.auth import get_user_model

        people = get_user_model().objects.in_bulk({e.raised_by_id for e in escalations} - {None})
        raiser_field = Escalation._meta.get_field("raised_by")
        for escalation in escalations:
            raiser_field.set_cached_value(escalation, people.get(escalation.raised_by_id))


def board_choices(*, user) -> dict[str, list]:
    """The products and features the board's filters offer (two small queries)."""
    _check_viewer(user)
    return {
        "products": list(Product.objects.order_by("name").values_list("key", "name")),
        "features": list(Feature.objects.order_by("key").values_list("key", "name")),
    }


# --- One escalation --------------------------------------------------------------------------


def escalation_get(*, user, reference: str) -> Escalation:
    _check_viewer(user)
    pk = parse_reference(reference)
    escalation = Escalation.objects.select_related("feature__product", "feature__owner", "raised_by").filter(pk=pk).first()
    if escalation is None:
        raise NotFound("No such escalation.")
    return escalation


LINK_PAGE_SIZE = 50
LINK_ORDER = SortKey(columns=(("linked_at", True), ("id", True)))


def escalation_links(*, user, escalation: Escalation, cursor: str | None = None, page_size: int = LINK_PAGE_SIZE):
    """The linked tickets (newest link first) with their requesters, organizations and assignees.

    Two queries whatever the number of links: the page of links (an index in its order),
    then its tickets. Removed (spam, deleted) tickets are left out of the page: nobody sees those.
    """
    _check_viewer(user)
    rows = EscalationLink.objects.filter(escalation=escalation).select_related("linked_by")
    page = paginate(rows, sort=LINK_ORDER, cursor=cursor, page_size=max(1, min(page_size, MAX_PAGE_SIZE)))
    tickets = (
        Ticket.objects.filter(pk__in=[link.ticket_id for link in page.items], removed="")
        .select_related("requester__organization", "assignee")
        .defer("search_document")
        .in_bulk()
    )
    ticket_field = EscalationLink._meta.get_field("ticket")
    shown = []
    for link in page.items:
        ticket = tickets.get(link.ticket_id)
        if ticket is not None:
            ticket_field.set_cached_value(link, ticket)
            shown.append(link)
    return Page(items=shown, next_cursor=page.next_cursor)


def escalation_history(*, user, escalation: Escalation) -> list[EscalationEvent]:
    """History and discussion in time order, with their authors: one query.

    Links are left out: the linked tickets' table lists each with when and by whom, and
    an escalation with thousands of them would bury the discussion.
    """
    _check_viewer(user)
    return list(escalation.events.exclude(kind=EscalationEvent.Kind.LINKED).select_related("actor").order_by("created_at", "id"))


def escalation_comments(*, user, escalation: Escalation) -> list[EscalationEvent]:
    _check_viewer(user)
    return list(escalation.events.filter(kind=EscalationEvent.Kind.COMMENT).select_related("actor").order_by("created_at", "id"))


# --- Escalations of tickets ------------------------------------------------------------------


def escalations_of_tickets(*, user, ticket_ids: list[int]) -> dict[int, list[Escalation]]:
    """Each ticket's escalations (oldest link first), for the desk only: one query for any number of tickets."""
    found: dict[int, list[Escalation]] = defaultdict(list)
    if not ticket_ids or not permissions.can_view_escalations(user):
        return found
    links = (
        EscalationLink.objects.filter(ticket_id__in=ticket_ids).select_related("escalation__feature").order_by("linked_at", "id")
    )
    for link in links:
        found[link.ticket_id].append(link.escalation)
    return found


def blocking_escalations_of_feature(*, user, feature_id: int | None) -> list[Escalation]:
    """The unresolved blocking escalations that block ``feature_id`` (the ticket page's banner)."""
    if feature_id is None or not permissions.can_view_escalations(user):
        return []
    return list(
        Escalation.objects.filter(feature_id=feature_id, severity=Severity.BLOCKING, status__in=UNRESOLVED_STATUSES)
        .select_related("feature")
        .order_by("created_at", "id")
    )


def escalations_of_feature(*, user, feature_id: int, limit: int = 20) -> list[Escalation]:
    """The feature's linkable escalations (unresolved, or fixed), ranked as on the board: the raise form shows them first."""
    if not permissions.can_view_escalations(user):
        return []
    return list(
        Escalation.objects.filter(feature_id=feature_id, status__in=LINKABLE_STATUSES)
        .select_related("feature")
        .order_by(*BOARD_ORDER.order_by())[:limit]
    )


__all__ = [
    "BOARD_ORDER",
    "BoardFilters",
    "Gate",
    "blocking_escalations_of_feature",
    "board_choices",
    "escalation_board",
    "escalation_comments",
    "escalation_get",
    "escalation_history",
    "escalation_links",
    "escalations_of_feature",
    "escalations_of_tickets",
    "feature_gate",
    "feature_get",
    "features_visible_to",
    "parse_board_filters",
]


def escalation_ticket_references(*, user, escalation: Escalation) -> list[str]:
    """Every linked ticket's reference, newest link first (removed tickets left out): one query."""
    _check_viewer(user)
    numbers = (
        EscalationLink.objects.filter(escalation=escalation, ticket__removed="")
        .order_by("-linked_at", "-id")
        .values_list("ticket__number", flat=True)
    )
    return [format_reference(number) for number in numbers]


# --- Before pulling the cord: what is already known -----------------------------------------

SIMILAR_LIMIT = 8
# Escalations an agent may link a new ticket to: unresolved ones, and fixed ones (the customer then hears of the fix).
LINKABLE_STATUSES = frozenset({*UNRESOLVED_STATUSES, EscalationStatus.FIXED})
_WORD = re.compile(r"[^\W_]{3,}", re.UNICODE)


def _words(text: str) -> list[str]:
    return list(dict.fromkeys(word.lower() for word in _WORD.findall(text or "")))[:12]


def similar_escalations(*, user, text: str, exclude_ids: Iterable[int] = (), limit: int = SIMILAR_LIMIT) -> list[Escalation]:
    """The linkable escalations whose title and description best match ``text`` (a ticket's subject).

    PostgreSQL ranks with full-text search (any of the words, ts_rank); other
    databases match the words plainly and rank by how many appear in the title.
    """
    if not permissions.can_view_escalations(user):
        return []
    words = _words(text)
    if not words:
        return []
    rows = Escalation.objects.filter(status__in=LINKABLE_STATUSES).exclude(pk__in=list(exclude_ids)).select_related("feature")
    if connection.vendor == "postgresql":
        from django.contrib.postgres.search import SearchQuery, SearchRank, SearchVector

        vector = SearchVector("title", weight="A", config="english") + SearchVector(
            "customer_impact", weight="B", config="english"
        )
        query = SearchQuery(" OR ".join(words), search_type="websearch", config="english")
        return list(
            rows.annotate(rank=SearchRank(vector, query))
            .filter(rank__gt=0.01)
            .order_by("-rank", "-severity_rank", "-impact", "id")[:limit]
        )
    condition = Q()
    for word in words:
        condition |= Q(title__icontains=word) | Q(customer_impact__icontains=word)
    candidates = list(rows.filter(condition).order_by("-severity_rank", "-impact", "id")[: limit * 5])

    def score(escalation: Escalation) -> int:
        title = escalation.title.lower()
        return sum(2 if word in title else 1 for word in words if word in title or word in escalation.customer_impact.lower())

    return sorted(candidates, key=lambda e: -score(e))[:limit]


def linked_escalation_ids(*, user, ticket_id: int) -> list[int]:
    if not permissions.can_view_escalations(user):
        return []
    return list(EscalationLink.objects.filter(ticket_id=ticket_id).values_list("escalation_id", flat=True))
