"""API tokens: expiry, several named per user, listing and revoking, and revocation on credential changes.

Every way a password changes or an account is switched off revokes the tokens:
the password-change page, the reset link, the admin, a service, a plain save.
"""

from __future__ import annotations

import importlib
import re
from datetime import timedelta
from types import SimpleNamespace

import pytest
from django.contrib.auth import get_user_model
from django.core import mail
from django.db import connection
from django.test import Client, override_settings
from django.test.utils import CaptureQueriesContext
from django.utils import timezone
from rest_framework.test import APIClient

from helpdesk import services
from helpdesk.errors import ActionForbidden, InvalidInput, NotFound
from helpdesk.models import ApiToken
from helpdesk.services import api_tokens as token_services
from tests.helpdesk.test_api_common import LIST_URL, clean_cache  # noqa: F401

pytestmark = pytest.mark.usefixtures("clean_cache")

TOKENS_URL = "/api/v1/auth/tokens/"


def token_client(key: str) -> APIClient:
    client = APIClient()
    client.credentials(HTTP_AUTHORIZATION=f"Token {key}")
    return client


def works(key: str) -> bool:
    return token_client(key).get(LIST_URL).status_code == 200


def detail(key: str) -> str:
    return token_client(key).get(LIST_URL).json()["detail"]


# --- lifetime --------------------------------------------------------------------------------------


@override_settings(HELPDESK_API_TOKEN_DAYS=90)
def test_a_token_expires_after_the_configured_days(agent):
    issued = timezone.now() - timedelta(days=90, seconds=1)
    token, key = services.api_token_create(actor=agent, name="old script", now=issued)
    assert token.expires_at == issued + timedelta(days=90)

    response = token_client(key).get(LIST_URL)

    assert response.status_code == 401
    assert "expired on" in response.json()["detail"] and "Create a new one" in response.json()["detail"]
    fresh = services.api_token_create(actor=agent, name="new script", now=timezone.now() - timedelta(days=89))[1]
    assert works(fresh)


def test_a_revoked_token_answers_401_saying_so(agent):
    token, key = services.api_token_create(actor=agent, name="ci")
    services.api_token_revoke(actor=agent, token=token)
    assert "revoked on" in detail(key) and "revoked by its owner" in detail(key)


def test_a_deactivated_owners_token_answers_401_even_if_the_row_was_changed_around_the_application(agent):
    _, key = services.api_token_create(actor=agent, name="ci")
    get_user_model().objects.filter(pk=agent.pk).update(is_active=False)  # no signals, no revocation
    assert token_client(key).get(LIST_URL).status_code == 401
    assert "deactivated" in detail(key)


def test_last_use_is_written_at_most_every_few_minutes(agent):
    token, key = services.api_token_create(actor=agent, name="poller")
    client = token_client(key)
    client.get(LIST_URL)
    token.refresh_from_db()
    first = token.last_used_at
    assert first is not None

    with CaptureQueriesContext(connection) as queries:
        client.get(LIST_URL)
    assert not [q for q in queries.captured_queries if q["sql"].lstrip().upper().startswith("UPDATE")]
    token.refresh_from_db()
    assert token.last_used_at == first

    ApiToken.objects.filter(pk=token.pk).update(last_used_at=first - token_services.TOUCH_INTERVAL)
    client.get(LIST_URL)
    token.refresh_from_db()
    assert token.last_used_at > first


# --- several named tokens, listed and revoked by their owner -----------------------------------------


def test_the_owner_lists_their_tokens_without_keys(agent, agent2):
    kept, kept_key = services.api_token_create(actor=agent, name="export")
    ended, _ = services.api_token_create(actor=agent, name="old ci")
    services.api_token_revoke(actor=agent, token=ended)
    services.api_token_create(actor=agent2, name="not yours")

    response = token_client(kept_key).get(TOKENS_URL)

    assert response.status_code == 200
    rows = response.json()["results"]
    assert [(r["name"], r["state"], r["revoked_reason"]) for r in rows] == [
        ("old ci", "revoked", "owner"),
        ("export", "active", None),
    ]
    assert kept_key not in response.content.decode() and "digest" not in rows[0]
    assert response.json()["next"] is None


