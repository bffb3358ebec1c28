"""The desk's search document: a ticket's subject and messages as one tsvector (PostgreSQL).

Rebuilt from the database in the same transaction as the write that changes it, so
it can never disagree with the timeline; the words it holds join the dictionary of
known words that misspelled searches are matched against (``helpdesk/search.py``).
On SQLite nothing is stored: search there matches subjects and messages with LIKE.
"""

from __future__ import annotations

from collections.abc import Iterable

from django.contrib.auth.models import AbstractBaseUser
from django.db import connection

# A tsvector holds at most 1 MB; the first 200,000 characters of a ticket's
# messages (its request and the early conversation) are what search covers.
MAX_INDEXED_CHARACTERS = 200_000

_DOCUMENT = f"""
    to_tsvector('english'::regconfig, t.subject)
    || to_tsvector('english'::regconfig, left(coalesce(m.bodies, ''), {MAX_INDEXED_CHARACTERS}))
"""

_MESSAGES = """
    SELECT ticket_id, string_agg(body, ' ' ORDER BY id) AS bodies
    FROM helpdesk_ticketevent
    WHERE kind IN ('reply', 'note') AND {where}
    GROUP BY ticket_id
"""


# The dictionary of known words (``SearchLexeme``) that misspelled search words are
# matched against: each word of letters only, as the documents store it. The words are
# made distinct before the letters-only test (OFFSET 0 keeps the test outside): at a
# million tickets that is one regular expression per distinct word instead of per
# occurrence, 42 s down to 13 s. Inserted in word order, so two transactions adding the
# same new words never wait on each other in opposite orders (a deadlock); a word
# already known costs one index probe.
_LEXEMES = """
    INSERT INTO helpdesk_searchlexeme (word)
    SELECT lexeme FROM (
        SELECT DISTINCT u.lexeme FROM helpdesk_ticket AS t, unnest(t.search_document) AS u WHERE {where} OFFSET 0
    ) AS words
    WHERE lexeme ~ '^[[:alpha:]]{{3,40}}$'
    ORDER BY 1
    ON CONFLICT DO NOTHING
"""


def search_document_refresh(*, actor: AbstractBaseUser | None, ticket_ids: Iterable[int]) -> None:
    """Recompute the search document of these tickets, and learn their new words (inside the writing transaction)."""
    ids = sorted(set(ticket_ids))
    if not ids or connection.vendor != "postgresql":
        return
    with connection.cursor() as cursor:
        cursor.execute(
            f"""
            UPDATE helpdesk_ticket AS t SET search_document = {_DOCUMENT}
            FROM helpdesk_ticket AS base
            LEFT JOIN ({_MESSAGES.format(where="ticket_id = ANY(%s)")}) AS m ON m.ticket_id = base.id
            WHERE t.id = base.id AND base.id = ANY(%s)
            """,
            [ids, ids],
        )
        cursor.execute(_LEXEMES.format(where="t.id = ANY(%s)"), [ids])


def search_document_fill_range(*, actor: AbstractBaseUser | None, first_id: int, last_id: int) -> int:
    """Fill the documents of tickets ``first_id``..``last_id`` in one set-based pass (bulk loads)."""
    if connection.vendor != "postgresql":
        return 0
    with connection.cursor() as cursor:
        cursor.execute(
            f"""
            UPDATE helpdesk_ticket AS t SET search_document = {_DOCUMENT}
            FROM helpdesk_ticket AS base
            LEFT JOIN ({_MESSAGES.format(where="ticket_id BETWEEN %s AND %s")}) AS m ON m.ticket_id = base.id
            WHERE t.id = base.id AND base.id BETWEEN %s AND %s
            """,
            [first_id, last_id, first_id, last_id],
        )
        filled = cursor.rowcount
        cursor.execute(_LEXEMES.format(where="t.id BETWEEN %s AND %s"), [first_id, last_id])
        return filled
