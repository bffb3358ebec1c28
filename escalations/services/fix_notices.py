"""Closing the loop: when a fix ships, every linked ticket's customer hears about it, exactly once.

``fix_notices_enqueue`` runs inside the transaction of the fix (and of a link to an
escalation already fixed) and writes one ``FixNotice`` per linked ticket; the unique
constraint on (escalation, ticket) makes a second fix, a re-fix after a reopen, or a
repeated link insert nothing. ``fix_notices_deliver`` then posts each pending notice's
update in a transaction of its own that also marks it delivered (under the notice's
row lock, skipping rows another worker holds): a crash between two notices leaves the
rest pending for the next run, and none is posted twice.
"""

from __future__ import annotations

import logging
from collections.abc import Iterable

from django.contrib.auth.models import AbstractBaseUser
from django.db import transaction
from django.utils import timezone

from escalations.models import Escalation, EscalationLink, EscalationStatus, FixNotice
from helpdesk import services as desk_services
from helpdesk.models import Ticket

log = logging.getLogger(__name__)

# Posted right after the fix commits; more than this many wait for the worker (escalation_worker).
DELIVER_INLINE = 100
BATCH = 50
TOLD = "told"
REMOVED = "removed"
# A pending notice is sent only while its escalation stands fixed: a reopen holds it back until the next fix.
SENDABLE = frozenset({EscalationStatus.FIXED, EscalationStatus.CLOSED})


def fix_notices_enqueue(
    *, actor: AbstractBaseUser | None, escalation: Escalation, ticket_ids: Iterable[int] | None = None
) -> None:
    """One notice per linked ticket (or per ``ticket_ids``) not yet told; call in the fix's transaction."""
    if ticket_ids is None:
        ticket_ids = EscalationLink.objects.filter(escalation=escalation).values_list("ticket_id", flat=True)
    now = timezone.now()
    requested_by = actor if actor is not None and actor.pk is not None else None
    rows = [
        FixNotice(escalation=escalation, ticket_id=ticket_id, requested_by=requested_by, created_at=now)
        for ticket_id in ticket_ids
    ]
    for start in range(0, len(rows), 1000):
        FixNotice.objects.bulk_create(rows[start : start + 1000], ignore_conflicts=True)
    escalation_id = escalation.pk
    transaction.on_commit(lambda: fix_notices_deliver(escalation_id=escalation_id, limit=DELIVER_INLINE))


def _deliver_one(notice_id: int) -> bool:
    """Post one pending notice's update; False when there was nothing (left) to do."""
    with transaction.atomic():
        notice = (
            FixNotice.objects.select_for_update(skip_locked=True, of=("self",))
            .select_related("escalation", "requested_by")
            .filter(pk=notice_id, delivered_at__isnull=True)
            .first()
        )
        if notice is None or notice.escalation.status not in SENDABLE:
            return False
        escalation = notice.escalation
        ticket = Ticket.objects.defer("search_document").filter(pk=notice.ticket_id).first()
        reply = None
        if ticket is not None:
            reply = desk_services.ticket_product_update_post(
                actor=notice.requested_by,
                ticket=ticket,
                body=escalation.fix_update or f"The problem you reported ({escalation.title}) is fixed.",
                what="fixed escalation",
                reference=escalation.reference,
            )
        notice.delivered_at = timezone.now()
        notice.outcome = TOLD if reply is not None else REMOVED
        notice.save(update_fields=["delivered_at", "outcome"])
        return True


def fix_notices_deliver(*, escalation_id: int | None = None, limit: int | None = None) -> int:
    """Post pending fix updates (of one escalation, or all); returns how many were delivered.

    Safe to run in several processes at once and again after a crash.
    """
    delivered = 0
    last_id = 0
    while limit is None or delivered < limit:
        pending = FixNotice.objects.filter(delivered_at__isnull=True, pk__gt=last_id, escalation__status__in=SENDABLE)
        if escalation_id is not None:
            pending = pending.filter(escalation_id=escalation_id)
        batch = list(pending.order_by("pk").values_list("pk", flat=True)[:BATCH])
        if not batch:
            break
        for notice_id in batch:
            last_id = notice_id
            try:
                if _deliver_one(notice_id):
                    delivered += 1
            except Exception:  # one ticket's trouble must not hold back everyone else's news
                log.exception("could not deliver fix notice %s; it stays pending", notice_id)
            if limit is not None and delivered >= limit:
                break
    return delivered
