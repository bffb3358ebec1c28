"""The built-in roles: Django groups and the permissions each one carries.

Anyone can be granted a single right (say ``helpdesk.view_all_tickets``)
without a whole role; ``permissions.py`` asks for rights, never for groups,
except to tell which home page a person lands on.
"""

from __future__ import annotations

AGENTS = "Agents"
SUPPORT_MANAGERS = "Support managers"
PRODUCT_MANAGERS = "Product managers"
CUSTOMERS = "Customers"

_TICKET_WORK = [
    "helpdesk.view_all_tickets",
    "helpdesk.work_tickets",
    "helpdesk.add_internal_note",
    "helpdesk.mark_spam",
    # The andon cord: raise escalations against features, link tickets, answer questions.
    "escalations.raise_escalation",
    # Live chat: accept waiting sessions, answer, transfer their own, end them.
    "livelisten.serve_chat",
]

ROLE_PERMISSIONS: dict[str, list[str]] = {
    AGENTS: _TICKET_WORK,
    SUPPORT_MANAGERS: _TICKET_WORK
    + [
        "helpdesk.add_organization",
        "helpdesk.change_organization",
        "helpdesk.view_organization",
        "helpdesk.add_customer",
        "helpdesk.change_customer",
        "helpdesk.view_customer",
        "helpdesk.invite_customer",
        "helpdesk.add_team",
        "helpdesk.change_team",
        "helpdesk.view_team",
        "helpdesk.add_tag",
        "helpdesk.change_tag",
        "helpdesk.view_tag",
        "helpdesk.view_ticket",
        # People and their built-in roles, through the admin's user pages (which keep
        # staff, superuser and single permissions for superusers: permissions.py).
        "auth.add_user",
        "auth.change_user",
        "auth.view_user",
        "auth.view_group",
        # The product registry, like product managers.
        "escalations.add_product",
        "escalations.change_product",
        "escalations.view_product",
        "escalations.add_feature",
        "escalations.change_feature",
        "escalations.view_feature",
        # The audit log of every configuration write (desk page /audit/ and the admin).
        "helpdesk.view_auditevent",
        # Cutting off a leaked integration's token without waiting for a superuser.
        "helpdesk.view_apitoken",
        "helpdesk.revoke_any_apitoken",
        # Email: the outbox and what came in (states, errors, retry) and the wording of every email.
        "helpdesk.view_outboundemail",
        "helpdesk.change_outboundemail",
        "helpdesk.view_inboundemail",
        "helpdesk.view_mailtemplate",
        "helpdesk.change_mailtemplate",
        "helpdesk.add_mailbox",
        "helpdesk.change_mailbox",
        "helpdesk.view_mailbox",
        # Overruling product: reopening a rejected or fixed escalation.
        "escalations.reopen_escalation",
        # The andon cord's outgoing webhooks (to feature-flag and deploy tools) and their deliveries.
        "escalations.add_webhookendpoint",
        "escalations.change_webhookendpoint",
        "escalations.view_webhookendpoint",
        "escalations.view_webhookdelivery",
        # Live chat: shadow any session, and run the chat desk (transfer, end, coaching marks, listen audit).
        "livelisten.listen_session",
        "livelisten.manage_chat",
        # Deleting tickets (restorable for 30 days) and restoring them.
        "helpdesk.remove_ticket",
        # Shared macros (agents keep their own on the ticket page).
        "helpdesk.add_macro",
        "helpdesk.change_macro",
        "helpdesk.view_macro",
    ],
    PRODUCT_MANAGERS: [
        "helpdesk.view_all_tickets",
        # Hear customers live: the chat dashboard, shadowing, whispering, barging in; and stop the
        # feature they hear failing (pull the cord from the shadow view).
        "livelisten.listen_session",
        "escalations.raise_escalation",
        "helpdesk.add_internal_note",
        "escalations.add_product",
        "escalations.change_product",
        "escalations.view_product",
        "escalations.add_feature",
        "escalations.change_feature",
        "escalations.view_feature",
    ],
    CUSTOMERS: [],
}
