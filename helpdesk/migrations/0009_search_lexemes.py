"""Search that tolerates misspellings (PostgreSQL): pg_trgm, the dictionary of known words, name indexes.

- ``pg_trgm`` (a trusted extension since PostgreSQL 13: the database owner may create it);
- ``helpdesk_searchlexeme``: every word of letters the search documents hold, with a
  trigram index, filled here from the documents there are;
- trigram indexes on customers' and organizations' names, for "find the tickets of
  this customer or organization" (``ILIKE '%text%'`` without reading every row).

On SQLite only the (unused) table is created.
"""

from django.db import migrations, models

POSTGRESQL = [
    ("CREATE EXTENSION IF NOT EXISTS pg_trgm", None),
    (
        "CREATE INDEX IF NOT EXISTS searchlexeme_word_trgm ON helpdesk_searchlexeme USING gin (word gin_trgm_ops)",
        "DROP INDEX IF EXISTS searchlexeme_word_trgm",
    ),
    (
        "CREATE INDEX IF NOT EXISTS customer_name_trgm ON helpdesk_customer USING gin (name gin_trgm_ops)",
        "DROP INDEX IF EXISTS customer_name_trgm",
    ),
    (
        "CREATE INDEX IF NOT EXISTS organization_name_trgm ON helpdesk_organization USING gin (name gin_trgm_ops)",
        "DROP INDEX IF EXISTS organization_name_trgm",
    ),
    (
        """
        INSERT INTO helpdesk_searchlexeme (word)
        SELECT lexeme FROM (
            SELECT DISTINCT u.lexeme FROM helpdesk_ticket AS t, unnest(t.search_document) AS u OFFSET 0
        ) AS words
        WHERE lexeme ~ '^[[:alpha:]]{3,40}$'
        ON CONFLICT DO NOTHING
        """,
        None,
    ),
]


def create(apps, schema_editor):
    if schema_editor.connection.vendor != "postgresql":
        return
    for sql, _ in POSTGRESQL:
        schema_editor.execute(sql)


def drop(apps, schema_editor):
    if schema_editor.connection.vendor != "postgresql":
        return
    for _, sql in reversed(POSTGRESQL):
        if sql:
            schema_editor.execute(sql)


class Migration(migrations.Migration):
    dependencies = [("helpdesk", "0008_ticket_message_times")]

    operations = [
        migrations.CreateModel(
            name="SearchLexeme",
            fields=[("word", models.CharField(max_length=40, primary_key=True, serialize=False))],
        ),
        migrations.RunPython(create, drop),
    ]
