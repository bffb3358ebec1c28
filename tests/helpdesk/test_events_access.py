"""``access.revoked`` and ``access.recheck``: payloads, groups, and nothing before commit."""

from __future__ import annotations

import re

import pytest
from django.contrib.auth import get_user_model
from django.db import transaction

from helpdesk import events, services
from tests.helpdesk.test_events import listen  # noqa: F401

# Channels' rule for group names.
GROUP_NAME = re.compile(r"^[a-zA-Z\d\-_.]{1,99}$")


def test_group_names_are_valid_and_do_not_show_the_session_key():
    key = "k2j4h5g6f7d8s9a0qwertyuiopasdfgh"
    assert GROUP_NAME.match(events.user_group(42)) and events.user_group(42) != events.user_group(43)
    name = events.session_group(key)
    assert GROUP_NAME.match(name) and key not in name
    assert name == events.session_group(key) != events.session_group(key + "x")


def test_payloads():
    assert events.access_revoked_payload(reason=events.DEACTIVATED) == {"type": "access.revoked", "reason": "deactivated"}
    assert events.access_recheck_payload() == {"type": "access.recheck"}


@pytest.mark.django_db(transaction=True)
def test_deactivation_reaches_the_user_group_only_after_commit(listen, agent):
    next_message = listen(events.user_group(agent.pk))
    with transaction.atomic():
        services.user_set_active(actor=None, user=agent, is_active=False)
        assert next_message(timeout=0.3) is None
    assert next_message() == {"type": "access.revoked", "reason": "deactivated"}


@pytest.mark.django_db(transaction=True)
def test_a_rolled_back_password_change_sends_nothing(listen, agent):
    next_message = listen(events.user_group(agent.pk))
    with pytest.raises(RuntimeError):
        with transaction.atomic():
            user = get_user_model().objects.get(pk=agent.pk)
            user.set_password("never-committed-pass")
            user.save()
            raise RuntimeError
    assert next_message(timeout=0.5) is None


@pytest.mark.django_db(transaction=True)
def test_password_change_and_role_change_messages(listen, agent):
    next_message = listen(events.user_group(agent.pk))
    user = get_user_model().objects.get(pk=agent.pk)
    user.set_password("another-new-passphrase")
    user.save()
    assert next_message() == {"type": "access.revoked", "reason": "password_changed"}
    services.user_set_roles(actor=None, user=user, role_names=[])
    assert next_message() == {"type": "access.recheck"}


@pytest.mark.django_db(transaction=True)
def test_signing_out_reaches_the_session_group(listen, client, agent):
    client.force_login(agent)
    next_message = listen(events.session_group(client.cookies["sessionid"].value))
    client.post("/accounts/logout/")
    assert next_message() == {"type": "access.revoked", "reason": "signed_out"}
