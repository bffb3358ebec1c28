"""The desk's API tokens page (desk and portal users alike) and the admin's token list."""

from __future__ import annotations

import re

import pytest
from django.contrib.auth import get_user_model
from django.test import Client
from rest_framework.test import APIClient

from helpdesk import services
from helpdesk.models import ApiToken
from tests.helpdesk.test_api_common import LIST_URL

PAGE = "/account/tokens/"


def works(key: str) -> bool:
    client = APIClient()
    client.credentials(HTTP_AUTHORIZATION=f"Token {key}")
    return client.get(LIST_URL).status_code == 200


def test_the_page_needs_sign_in(client, db):
    response = client.get(PAGE)
    assert response.status_code == 302 and response["Location"].startswith("/accounts/login/")


@pytest.mark.parametrize("who", ["agent", "customer"])
def test_desk_and_portal_users_create_a_named_token_and_see_the_key_once(who, agent, customer):
    user = agent if who == "agent" else customer.user
    client = Client()
    client.force_login(user)
    assert 'href="/account/tokens/"' in client.get("/" if who == "agent" else "/portal/", follow=True).content.decode()

    created = client.post(PAGE, {"name": "nightly export"})

    html = created.content.decode()
    assert created.status_code == 201
    assert "no-store" in created["Cache-Control"]
    key = re.search(r'id="new-token-key" type="text" readonly value="(hdk_[^"]+)"', html).group(1)
    assert "will not be shown again" in html
    assert works(key)
    later = client.get(PAGE).content.decode()
    assert key not in later
    assert "nightly export" in later and f"{key[:12]}…" in later


def test_a_missing_name_is_named_and_nothing_is_created(agent_client):
    response = agent_client.post(PAGE, {"name": "   "})
    html = response.content.decode()
    assert response.status_code == 400
    assert 'aria-invalid="true"' in html and "Name the token" in html
    assert not ApiToken.objects.exists()


def test_the_owner_revokes_from_the_page(agent_client, agent):
    token, key = services.api_token_create(actor=agent, name="laptop")
    response = agent_client.post(f"/account/tokens/{token.pk}/revoke/", follow=True)
    assert response.redirect_chain[-1][0] == PAGE
    assert "Revoked “laptop”" in response.content.decode()
    assert not works(key)
    assert "Revoked" in response.content.decode() and "revoked by its owner" in response.content.decode()


def test_someone_elses_token_cannot_be_revoked_from_the_page(agent_client, agent2):
    token, key = services.api_token_create(actor=agent2, name="theirs")
    response = agent_client.post(f"/account/tokens/{token.pk}/revoke/", follow=True)
    assert "not one of yours" in response.content.decode()
    assert works(key)


def test_the_page_only_lists_the_viewers_tokens(agent_client, agent2):
    services.api_token_create(actor=agent2, name="secret integration")
    assert "secret integration" not in agent_client.get(PAGE).content.decode()


def test_forms_need_the_csrf_token(agent):
    client = Client(enforce_csrf_checks=True)
    client.force_login(agent)
    token, key = services.api_token_create(actor=agent, name="x")
    assert client.post(PAGE, {"name": "y"}).status_code == 403
    assert client.post(f"/account/tokens/{token.pk}/revoke/").status_code == 403
    assert works(key)


def test_revoke_takes_only_post(agent_client, agent):
    token, key = services.api_token_create(actor=agent, name="x")
    assert agent_client.get(f"/account/tokens/{token.pk}/revoke/").status_code == 405
    assert works(key)


# --- the admin's list -------------------------------------------------------------------------------------

ADMIN_LIST = "/admin/helpdesk/apitoken/"


@pytest.fixture
def staff_manager(make_user):
    from helpdesk import roles

    return make_user("boss", role=roles.SUPPORT_MANAGERS, is_staff=True)


def test_support_managers_see_tokens_and_revoke_them_in_the_admin(client, staff_manager, agent, make_user):
    token, key = services.api_token_create(actor=agent, name="leaked")
    root = make_user("root", role=None)
    get_user_model().objects.filter(pk=root.pk).update(is_superuser=True)
    root_token, root_key = services.api_token_create(actor=get_user_model().objects.get(pk=root.pk), name="root's")
    client.force_login(staff_manager)

    listing = client.get(ADMIN_LIST)
    assert listing.status_code == 200
    assert "leaked" in listing.content.decode() and key not in listing.content.decode()

    response = client.post(
        ADMIN_LIST,
        {"action": "revoke_selected", "_selected_action": [token.pk, root_token.pk]},
        follow=True,
    )
    html = response.content.decode()
    assert "Revoked 1 token(s)." in html and "only a superuser may revoke those" in html
    assert not works(key) and works(root_key)
    assert ApiToken.objects.get(pk=token.pk).revoked_by == staff_manager
    from helpdesk.models import AuditEvent

    audited = AuditEvent.objects.get(action="api_token.revoked", object_id=str(token.pk))
    assert audited.actor == staff_manager
    assert not AuditEvent.objects.filter(action="api_token.revoked", object_id=str(root_token.pk)).exists()


def test_the_admin_never_edits_or_adds_tokens(client, staff_manager, agent):
    token, _ = services.api_token_create(actor=agent, name="x")
    client.force_login(staff_manager)
    assert client.get(f"{ADMIN_LIST}add/").status_code == 403
    page = client.get(f"{ADMIN_LIST}{token.pk}/change/")
    assert page.status_code == 200 and 'name="name"' not in page.content.decode()  # read-only view


def test_agents_have_no_token_admin(client, agent):
    client.force_login(agent)
    assert client.get(ADMIN_LIST).status_code == 302  # not staff: to the admin's sign-in
