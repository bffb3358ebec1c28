"""People and roles in the admin, as a support manager and as a superuser: saved through services, audited.

Every request goes through the real admin pages (forms validate, services write).
"""

from __future__ import annotations

import pytest
from django.contrib.auth import get_user_model
from django.contrib.auth.models import Group, Permission

from helpdesk import roles, services
from helpdesk.models import AuditEvent

User = get_user_model()


@pytest.fixture
def boss(make_user):
    return make_user("boss", role=roles.SUPPORT_MANAGERS, is_staff=True, first_name="Morgan", last_name="Boss")


@pytest.fixture
def boss_client(client, boss):
    client.force_login(boss)
    return client


@pytest.fixture
def root(make_user):
    return make_user("root", role=None, is_staff=True, is_superuser=True)


@pytest.fixture
def root_client(client, root):
    client.force_login(root)
    return client


def change_form(person, **overrides) -> dict:
    """What the admin's change form posts for ``person`` (as a support manager sees it)."""
    data = {
        "username": person.username,
        "first_name": person.first_name,
        "last_name": person.last_name,
        "email": person.email,
        "groups": [g.pk for g in person.groups.all()],
    }
    if person.is_active:
        data["is_active"] = "on"
    data.update(overrides)
    return {k: v for k, v in data.items() if v is not None}


def actions_of(person) -> list[str]:
    return list(AuditEvent.objects.filter(object_type="user", object_id=str(person.pk)).order_by("id")
                .values_list("action", flat=True))


@pytest.mark.parametrize(
    "path",
    [
        "/admin/auth/user/",
        "/admin/auth/user/add/",
        "/admin/auth/group/",
        "/admin/escalations/product/",
        "/admin/escalations/product/add/",
        "/admin/escalations/feature/",
        "/admin/escalations/feature/add/",
        "/admin/helpdesk/auditevent/",
    ],
)
def test_support_manager_reaches_people_roles_products_and_the_audit_log(boss_client, path):
    assert boss_client.get(path).status_code == 200


def test_manager_adds_an_agent_through_the_service(boss_client, boss, role_groups):
    response = boss_client.post(
        "/admin/auth/user/add/",
        {"username": "newagent", "usable_password": "true", "password1": "Long-enough-pass-42",
         "password2": "Long-enough-pass-42"},
    )
    assert response.status_code == 302, response.content.decode()[:3000]
    person = User.objects.get(username="newagent")

    response = boss_client.post(f"/admin/auth/user/{person.pk}/change/",
                                change_form(person, first_name="Nia", groups=[role_groups[roles.AGENTS].pk]))

    assert response.status_code == 302, response.content.decode()[:3000]
    person.refresh_from_db()
    assert person.check_password("Long-enough-pass-42") and person.first_name == "Nia"
    assert list(person.groups.values_list("name", flat=True)) == [roles.AGENTS]
    assert actions_of(person) == ["user.created", "user.updated", "user.roles_changed"]
    assert set(AuditEvent.objects.filter(object_type="user", object_id=str(person.pk))
               .values_list("actor", flat=True)) == {boss.pk}


def test_weak_password_is_a_form_error_and_creates_no_one(boss_client):
    response = boss_client.post(
        "/admin/auth/user/add/",
        {"username": "weak", "usable_password": "true", "password1": "123", "password2": "123"},
    )
    assert response.status_code == 200
    assert "too short" in response.content.decode()
    assert not User.objects.filter(username="weak").exists() and not AuditEvent.objects.filter(
        action="user.created", object_label="weak").exists()


def test_manager_form_offers_only_built_in_roles_and_no_privileges(boss_client, agent):
    Group.objects.create(name="Night shift")
    html = boss_client.get(f"/admin/auth/user/{agent.pk}/change/").content.decode()
    assert 'name="groups"' in html and "Night shift" not in html
    for field in ("is_staff", "is_superuser", "user_permissions"):
        assert f'name="{field}"' not in html


