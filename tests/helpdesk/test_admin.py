"""The admin: configuration through services, tickets read-only, staff only."""

from __future__ import annotations

import pytest
from django.db import connection
from django.test.utils import CaptureQueriesContext

from helpdesk import roles, services
from helpdesk.models import Organization, Team, TicketStatus


@pytest.fixture
def staff_manager(make_user):
    return make_user("boss", role=roles.SUPPORT_MANAGERS, is_staff=True, first_name="Morgan")


@pytest.fixture
def manager_client(client, staff_manager):
    client.force_login(staff_manager)
    return client


@pytest.fixture
def save_calls(monkeypatch):
    """Records every call of the configuration save service (and still performs it)."""
    calls = []
    real = services.directory_object_save

    def spy(**kwargs):
        calls.append(kwargs)
        return real(**kwargs)

    monkeypatch.setattr(services, "directory_object_save", spy)
    return calls


@pytest.mark.parametrize(
    "path",
    [
        "/admin/",
        "/admin/helpdesk/organization/",
        "/admin/helpdesk/organization/add/",
        "/admin/helpdesk/customer/",
        "/admin/helpdesk/customer/add/",
        "/admin/helpdesk/team/",
        "/admin/helpdesk/team/add/",
        "/admin/helpdesk/tag/",
        "/admin/helpdesk/ticket/",
    ],
)
def test_support_manager_opens_configuration_pages(manager_client, ticket, customer, path):
    assert manager_client.get(path).status_code == 200


def test_plain_agent_cannot_reach_the_admin(client, agent):
    client.force_login(agent)
    for path in ("/admin/", "/admin/helpdesk/organization/"):
        response = client.get(path)
        assert response.status_code == 302
        assert response["Location"].startswith("/admin/login/")


def test_staff_without_config_rights_sees_no_models(client, make_user):
    client.force_login(make_user("intern", role=roles.AGENTS, is_staff=True))
    assert client.get("/admin/helpdesk/organization/").status_code == 403


def test_adding_an_organization_goes_through_the_service(manager_client, save_calls):
    response = manager_client.post(
        "/admin/helpdesk/organization/add/",
        {"name": "Initech", "domain": "initech.test", "tier": "premium", "annual_value": "250000",
         "lifetime_value": "0", "notes": ""},
    )

    assert response.status_code == 302, response.content.decode()[:2000]
    organization = Organization.objects.get(name="Initech")
    assert (organization.tier, organization.annual_value) == ("premium", 250000)
    assert len(save_calls) == 1
    assert save_calls[0]["obj"] == organization
    assert "name" in save_calls[0]["changed_fields"]


def test_changing_an_organization_saves_only_changed_fields(manager_client, organization, save_calls):
    manager_client.post(
        f"/admin/helpdesk/organization/{organization.pk}/change/",
        {"name": "Acme Corp", "domain": "acme.test", "tier": "enterprise", "annual_value": "120000",
         "lifetime_value": "0", "notes": "", "is_key_account": "on"},
    )

    organization.refresh_from_db()
    assert organization.tier == "enterprise" and organization.is_key_account
    assert sorted(save_calls[0]["changed_fields"]) == ["is_key_account", "tier"]


def test_configuration_edits_in_the_admin_are_audited_with_actor_old_and_new(manager_client, staff_manager, organization):
    from helpdesk.models import AuditEvent

    manager_client.post(
        f"/admin/helpdesk/organization/{organization.pk}/change/",
        {"name": organization.name, "domain": "acme.test", "tier": "enterprise", "annual_value": "120000",
         "lifetime_value": "0", "notes": ""},
    )
    manager_client.post("/admin/helpdesk/team/add/", {"name": "Escalations", "members": []})

    edited = AuditEvent.objects.filter(object_type="organization", object_id=str(organization.pk)).latest("id")
    assert edited.actor == staff_manager and edited.action.endswith("updated")
    assert edited.changes["tier"] == [organization.tier, "enterprise"]
    created = AuditEvent.objects.filter(object_type="team", object_label="Escalations").get()
    assert created.actor == staff_manager and created.action.endswith("created")


