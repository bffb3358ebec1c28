"""GIN index on the desk's search document and a backfill, on PostgreSQL only."""

from django.db import migrations


def create(apps, schema_editor):
    if schema_editor.connection.vendor != "postgresql":
        return
    schema_editor.execute(
        """
        UPDATE helpdesk_ticket AS t SET search_document =
            to_tsvector('english'::regconfig, t.subject)
            || to_tsvector('english'::regconfig, left(coalesce(m.bodies, ''), 200000))
        FROM helpdesk_ticket AS base
        LEFT JOIN (
            SELECT ticket_id, string_agg(body, ' ' ORDER BY id) AS bodies
            FROM helpdesk_ticketevent WHERE kind IN ('reply', 'note') GROUP BY ticket_id
        ) AS m ON m.ticket_id = base.id
        WHERE t.id = base.id
        """
    )
    schema_editor.execute(
        "CREATE INDEX IF NOT EXISTS ticket_search_document ON helpdesk_ticket USING gin (search_document)"
    )


def drop(apps, schema_editor):
    if schema_editor.connection.vendor == "postgresql":
        schema_editor.execute("DROP INDEX IF EXISTS ticket_search_document")


class Migration(migrations.Migration):
    dependencies = [("helpdesk", "0003_ticket_search_document")]
    operations = [migrations.RunPython(create, drop)]
