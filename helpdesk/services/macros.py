"""Applying a macro: its reply and its field changes, through the ticket services, in one transaction."""

from __future__ import annotations

from collections.abc import Iterable
from typing import Any

from django.contrib.auth.models import AbstractBaseUser
from django.db import transaction
from django.utils import timezone

from helpdesk import permissions
from helpdesk.errors import ActionForbidden, InvalidInput
from helpdesk.macros.models import Macro
from helpdesk.models import Team, Ticket, TicketEvent
from helpdesk.services.audit import audit_record, creation_changes
from helpdesk.services.tickets import UNSET, clean_tags, ticket_message_post, ticket_update


@transaction.atomic
def ticket_reply_with_macro(
    *,
    actor: AbstractBaseUser,
    ticket: Ticket,
    macro: Macro,
    body: str,
    internal: bool = False,
    status: str | None = None,
    attachments: Iterable[Any] | None = None,
) -> TicketEvent:
    """Send the (edited) macro text, then set the macro's priority and team and add its tags.

    A status chosen in the composer wins over the macro's. Either all of it happens or none.
    """
    message = ticket_message_post(
        actor=actor,
        ticket=ticket,
        body=body,
        internal=internal,
        status=status or macro.status or None,
        attachments=attachments,
    )
    current = message.ticket
    changes: dict[str, Any] = {}
    if macro.priority and macro.priority != current.priority:
        changes["priority"] = macro.priority
    if macro.team_id and macro.team_id != current.team_id:
        changes["team"] = macro.team
    if macro.tags.strip():
        have = list(current.tags.values_list("name", flat=True))
        wanted = have + [tag for tag in clean_tags(macro.tags.split()) if tag not in have]
        if len(wanted) != len(have):
            changes["tags"] = wanted
    if changes and not current.is_closed:
        ticket_update(actor=actor, ticket=current, **{k: changes.get(k, UNSET) for k in ("priority", "team", "tags")})
    return message


@transaction.atomic
def macro_create(
    *,
    actor: AbstractBaseUser,
    name: str,
    body: str,
    shared: bool = False,
    status: str = "",
    priority: int | None = None,
    team: Team | None = None,
    tags: str = "",
) -> Macro:
    """An agent's own macro, or (support managers) one shared by the desk."""
    if not permissions.can_work_tickets(actor):
        raise ActionForbidden("Only the desk keeps macros.")
    if shared and not actor.has_perm("helpdesk.add_macro"):
        raise ActionForbidden("Only support managers add shared macros.", field="shared")
    name = (name or "").strip()
    if not name:
        raise InvalidInput("Name the macro.", field="name")
    if len(name) > 100:
        raise InvalidInput("Keep the name under 100 characters.", field="name")
    if not (body or "").strip() and not (status or priority or team or tags):
        raise InvalidInput("Write the macro's text, or give it something to set.", field="body")
    macro = Macro.objects.create(
        name=name,
        body=body or "",
        status=status or "",
        priority=priority,
        team=team,
        tags=" ".join(clean_tags((tags or "").replace(",", " ").split())),
        owner=None if shared else actor,
        updated_at=timezone.now(),
    )
    audit_record(
        actor=actor,
        action="macro.created",
        obj=macro,
        changes=creation_changes({"name": name, "shared": shared, "status": status, "tags": macro.tags}),
    )
    return macro
