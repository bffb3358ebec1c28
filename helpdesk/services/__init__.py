"""Every write of the ticketing app. Import from here."""

from helpdesk.services.api_tokens import api_token_issue
from helpdesk.services.directory import (
    customer_ensure,
    directory_object_save,
    organization_ensure,
    roles_ensure,
    team_ensure,
    user_ensure,
    user_set_active,
    user_set_roles,
)
from helpdesk.services.bulk import (
    customer_bulk_create,
    seed_marker_claim,
    tags_ensure,
    ticket_backdate_demo,
    ticket_bulk_load,
)
from helpdesk.services.ticket_bulk import BulkResult, status_refusal, ticket_bulk_tag, ticket_bulk_update
from helpdesk.services.tickets import (
    UNSET,
    ticket_close_solved,
    ticket_create,
    ticket_message_post,
    ticket_reserve_numbers,
    ticket_update,
)

__all__ = [
    "customer_bulk_create",
    "seed_marker_claim",
    "tags_ensure",
    "ticket_backdate_demo",
    "ticket_bulk_load",
    "api_token_issue",
    "UNSET",
    "BulkResult",
    "customer_ensure",
    "directory_object_save",
    "organization_ensure",
    "roles_ensure",
    "team_ensure",
    "user_ensure",
    "user_set_active",
    "user_set_roles",
    "ticket_bulk_tag",
    "ticket_bulk_update",
    "status_refusal",
    "ticket_close_solved",
    "ticket_create",
    "ticket_message_post",
    "ticket_reserve_numbers",
    "ticket_update",
]
