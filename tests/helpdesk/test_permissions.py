"""Who may see or do what: every rule of permissions.py, per role."""

from __future__ import annotations

import pytest
from django.contrib.auth import get_user_model
from django.contrib.auth.models import AnonymousUser

from helpdesk import permissions, roles


def fresh(user):
    return get_user_model().objects.get(pk=user.pk)


@pytest.fixture
def people(agent, manager, product_manager, customer, make_user):
    return {
        "agent": agent,
        "manager": manager,
        "pm": product_manager,
        "customer": customer.user,
        "nobody": make_user("nobody", role=None),
        "anonymous": AnonymousUser(),
        "none": None,
    }


#               view_all work  note   desk   portal open_for_others open_own assignable
MATRIX = {
    "agent":     (True,   True,  True,  True,  False, True,           False,   True),
    "manager":   (True,   True,  True,  True,  False, True,           False,   True),
    "pm":        (True,   False, True,  True,  False, False,          False,   False),
    "customer":  (False,  False, False, False, True,  False,          True,    False),
    "nobody":    (False,  False, False, False, False, False,          False,   False),
    "anonymous": (False,  False, False, False, False, False,          False,   False),
    "none":      (False,  False, False, False, False, False,          False,   False),
}  # fmt: skip


@pytest.mark.parametrize("who", list(MATRIX))
def test_role_matrix(people, who):
    user = people[who]
    actual = (
        permissions.can_view_all_tickets(user),
        permissions.can_work_tickets(user),
        permissions.can_add_internal_note(user),
        permissions.is_desk_user(user),
        permissions.is_portal_user(user),
        permissions.can_open_ticket_for_others(user),
        permissions.can_open_own_ticket(user),
        permissions.can_assign_to(user),
    )
    assert actual == MATRIX[who]
    assert permissions.can_see_internal(user) == MATRIX[who][0]


@pytest.mark.parametrize("who", ["agent", "manager", "pm", "customer"])
def test_inactive_user_has_no_rights(people, who):
    user = fresh(people[who])
    user.is_active = False
    assert not permissions.can_view_all_tickets(user)
    assert not permissions.can_work_tickets(user)
    assert permissions.customer_of(user) is None
    assert permissions.home_url_name(user) == "helpdesk:no_role"


def test_view_and_reply_on_tickets(people, ticket, customer2):
    assert permissions.can_view_ticket(people["agent"], ticket)
    assert permissions.can_view_ticket(people["pm"], ticket)
    assert permissions.can_view_ticket(people["customer"], ticket)
    assert not permissions.can_view_ticket(customer2.user, ticket)
    assert not permissions.can_view_ticket(people["nobody"], ticket)
    assert not permissions.can_view_ticket(people["anonymous"], ticket)

    assert permissions.can_reply(people["agent"], ticket)
    assert permissions.can_reply(people["customer"], ticket)
    assert not permissions.can_reply(people["pm"], ticket), "product managers write notes, not replies"
    assert not permissions.can_reply(customer2.user, ticket)
    assert not permissions.can_reply(people["anonymous"], ticket)


def test_forbidden_fields(people, ticket, customer2):
    everything = {"subject": "x", "status": "open", "priority": 1, "assignee": None, "team": None, "tags": [], "feature": None}
    assert permissions.forbidden_fields(people["agent"], ticket, everything) == []
    customer = people["customer"]
    assert permissions.forbidden_fields(customer, ticket, {"status": "solved"}) == []
    assert permissions.forbidden_fields(customer, ticket, {"status": "open"}) == ["status"]
    assert permissions.forbidden_fields(customer, ticket, {"status": "solved", "tags": []}) == ["tags"]
    assert permissions.forbidden_fields(customer, ticket, everything) == sorted(everything)
    assert permissions.forbidden_fields(customer2.user, ticket, {"status": "solved"}) == ["status"]
    assert permissions.forbidden_fields(people["pm"], ticket, {"priority": 1}) == ["priority"]


def test_forbidden_create_fields(people):
    fields = ["subject", "body", "requester", "assignee", "team", "tags", "feature", "priority"]
    assert permissions.forbidden_create_fields(people["agent"], fields) == []
    assert permissions.forbidden_create_fields(people["customer"], fields) == [
        "assignee",
        "feature",
        "requester",
        "tags",
        "team",
    ]


@pytest.mark.parametrize(
    ("who", "home"),
    [
        ("agent", "helpdesk:inbox"),
        ("pm", "helpdesk:inbox"),
        ("customer", "portal:ticket_list"),
        ("nobody", "helpdesk:no_role"),
        ("anonymous", "helpdesk:no_role"),
    ],
)
def test_home(people, who, home):
    assert permissions.home_url_name(people[who]) == home


# --- the directory: people, roles, the audit log -------------------------------------------------

#               list_people manage_people grant_privileges audit_log  use_admin
DIRECTORY_MATRIX = {
    "agent":     (False,      False,        False,           False,     False),
    "manager":   (True,       True,         False,           True,      False),
    "pm":        (False,      False,        False,           False,     False),
    "customer":  (False,      False,        False,           False,     False),
    "nobody":    (False,      False,        False,           False,     False),
    "anonymous": (False,      False,        False,           False,     False),
    "none":      (False,      False,        False,           False,     False),
}  # fmt: skip


@pytest.mark.parametrize("who", list(DIRECTORY_MATRIX))
def test_directory_matrix(people, who):
    user = people[who]
    actual = (
        permissions.can_list_people(user),
        permissions.can_manage_people(user),
        permissions.can_grant_privileges(user),
        permissions.can_view_audit_log(user),
        permissions.can_use_admin(user),
    )
    assert actual == DIRECTORY_MATRIX[who]


def test_who_may_change_whom(people, make_user):
    manager, agent = people["manager"], people["agent"]
    root = make_user("root", role=None, is_superuser=True, is_staff=True)
    assert permissions.can_manage_person(manager, agent)
    assert not permissions.can_manage_person(manager, root), "only a superuser changes a superuser"
    assert permissions.can_manage_person(root, root) and permissions.can_grant_privileges(root)
    assert permissions.can_set_active(manager, agent)
    assert not permissions.can_set_active(manager, manager), "nobody deactivates themselves"
    assert not permissions.can_manage_person(agent, people["pm"])
    assert permissions.can_assign_role(manager, roles.AGENTS)
    assert not permissions.can_assign_role(manager, "Night shift")
    assert permissions.can_assign_role(root, "Night shift")
    assert not permissions.can_assign_role(agent, roles.AGENTS)
    inactive = fresh(manager)
    inactive.is_active = False
    assert not permissions.can_manage_people(inactive) and not permissions.can_view_audit_log(inactive)
