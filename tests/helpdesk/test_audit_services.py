"""The audit log's writes: one row per directory change, in the change's own transaction, never a password."""

from __future__ import annotations

import pytest
from django.contrib.auth import get_user_model
from django.contrib.auth.models import Group, Permission
from django.db import transaction

from helpdesk import roles, services
from helpdesk.demo import bulk_load
from helpdesk.errors import ActionForbidden, InvalidInput
from helpdesk.models import AuditEvent, Customer, Organization, Tag, Team

User = get_user_model()


def rows(**filters) -> list[tuple]:
    return [
        (e.action, e.actor.get_username() if e.actor_id else None, e.object_label, e.changes)
        for e in AuditEvent.objects.filter(**filters).select_related("actor").order_by("id")
    ]


@pytest.fixture
def admin_user(make_user):
    return make_user("root", role=None, is_superuser=True, is_staff=True)


def test_record_outside_a_transaction_is_refused(db):
    before = AuditEvent.objects.count()
    # pytest-django wraps each test in a transaction; leave it to see the guard.
    connection = transaction.get_connection()
    in_block = connection.in_atomic_block
    connection.in_atomic_block = False
    try:
        with pytest.raises(RuntimeError, match="inside the transaction"):
            services.audit_record(actor=None, action="tag.created", object_type="tag", object_label="x")
    finally:
        connection.in_atomic_block = in_block
    assert AuditEvent.objects.count() == before


def test_a_failed_change_leaves_no_audit_row(manager, agent):
    with pytest.raises(InvalidInput):
        with transaction.atomic():
            services.user_set_active(actor=manager, user=agent, is_active=False)
            raise InvalidInput("something later in the same transaction failed")
    agent.refresh_from_db()
    assert agent.is_active
    assert not AuditEvent.objects.filter(action="user.deactivated").exists()


def test_a_password_never_reaches_the_log(manager, agent):
    services.user_set_password(actor=manager, user=agent, password="Correct-horse-battery-9")
    services.audit_record(actor=None, action="user.updated", obj=agent, changes={"password": ["a", agent.password]})

    stored = list(AuditEvent.objects.filter(object_id=str(agent.pk)).values_list("action", "changes"))
    assert ("user.password_changed", {"password": [None, "changed"]}) in stored
    assert ("user.updated", {"password": [None, "changed"]}) in stored
    assert all(agent.password not in str(changes) for _, changes in stored)


# --- people ---------------------------------------------------------------------------------


def test_creating_a_person_is_audited_with_their_details(role_groups, manager):
    person = User(username="newbie", first_name="Nia", last_name="New", email="nia@desk.test")
    person.set_password("Plenty-long-password-1")
    services.user_create(actor=manager, user=person, role_names=[roles.AGENTS])

    assert rows(object_type="user", object_id=str(person.pk)) == [
        ("user.created", "manager", "Nia New (newbie)", {
            "username": [None, "newbie"], "first_name": [None, "Nia"], "last_name": [None, "New"],
            "email": [None, "nia@desk.test"], "is_staff": [None, False], "is_superuser": [None, False],
            "is_active": [None, True], "password": [None, "set"],
        }),
        ("user.roles_changed", "manager", "Nia New (newbie)", {"roles": [[], [roles.AGENTS]]}),
    ]


def test_updating_a_person_records_old_and_new(manager, agent):
    agent.first_name, agent.email = "Alexandra", "alexandra@desk.test"
    services.user_update(actor=manager, user=agent, changed_fields=["first_name", "email", "last_name"])

    assert rows(action="user.updated") == [
        ("user.updated", "manager", "Alexandra Agent (agent)",
         {"first_name": ["Alex", "Alexandra"], "email": ["agent@desk.test", "alexandra@desk.test"]}),
    ]
    services.user_update(actor=manager, user=agent, changed_fields=["first_name"])  # nothing changed
    assert len(rows(action="user.updated")) == 1


def test_roles_changes_are_audited_and_other_groups_kept(manager, agent):
    night = Group.objects.create(name="Night shift")
    agent.groups.add(night)

    services.user_set_roles(actor=manager, user=agent, role_names=[roles.SUPPORT_MANAGERS])

    assert sorted(agent.groups.values_list("name", flat=True)) == ["Night shift", roles.SUPPORT_MANAGERS]
    assert rows(action="user.roles_changed")[-1][3] == {
        "roles": [sorted(["Night shift", roles.AGENTS]), sorted(["Night shift", roles.SUPPORT_MANAGERS])]
    }


