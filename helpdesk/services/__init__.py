"""Every write of the ticketing app. Import from here.

Bulk loading for demo data and benchmarks is ``helpdesk.demo.bulk_load``: it builds on
these services, never the other way round.
"""

from helpdesk.services.api_tokens import (
    api_token_create,
    api_token_revoke,
    api_token_touch,
    api_tokens_revoke_all,
)
from helpdesk.services.audit import audit_changes, audit_record, creation_changes, field_values, stored_values
from helpdesk.services.directory import (
    customer_create,
    customer_ensure,
    directory_object_save,
    organization_ensure,
    team_ensure,
)
from helpdesk.services.invitations import customer_invite, invitation_accept
from helpdesk.services.linked_work import ticket_linked_work_record, ticket_product_update_post
from helpdesk.services.macros import macro_create, ticket_reply_with_macro
from helpdesk.services.mail_fetch import FetchReport, mail_fetch_all, mailbox_fetch
from helpdesk.services.mail_in import Received, mail_receive
from helpdesk.services.mail_templates import mail_template_reset, mail_template_save, mail_templates_ensure
from helpdesk.services.notifications import (
    notification_send,
    notification_settings_save,
    notifications_mark_read,
    notify_ticket_change,
)
from helpdesk.services.outbox import (
    DeliveryReport,
    outbox_acknowledgement_enqueue,
    outbox_deliver_due,
    outbox_discard_pending,
    outbox_message_enqueue,
    outbox_reply_enqueue,
    outbox_retry,
)
from helpdesk.services.participants import (
    ticket_cc_add,
    ticket_cc_remove,
    ticket_follow,
    ticket_requester_change,
)
from helpdesk.services.people import (
    role_delete,
    role_save,
    roles_ensure,
    user_create,
    user_ensure,
    user_set_active,
    user_set_groups,
    user_set_password,
    user_set_permissions,
    user_set_roles,
    user_update,
)
from helpdesk.services.ticket_bulk import BulkResult, status_refusal, ticket_bulk_tag, ticket_bulk_update
from helpdesk.services.ticket_merge import merge_notice, ticket_merge
from helpdesk.services.ticket_removal import ticket_delete, ticket_mark_spam, ticket_restore, tickets_purge_removed
from helpdesk.services.tickets import (
    UNSET,
    ticket_close_solved,
    ticket_create,
    ticket_customer_message_add,
    ticket_message_post,
    ticket_reserve_numbers,
    ticket_update,
)

__all__ = [
    "ticket_linked_work_record",
    "ticket_product_update_post",
    "api_token_create",
    "api_token_revoke",
    "api_token_touch",
    "api_tokens_revoke_all",
    "UNSET",
    "BulkResult",
    "DeliveryReport",
    "mail_receive",
    "macro_create",
    "ticket_reply_with_macro",
    "notification_send",
    "notification_settings_save",
    "notifications_mark_read",
    "notify_ticket_change",
    "customer_invite",
    "invitation_accept",
    "FetchReport",
    "mail_fetch_all",
    "mailbox_fetch",
    "Received",
    "mail_template_reset",
    "mail_template_save",
    "mail_templates_ensure",
    "outbox_acknowledgement_enqueue",
    "outbox_deliver_due",
    "outbox_message_enqueue",
    "outbox_reply_enqueue",
    "outbox_discard_pending",
    "outbox_retry",
    "audit_changes",
    "audit_record",
    "creation_changes",
    "field_values",
    "stored_values",
    "customer_ensure",
    "directory_object_save",
    "customer_create",
    "organization_ensure",
    "team_ensure",
    "role_delete",
    "role_save",
    "roles_ensure",
    "user_create",
    "user_ensure",
    "user_set_active",
    "user_set_groups",
    "user_set_password",
    "user_set_permissions",
    "user_set_roles",
    "ticket_bulk_tag",
    "user_update",
    "ticket_bulk_update",
    "status_refusal",
    "ticket_close_solved",
    "ticket_create",
    "ticket_customer_message_add",
    "ticket_message_post",
    "ticket_reserve_numbers",
    "ticket_update",
    "ticket_cc_add",
    "ticket_cc_remove",
    "ticket_follow",
    "ticket_requester_change",
    "merge_notice",
    "ticket_merge",
    "ticket_delete",
    "ticket_mark_spam",
    "ticket_restore",
    "tickets_purge_removed",
]
