"""A caller who is not a customer yet becomes the requester: the service, the new-ticket form, the lookup, the API."""

from __future__ import annotations

import pytest

from helpdesk import services
from helpdesk.errors import ActionForbidden, InvalidInput
from helpdesk.models import AuditEvent, Customer, Ticket
from tests.helpdesk.test_api_common import client_for  # noqa: F401

NEW = "/tickets/new/"
LOOKUP = "/tickets/new/requester/"


# --- the service ------------------------------------------------------------------------------------


def test_a_new_customer_joins_the_organization_that_lists_the_domain(agent, organization):
    customer = services.customer_create(actor=agent, name=" Jordan Ellis ", email="jordan@ACME.test")

    assert (customer.name, customer.email, customer.organization) == ("Jordan Ellis", "jordan@ACME.test", organization)
    created = AuditEvent.objects.get(action="customer.created", object_id=str(customer.pk))
    assert created.actor == agent


def test_a_chosen_organization_wins_and_an_unknown_domain_leaves_none(agent, organization, other_organization):
    chosen = services.customer_create(actor=agent, name="Sam", email="sam@acme.test", organization=other_organization)
    assert chosen.organization == other_organization
    assert services.customer_create(actor=agent, name="Lee", email="lee@nowhere.test").organization is None


def test_two_organizations_listing_the_domain_match_neither(agent, organization):
    services.organization_ensure(actor=None, name="Acme Twin", domain="acme.test")
    assert services.customer_create(actor=agent, name="Kim", email="kim@acme.test").organization is None


@pytest.mark.parametrize(
    "name, email, field",
    [
        ("Jordan", "not-an-email", "email"),
        ("Jordan", "a@b", "email"),
        ("   ", "jordan@acme.test", "name"),
        ("x" * 201, "jordan@acme.test", "name"),
        ("Casey again", "CUSTOMER@customer.test", "email"),  # already a customer, whatever the case
    ],
)
def test_bad_input_names_its_field_and_creates_nothing(agent, customer, name, email, field):
    before = Customer.objects.count()
    with pytest.raises(InvalidInput) as raised:
        services.customer_create(actor=agent, name=name, email=email)
    assert raised.value.field == field
    assert Customer.objects.count() == before


def test_only_the_desk_adds_customers(customer, product_manager):
    for actor in (customer.user, product_manager):
        with pytest.raises(ActionForbidden):
            services.customer_create(actor=actor, name="Mallory", email="mallory@evil.test")
    assert not Customer.objects.filter(email="mallory@evil.test").exists()


# --- the new-ticket form --------------------------------------------------------------------------


def form(**extra):
    return {"subject": "Printer on fire", "body": "Called at 9:00.", "priority": "normal", "channel": "phone", **extra}


def test_the_form_opens_a_ticket_for_a_new_caller(agent_client, organization):
    response = agent_client.post(NEW, form(requester="jordan@acme.test", requester_name="Jordan Ellis"))

    assert response.status_code == 302
    ticket = Ticket.objects.get(subject="Printer on fire")
    assert (ticket.requester.name, ticket.requester.email) == ("Jordan Ellis", "jordan@acme.test")
    assert ticket.requester.organization == organization == ticket.organization


def test_a_new_email_without_a_name_asks_for_the_name_and_keeps_the_input(agent_client):
    response = agent_client.post(NEW, form(requester="jordan@acme.test"))

    assert response.status_code == 400
    html = response.content.decode()
    assert "No customer has the email jordan@acme.test yet: enter their name to add them." in html
    assert 'id="n-requester_name-error"' in html and 'value="jordan@acme.test"' in html
    assert not Customer.objects.filter(email="jordan@acme.test").exists()


def test_the_organization_can_be_chosen_and_a_bad_choice_is_a_field_error(agent_client, other_organization):
    agent_client.post(
        NEW, form(requester="sam@acme.test", requester_name="Sam", requester_organization=str(other_organization.pk))
    )
    assert Customer.objects.get(email="sam@acme.test").organization == other_organization

    response = agent_client.post(NEW, form(requester="lee@acme.test", requester_name="Lee", requester_organization="999"))
    assert response.status_code == 400
    assert "Choose an organization from the list." in response.content.decode()
    assert not Customer.objects.filter(email="lee@acme.test").exists()


def test_a_refused_ticket_leaves_no_new_customer(agent_client, settings):
    settings.HELPDESK_MAX_TAGS_PER_TICKET = 1
    response = agent_client.post(NEW, form(requester="jo@acme.test", requester_name="Jo", tags="a b c"))

    assert response.status_code == 400
    assert not Customer.objects.filter(email="jo@acme.test").exists()


def test_a_username_that_is_nobody_is_still_an_error_on_the_requester(agent_client):
    response = agent_client.post(NEW, form(requester="nobody", requester_name="Nobody"))
    assert response.status_code == 400
    assert "No customer with username or email" in response.content.decode()
    assert not Customer.objects.filter(name="Nobody").exists()


# --- the lookup -----------------------------------------------------------------------------------


def test_the_lookup_suggests_customers_by_part_of_name_email_or_organization(agent_client, customer, customer2):
    by_name = agent_client.get(LOOKUP, {"requester": "dana"}).content.decode()
    assert "Dana Other" in by_name and 'data-email="customer2@' in by_name

    by_organization = agent_client.get(LOOKUP, {"requester": customer.organization.name[:4]}).content.decode()
    assert customer.email in by_organization and customer2.email not in by_organization


def test_the_lookup_offers_to_add_a_new_email_with_its_organization(agent_client, organization):
    html = agent_client.get(LOOKUP, {"requester": "jordan@acme.test"}).content.decode()
    assert "No customer has this email yet" in html and "(to Acme Corp, by the email's domain)" in html


def test_the_lookup_escapes_what_it_shows(agent_client, agent):
    services.customer_create(actor=agent, name="<b>Bold</b>", email="bold@x.test")
    html = agent_client.get(LOOKUP, {"requester": "bold"}).content.decode()
    assert "<b>Bold</b>" not in html and "&lt;b&gt;Bold&lt;/b&gt;" in html


# --- the API --------------------------------------------------------------------------------------


def api_ticket(**extra):
    return {"subject": "Cannot export", "body": "Sent from the CRM.", **extra}


def test_the_api_adds_the_customer_an_unknown_email_names(client_for, agent, organization):  # noqa: F811
    response = client_for(agent).post(
        "/api/v1/tickets/", api_ticket(requester="new@acme.test", requester_name="New Person"), format="json"
    )

    assert response.status_code == 201, response.content
    created = Customer.objects.get(email="new@acme.test")
    assert (created.name, created.organization) == ("New Person", organization)
    assert response.json()["requester"]["email"] == "new@acme.test"


def test_the_api_names_the_field_of_a_bad_new_requester(client_for, agent):  # noqa: F811
    response = client_for(agent).post(
        "/api/v1/tickets/", api_ticket(requester="bad@", requester_name="X"), format="json"
    )
    assert response.status_code == 400
    assert "requester" in response.json(), response.json()
    assert not Customer.objects.filter(name="X").exists()


def test_customers_may_not_name_a_new_requester(client_for, customer):  # noqa: F811
    response = client_for(customer.user).post(
        "/api/v1/tickets/", api_ticket(requester_name="Someone"), format="json"
    )
    assert response.status_code == 403
