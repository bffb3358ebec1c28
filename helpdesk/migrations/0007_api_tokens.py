"""Hashed, expiring, named API tokens; DRF's plaintext tokens are moved into them.

DRF's ``authtoken_token`` table (from ``rest_framework.authtoken``, no longer
installed) may or may not exist, so it is read with plain SQL: each key becomes a
token under its SHA-256, so scripts keep working until it expires, and the
plaintext rows are deleted. There is no way back: the keys are not kept.
"""

import hashlib
from datetime import datetime, timedelta
from datetime import timezone as dt_timezone

import django.db.models.deletion
from django.conf import settings
from django.db import migrations, models
from django.utils import timezone
from django.utils.dateparse import parse_datetime

DRF_TOKEN_TABLE = "authtoken_token"


def _moment(value, default):
    if isinstance(value, str):
        value = parse_datetime(value)
    if not isinstance(value, datetime):
        return default
    return value if timezone.is_aware(value) else timezone.make_aware(value, dt_timezone.utc)


def hash_plaintext_tokens(apps, schema_editor):
    connection = schema_editor.connection
    if DRF_TOKEN_TABLE not in connection.introspection.table_names():
        return
    table = connection.ops.quote_name(DRF_TOKEN_TABLE)
    with connection.cursor() as cursor:
        cursor.execute(f"SELECT key, user_id, created FROM {table}")
        rows = cursor.fetchall()
    ApiToken = apps.get_model("helpdesk", "ApiToken")
    now = timezone.now()
    # Counted from now, not from when they were made: a year-old token must not stop at once.
    expires = now + timedelta(days=getattr(settings, "HELPDESK_API_TOKEN_DAYS", 90))
    ApiToken.objects.bulk_create(
        [
            ApiToken(
                user_id=user_id,
                name="API token from before tokens expired",
                digest=hashlib.sha256(key.encode()).hexdigest(),
                prefix=key[:8],
                created_at=_moment(created, now),
                expires_at=expires,
            )
            for key, user_id, created in rows
        ]
    )
    with connection.cursor() as cursor:
        cursor.execute(f"DELETE FROM {table}")


class Migration(migrations.Migration):

    dependencies = [
        ('helpdesk', '0006_audit_events'),
        migrations.swappable_dependency(settings.AUTH_USER_MODEL),
    ]

    operations = [
        migrations.CreateModel(
            name='ApiToken',
            fields=[
                ('id', models.BigAutoField(auto_created=True, primary_key=True, serialize=False, verbose_name='ID')),
                ('name', models.CharField(max_length=100)),
                ('digest', models.CharField(editable=False, max_length=64, unique=True)),
                ('prefix', models.CharField(editable=False, max_length=12)),
                ('created_at', models.DateTimeField()),
                ('expires_at', models.DateTimeField()),
                ('last_used_at', models.DateTimeField(blank=True, null=True)),
                ('revoked_at', models.DateTimeField(blank=True, null=True)),
                ('revoked_reason', models.CharField(blank=True, choices=[('owner', 'revoked by its owner'), ('administrator', 'revoked by an administrator'), ('password_changed', "the account's password was changed"), ('deactivated', 'the account was deactivated')], max_length=20)),
                ('revoked_by', models.ForeignKey(blank=True, null=True, on_delete=django.db.models.deletion.SET_NULL, related_name='+', to=settings.AUTH_USER_MODEL)),
                ('user', models.ForeignKey(on_delete=django.db.models.deletion.CASCADE, related_name='api_tokens', to=settings.AUTH_USER_MODEL)),
            ],
            options={
                'verbose_name': 'API token',
                'ordering': ['-created_at', '-id'],
                'permissions': [('revoke_any_apitoken', "Can revoke other people's API tokens")],
                'indexes': [models.Index(fields=['user', '-created_at', '-id'], name='apitoken_user_created')],
            },
        ),
        migrations.RunPython(hash_plaintext_tokens, migrations.RunPython.noop, elidable=True),
    ]
