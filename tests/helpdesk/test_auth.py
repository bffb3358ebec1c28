"""Sign-in, its failure limit, signing out and password reset pages."""

from __future__ import annotations

import re
import time

import pytest
from django.conf import settings
from django.core import mail
from django.core.cache import cache
from django.test import override_settings
from django.urls import reverse

from helpdesk import ratelimit

LOGIN = "/accounts/login/"


@pytest.fixture(autouse=True)
def empty_cache():
    # Failure counts live in the cache (Redis on the PostgreSQL run): start and end clean.
    cache.clear()
    yield
    cache.clear()


def sign_in(client, username, password, **extra):
    return client.post(LOGIN, {"username": username, "password": password}, **extra)


def test_login_page_has_the_standard_fields(client):
    response = client.get(LOGIN)
    html = response.content.decode()
    assert response.status_code == 200
    assert 'id="id_username"' in html and 'id="id_password"' in html
    assert '<button type="submit"' in html
    assert reverse("password_reset") in html


def test_right_password_signs_in_and_lands_on_the_role_home(client, customer):
    response = sign_in(client, "customer", "pw-customer")
    assert response.status_code == 302
    assert client.get(response["Location"])["Location"] == reverse("portal:ticket_list")


def test_wrong_password_is_a_plain_form_error(client, agent):
    response = sign_in(client, "agent", "nope")
    assert response.status_code == 200
    assert "Please enter a correct username and password" in response.content.decode()


@override_settings(LOGIN_RATE_LIMIT_ATTEMPTS=3, LOGIN_RATE_LIMIT_WINDOW_SECONDS=300)
def test_after_the_limit_even_the_right_password_is_refused_with_429(client, agent):
    for _ in range(3):
        assert sign_in(client, "agent", "wrong").status_code == 200

    blocked = sign_in(client, "agent", "pw-agent")

    html = blocked.content.decode()
    assert blocked.status_code == 429
    assert blocked["Retry-After"] == "300"
    assert "Too many failed sign-in attempts" in html
    assert "paused for up to 5 minutes" in html
    assert "_auth_user_id" not in client.session


@override_settings(LOGIN_RATE_LIMIT_ATTEMPTS=3)
def test_username_limit_ignores_case_and_spaces(client, agent):
    for name in ("agent", "AGENT", " Agent "):
        sign_in(client, name, "wrong")
    assert sign_in(client, "agent", "pw-agent").status_code == 429


@override_settings(LOGIN_RATE_LIMIT_ATTEMPTS=3)
def test_limit_is_per_username_for_other_accounts_on_the_same_address(client, agent, agent2):
    for _ in range(3):
        sign_in(client, "agent", "wrong")

    response = sign_in(client, "agent2", "pw-agent2")

    assert response.status_code == 302


@override_settings(LOGIN_RATE_LIMIT_ATTEMPTS=2)
def test_one_address_guessing_many_usernames_is_paused(client, agent):
    # The address allowance is four times the per-username limit.
    for n in range(2 * ratelimit.ADDRESS_ALLOWANCE_FACTOR):
        sign_in(client, f"guess{n}", "wrong")

    from_same_address = sign_in(client, "agent", "pw-agent")
    from_elsewhere = sign_in(client, "agent", "pw-agent", REMOTE_ADDR="198.51.100.7")

    assert from_same_address.status_code == 429
    assert from_elsewhere.status_code == 302


@override_settings(LOGIN_RATE_LIMIT_ATTEMPTS=3)
def test_successful_sign_in_forgives_earlier_mistakes(client, agent):
    sign_in(client, "agent", "wrong")
    sign_in(client, "agent", "wrong")
    assert sign_in(client, "agent", "pw-agent").status_code == 302
    client.logout()

    sign_in(client, "agent", "wrong")
    sign_in(client, "agent", "wrong")

    assert sign_in(client, "agent", "pw-agent").status_code == 302


@override_settings(LOGIN_RATE_LIMIT_ATTEMPTS=2, LOGIN_RATE_LIMIT_WINDOW_SECONDS=1)
def test_sign_in_works_again_once_the_window_passes(client, agent):
    sign_in(client, "agent", "wrong")
    sign_in(client, "agent", "wrong")
    assert sign_in(client, "agent", "pw-agent").status_code == 429

    time.sleep(1.2)

    assert sign_in(client, "agent", "pw-agent").status_code == 302


@override_settings(LOGIN_RATE_LIMIT_ATTEMPTS=2)
def test_admin_sign_in_counts_against_the_same_limit(client, make_user):
    make_user("boss", role=None, is_staff=True)
    sign_in(client, "boss", "wrong")
    client.post("/admin/login/", {"username": "boss", "password": "wrong"})

    response = client.post("/admin/login/", {"username": "boss", "password": "pw-boss"})

    assert "Too many failed sign-in attempts" in response.content.decode()
    assert "_auth_user_id" not in client.session


