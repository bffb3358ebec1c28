"""What a search of the ticket lists means, as one condition on tickets.

A query is, in this order:

- a reference with its prefix (``HD-1042``, any case): exactly that ticket;
- an e-mail address: the tickets of the customer with that address;
- anything else: tickets whose words match it (the desk searches subjects, replies and
  internal notes; customers subjects and replies), or whose number it is (``1042``),
  and for the desk also tickets whose requester's or organization's name contains it.

Customers and organizations are looked up first, a capped handful of ids, so the
ticket query compares constants (an index per kind of match, combined with OR)
instead of joining: joining on the customer's e-mail walked the whole recency index
(204-310 ms at a million tickets; 12-20 ms with the ids).

On PostgreSQL the desk also tolerates small misspellings. A query word that no ticket
contains (its stem is not in the dictionary of known words that
``services/search_index.py`` keeps beside the search documents) is widened with the
most similar known words by trigram similarity (pg_trgm): "signatrue" also finds
"signature". Words that are known are searched as typed, so a correct query is never
widened. Customers' searches are never widened: the dictionary holds words of internal
notes, and a customer's search must not depend on them.
"""

from __future__ import annotations

from dataclasses import dataclass, field

from django.contrib.postgres.search import SearchQuery, SearchVectorField
from django.db import connection
from django.db.models import Func, Q, Value
from django.db.models.functions import Lower

from helpdesk import permissions
from helpdesk.models import Customer, Organization, Ticket, TicketEvent, parse_reference

# A name search matches at most this many customers and organizations: enough for a
# surname shared by a family of accounts, few enough to stay a short list of ids.
MAX_CUSTOMER_MATCHES = 50
MAX_ORGANIZATION_MATCHES = 20
# Shorter text would match half the directory by name.
MIN_NAME_LENGTH = 3
# Misspellings are tolerated in words of at least this many letters, widened with at
# most this many known words each, at least this similar (pg_trgm's 0..1 similarity).
FUZZY_MIN_LENGTH = 4
FUZZY_ALTERNATIVES = 3
FUZZY_MIN_SIMILARITY = 0.3
# Words of a query that take part in the widening at all (a pasted paragraph does not).
FUZZY_MAX_WORDS = 6
# websearch_to_tsquery's operators: a query using them is searched exactly as written.
_OPERATORS = ('"', "-")


class EnglishTsVector(Func):
    """``to_tsvector('english', col)``: the exact expression the GIN indexes are built on."""

    function = "to_tsvector"
    template = "%(function)s('english'::regconfig, %(expressions)s)"
    output_field = SearchVectorField()


@dataclass
class _Lookups:
    """What a query matches outside the tickets: customers and organizations by name, similar words."""

    customers: list[int] = field(default_factory=list)
    organizations: list[int] = field(default_factory=list)
    alternatives: dict[str, list[str]] = field(default_factory=dict)


def _like_pattern(text: str) -> str:
    escaped = text.replace("\\", "\\\\").replace("%", "\\%").replace("_", "\\_")
    return f"%{escaped}%"


def _fuzzy_words(text: str) -> list[str]:
    """The words of ``text`` that may be widened: plain words of letters, when the query uses no operators."""
    words = text.split()
    if any(word.startswith(_OPERATORS) or '"' in word for word in words) or any(w.lower() == "or" for w in words):
        return []
    return [w.lower() for w in words if w.isalpha() and len(w) >= FUZZY_MIN_LENGTH][:FUZZY_MAX_WORDS]


# One round trip for everything a desk search looks up first. The names are matched in
# a subquery fenced with OFFSET 0, planned on its own: on a large directory the trigram
# index finds them, where "ORDER BY id LIMIT 50" alone walks the primary key hoping to
# meet 50 matches early and reads every row for a name nobody has (a few thousand
# customers are read whole either way, in about a millisecond). The last part widens a word only when its stem
# (english_stem, as the search documents are built) is not a known word and is not a
# stop word (an empty stem).
_POSTGRESQL_LOOKUPS = f"""
    SELECT 'customer', id::text FROM (
        SELECT id FROM (SELECT id FROM helpdesk_customer WHERE %(by_name)s AND name ILIKE %%s OFFSET 0) AS named
        ORDER BY id LIMIT {MAX_CUSTOMER_MATCHES}
    ) AS c
    UNION ALL
    SELECT 'organization', id::text FROM (
        SELECT id FROM (SELECT id FROM helpdesk_organization WHERE %(by_name)s AND name ILIKE %%s OFFSET 0) AS named
        ORDER BY id LIMIT {MAX_ORGANIZATION_MATCHES}
    ) AS o
    UNION ALL
    SELECT 'word:' || w.word, alt.word
    FROM unnest(%%s::text[]) AS w(word)
    CROSS JOIN LATERAL (SELECT ts_lexize('english_stem', w.word) AS stems) AS s
    CROSS JOIN LATERAL (
        SELECT l.word FROM helpdesk_searchlexeme AS l
        WHERE l.word %%%% w.word AND similarity(l.word, w.word) >= {FUZZY_MIN_SIMILARITY}
        ORDER BY similarity(l.word, w.word) DESC, l.word
        LIMIT {FUZZY_ALTERNATIVES}
    ) AS alt
    WHERE cardinality(s.stems) > 0
      AND NOT EXISTS (SELECT 1 FROM helpdesk_searchlexeme AS k WHERE k.word = ANY (s.stems))
"""


