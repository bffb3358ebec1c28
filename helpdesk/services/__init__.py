"""Every write of the ticketing app. Import from here."""

from helpdesk.services.api_tokens import (
    api_token_create,
    api_token_revoke,
    api_token_touch,
    api_tokens_revoke_all,
)
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
from helpdesk.services.tickets import (
    UNSET,
    BulkResult,
    ticket_bulk_update,
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
    "api_token_create",
    "api_token_revoke",
    "api_token_touch",
    "api_tokens_revoke_all",
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
    "ticket_bulk_update",
    "ticket_close_solved",
    "ticket_create",
    "ticket_message_post",
    "ticket_reserve_numbers",
    "ticket_update",
]
