"""Sign-in, its failure limit, signing out and password reset pages."""

from __future__ import annotations

import re

import pytest
from django.conf import settings
from django.core import mail
from django.core.cache import cache
from django.test import Client, override_settings
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
def test_after_the_limit_even_the_right_password_is_refused_with_429(client, agent, limiter_clock):
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


@override_settings(LOGIN_RATE_LIMIT_ATTEMPTS=2, LOGIN_RATE_LIMIT_WINDOW_SECONDS=60)
def test_sign_in_works_again_once_the_window_passes(client, agent, limiter_clock):
    sign_in(client, "agent", "wrong")
    limiter_clock.advance(20)
    sign_in(client, "agent", "wrong")
    limiter_clock.advance(20)
    paused = sign_in(client, "agent", "pw-agent")
    # The window is fixed from the first failure: 60 s after it, not after the last.
    assert paused.status_code == 429 and paused["Retry-After"] == "20"

    limiter_clock.advance(20)

    assert sign_in(client, "agent", "pw-agent").status_code == 302


@override_settings(LOGIN_RATE_LIMIT_ATTEMPTS=3)
def test_an_empty_password_neither_clears_nor_counts_failures(client, agent):
    sign_in(client, "agent", "wrong")
    sign_in(client, "agent", "wrong")
    empty = sign_in(client, "agent", "")
    assert empty.status_code == 200 and "This field is required" in empty.content.decode()

    # The empty post cleared nothing: the third real failure reaches the limit.
    sign_in(client, "agent", "wrong")
    assert sign_in(client, "agent", "pw-agent").status_code == 429


@override_settings(LOGIN_RATE_LIMIT_ATTEMPTS=2)
def test_empty_passwords_are_not_counted_as_failures(client, agent):
    for _ in range(5):
        sign_in(client, "agent", "")
    assert sign_in(client, "agent", "pw-agent").status_code == 302


@override_settings(LOGIN_RATE_LIMIT_ATTEMPTS=3)
def test_a_stranger_elsewhere_cannot_lock_the_owner_out(client, agent):
    attacker = "203.0.113.66"
    for _ in range(3):
        sign_in(client, "agent", "wrong", REMOTE_ADDR=attacker)
    assert sign_in(client, "agent", "pw-agent", REMOTE_ADDR=attacker).status_code == 429

    # The owner, at their own address, is not affected by the stranger's count.
    assert sign_in(client, "agent", "pw-agent").status_code == 302


@override_settings(LOGIN_RATE_LIMIT_ATTEMPTS=2)
def test_guesses_spread_over_many_addresses_slow_the_account_down(client, agent):
    per_username = 2 * ratelimit.USERNAME_ALLOWANCE_FACTOR
    for n in range(per_username - 1):
        sign_in(Client(), "agent", "wrong", REMOTE_ADDR=f"198.51.100.{n + 1}")
    # Below the per-username bar a fresh address still gets in...
    assert sign_in(Client(), "agent", "pw-agent", REMOTE_ADDR="192.0.2.1").status_code == 302
    sign_in(Client(), "agent", "wrong", REMOTE_ADDR="198.51.100.200")

    # ...at the bar, every address without the account's known-device cookie waits.
    paused = sign_in(client, "agent", "pw-agent", REMOTE_ADDR="192.0.2.2")
    assert paused.status_code == 429
    assert "_auth_user_id" not in client.session


@override_settings(LOGIN_RATE_LIMIT_ATTEMPTS=2)
def test_the_owners_usual_browser_gets_in_despite_distributed_guessing(client, agent):
    assert sign_in(client, "agent", "pw-agent").status_code == 302  # sets the known-device cookie
    client.post(reverse("logout"))  # signs out; the browser keeps its cookies
    for n in range(2 * ratelimit.USERNAME_ALLOWANCE_FACTOR):
        sign_in(Client(), "agent", "wrong", REMOTE_ADDR=f"198.51.100.{n + 1}")
    assert sign_in(Client(), "agent", "pw-agent", REMOTE_ADDR="192.0.2.9").status_code == 429

    assert sign_in(client, "agent", "pw-agent").status_code == 302


@override_settings(LOGIN_RATE_LIMIT_ATTEMPTS=2)
def test_a_known_device_cookie_is_signed_and_for_one_account(client, agent, agent2):
    assert sign_in(client, "agent2", "pw-agent2").status_code == 302
    client.post(reverse("logout"))
    cookie = client.cookies["helpdesk_device"].value
    for n in range(2 * ratelimit.USERNAME_ALLOWANCE_FACTOR):
        sign_in(Client(), "agent", "wrong", REMOTE_ADDR=f"198.51.100.{n + 1}")

    # agent2's cookie does not vouch for agent, and a forged one vouches for nobody.
    assert sign_in(client, "agent", "pw-agent").status_code == 429
    client.cookies["helpdesk_device"] = cookie[:-2] + ("BB" if cookie.endswith("AA") else "AA")
    assert sign_in(client, "agent", "pw-agent").status_code == 429


@override_settings(LOGIN_RATE_LIMIT_ATTEMPTS=2)
def test_admin_sign_in_counts_against_the_same_limit(client, make_user, limiter_clock):
    make_user("boss", role=None, is_staff=True)
    sign_in(client, "boss", "wrong")
    client.post("/admin/login/", {"username": "boss", "password": "wrong"})

    response = client.post("/admin/login/", {"username": "boss", "password": "pw-boss"})

    assert response.status_code == 429
    assert response["Retry-After"] == str(ratelimit.sign_in_limits().pair.window_seconds)
    assert "Too many failed sign-in attempts" in response.content.decode()
    assert "_auth_user_id" not in client.session