def _desk_lookups(text: str, *, words: list[str]) -> _Lookups:
    # Names have letters: a number or a code is never looked up as one.
    by_name = len(text) >= MIN_NAME_LENGTH and any(ch.isalpha() for ch in text)
    if not by_name and not words:
        return _Lookups()
    found = _Lookups()
    if connection.vendor == "postgresql":
        sql = _POSTGRESQL_LOOKUPS % {"by_name": "TRUE" if by_name else "FALSE"}
        pattern = _like_pattern(text)
        with connection.cursor() as cursor:
            cursor.execute(sql, [pattern, pattern, words])
            rows = cursor.fetchall()
        for kind, value in rows:
            if kind == "customer":
                found.customers.append(int(value))
            elif kind == "organization":
                found.organizations.append(int(value))
            else:
                found.alternatives.setdefault(kind.removeprefix("word:"), []).append(value)
        return found
    if not by_name:
        return found
    # Elsewhere (SQLite) no misspellings: one query for both kinds of name.
    customers = Customer.objects.filter(name__icontains=text).order_by("id").values("pk")[:MAX_CUSTOMER_MATCHES]
    organizations = (
        Organization.objects.filter(name__icontains=text).order_by("id").values("pk")[:MAX_ORGANIZATION_MATCHES]
    )
    rows = (
        Customer.objects.filter(pk__in=customers)
        .order_by()
        .values_list(Value("customer"), "pk")
        .union(Organization.objects.filter(pk__in=organizations).order_by().values_list(Value("organization"), "pk"), all=True)
    )
    for kind, pk in rows:
        (found.customers if kind == "customer" else found.organizations).append(pk)
    return found


def _widened_query(text: str, alternatives: dict[str, list[str]]) -> SearchQuery:
    """``text`` as websearch reads it, each unknown word OR-ed with its similar known words."""
    if not alternatives:
        return SearchQuery(text, config="english", search_type="websearch")
    combined = None
    for word in text.split():
        part = SearchQuery(word, config="english", search_type="websearch")
        similar = alternatives.get(word.lower())
        if similar:
            # Known words are stored lexemes (letters only): searched as they are, unstemmed.
            raw = " | ".join(f"'{lexeme}'" for lexeme in similar)
            part = part | SearchQuery(raw, config="simple", search_type="raw")
        combined = part if combined is None else combined & part
    return combined


def _customers_by_email(text: str) -> list[int]:
    # Lower(email) is the expression of the unique index customer_email_unique_ci.
    found = Customer.objects.alias(lower_email=Lower("email")).filter(lower_email=text.lower())
    return list(found.values_list("pk", flat=True)[:5])


def search_condition(text: str, *, user) -> Q | None:
    """The condition ``text`` puts on the tickets ``user`` sees, or None when no ticket can match.

    The caller scopes the tickets; this only narrows them.
    """
    text = " ".join(text.split())
    if not text:
        return Q()
    number = parse_reference(text)
    if number is not None and not text.isdigit():
        return Q(number=number)
    if "@" in text and " " not in text:
        customers = _customers_by_email(text)
        return Q(requester_id__in=customers) if customers else None
    desk = permissions.can_see_internal(user)
    condition = _word_condition(text, user=user, desk=desk)
    if number is not None:
        condition |= Q(number=number)
    return condition


def _word_condition(text: str, *, user, desk: bool) -> Q:
    if desk:
        lookups = _desk_lookups(text, words=_fuzzy_words(text) if connection.vendor == "postgresql" else [])
        if connection.vendor == "postgresql":
            # One GIN index over subject, replies and notes (services keep it current).
            condition = Q(search_document=_widened_query(text, lookups.alternatives))
        else:
            condition = _like_condition(text, kinds=[TicketEvent.Kind.REPLY, TicketEvent.Kind.NOTE], own=Q())
        if lookups.customers:
            condition |= Q(requester_id__in=lookups.customers)
        if lookups.organizations:
            condition |= Q(organization_id__in=lookups.organizations)
        return condition
    customer = permissions.customer_of(user)
    own_messages = Q(ticket__requester=customer)
    if connection.vendor == "postgresql":
        # The search document holds internal notes: customers match subjects and replies
        # through their own GIN indexes, bounded by their own tickets inside the
        # subqueries so they never gather matches from the whole desk first.
        query = SearchQuery(text, config="english", search_type="websearch")
        matching_subjects = (
            Ticket.objects.alias(document=EnglishTsVector("subject"))
            .filter(requester=customer, document=query)
            .order_by()
            .values("pk")
        )
        matching_messages = (
            TicketEvent.objects.alias(document=EnglishTsVector("body"))
            .filter(own_messages, document=query, kind=TicketEvent.Kind.REPLY)
            .order_by()
            .values("ticket_id")
        )
        # One id set from both GIN indexes. ``subject @@ q OR id IN (...)`` on the
        # ticket itself cannot use the subject index and scans every ticket.
        return Q(pk__in=matching_subjects.union(matching_messages))
    return _like_condition(text, kinds=[TicketEvent.Kind.REPLY], own=own_messages)


def _like_condition(text: str, *, kinds: list[str], own: Q) -> Q:
    """SQLite: every word in the subject or in one of the messages of these kinds."""
    condition = Q()
    for word in text.split()[:8]:
        in_messages = TicketEvent.objects.filter(own, kind__in=kinds, body__icontains=word).values("ticket_id")
        condition &= Q(subject__icontains=word) | Q(pk__in=in_messages)
    return condition