def test_team_members_are_written_by_the_service(manager_client, agent, agent2, save_calls):
    response = manager_client.post("/admin/helpdesk/team/add/", {"name": "Billing", "members": [agent.pk, agent2.pk]})

    team = Team.objects.get(name="Billing")
    assert response.status_code == 302
    assert set(team.members.all()) == {agent, agent2}
    assert set(save_calls[0]["many_to_many"]["members"]) == {agent, agent2}


def test_team_member_picker_leaves_out_customer_logins(manager_client, agent, customer):
    html = manager_client.get("/admin/helpdesk/team/add/").content.decode()
    assert f'<option value="{agent.pk}">agent</option>' in html
    assert f'value="{customer.user.pk}"' not in html


def test_customer_login_field_is_read_only_without_user_rights(client, make_user, customer):
    from django.contrib.auth.models import Permission

    clerk = make_user("clerk", role=roles.AGENTS, is_staff=True)
    clerk.user_permissions.add(*Permission.objects.filter(codename__in=["view_customer", "change_customer"]))
    client.force_login(clerk)

    html = client.get(f"/admin/helpdesk/customer/{customer.pk}/change/").content.decode()

    assert 'name="user"' not in html
    assert 'name="organization"' in html


def test_support_manager_picks_a_customer_login(manager_client, customer):
    html = manager_client.get(f"/admin/helpdesk/customer/{customer.pk}/change/").content.decode()
    assert 'name="user"' in html and "admin-autocomplete" in html


def test_configuration_cannot_be_deleted_from_the_admin(manager_client, organization, admin_client):
    assert "delete_selected" not in manager_client.get("/admin/helpdesk/organization/").content.decode()
    assert admin_client.post(f"/admin/helpdesk/organization/{organization.pk}/delete/").status_code == 403
    assert Organization.objects.filter(pk=organization.pk).exists()


# --- tickets ------------------------------------------------------------------------------


def test_ticket_change_page_is_read_only_with_the_timeline(manager_client, ticket, agent):
    services.ticket_message_post(actor=agent, ticket=ticket, body="Internal: check the PDF renderer", internal=True)
    url = f"/admin/helpdesk/ticket/{ticket.pk}/change/"

    page = manager_client.get(url)
    html = page.content.decode()
    refused = manager_client.post(url, {"subject": "Rewritten", "status": "closed"})

    assert page.status_code == 200
    assert 'name="subject"' not in html and 'name="status"' not in html
    assert "Internal: check the PDF renderer" in html
    assert ticket.reference in html
    assert refused.status_code == 403
    ticket.refresh_from_db()
    assert ticket.subject == "Invoice PDF is empty" and ticket.status == TicketStatus.NEW


def test_tickets_cannot_be_added_or_deleted_in_the_admin(manager_client, admin_client, ticket):
    assert manager_client.get("/admin/helpdesk/ticket/add/").status_code == 403
    assert admin_client.get("/admin/helpdesk/ticket/add/").status_code == 403
    assert admin_client.post(f"/admin/helpdesk/ticket/{ticket.pk}/delete/").status_code == 403
    assert "delete_selected" not in admin_client.get("/admin/helpdesk/ticket/").content.decode()


def test_ticket_search_finds_a_reference(manager_client, make_ticket):
    wanted, other = make_ticket(subject="Alpha"), make_ticket(subject="Beta")
    response = manager_client.get("/admin/helpdesk/ticket/", {"q": wanted.reference.lower()})
    assert list(response.context["cl"].result_list) == [wanted]
    response = manager_client.get("/admin/helpdesk/ticket/", {"q": "Beta"})
    assert list(response.context["cl"].result_list) == [other]


def test_ticket_changelist_query_count_does_not_grow(manager_client, make_ticket, agent, django_assert_num_queries):
    for _ in range(3):
        services.ticket_update(actor=agent, ticket=make_ticket(), assignee=agent)
    manager_client.get("/admin/helpdesk/ticket/")  # steady state: the permission set cached
    with CaptureQueriesContext(connection) as few:
        assert manager_client.get("/admin/helpdesk/ticket/").status_code == 200
    for _ in range(27):
        services.ticket_update(actor=agent, ticket=make_ticket(), assignee=agent)

    few_count = len(few.captured_queries)  # a request clears the query log
    manager_client.get("/admin/helpdesk/ticket/")
    with django_assert_num_queries(few_count):
        manager_client.get("/admin/helpdesk/ticket/")