def test_admin_sign_in_page_still_signs_staff_in_and_sends_them_to_the_admin(client, make_user):
    make_user("boss", role=None, is_staff=True)
    page = client.get("/admin/login/")
    assert page.status_code == 200 and 'name="username"' in page.content.decode()

    response = client.post("/admin/login/", {"username": "boss", "password": "pw-boss", "next": "/admin/"})

    assert response.status_code == 302 and response["Location"] == "/admin/"
    assert client.get("/admin/login/")["Location"] == "/admin/"


def test_admin_sign_in_refuses_non_staff_without_looping(client, agent):
    response = client.post("/admin/login/", {"username": "agent", "password": "pw-agent"})
    assert response.status_code == 200
    assert "_auth_user_id" not in client.session
    client.force_login(agent)
    # Signed in but not staff: the page explains rather than redirecting to the admin (and back).
    assert client.get("/admin/login/").status_code == 200


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


def test_password_reset_is_limited_per_address_and_keeps_the_typed_email(client, customer, limiter_clock):
    for _ in range(5):
        assert request_reset(client, "customer@desk.test").status_code == 302
    assert len(mail.outbox) == 5

    blocked = request_reset(client, "customer@desk.test")

    html = blocked.content.decode()
    assert blocked.status_code == 429
    assert blocked["Retry-After"] == str(ratelimit.password_reset_limit().window_seconds)
    assert "Too many password reset requests" in html
    assert 'value="customer@desk.test"' in html  # nothing typed is lost
    assert len(mail.outbox) == 5  # and no sixth email
    # Unknown addresses count too: the answer must not tell which emails have an account.
    assert request_reset(client, "nobody@nowhere.test").status_code == 429
    # Another network is not affected.
    assert request_reset(client, "customer@desk.test", address="203.0.113.50").status_code == 302
    assert len(mail.outbox) == 6


@override_settings(PASSWORD_RESET_RATE_LIMIT_ATTEMPTS=2, LOGIN_RATE_LIMIT_WINDOW_SECONDS=60)
def test_password_reset_works_again_once_the_window_passes(client, customer, limiter_clock):
    request_reset(client, "nobody@nowhere.test")
    request_reset(client, "nobody@nowhere.test")
    assert request_reset(client, "customer@desk.test").status_code == 429

    limiter_clock.advance(60)

    assert request_reset(client, "customer@desk.test").status_code == 302
    assert len(mail.outbox) == 1


def test_password_reset_page_itself_is_not_counted(client, db):
    for _ in range(8):
        assert client.get(reverse("password_reset"), REMOTE_ADDR="198.51.100.7").status_code == 200


# --- password change: wrong old passwords are limited per user ---------------------------------------

PASSWORD_CHANGE = "/accounts/password_change/"


def change_password(client, old, new="a-new-long-passphrase-42"):
    return client.post(PASSWORD_CHANGE, {"old_password": old, "new_password1": new, "new_password2": new})


@override_settings(LOGIN_RATE_LIMIT_ATTEMPTS=3, LOGIN_RATE_LIMIT_WINDOW_SECONDS=300)
def test_wrong_old_passwords_pause_password_change(client, agent, limiter_clock):
    client.force_login(agent)
    for _ in range(3):
        wrong = change_password(client, "guess")
        assert wrong.status_code == 200
        assert "Your old password was entered incorrectly" in wrong.content.decode()

    paused = change_password(client, "pw-agent")

    html = paused.content.decode()
    assert paused.status_code == 429 and paused["Retry-After"] == "300"
    assert "Too many wrong passwords" in html and "paused for 5 minutes" in html
    agent.refresh_from_db()
    assert agent.check_password("pw-agent")  # unchanged

    limiter_clock.advance(300)
    assert change_password(client, "pw-agent").status_code == 302


@override_settings(LOGIN_RATE_LIMIT_ATTEMPTS=2)
def test_password_change_counts_per_user_and_success_forgives(client, agent, agent2):
    client.force_login(agent)
    change_password(client, "guess")
    assert change_password(client, "pw-agent").status_code == 302
    other = Client()
    other.force_login(agent2)
    change_password(other, "guess")
    # agent's success cleared agent's count; agent2's one failure is theirs alone.
    change_password(client, "guess", new="another-long-passphrase-7")
    assert change_password(client, "a-new-long-passphrase-42", new="another-long-passphrase-7").status_code == 302


def test_no_role_page_sends_people_to_their_administrator(client, make_user):
    client.force_login(make_user("drifter", role=None))
    html = client.get(reverse("helpdesk:no_role")).content.decode()
    # Support managers cannot grant roles (they have no rights over user accounts).
    assert "Ask your administrator" in html
    assert "ask a support manager" not in html.lower()


# --- the limiter fails open -------------------------------------------------------------------------

UNREACHABLE_CACHE = {
    "default": {
        "BACKEND": "django.core.cache.backends.redis.RedisCache",
        "LOCATION": "redis://127.0.0.1:1/0",  # nothing listens on port 1: refused at once
        "OPTIONS": {"socket_connect_timeout": 0.2, "socket_timeout": 0.2},
    }
}


@override_settings(LOGIN_RATE_LIMIT_ATTEMPTS=1, CACHES=UNREACHABLE_CACHE)
def test_an_unreachable_cache_does_not_take_sign_in_down(client, agent, caplog):
    assert sign_in(client, "agent", "wrong").status_code == 200
    assert sign_in(client, "agent", "wrong").status_code == 200  # nothing counted, nothing refused

    assert sign_in(client, "agent", "pw-agent").status_code == 302
    assert any("cache unreachable" in record.getMessage() for record in caplog.records)