def test_a_manager_cannot_grant_what_no_built_in_role_carries(manager, agent):
    night = Group.objects.create(name="Night shift")
    agent.is_staff = True
    with pytest.raises(ActionForbidden) as staff:
        services.user_update(actor=manager, user=agent, changed_fields=["is_staff"])
    with pytest.raises(ActionForbidden) as group:
        services.user_set_groups(actor=manager, user=agent, groups=[night])
    with pytest.raises(ActionForbidden) as single:
        services.user_set_permissions(actor=manager, user=agent, permission_set=Permission.objects.all()[:1])
    with pytest.raises(ActionForbidden):
        services.role_save(actor=manager, group=Group.objects.get(name=roles.AGENTS), changed_fields=[],
                           permission_set=Permission.objects.all())

    assert (staff.value.field, group.value.field, single.value.field) == ("is_staff", "groups", "user_permissions")
    fresh = User.objects.get(pk=agent.pk)
    assert not fresh.is_staff and list(fresh.groups.values_list("name", flat=True)) == [roles.AGENTS]
    assert not fresh.user_permissions.exists()


def test_a_manager_cannot_change_a_superuser(manager, admin_user):
    admin_user.first_name = "Hijacked"
    with pytest.raises(ActionForbidden):
        services.user_update(actor=manager, user=admin_user, changed_fields=["first_name"])
    with pytest.raises(ActionForbidden):
        services.user_set_password(actor=manager, user=admin_user, password="Taken-over-account-1")
    with pytest.raises(ActionForbidden):
        services.user_set_active(actor=manager, user=admin_user, is_active=False)
    fresh = User.objects.get(pk=admin_user.pk)
    assert fresh.first_name == "" and fresh.is_active and fresh.check_password("pw-root")


def test_a_superuser_grants_and_it_is_audited(admin_user, agent):
    permission = Permission.objects.get(codename="view_auditevent")
    agent.is_staff = True
    services.user_update(actor=admin_user, user=agent, changed_fields=["is_staff"])
    services.user_set_permissions(actor=admin_user, user=agent, permission_set=[permission])

    assert [r[:2] + (r[3],) for r in rows(object_type="user", object_id=str(agent.pk), actor=admin_user)] == [
        ("user.updated", "root", {"is_staff": [False, True]}),
        ("user.permissions_changed", "root", {"permissions": [[], ["helpdesk.view_auditevent"]]}),
    ]


def test_deactivating_keeps_the_person_and_their_name_on_tickets(manager, agent, ticket):
    services.ticket_update(actor=agent, ticket=ticket, assignee=agent)

    services.user_set_active(actor=manager, user=agent, is_active=False)
    services.user_set_active(actor=manager, user=agent, is_active=False)  # already off: nothing more
    services.user_set_active(actor=manager, user=agent, is_active=True)

    ticket.refresh_from_db()
    assert ticket.assignee_id == agent.pk
    assert [r[0] for r in rows(object_type="user", object_id=str(agent.pk), actor=manager)] == [
        "user.deactivated", "user.reactivated"
    ]


def test_nobody_deactivates_themselves(manager):
    with pytest.raises(ActionForbidden) as error:
        services.user_set_active(actor=manager, user=manager, is_active=False)
    assert error.value.field == "is_active"


def test_deleting_a_person_with_tickets_is_refused_by_the_database_layer(agent, ticket):
    from django.db.models import ProtectedError

    services.ticket_update(actor=agent, ticket=ticket, assignee=agent)
    with pytest.raises(ProtectedError):
        User.objects.get(pk=agent.pk).delete()
    ticket.refresh_from_db()
    assert ticket.assignee_id == agent.pk


def test_seeding_twice_writes_no_second_row(role_groups, make_user):
    make_user("twice", role=roles.AGENTS)
    count = AuditEvent.objects.count()
    make_user("twice", role=roles.AGENTS)
    services.roles_ensure(actor=None)
    assert AuditEvent.objects.count() == count


# --- roles --------------------------------------------------------------------------------------


def test_role_permission_changes_are_audited(admin_user):
    group = Group(name="Night shift")
    view_tag = Permission.objects.get(codename="view_tag")
    change_tag = Permission.objects.get(codename="change_tag")
    services.role_save(actor=admin_user, group=group, changed_fields=None, permission_set=[view_tag])
    services.role_save(actor=admin_user, group=group, changed_fields=[], permission_set=[view_tag, change_tag])
    group.name = "Late shift"
    services.role_save(actor=admin_user, group=group, changed_fields=["name"])
    services.role_delete(actor=admin_user, group=group)

    assert [(r[0], r[3]) for r in rows(object_type="role", actor=admin_user)] == [
        ("role.created", {"name": [None, "Night shift"]}),
        ("role.permissions_changed", {"permissions": [[], ["helpdesk.view_tag"]]}),
        ("role.permissions_changed", {"permissions": [["helpdesk.view_tag"],
                                                      ["helpdesk.change_tag", "helpdesk.view_tag"]]}),
        ("role.updated", {"name": ["Night shift", "Late shift"]}),
        ("role.deleted", {"name": ["Late shift", None], "members": [[], []],
                          "permissions": [["helpdesk.change_tag", "helpdesk.view_tag"], []]}),
    ]


