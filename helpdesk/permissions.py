"""Who may see or do what with tickets. Views, the API, consumers and services all ask here."""

from __future__ import annotations

from collections.abc import Iterable
from typing import TYPE_CHECKING

from django.db.models import Q

if TYPE_CHECKING:
    from django.contrib.auth.models import AbstractBaseUser, AnonymousUser

    from helpdesk.models import ApiToken, Customer, Ticket

    User = AbstractBaseUser | AnonymousUser

VIEW_ALL_TICKETS = "helpdesk.view_all_tickets"
WORK_TICKETS = "helpdesk.work_tickets"
ADD_INTERNAL_NOTE = "helpdesk.add_internal_note"
REVOKE_ANY_API_TOKEN = "helpdesk.revoke_any_apitoken"

# Fields of a ticket a customer may change on their own request (marking it solved).
CUSTOMER_CHANGEABLE_FIELDS = frozenset({"status"})
CUSTOMER_ALLOWED_STATUSES = frozenset({"solved"})


def _active(user: User | None) -> bool:
    return user is not None and user.is_authenticated and user.is_active


def customer_of(user: User | None) -> Customer | None:
    """The customer record a user signs in as, fetched once per user object."""
    if not _active(user):
        return None
    cached = getattr(user, "_helpdesk_customer", False)
    if cached is not False:
        return cached
    from helpdesk.models import Customer

    customer = Customer.objects.filter(user=user).select_related("organization").first()
    user._helpdesk_customer = customer  # type: ignore[union-attr]
    return customer


def can_view_all_tickets(user: User | None) -> bool:
    return _active(user) and user.has_perm(VIEW_ALL_TICKETS)


def can_work_tickets(user: User | None) -> bool:
    return _active(user) and user.has_perm(WORK_TICKETS)


def can_add_internal_note(user: User | None) -> bool:
    return _active(user) and user.has_perm(ADD_INTERNAL_NOTE) and user.has_perm(VIEW_ALL_TICKETS)


def is_desk_user(user: User | None) -> bool:
    """Someone who works in the agent interface rather than the portal."""
    return can_view_all_tickets(user)


def is_portal_user(user: User | None) -> bool:
    return not is_desk_user(user) and customer_of(user) is not None


def can_view_ticket(user: User | None, ticket: Ticket) -> bool:
    if ticket.removed:  # spam and deleted tickets are out of everyone's sight until restored
        return False
    if can_view_all_tickets(user):
        return True
    customer = customer_of(user)
    return customer is not None and ticket.requester_id == customer.pk


def can_watch_tickets_live(user: User | None) -> bool:
    """The desk's ticket socket (collision notices) is for the desk only, even on a customer's own ticket.

    Asked when the socket opens, on every command and before every event it forwards.
    """
    return can_view_all_tickets(user)


def can_watch_desk_live(user: User | None) -> bool:
    """The desk socket (the inbox refreshing itself) hears of every ticket's changes: for those who see every ticket.

    Asked when the socket opens, on every command and before every event it forwards.
    """
    return can_view_all_tickets(user)


def can_see_internal(user: User | None) -> bool:
    """Internal notes and the audit trail are for the desk only."""
    return can_view_all_tickets(user)


def can_reply(user: User | None, ticket: Ticket) -> bool:
    if not can_view_ticket(user, ticket):
        return False
    if can_work_tickets(user):
        return True
    customer = customer_of(user)
    return customer is not None and ticket.requester_id == customer.pk


# Ticket-list filters and views that read desk-only data: who works a ticket, its team,
# tags and feature. Someone outside the desk may not filter by them: the answer would
# tell which of their tickets carry that data, and whether an agent or tag exists.
DESK_ONLY_FILTERS = ("assignee", "team", "tag", "feature")
DESK_ONLY_VIEWS = frozenset({"mine", "unassigned", "features"})


def can_filter_by_desk_data(user: User | None) -> bool:
    return can_view_all_tickets(user)


def can_open_ticket_for_others(user: User | None) -> bool:
    return can_work_tickets(user)


def can_create_customers(user: User | None) -> bool:
    """Adding a requester on the fly goes with opening tickets for others."""
    return can_open_ticket_for_others(user)


def can_open_own_ticket(user: User | None) -> bool:
    return customer_of(user) is not None


