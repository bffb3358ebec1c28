"""When the customer last wrote and when the desk last replied, on the ticket, filled from the timelines.

The backfill reads every public reply once (on PostgreSQL one grouped pass; about
a minute at a million tickets, during which the ticket table takes no writes).
"""

from django.db import migrations, models

POSTGRESQL_BACKFILL = """
    UPDATE helpdesk_ticket AS t
    SET last_customer_message_at = m.customer_at, last_agent_reply_at = m.agent_at
    FROM (
        SELECT ticket_id,
               max(created_at) FILTER (WHERE customer_id IS NOT NULL) AS customer_at,
               max(created_at) FILTER (WHERE customer_id IS NULL) AS agent_at
        FROM helpdesk_ticketevent WHERE kind = 'reply' GROUP BY ticket_id
    ) AS m
    WHERE t.id = m.ticket_id
"""

PORTABLE_BACKFILL = """
    UPDATE helpdesk_ticket SET
        last_customer_message_at = (
            SELECT max(e.created_at) FROM helpdesk_ticketevent AS e
            WHERE e.ticket_id = helpdesk_ticket.id AND e.kind = 'reply' AND e.customer_id IS NOT NULL
        ),
        last_agent_reply_at = (
            SELECT max(e.created_at) FROM helpdesk_ticketevent AS e
            WHERE e.ticket_id = helpdesk_ticket.id AND e.kind = 'reply' AND e.customer_id IS NULL
        )
"""


def backfill(apps, schema_editor):
    vendor = schema_editor.connection.vendor
    schema_editor.execute(POSTGRESQL_BACKFILL if vendor == "postgresql" else PORTABLE_BACKFILL)


class Migration(migrations.Migration):
    dependencies = [("helpdesk", "0007_api_tokens")]

    operations = [
        migrations.AddField(
            model_name="ticket",
            name="last_customer_message_at",
            field=models.DateTimeField(blank=True, editable=False, null=True),
        ),
        migrations.AddField(
            model_name="ticket",
            name="last_agent_reply_at",
            field=models.DateTimeField(blank=True, editable=False, null=True),
        ),
        migrations.RunPython(backfill, migrations.RunPython.noop),
    ]