def test_crafted_post_cannot_grant_staff_superuser_or_other_groups(boss_client, agent):
    night = Group.objects.create(name="Night shift")
    response = boss_client.post(
        f"/admin/auth/user/{agent.pk}/change/",
        change_form(agent, is_staff="on", is_superuser="on", groups=[night.pk],
                    user_permissions=[Permission.objects.get(codename="view_auditevent").pk]),
    )
    agent.refresh_from_db()
    assert not agent.is_staff and not agent.is_superuser
    assert list(agent.groups.values_list("name", flat=True)) == [roles.AGENTS]
    assert not agent.user_permissions.exists()
    assert response.status_code in (200, 302)  # the disallowed values are simply not fields of this form


def test_superusers_cannot_be_changed_by_a_manager(boss_client, root):
    page = boss_client.get(f"/admin/auth/user/{root.pk}/change/")
    post = boss_client.post(f"/admin/auth/user/{root.pk}/change/", change_form(root, first_name="Hijack"))
    password = boss_client.post(f"/admin/auth/user/{root.pk}/password/",
                                {"password1": "Taken-over-pass-42", "password2": "Taken-over-pass-42"})

    assert page.status_code == 200 and 'name="first_name"' not in page.content.decode()  # view only
    assert post.status_code == 403 and password.status_code == 403
    root.refresh_from_db()
    assert root.first_name == "" and root.check_password("pw-root")


def test_password_set_in_the_admin_goes_through_the_service(boss_client, boss, agent):
    response = boss_client.post(f"/admin/auth/user/{agent.pk}/password/",
                                {"usable_password": "true", "password1": "Fresh-password-77",
                                 "password2": "Fresh-password-77"})

    assert response.status_code == 302, response.content.decode()[:3000]
    agent.refresh_from_db()
    assert agent.check_password("Fresh-password-77")
    event = AuditEvent.objects.get(action="user.password_changed")
    assert (event.actor, event.changes) == (boss, {"password": [None, "changed"]})
    assert agent.password not in str(event.changes)


def test_mismatched_password_changes_nothing(boss_client, agent):
    response = boss_client.post(f"/admin/auth/user/{agent.pk}/password/",
                                {"usable_password": "true", "password1": "Fresh-password-77",
                                 "password2": "Other-password-77"})
    assert response.status_code == 200
    agent.refresh_from_db()
    assert agent.check_password("pw-agent") and not AuditEvent.objects.filter(action="user.password_changed").exists()


def test_people_are_deactivated_not_deleted(boss_client, root_client, agent, make_ticket):
    ticket = make_ticket()
    services.ticket_update(actor=agent, ticket=ticket, assignee=agent)
    services.ticket_message_post(actor=agent, ticket=ticket, body="Looking into it")

    changelist = boss_client.get("/admin/auth/user/").content.decode()
    deleted = root_client.post(f"/admin/auth/user/{agent.pk}/delete/", {"post": "yes"})
    response = boss_client.post("/admin/auth/user/", {"action": "deactivate", "_selected_action": [agent.pk]})

    assert "delete_selected" not in changelist and "deactivate" in changelist
    assert deleted.status_code == 403
    assert response.status_code == 302
    agent.refresh_from_db()
    ticket.refresh_from_db()
    assert not agent.is_active
    assert ticket.assignee_id == agent.pk
    assert ticket.events.filter(actor=agent).count() >= 2
    assert actions_of(agent) == ["user.created", "user.roles_changed", "user.deactivated"]
    # The ticket page still names who did the work.
    root_client.get("/inbox/")
    assert "Alex Agent" in root_client.get(f"/tickets/{ticket.reference}/").content.decode()

    boss_client.post("/admin/auth/user/", {"action": "reactivate", "_selected_action": [agent.pk]})
    agent.refresh_from_db()
    assert agent.is_active and actions_of(agent)[-1] == "user.reactivated"


def test_a_manager_cannot_deactivate_themselves_or_a_superuser(boss_client, boss, root):
    response = boss_client.post("/admin/auth/user/", {"action": "deactivate", "_selected_action": [boss.pk, root.pk]},
                                follow=True)
    boss.refresh_from_db()
    root.refresh_from_db()
    assert boss.is_active and root.is_active
    assert "Left unchanged" in response.content.decode()