def test_tokens_that_ended_long_ago_drop_out_of_the_list(agent):
    services.api_token_create(actor=agent, name="ancient", now=timezone.now() - timedelta(days=200))
    _, key = services.api_token_create(actor=agent, name="current")
    assert [r["name"] for r in token_client(key).get(TOKENS_URL).json()["results"]] == ["current"]


def test_the_owner_revokes_a_token_and_someone_elses_is_not_found(agent, agent2):
    token, key = services.api_token_create(actor=agent, name="laptop")
    other, other_key = services.api_token_create(actor=agent2, name="theirs")
    client = token_client(key)

    assert client.delete(f"{TOKENS_URL}{other.pk}/").status_code == 404
    assert works(other_key)
    assert client.delete(f"{TOKENS_URL}{token.pk}/").status_code == 204
    assert not works(key)  # a token may revoke itself: a script's sign-out


def test_revoking_twice_changes_nothing(agent):
    token, _ = services.api_token_create(actor=agent, name="x")
    first = services.api_token_revoke(actor=agent, token=token).revoked_at
    assert services.api_token_revoke(actor=agent, token=token).revoked_at == first


def test_a_session_can_list_and_revoke_too(agent):
    token, key = services.api_token_create(actor=agent, name="x")
    client = APIClient(enforce_csrf_checks=True)
    client.force_login(agent)
    assert [r["id"] for r in client.get(TOKENS_URL).json()["results"]] == [token.pk]
    assert client.delete(f"{TOKENS_URL}{token.pk}/").status_code == 403  # CSRF: sessions must send the token
    assert works(key)


@pytest.mark.parametrize("name, message", [("", "Name the token"), ("x" * 101, "under 100"), ("a\x00b", "NUL")])
def test_a_token_needs_a_sensible_name(agent, name, message):
    with pytest.raises(InvalidInput) as error:
        services.api_token_create(actor=agent, name=name)
    assert error.value.field == "name" and message in error.value.message


def test_one_account_holds_at_most_so_many_live_tokens(agent, monkeypatch):
    monkeypatch.setattr(token_services, "MAX_ACTIVE_TOKENS", 2)
    first, _ = services.api_token_create(actor=agent, name="a")
    services.api_token_create(actor=agent, name="b")
    with pytest.raises(InvalidInput, match="Revoke the ones no longer in use"):
        services.api_token_create(actor=agent, name="c")
    services.api_token_revoke(actor=agent, token=first)
    services.api_token_create(actor=agent, name="c")


def test_inactive_accounts_get_no_tokens(agent):
    agent.is_active = False
    with pytest.raises(ActionForbidden):
        services.api_token_create(actor=agent, name="x")


# --- who may revoke others' tokens ---------------------------------------------------------------------


def test_support_managers_revoke_others_tokens_but_not_a_superusers(agent, manager, make_user):
    token, key = services.api_token_create(actor=agent, name="leaked")
    boss = make_user("root", role=None)
    get_user_model().objects.filter(pk=boss.pk).update(is_superuser=True)
    boss.refresh_from_db()
    boss_token, boss_key = services.api_token_create(actor=boss, name="root's")

    revoked = services.api_token_revoke(actor=manager, token=token)

    assert revoked.revoked_reason == ApiToken.RevokedReason.ADMINISTRATOR and revoked.revoked_by == manager
    assert not works(key)
    with pytest.raises(ActionForbidden):
        services.api_token_revoke(actor=manager, token=boss_token)
    assert works(boss_key)
    services.api_token_revoke(actor=boss, token=services.api_token_create(actor=manager, name="m")[0])


