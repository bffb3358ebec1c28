"""Full-text search indexes, on PostgreSQL only (SQLite searches with LIKE instead).

The expressions match ``helpdesk.search.EnglishTsVector`` exactly, so the planner uses them.
"""

from django.db import migrations

INDEXES = [
    (
        "ticket_subject_fts",
        "CREATE INDEX IF NOT EXISTS ticket_subject_fts ON helpdesk_ticket "
        "USING gin (to_tsvector('english'::regconfig, subject))",
    ),
    (
        "ticketevent_body_fts",
        "CREATE INDEX IF NOT EXISTS ticketevent_body_fts ON helpdesk_ticketevent "
        "USING gin (to_tsvector('english'::regconfig, body)) WHERE kind IN ('reply', 'note')",
    ),
]


def create(apps, schema_editor):
    if schema_editor.connection.vendor != "postgresql":
        return
    for _, sql in INDEXES:
        schema_editor.execute(sql)


def drop(apps, schema_editor):
    if schema_editor.connection.vendor != "postgresql":
        return
    for name, _ in INDEXES:
        schema_editor.execute(f"DROP INDEX IF EXISTS {name}")


class Migration(migrations.Migration):
    dependencies = [("helpdesk", "0001_initial")]
    operations = [migrations.RunPython(create, drop)]
