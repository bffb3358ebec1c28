"""Reads of attachments: one for a download (permission-checked), and those of a page of timeline events."""

from __future__ import annotations

from collections.abc import Iterable

from helpdesk import permissions
from helpdesk.attachments.models import Attachment
from helpdesk.errors import NotFound
from helpdesk.models import Ticket


def attachment_get(*, user, attachment_id: int) -> Attachment:
    """The attachment if ``user`` may see it; NotFound, exactly as for a missing one, otherwise."""
    found = (
        Attachment.objects.select_related("ticket", "ticket__requester", "ticket__organization")
        .filter(pk=attachment_id)
        .first()
    )
    if found is None or not permissions.can_view_attachment(user, found):
        raise NotFound("No such file.")
    return found


def event_attachments(*, user, ticket: Ticket, event_ids: Iterable[int]) -> dict[int, list[Attachment]]:
    """Event id → its files that ``user`` may see, in one query (the caller has checked the ticket)."""
    ids = list(event_ids)
    if not ids:
        return {}
    qs = Attachment.objects.filter(ticket=ticket, event_id__in=ids).defer("sha256", "content_id")
    if not permissions.can_see_internal(user):
        qs = qs.filter(internal=False)
    found: dict[int, list[Attachment]] = {}
    for attachment in qs.order_by("event_id", "id"):
        found.setdefault(attachment.event_id, []).append(attachment)
    return found