@override_settings(HELPDESK_PROXY_HOPS=1)
def test_behind_a_trusted_proxy_the_forwarded_address_is_used(rf):
    request = rf.get("/", HTTP_X_FORWARDED_FOR="203.0.113.9, 10.0.0.2", REMOTE_ADDR="10.0.0.1")
    assert ratelimit.client_ip(request) == "10.0.0.2"


def test_without_trusted_proxies_forwarded_headers_are_ignored(rf):
    request = rf.get("/", HTTP_X_FORWARDED_FOR="203.0.113.9", REMOTE_ADDR="10.0.0.1")
    assert ratelimit.client_ip(request) == "10.0.0.1"


def test_signing_out_returns_to_sign_in_with_a_notice(client, agent):
    client.force_login(agent)

    response = client.post(reverse("logout"), follow=True)

    assert response.redirect_chain == [(LOGIN, 302)]
    assert "You have signed out." in response.content.decode()
    assert "_auth_user_id" not in client.session


def test_password_reset_flow_renders_and_sends_a_working_link(client, customer):
    form = client.get(reverse("password_reset"))
    assert form.status_code == 200 and 'name="email"' in form.content.decode()

    sent = client.post(reverse("password_reset"), {"email": "customer@desk.test"}, follow=True)

    assert "Check your email" in sent.content.decode()
    assert len(mail.outbox) == 1
    assert mail.outbox[0].subject == "Reset your help desk password"
    link = re.search(re.escape(settings.SITE_URL) + r"(/accounts/reset/\S+/)", mail.outbox[0].body).group(1)
    confirm = client.get(link, follow=True)
    assert "Choose a new password" in confirm.content.decode()
    done = client.post(
        confirm.redirect_chain[-1][0],
        {"new_password1": "a-much-longer-passphrase", "new_password2": "a-much-longer-passphrase"},
        follow=True,
    )
    assert "Your password is set" in done.content.decode()
    assert sign_in(client, "customer", "a-much-longer-passphrase").status_code == 302


def test_used_reset_link_says_so(client, db):
    response = client.get("/accounts/reset/MQ/set-password/")
    assert response.status_code == 200
    assert "This link no longer works" in response.content.decode()


# --- password reset: a limit per client address ---------------------------------------------


def request_reset(client, email, address="198.51.100.7"):
    return client.post(reverse("password_reset"), {"email": email}, REMOTE_ADDR=address)


def test_password_reset_is_limited_per_address_and_keeps_the_typed_email(client, customer):
    for _ in range(5):
        assert request_reset(client, "customer@desk.test").status_code == 302
    assert len(mail.outbox) == 5

    blocked = request_reset(client, "customer@desk.test")

    html = blocked.content.decode()
    assert blocked.status_code == 429
    assert blocked["Retry-After"] == str(ratelimit.current_limit().window_seconds)
    assert "Too many password reset requests" in html
    assert 'value="customer@desk.test"' in html  # nothing typed is lost
    assert len(mail.outbox) == 5  # and no sixth email
    # Unknown addresses count too: the answer must not tell which emails have an account.
    assert request_reset(client, "nobody@nowhere.test").status_code == 429
    # Another network is not affected.
    assert request_reset(client, "customer@desk.test", address="203.0.113.50").status_code == 302
    assert len(mail.outbox) == 6


@override_settings(PASSWORD_RESET_RATE_LIMIT_ATTEMPTS=2, LOGIN_RATE_LIMIT_WINDOW_SECONDS=1)
def test_password_reset_works_again_once_the_window_passes(client, customer):
    request_reset(client, "nobody@nowhere.test")
    request_reset(client, "nobody@nowhere.test")
    assert request_reset(client, "customer@desk.test").status_code == 429

    time.sleep(1.2)

    assert request_reset(client, "customer@desk.test").status_code == 302
    assert len(mail.outbox) == 1


def test_password_reset_page_itself_is_not_counted(client, db):
    for _ in range(8):
        assert client.get(reverse("password_reset"), REMOTE_ADDR="198.51.100.7").status_code == 200


def test_no_role_page_sends_people_to_their_administrator(client, make_user):
    client.force_login(make_user("drifter", role=None))
    html = client.get(reverse("helpdesk:no_role")).content.decode()
    # Support managers cannot grant roles (they have no rights over user accounts).
    assert "Ask your administrator" in html
    assert "ask a support manager" not in html.lower()