def can_set_priority_when_opening(user: User | None) -> bool:
    """The desk sets priorities; a customer's "urgent" is accepted and not applied (every request would be urgent)."""
    return can_open_ticket_for_others(user)


def is_ticket_creation_limited(user: User | None) -> bool:
    """Tickets customers open themselves are limited per customer; the desk opening them for customers never is."""
    return user is not None and not can_open_ticket_for_others(user)


def can_post_public_reply(user: User | None, ticket: Ticket) -> bool:
    """Public replies: on tickets the user may reply to, while the ticket is not closed."""
    return can_reply(user, ticket) and not ticket.is_closed


def can_set_status_with_message(user: User | None) -> bool:
    """"Send and set status": a desk choice; customers' replies move the status by rule."""
    return can_work_tickets(user)


def can_mark_solved(user: User | None, ticket: Ticket) -> bool:
    """Whether the user may mark this ticket solved now (the portal's "Mark as solved")."""
    return (
        can_view_ticket(user, ticket)
        and not forbidden_fields(user, ticket, {"status": "solved"})
        and ticket.can_transition_to("solved")
    )


def forbidden_fields(user: User | None, ticket: Ticket, changes: dict) -> list[str]:
    """The fields among ``changes`` this user may not set on this ticket."""
    if can_work_tickets(user):
        return []
    refused = [name for name in changes if name not in CUSTOMER_CHANGEABLE_FIELDS]
    status = changes.get("status")
    if status is not None and status not in CUSTOMER_ALLOWED_STATUSES:
        refused.append("status")
    if not can_reply(user, ticket):
        refused = list(changes)
    return sorted(set(refused))


# What only someone opening a ticket on another's behalf may set; a customer's own
# request goes to the desk's default routing.
STAFF_ONLY_CREATE_FIELDS = frozenset({"requester", "requester_name", "assignee", "team", "tags", "feature", "channel"})


def forbidden_create_fields(user: User | None, fields: Iterable[str]) -> list[str]:
    """The fields among ``fields`` this user may not set when opening a ticket."""
    if can_open_ticket_for_others(user):
        return []
    return sorted(set(fields) & STAFF_ONLY_CREATE_FIELDS)


def can_assign_to(user: User | None) -> bool:
    """Whether ``user`` can be an assignee: only people who work tickets."""
    return can_work_tickets(user)


def permission_holders_condition(permission: str) -> Q:
    """Users who hold ``permission`` ("app_label.codename") through a group, directly, or as superusers, as a query condition."""
    app_label, codename = permission.split(".")
    return (
        Q(groups__permissions__codename=codename, groups__permissions__content_type__app_label=app_label)
        | Q(user_permissions__codename=codename, user_permissions__content_type__app_label=app_label)
        | Q(is_superuser=True)
    )


def works_tickets_condition() -> Q:
    """``can_work_tickets`` as a query condition on users (for pickers of assignees and team members)."""
    return permission_holders_condition(WORK_TICKETS)


def home_url_name(user: User | None) -> str:
    if is_desk_user(user):
        return "helpdesk:inbox"
    if customer_of(user) is not None:
        return "portal:ticket_list"
    return "helpdesk:no_role"


# --- the directory: people, roles, configuration, the audit log ----------------------------

CHANGE_PEOPLE = "auth.change_user"
VIEW_PEOPLE = "auth.view_user"
VIEW_AUDIT_LOG = "helpdesk.view_auditevent"


def can_use_admin(user: User | None) -> bool:
    """The configuration admin is for staff accounts (Django's own rule, named here for the templates)."""
    return _active(user) and user.is_staff


def can_list_people(user: User | None) -> bool:
    """Whether the admin may offer this person a searchable list of accounts (user pickers)."""
    return _active(user) and (user.has_perm(VIEW_PEOPLE) or user.has_perm(CHANGE_PEOPLE))


def can_manage_people(user: User | None) -> bool:
    """Create people, change their names, e-mail, built-in roles and password, deactivate them."""
    return _active(user) and user.has_perm(CHANGE_PEOPLE)


def can_manage_person(user: User | None, person: AbstractBaseUser) -> bool:
    """Only a superuser may change a superuser: anyone else could take over the account that grants everything."""
    return can_manage_people(user) and (user.is_superuser or not person.is_superuser)


def can_set_active(user: User | None, person: AbstractBaseUser) -> bool:
    """Deactivating oneself would lock the last manager out; someone else does it."""
    return can_manage_person(user, person) and person.pk != user.pk