def test_deactivating_through_the_change_form_is_audited_as_such(boss_client, agent):
    response = boss_client.post(f"/admin/auth/user/{agent.pk}/change/", change_form(agent, is_active=None))
    assert response.status_code == 302
    agent.refresh_from_db()
    assert not agent.is_active and actions_of(agent)[-1] == "user.deactivated"


# --- roles -------------------------------------------------------------------------------------


def test_roles_are_read_only_for_a_manager(boss_client, role_groups):
    agents = role_groups[roles.AGENTS]
    page = boss_client.get(f"/admin/auth/group/{agents.pk}/change/")
    every_permission = list(Permission.objects.values_list("pk", flat=True))
    post = boss_client.post(f"/admin/auth/group/{agents.pk}/change/",
                            {"name": roles.AGENTS, "permissions": every_permission})

    assert page.status_code == 200 and 'name="permissions"' not in page.content.decode()
    assert post.status_code == 403
    assert boss_client.get("/admin/auth/group/add/").status_code == 403
    assert agents.permissions.count() == len(roles.ROLE_PERMISSIONS[roles.AGENTS])


def test_superuser_edits_a_role_through_the_service(root_client, root):
    view_tag = Permission.objects.get(codename="view_tag")
    response = root_client.post("/admin/auth/group/add/", {"name": "Night shift", "permissions": [view_tag.pk]})

    assert response.status_code == 302, response.content.decode()[:3000]
    group = Group.objects.get(name="Night shift")
    assert list(group.permissions.all()) == [view_tag]
    assert list(AuditEvent.objects.filter(object_type="role", actor=root).order_by("id")
                .values_list("action", "changes")) == [
        ("role.created", {"name": [None, "Night shift"]}),
        ("role.permissions_changed", {"permissions": [[], ["helpdesk.view_tag"]]}),
    ]
    deleted = root_client.post(f"/admin/auth/group/{group.pk}/delete/", {"post": "yes"})
    assert deleted.status_code == 302 and not Group.objects.filter(name="Night shift").exists()
    assert AuditEvent.objects.filter(action="role.deleted", object_label="Night shift").exists()


def test_built_in_roles_cannot_be_deleted_in_the_admin(root_client, role_groups):
    agents = role_groups[roles.AGENTS]
    assert root_client.post(f"/admin/auth/group/{agents.pk}/delete/", {"post": "yes"}).status_code == 403
    assert Group.objects.filter(pk=agents.pk).exists()


# --- the audit log in the admin -----------------------------------------------------------------


def test_audit_admin_is_a_read_only_list(boss_client, agent, manager):
    services.user_set_active(actor=manager, user=agent, is_active=False)
    event = AuditEvent.objects.get(action="user.deactivated")

    listing = boss_client.get("/admin/helpdesk/auditevent/")
    detail = boss_client.get(f"/admin/helpdesk/auditevent/{event.pk}/change/")
    refused = boss_client.post(f"/admin/helpdesk/auditevent/{event.pk}/change/", {"action": "user.created"})

    assert listing.status_code == 200 and "Alex Agent (agent)" in listing.content.decode()
    assert "Active: yes → no" in listing.content.decode()
    assert detail.status_code == 200 and 'name="action"' not in detail.content.decode()
    assert refused.status_code == 403
    assert boss_client.get("/admin/helpdesk/auditevent/add/").status_code == 403
    assert AuditEvent.objects.get(pk=event.pk).action == "user.deactivated"


def test_agents_see_no_audit_log_in_the_admin(client, make_user):
    client.force_login(make_user("intern", role=roles.AGENTS, is_staff=True))
    assert client.get("/admin/helpdesk/auditevent/").status_code == 403


def test_admin_pages_carry_the_desk_favicon(boss_client):
    html = boss_client.get("/admin/").content.decode()
    assert 'rel="icon"' in html and "helpdesk/favicon.svg" in html


def test_a_built_in_role_is_shown_not_edited_even_to_a_superuser(root_client, role_groups):
    agents = role_groups[roles.AGENTS]
    html = root_client.get(f"/admin/auth/group/{agents.pk}/change/").content.decode()
    assert 'name="permissions"' not in html and "Can see every ticket" in html