def test_agents_cannot_revoke_each_others_tokens(agent, agent2):
    token, key = services.api_token_create(actor=agent2, name="theirs")
    with pytest.raises(ActionForbidden):
        services.api_token_revoke(actor=agent, token=token)
    assert works(key)


def test_the_api_never_shows_another_persons_token_even_to_a_manager(agent, manager):
    token, _ = services.api_token_create(actor=agent, name="x")
    _, manager_key = services.api_token_create(actor=manager, name="m")
    assert token_client(manager_key).delete(f"{TOKENS_URL}{token.pk}/").status_code == 404
    from helpdesk import selectors

    with pytest.raises(NotFound):
        selectors.api_token_of(user=manager, token_id=token.pk)


# --- every credential change revokes ----------------------------------------------------------------------


def _tokens(user, n=2) -> list[str]:
    return [services.api_token_create(actor=user, name=f"script {i}")[1] for i in range(n)]


def _assert_revoked(keys, reason: str):
    for key in keys:
        assert not works(key)
    assert set(ApiToken.objects.values_list("revoked_reason", flat=True)) == {reason}


def test_a_plain_save_after_set_password_revokes(agent):
    keys = _tokens(agent)
    user = get_user_model().objects.get(pk=agent.pk)
    user.set_password("a-brand-new-passphrase")
    user.save()
    _assert_revoked(keys, ApiToken.RevokedReason.PASSWORD_CHANGED)
    assert "password was changed" in detail(keys[0])


def test_the_password_change_page_revokes(client, agent):
    keys = _tokens(agent)
    client.force_login(agent)
    response = client.post(
        "/accounts/password_change/",
        {"old_password": "pw-agent", "new_password1": "a-new-long-pass-9", "new_password2": "a-new-long-pass-9"},
    )
    assert response.status_code == 302
    _assert_revoked(keys, ApiToken.RevokedReason.PASSWORD_CHANGED)


def test_a_password_reset_revokes(client, customer):
    keys = _tokens(customer.user)
    client.post("/accounts/password_reset/", {"email": "customer@desk.test"})
    link = re.search(r"https?://[^/\s]+(/accounts/reset/\S+/)", mail.outbox[0].body).group(1)
    confirm = client.get(link, follow=True)
    client.post(
        confirm.redirect_chain[-1][0],
        {"new_password1": "a-much-longer-passphrase", "new_password2": "a-much-longer-passphrase"},
    )
    _assert_revoked(keys, ApiToken.RevokedReason.PASSWORD_CHANGED)


def test_an_admin_setting_the_password_revokes(client, agent, make_user):
    keys = _tokens(agent)
    admin_user = make_user("root", role=None, is_staff=True)
    get_user_model().objects.filter(pk=admin_user.pk).update(is_superuser=True)
    client.force_login(get_user_model().objects.get(pk=admin_user.pk))
    response = client.post(
        f"/admin/auth/user/{agent.pk}/password/",
        {"password1": "admin-chosen-passphrase", "password2": "admin-chosen-passphrase", "usable_password": "true"},
    )
    assert response.status_code == 302, response.content.decode()[:2000]
    _assert_revoked(keys, ApiToken.RevokedReason.PASSWORD_CHANGED)


def test_deactivating_through_the_service_revokes(agent):
    keys = _tokens(agent)
    services.user_set_active(actor=None, user=agent, is_active=False)
    _assert_revoked(keys, ApiToken.RevokedReason.DEACTIVATED)
    services.user_set_active(actor=None, user=agent, is_active=True)
    assert not works(keys[0])  # switching the account back on does not bring old tokens back


def test_deactivating_with_a_plain_save_revokes(agent):
    keys = _tokens(agent)
    user = get_user_model().objects.get(pk=agent.pk)
    user.is_active = False
    user.save()
    _assert_revoked(keys, ApiToken.RevokedReason.DEACTIVATED)