def can_grant_privileges(user: User | None) -> bool:
    """Staff and superuser status, single permissions, roles other than the built-in ones, and what a role carries.

    Only superusers: whoever may grant a right beyond the built-in roles may grant
    themselves everything.
    """
    return _active(user) and user.is_superuser


def can_assign_role(user: User | None, role_name: str) -> bool:
    from helpdesk import roles

    return can_grant_privileges(user) or (can_manage_people(user) and role_name in roles.ROLE_PERMISSIONS)


def can_view_audit_log(user: User | None) -> bool:
    return _active(user) and user.has_perm(VIEW_AUDIT_LOG)


def can_view_tickets_in_admin(user: User | None) -> bool:
    """The admin's read-only ticket list: for those who see every ticket in the desk too."""
    return _active(user) and user.has_perm("helpdesk.view_ticket") and can_view_all_tickets(user)


def team_member_condition() -> Q:
    """Who may be put on a team: active people who work tickets (a query condition on users)."""
    return Q(is_active=True) & works_tickets_condition()


# --- API tokens ----------------------------------------------------------------------------


def can_create_api_token(user: User | None) -> bool:
    """Anyone signed in, desk or portal: a token acts with exactly its owner's rights."""
    return _active(user)


def can_revoke_others_api_tokens(user: User | None) -> bool:
    """Whether the admin offers revoking tokens at all: superusers and support managers."""
    return _active(user) and (user.is_superuser or user.has_perm(REVOKE_ANY_API_TOKEN))


def can_revoke_api_token(user: User | None, token: ApiToken) -> bool:
    """The owner; a superuser; or someone with ``revoke_any_apitoken`` (support managers), except a superuser's.

    A support manager cutting off a leaked integration must not wait for a
    superuser, but must not be able to disrupt the superusers' own access either.
    """
    if not _active(user):
        return False
    if token.user_id == user.pk or user.is_superuser:
        return True
    return user.has_perm(REVOKE_ANY_API_TOKEN) and not token.user.is_superuser


# --- email ------------------------------------------------------------------------------------


def can_view_outbox(user: User | None) -> bool:
    """The admin's list of outgoing and incoming emails, with their states and errors."""
    return _active(user) and user.has_perm("helpdesk.view_outboundemail")


def can_manage_outbox(user: User | None) -> bool:
    """Sending a failed email again."""
    return _active(user) and user.has_perm("helpdesk.change_outboundemail")


def can_edit_mail_templates(user: User | None) -> bool:
    return _active(user) and user.has_perm("helpdesk.change_mailtemplate")


# --- attachments -------------------------------------------------------------------------------


def can_view_attachment(user: User | None, attachment) -> bool:
    """Whoever sees the ticket sees its public files; a note's files are the desk's."""
    if not can_view_ticket(user, attachment.ticket):
        return False
    return not attachment.internal or can_see_internal(user)


def can_invite_customers(user: User | None) -> bool:
    """Sending a customer a link to choose a portal password (support managers)."""
    return _active(user) and user.has_perm("helpdesk.invite_customer")


def can_merge_tickets(user: User | None) -> bool:
    return can_work_tickets(user)


def can_mark_spam(user: User | None) -> bool:
    """Marking a ticket as spam (hides it, blocks its sender), and restoring tickets marked so."""
    return can_work_tickets(user) and user.has_perm("helpdesk.mark_spam")


def can_delete_tickets(user: User | None) -> bool:
    """Deleting a ticket (restorable until it is purged) and restoring deleted ones: support managers."""
    return can_view_all_tickets(user) and user.has_perm("helpdesk.remove_ticket")


def can_restore_ticket(user: User | None, ticket: Ticket) -> bool:
    if ticket.removed == "spam":
        return can_mark_spam(user) or can_delete_tickets(user)
    return can_delete_tickets(user)


def can_view_removed_tickets(user: User | None) -> bool:
    return can_mark_spam(user) or can_delete_tickets(user)


def removed_kinds_visible_to(user: User | None) -> list[str]:
    """Which removed tickets the "Deleted and spam" list shows ``user``: those they could restore."""
    kinds = []
    if can_mark_spam(user) or can_delete_tickets(user):
        kinds.append("spam")
    if can_delete_tickets(user):
        kinds.append("deleted")
    return kinds
