"""Portal invitations: a support manager sends a link; the customer sets a password once and signs in with their email."""

from __future__ import annotations

import re
from datetime import timedelta
from unittest import mock

import pytest
from django.utils import timezone

from helpdesk import services
from helpdesk.errors import ActionForbidden, InvalidInput
from helpdesk.mail.models import OutboundEmail
from helpdesk.models import AuditEvent


@pytest.fixture
def caller(make_customer, organization):
    return make_customer("caller", organization=organization, with_login=False, name="Cal Caller")


def link_of(email: OutboundEmail) -> str:
    return re.search(r"https?://[^\s]+/portal/invitation/[^\s/]+/", email.body_text).group(0)


def path_of(url: str) -> str:
    return "/" + url.split("/", 3)[3]


def test_an_invitation_makes_an_account_and_emails_a_link(manager, caller):
    email = services.customer_invite(actor=manager, customer=caller)
    caller.refresh_from_db()
    assert caller.user.username == "caller@customer.test" and not caller.user.has_usable_password()
    assert email.kind == "invitation" and email.to == ["caller@customer.test"]
    assert "Cal Caller" in email.body_text and link_of(email)
    assert AuditEvent.objects.filter(action="customer.invited", actor=manager).exists()


def test_the_customer_sets_a_password_once_and_is_signed_in(client, manager, caller):
    link = path_of(link_of(services.customer_invite(actor=manager, customer=caller)))
    page = client.get(link)
    assert page.status_code == 200 and b"caller@customer.test" in page.content
    response = client.post(link, {"new_password1": "a long new secret 42", "new_password2": "a long new secret 42"})
    assert response.status_code == 302 and response["Location"] == "/portal/"
    assert client.get("/portal/").status_code == 200
    client.logout()
    assert client.login(username="caller@customer.test", password="a long new secret 42")
    client.logout()
    used = client.get(link)
    assert used.status_code == 400 and b"no longer works" in used.content


def test_weak_or_different_passwords_are_refused_naming_the_field(client, manager, caller):
    link = path_of(link_of(services.customer_invite(actor=manager, customer=caller)))
    weak = client.post(link, {"new_password1": "123", "new_password2": "123"})
    assert weak.status_code == 400 and b"too short" in weak.content
    different = client.post(link, {"new_password1": "a long new secret 42", "new_password2": "another one 42"})
    assert different.status_code == 400 and b"The two passwords differ." in different.content


def test_an_invitation_expires(client, manager, caller, settings):
    link = path_of(link_of(services.customer_invite(actor=manager, customer=caller)))
    later = timezone.now() + timedelta(days=settings.HELPDESK_INVITATION_DAYS + 1)
    with mock.patch("django.core.signing.time.time", return_value=later.timestamp()):
        assert client.get(link).status_code == 400


def test_a_tampered_link_does_not_work(client, manager, caller):
    link = path_of(link_of(services.customer_invite(actor=manager, customer=caller)))
    assert client.get(link[:-3] + "xx/").status_code == 400


def test_agents_may_not_invite_and_customers_who_sign_in_need_no_invitation(agent, manager, customer, caller):
    with pytest.raises(ActionForbidden):
        services.customer_invite(actor=agent, customer=caller)
    with pytest.raises(InvalidInput, match="can already sign in"):
        services.customer_invite(actor=manager, customer=customer)


def test_the_requester_panel_invites(client, manager, caller, agent):
    ticket = services.ticket_create(actor=agent, requester=caller, subject="Phone call", body="Called in")
    client.force_login(manager)
    page = client.get(f"/tickets/{ticket.reference}/").content.decode()
    assert "No portal sign-in: hears back by email." in page and "Invite to the portal" in page
    client.post(f"/tickets/{ticket.reference}/requester/invite/")
    page = client.get(f"/tickets/{ticket.reference}/").content.decode()
    assert "Invitation sent to caller@customer.test." in page and "Invite again" in page
    client.force_login(agent)
    assert "Invite to the portal" not in client.get(f"/tickets/{ticket.reference}/").content.decode()


def test_the_admin_invites_in_bulk(client, make_user, caller, customer):
    from helpdesk import roles

    client.force_login(make_user("boss", role=roles.SUPPORT_MANAGERS, is_staff=True))
    response = client.post(
        "/admin/helpdesk/customer/",
        {"action": "invite_to_portal", "_selected_action": [caller.pk, customer.pk]},
        follow=True,
    )
    page = response.content.decode()
    assert "1 invitation(s) sent." in page and "can already sign in" in page
    assert list(OutboundEmail.objects.filter(kind="invitation").values_list("to", flat=True)) == [["caller@customer.test"]]


def test_a_customer_with_no_sign_in_and_a_failing_address_hears_nothing_and_the_composer_says_so(
    client, agent, caller, smtp_server
):
    ticket = services.ticket_create(actor=agent, requester=caller, subject="Call", body="Called")
    services.ticket_message_post(actor=agent, ticket=ticket, body="Answer")
    smtp_server.refuse("550 5.1.1 No such user")
    services.outbox_deliver_due(actor=None)
    client.force_login(agent)
    page = client.get(f"/tickets/{ticket.reference}/").content.decode()
    assert "This reply will reach the customer neither by email (the last one failed: 550 5.1.1 No such user)" in page