def test_other_saves_of_the_user_revoke_nothing(agent, client):
    keys = _tokens(agent)
    user = get_user_model().objects.get(pk=agent.pk)
    user.first_name = "Alexandra"
    user.save()
    client.post("/accounts/login/", {"username": "agent", "password": "pw-agent"})  # writes last_login
    assert all(works(key) for key in keys)


@override_settings(
    PASSWORD_HASHERS=[
        "django.contrib.auth.hashers.PBKDF2PasswordHasher",
        "django.contrib.auth.hashers.MD5PasswordHasher",
    ]
)
def test_a_hash_upgrade_at_sign_in_is_not_a_password_change(agent, client):
    from django.contrib.auth.hashers import make_password

    get_user_model().objects.filter(pk=agent.pk).update(password=make_password("pw-agent", hasher="md5"))
    keys = _tokens(agent)

    assert client.post("/accounts/login/", {"username": "agent", "password": "pw-agent"}).status_code == 302

    assert get_user_model().objects.get(pk=agent.pk).password.startswith("pbkdf2_sha256$")  # upgraded
    assert all(works(key) for key in keys)


# --- DRF's plaintext tokens move into hashed ones ----------------------------------------------------------


def test_the_migration_hashes_drf_tokens_and_deletes_the_plaintext(agent):
    migration = importlib.import_module("helpdesk.migrations.0007_api_tokens")
    table = connection.ops.quote_name(migration.DRF_TOKEN_TABLE)
    key = "9944b09199c62bcf9418ad846dd0e4bbdfc6ee4b"
    with connection.cursor() as cursor:
        cursor.execute(f"CREATE TABLE {table} (key varchar(40) PRIMARY KEY, created timestamp, user_id bigint)")
        cursor.execute(f"INSERT INTO {table} (key, created, user_id) VALUES (%s, %s, %s)", [key, "2025-01-02 03:04:05", agent.pk])
    try:
        from django.apps import apps

        migration.hash_plaintext_tokens(apps, SimpleNamespace(connection=connection))
        with connection.cursor() as cursor:
            cursor.execute(f"SELECT count(*) FROM {table}")
            assert cursor.fetchone()[0] == 0
    finally:
        with connection.cursor() as cursor:
            cursor.execute(f"DROP TABLE {table}")
    migrated = ApiToken.objects.get(user=agent)
    assert migrated.digest == ApiToken.digest_of(key) and migrated.prefix == key[:8]
    assert migrated.created_at.year == 2025 and migrated.expires_at > timezone.now()
    assert works(key)


def test_the_migration_does_nothing_without_drf_tokens(db):
    from django.apps import apps

    migration = importlib.import_module("helpdesk.migrations.0007_api_tokens")
    migration.hash_plaintext_tokens(apps, SimpleNamespace(connection=connection))
    assert not ApiToken.objects.exists()


def test_the_session_client_is_not_affected_by_token_rules(agent):
    client = Client()
    client.force_login(agent)
    assert client.get(LIST_URL).status_code == 200


def test_creating_revoking_and_ending_tokens_leave_audit_rows(agent, manager):
    from helpdesk.models import AuditEvent

    token, key = services.api_token_create(actor=agent, name="nightly export")
    created = AuditEvent.objects.get(action="api_token.created")
    assert (created.actor, created.object_type, created.object_id) == (agent, "api_token", str(token.pk))
    assert "nightly export" in created.object_label and key not in str(created.changes)

    services.api_token_revoke(actor=manager, token=token)
    revoked = AuditEvent.objects.get(action="api_token.revoked")
    assert revoked.actor == manager
    assert revoked.changes == {"state": ["active", "revoked by an administrator"]}

    services.api_token_create(actor=agent, name="ci")
    services.user_set_active(actor=manager, user=agent, is_active=False)
    ended = AuditEvent.objects.get(action="api_token.revoked_all")
    assert (ended.object_type, ended.object_id) == ("user", str(agent.pk))
    assert ended.changes["live API tokens"] == [1, 0]
