"""POST /api/v1/auth/token/, and using the token it gives."""

from __future__ import annotations

import pytest
from django.test import override_settings
from rest_framework.test import APIClient

from helpdesk.models import ApiToken
from tests.helpdesk.test_api_common import LIST_URL, TOKEN_URL, clean_cache  # noqa: F401

pytestmark = pytest.mark.usefixtures("clean_cache")


def ask(client, username, password, **extra):
    return client.post(TOKEN_URL, {"username": username, "password": password}, format="json", **extra)


def test_token_flow_needs_no_session_or_csrf(agent, ticket):
    # enforce_csrf_checks: a browser-less script has no CSRF cookie and must not need one.
    client = APIClient(enforce_csrf_checks=True)
    response = ask(client, "agent", "pw-agent")
    assert response.status_code == 201, response.content
    body = response.json()
    token = body["token"]
    assert set(body) == {
        "token", "id", "name", "prefix", "created", "expires", "last_used", "state", "revoked_at", "revoked_reason"
    }
    assert token.startswith("hdk_") and body["prefix"] == token[:12] and body["state"] == "active"

    assert client.get(LIST_URL).status_code == 401
    client.credentials(HTTP_AUTHORIZATION=f"Token {token}")
    listed = client.get(LIST_URL)
    assert listed.status_code == 200
    assert [t["reference"] for t in listed.json()["results"]] == [ticket.reference]


def test_every_call_issues_a_new_token_and_both_work(agent):
    first = ask(APIClient(), "agent", "pw-agent").json()["token"]
    second = ask(APIClient(), "agent", "pw-agent").json()["token"]
    assert first != second
    for key in (first, second):
        client = APIClient()
        client.credentials(HTTP_AUTHORIZATION=f"Token {key}")
        assert client.get(LIST_URL).status_code == 200


def test_only_a_digest_of_the_key_is_stored(agent):
    key = ask(APIClient(), "agent", "pw-agent").json()["token"]
    row = ApiToken.objects.get(user=agent)
    stored = [str(value) for value in ApiToken.objects.values_list().get(pk=row.pk)]
    assert not any(key in value for value in stored)
    assert row.digest == ApiToken.digest_of(key) and len(row.digest) == 64


def test_the_token_can_be_named(agent):
    response = APIClient().post(
        TOKEN_URL, {"username": "agent", "password": "pw-agent", "name": "  nightly   export "}, format="json"
    )
    assert response.json()["name"] == "nightly export"
    unnamed = ask(APIClient(), "agent", "pw-agent").json()
    assert unnamed["name"].startswith("API sign-in ")


def test_token_endpoint_ignores_a_session_and_its_csrf(agent):
    browser = APIClient(enforce_csrf_checks=True)
    browser.force_login(agent)
    assert ask(browser, "agent", "pw-agent").status_code == 201


def test_token_also_accepts_form_posts(agent):
    multipart = APIClient().post(TOKEN_URL, {"username": "agent", "password": "pw-agent"})
    assert multipart.status_code == 201 and "token" in multipart.json()
    urlencoded = APIClient().post(
        TOKEN_URL, "username=agent&password=pw-agent", content_type="application/x-www-form-urlencoded"
    )
    assert urlencoded.status_code == 201 and urlencoded.json()["token"] != multipart.json()["token"]


def test_wrong_password_is_400_with_a_clear_message(agent):
    response = ask(APIClient(), "agent", "nope")
    assert response.status_code == 400
    assert response.json() == {"detail": "Unable to sign in with that username and password."}
    assert not ApiToken.objects.exists()


@pytest.mark.parametrize("data, field", [({"password": "x"}, "username"), ({"username": "agent"}, "password")])
def test_missing_fields_are_named(agent, data, field):
    response = APIClient().post(TOKEN_URL, data, format="json")
    assert response.status_code == 400 and field in response.json()


@pytest.mark.parametrize(
    "header, detail",
    [
        ("Token not-a-real-token", "Invalid token."),
        ("Token", "Send the header as"),
        ("Token two parts", "Send the header as"),
        ("Token " + "x" * 500, "Invalid token."),
    ],
)
def test_bad_token_is_401_with_a_reason(db, header, detail):
    client = APIClient()
    client.credentials(HTTP_AUTHORIZATION=header)
    response = client.get(LIST_URL)
    assert response.status_code == 401 and detail in response.json()["detail"]
    assert response["WWW-Authenticate"] == "Token"


@override_settings(LOGIN_RATE_LIMIT_ATTEMPTS=3)
def test_repeated_failures_are_rate_limited_per_username_and_address(agent, agent2):
    client = APIClient()
    for _ in range(3):
        assert ask(client, "agent", "wrong").status_code == 400
    blocked = ask(client, "agent", "pw-agent")  # even the right password waits
    assert blocked.status_code == 429
    assert "Too many failed sign-in attempts" in blocked.json()["detail"]
    assert int(blocked["Retry-After"]) > 0
    assert not ApiToken.objects.filter(user=agent).exists()
    # Another account from the same address is not blocked by this one's failures.
    assert ask(client, "agent2", "pw-agent2").status_code == 201


@override_settings(LOGIN_RATE_LIMIT_ATTEMPTS=3)
def test_failures_from_elsewhere_do_not_lock_the_owners_script_out(agent):
    for _ in range(3):
        ask(APIClient(), "agent", "wrong", REMOTE_ADDR="203.0.113.66")
    assert ask(APIClient(), "agent", "pw-agent", REMOTE_ADDR="203.0.113.66").status_code == 429
    assert ask(APIClient(), "agent", "pw-agent").status_code == 201


@override_settings(LOGIN_RATE_LIMIT_ATTEMPTS=2)
def test_address_is_limited_across_usernames(agent):
    # The address allowance is four times the per-pair one.
    for i in range(8):
        assert ask(APIClient(), f"guess{i}", "wrong", REMOTE_ADDR="203.0.113.9").status_code == 400
    assert ask(APIClient(), "agent", "pw-agent", REMOTE_ADDR="203.0.113.9").status_code == 429
    assert ask(APIClient(), "agent", "pw-agent", REMOTE_ADDR="198.51.100.1").status_code == 201


@override_settings(LOGIN_RATE_LIMIT_ATTEMPTS=3)
def test_success_clears_the_pairs_count(agent):
    client = APIClient()
    for _ in range(2):
        ask(client, "agent", "wrong")
    assert ask(client, "agent", "pw-agent").status_code == 201
    for _ in range(2):
        assert ask(client, "agent", "wrong").status_code == 400
    assert ask(client, "agent", "pw-agent").status_code == 201


@override_settings(LOGIN_RATE_LIMIT_ATTEMPTS=2)
def test_empty_password_on_the_api_neither_counts_nor_clears(agent):
    client = APIClient()
    ask(client, "agent", "wrong")
    assert ask(client, "agent", "").status_code == 400  # "password": this field may not be blank
    ask(client, "agent", "wrong")
    assert ask(client, "agent", "pw-agent").status_code == 429