def test_built_in_roles_keep_their_name_and_existence(admin_user):
    agents = Group.objects.get(name=roles.AGENTS)
    with pytest.raises(InvalidInput):
        services.role_delete(actor=admin_user, group=agents)
    agents.name = "Helpers"
    with pytest.raises(InvalidInput):
        services.role_save(actor=admin_user, group=agents, changed_fields=["name"])
    assert Group.objects.filter(name=roles.AGENTS).exists()


# --- organizations, customers, teams, tags --------------------------------------------------------


def test_directory_ensures_are_audited_once(manager, agent, agent2):
    organization = services.organization_ensure(actor=manager, name="Initech", domain="initech.test", tier="premium")
    services.organization_ensure(actor=manager, name="Initech")
    customer = services.customer_ensure(actor=manager, name="Peter", email="peter@initech.test",
                                        organization=organization)
    team = services.team_ensure(actor=manager, name="Billing", members=[agent])
    services.team_ensure(actor=manager, name="Billing", members=[agent, agent2])

    assert [(r[0], r[2], r[3]) for r in rows(actor=manager)] == [
        ("organization.created", "Initech", {"name": [None, "Initech"], "domain": [None, "initech.test"],
                                             "tier": [None, "premium"], "annual_value": [None, "0.00"],
                                             "lifetime_value": [None, "0.00"]}),
        ("customer.created", str(customer), {"name": [None, "Peter"], "email": [None, "peter@initech.test"],
                                             "organization": [None, "Initech"]}),
        ("team.created", "Billing", {"name": [None, "Billing"]}),
        ("team.updated", "Billing", {"members": [[], ["agent"]]}),
        ("team.updated", "Billing", {"members": [["agent"], ["agent", "agent2"]]}),
    ]
    assert team.members.count() == 2


def test_admin_save_audits_old_and_new_from_the_database(manager, organization, agent):
    organization.tier, organization.notes = "enterprise", "Renewal in March"
    services.directory_object_save(actor=manager, obj=organization, changed_fields=["tier", "notes"])
    team = Team(name="Mobile")
    services.directory_object_save(actor=manager, obj=team, changed_fields=["name"], many_to_many={"members": [agent]})
    team.name = "Mobile apps"
    services.directory_object_save(actor=manager, obj=team, changed_fields=["name", "members"],
                                   many_to_many={"members": []})

    assert [(r[0], r[2], r[3]) for r in rows(actor=manager)] == [
        ("organization.updated", "Acme Corp", {"tier": ["standard", "enterprise"], "notes": ["", "Renewal in March"]}),
        ("team.created", "Mobile", {"name": [None, "Mobile"], "members": [None, ["agent"]]}),
        ("team.updated", "Mobile apps", {"name": ["Mobile", "Mobile apps"], "members": [["agent"], []]}),
    ]


def test_a_tag_typed_on_a_ticket_is_audited_as_new(agent, ticket):
    services.ticket_update(actor=agent, ticket=ticket, tags=["vip", "refund"])
    services.ticket_update(actor=agent, ticket=ticket, tags=["vip"])

    assert sorted((r[0], r[1], r[2]) for r in rows(object_type="tag")) == [
        ("tag.created", "agent", "refund"), ("tag.created", "agent", "vip")
    ]
    assert Tag.objects.count() == 2


def test_bulk_loads_leave_a_summary_row(organization):
    with transaction.atomic():
        created = bulk_load.customer_bulk_create(
            actor=None, customers=[{"name": f"Bulk {i}", "email": f"bulk{i}@x.test"} for i in range(3)]
        )
    assert created == 3 and Customer.objects.count() == 3
    assert rows(action="customer.bulk_created") == [
        ("customer.bulk_created", None, "3 customers loaded in bulk", {"count": [None, 3]})
    ]
    assert Organization.objects.count() == 1


def test_migrate_keeps_the_built_in_roles_as_roles_py_says(db):
    from django.core.management.sql import emit_post_migrate_signal

    agents = Group.objects.get(name=roles.AGENTS)  # created by migrate, without seed_demo
    agents.permissions.clear()
    agents.permissions.add(Permission.objects.get(codename="delete_ticket"))

    emit_post_migrate_signal(verbosity=0, interactive=False, db="default")

    assert {f"{p.content_type.app_label}.{p.codename}" for p in agents.permissions.all()} == set(
        roles.ROLE_PERMISSIONS[roles.AGENTS]
    )
    change = AuditEvent.objects.filter(action="role.permissions_changed", object_label=roles.AGENTS).first()
    assert change.actor is None and change.changes["permissions"][0] == ["helpdesk.delete_ticket"]


def test_what_a_built_in_role_carries_is_changed_in_roles_py_only(admin_user):
    agents = Group.objects.get(name=roles.AGENTS)
    with pytest.raises(InvalidInput) as error:
        services.role_save(actor=admin_user, group=agents, changed_fields=[], permission_set=[])
    assert error.value.field == "permissions"
    assert agents.permissions.count() == len(roles.ROLE_PERMISSIONS[roles.AGENTS])
