"""The built-in roles and what each carries, pinned as data (not read back from roles.py).

Replaces a test that only checked the fixtures had put people in the groups they
were just put in. Here the rights come from the database after ``roles_ensure``, as a
signed-in person gets them, so a right added to or dropped from a role fails here.
"""

from __future__ import annotations

import pytest

from helpdesk import roles

TICKET_WORK = {"helpdesk.view_all_tickets", "helpdesk.work_tickets", "helpdesk.add_internal_note", "helpdesk.mark_spam",
               "escalations.raise_escalation", "livelisten.serve_chat"}
PRODUCT_REGISTRY = {
    "escalations.add_product", "escalations.change_product", "escalations.view_product",
    "escalations.add_feature", "escalations.change_feature", "escalations.view_feature",
}
EXPECTED = {
    roles.AGENTS: TICKET_WORK,
    roles.SUPPORT_MANAGERS: TICKET_WORK | PRODUCT_REGISTRY | {
        "helpdesk.add_organization", "helpdesk.change_organization", "helpdesk.view_organization",
        "helpdesk.add_customer", "helpdesk.change_customer", "helpdesk.view_customer", "helpdesk.invite_customer",
        "helpdesk.add_team", "helpdesk.change_team", "helpdesk.view_team",
        "helpdesk.add_tag", "helpdesk.change_tag", "helpdesk.view_tag",
        "helpdesk.view_ticket",
        "auth.add_user", "auth.change_user", "auth.view_user", "auth.view_group",
        "helpdesk.view_auditevent",
        "helpdesk.view_apitoken", "helpdesk.revoke_any_apitoken",
        "helpdesk.view_outboundemail", "helpdesk.change_outboundemail", "helpdesk.view_inboundemail",
        "helpdesk.view_mailtemplate", "helpdesk.change_mailtemplate",
        "helpdesk.add_mailbox", "helpdesk.change_mailbox", "helpdesk.view_mailbox",
        "helpdesk.add_macro", "helpdesk.change_macro", "helpdesk.view_macro",
        "helpdesk.remove_ticket", "escalations.reopen_escalation",
        "escalations.add_webhookendpoint", "escalations.change_webhookendpoint", "escalations.view_webhookendpoint",
        "escalations.view_webhookdelivery",
        "livelisten.listen_session", "livelisten.manage_chat",
    },
    roles.PRODUCT_MANAGERS: PRODUCT_REGISTRY | {"helpdesk.view_all_tickets", "helpdesk.add_internal_note",
                                                "livelisten.listen_session", "escalations.raise_escalation"},
    roles.CUSTOMERS: set(),
}  # fmt: skip
# Nobody but a superuser may grant these, so no built-in role may carry them.
NEVER_IN_A_ROLE = {"auth.change_group", "auth.add_group", "auth.delete_group", "auth.delete_user",
                   "auth.change_permission", "helpdesk.change_ticket", "helpdesk.delete_ticket",
                   "helpdesk.change_auditevent", "helpdesk.delete_auditevent"}


@pytest.mark.parametrize("role", list(EXPECTED))
def test_each_role_carries_exactly_its_rights(make_user, role):
    person = make_user(f"in-{len(role)}", role=role)
    assert person.get_all_permissions() == EXPECTED[role]
    assert not person.get_all_permissions() & NEVER_IN_A_ROLE


def test_there_are_four_built_in_roles():
    assert set(roles.ROLE_PERMISSIONS) == set(EXPECTED)
