"""The andon cord's writes: raising an escalation, linking tickets, every step of its lifecycle, comments.

Each is one transaction that locks the feature first, then the escalation (always in
that order, so two changes cannot deadlock), checks ``Escalation.TRANSITIONS`` and
``escalations.permissions``, writes an ``EscalationEvent`` (actor, old, new, note) and
an audit row, and keeps ``Feature.blocked`` true exactly while a blocking escalation
against the feature is unresolved. The gate reads that flag, never a cache.
"""

from __future__ import annotations

from collections.abc import Sequence
from datetime import timedelta

from django.conf import settings
from django.contrib.auth.models import AbstractBaseUser
from django.db import IntegrityError, transaction
from django.db.models import Count, Q, Sum
from django.utils import timezone

from escalations import events, permissions
from escalations.models import (
    SEVERITY_RANK,
    UNRESOLVED_STATUSES,
    Escalation,
    EscalationEvent,
    EscalationLink,
    EscalationStatus,
    Feature,
    Severity,
)
from escalations.services import notices, webhooks
from escalations.services.fix_notices import SENDABLE, fix_notices_enqueue
from helpdesk import permissions as desk_permissions
from helpdesk import services as desk_services
from helpdesk.errors import ActionForbidden, InvalidInput, NotFound, StaleVersion, TransitionNotAllowed
from helpdesk.models import Organization
from helpdesk.services import audit_record

TITLE_MAX_LENGTH = Escalation._meta.get_field("title").max_length
MAX_TICKETS_PER_REQUEST = 100
TEXT_MAX_LENGTH = 20_000

# What each action's text is called, for the error that asks for it.
_TEXT_NAMES = {
    "request_info": "the question",
    "provide_info": "the information",
    "fix": "the update for customers",
    "reject": "the reason",
    "reopen": "the reason",
}


def _text(value: str | None, *, field: str, required: bool, what: str, max_length: int = TEXT_MAX_LENGTH) -> str:
    text = (value or "").strip()
    if required and not text:
        raise InvalidInput(f"Write {what}.", field=field)
    if len(text) > max_length:
        raise InvalidInput(f"Keep {what} under {max_length:,} characters.", field=field)
    if "\x00" in text:
        raise InvalidInput(f"{what.capitalize()} contains a NUL character.", field=field)
    return text


def _lock_feature(feature_id: int) -> Feature:
    return Feature.objects.select_for_update().get(pk=feature_id)


def _refresh_blocked(*, actor, feature: Feature) -> None:
    """Set the locked feature's ``blocked`` from its escalations, in the caller's transaction."""
    blocked = Escalation.objects.filter(feature=feature, severity=Severity.BLOCKING, status__in=UNRESOLVED_STATUSES).exists()
    if blocked != feature.blocked:
        feature.blocked = blocked
        feature.save(update_fields=["blocked"])
        audit_record(
            actor=actor,
            action="feature.blocked" if blocked else "feature.unblocked",
            obj=feature,
            changes={"blocked": [not blocked, blocked]},
        )
        webhooks.webhooks_enqueue(
            event=webhooks.FEATURE_BLOCKED if blocked else webhooks.FEATURE_UNBLOCKED,
            data={"feature": webhooks.feature_payload(feature)},
        )


def _status_webhook(escalation: Escalation, *, old: str | None, action: str) -> None:
    webhooks.webhooks_enqueue(
        event=webhooks.ESCALATION_STATUS_CHANGED,
        data={"escalation": webhooks.escalation_payload(escalation), "old_status": old, "action": action},
    )


def _event(escalation: Escalation, *, actor, kind: str, now, action: str = "", old: str = "", new: str = "", note=""):
    return EscalationEvent.objects.create(
        escalation=escalation,
        kind=kind,
        actor=actor if actor is not None and actor.pk is not None else None,
        action=action,
        old_value=old,
        new_value=new,
        note=note,
        created_at=now,
    )


def impact_of(*, tickets: int, customers: int, key_accounts: int, value) -> int:
    """The board's impact score (docs/escalations.md): people first, then money.

    Each linked ticket counts 1, each distinct customer 10, each key account 100, and
    every 1,000 of the affected organizations' annual value 1.
    """
    return tickets + 10 * customers + 100 * key_accounts + int(value or 0) // 1000


def _recount(escalation: Escalation) -> list[str]:
    """Recount the locked escalation's impact from its links (SQL aggregates); returns the fields changed."""
    links = EscalationLink.objects.filter(escalation=escalation)
    counts = links.aggregate(tickets=Count("id"), customers=Count("ticket__requester", distinct=True))
    # Each organization once, however many of its people's tickets are linked.
    organizations = Organization.objects.filter(pk__in=links.values("ticket__requester__organization")).aggregate(
        count=Count("id"), key=Count("id", filter=Q(is_key_account=True)), value=Sum("annual_value")
    )
    values = {
        "ticket_count": counts["tickets"],
        "customer_count": counts["customers"],
        "organization_count": organizations["count"],
        "key_account_count": organizations["key"],
        "affected_value": organizations["value"] or 0,
    }
    values["impact"] = impact_of(
        tickets=values["ticket_count"],
        customers=values["customer_count"],
        key_accounts=values["key_account_count"],
        value=values["affected_value"],
    )
    changed = [name for name, value in values.items() if getattr(escalation, name) != value]
    for name in changed:
        setattr(escalation, name, values[name])
    return changed


def _check_ticket(actor, ticket) -> None:
    if actor is not None and not desk_permissions.can_view_ticket(actor, ticket):
        raise NotFound("No such ticket.")


def _link(*, actor, escalation: Escalation, ticket, now) -> bool:
    """Link ``ticket`` once; False when it already was (a savepoint keeps a race from failing the caller)."""
    if EscalationLink.objects.filter(escalation=escalation, ticket=ticket).exists():
        return False
    try:
        with transaction.atomic():
            EscalationLink.objects.create(
                escalation=escalation,
                ticket=ticket,
                linked_by=actor if actor is not None and actor.pk is not None else None,
                linked_at=now,
            )
    except IntegrityError:  # linked by someone else at the same moment
        return False
    _event(escalation, actor=actor, kind=EscalationEvent.Kind.LINKED, now=now, new=ticket.reference)
    desk_services.ticket_linked_work_record(
        actor=actor,
        ticket=ticket,
        what="linked this ticket to escalation",
        reference=escalation.reference,
        detail=f"{escalation.reference} “{escalation.title}” ({escalation.get_severity_display().lower()}) "
        f"against {escalation.feature.key}.",
    )
    return True


@transaction.atomic
def escalation_raise(
    *,
    actor: AbstractBaseUser | None,
    feature: Feature,
    ticket=None,
    tickets: Sequence = (),
    severity: str,
    title: str,
    customer_impact: str,
    steps: str = "",
) -> Escalation:
    """Pull the cord: a new escalation against ``feature``, with ``ticket`` (and ``tickets``) linked.

    A blocking one blocks the feature in this transaction.
    """
    if actor is not None and not permissions.can_raise_escalations(actor):
        raise ActionForbidden("You may not raise escalations.")
    linked = list({t.pk: t for t in [*([ticket] if ticket is not None else []), *tickets]}.values())
    if len(linked) > MAX_TICKETS_PER_REQUEST:
        raise InvalidInput(f"Link at most {MAX_TICKETS_PER_REQUEST} tickets at once.", field="tickets")
    for one in linked:
        _check_ticket(actor, one)
    if severity not in Severity.values:
        raise InvalidInput(f"Choose a severity: {', '.join(Severity.values)}.", field="severity")
    title = _text(title, field="title", required=True, what="a title", max_length=TITLE_MAX_LENGTH)
    impact = _text(customer_impact, field="customer_impact", required=True, what="what customers experience")
    steps = _text(steps, field="steps", required=False, what="the steps to reproduce")
    locked = _lock_feature(feature.pk)
    now = timezone.now()
    escalation = Escalation.objects.create(
        feature=locked,
        severity=severity,
        severity_rank=SEVERITY_RANK[severity],
        title=title,
        customer_impact=impact,
        steps=steps,
        raised_by=actor if actor is not None and actor.pk is not None else None,
        created_at=now,
        updated_at=now,
        acknowledge_by=(
            now + timedelta(minutes=settings.HELPDESK_ESCALATION_ACK_MINUTES) if severity == Severity.BLOCKING else None
        ),
    )
    _event(escalation, actor=actor, kind=EscalationEvent.Kind.RAISED, now=now, new=EscalationStatus.OPEN)
    for one in linked:
        _link(actor=actor, escalation=escalation, ticket=one, now=now)
    escalation.save(update_fields=_recount(escalation))
    audit_record(
        actor=actor,
        action="escalation.raised",
        obj=escalation,
        changes={
            "feature": [None, locked.key],
            "severity": [None, severity],
            "tickets": [None, [one.reference for one in linked]],
        },
    )
    escalation.feature = locked
    _status_webhook(escalation, old=None, action="raise")
    _refresh_blocked(actor=actor, feature=locked)
    notices.notify_raised(actor=actor, escalation=escalation)
    events.broadcast_escalation_changed(escalation=escalation, actor=actor, change="raised")
    return escalation


def _lock(escalation: Escalation) -> tuple[Feature, Escalation]:
    feature = _lock_feature(escalation.feature_id)
    locked = Escalation.objects.select_for_update().select_related("feature").filter(pk=escalation.pk).first()
    if locked is None:
        raise NotFound("No such escalation.")
    return feature, locked


@transaction.atomic
def escalation_link(*, actor: AbstractBaseUser | None, escalation: Escalation, ticket) -> tuple[Escalation, bool]:
    """Link another ticket whose customers hit the defect; linking it again changes nothing (returns False)."""
    if actor is not None and not permissions.can_raise_escalations(actor):
        raise ActionForbidden("You may not link tickets to escalations.")
    _check_ticket(actor, ticket)
    _feature, locked = _lock(escalation)
    now = timezone.now()
    created = _link(actor=actor, escalation=locked, ticket=ticket, now=now)
    if created:
        locked.updated_at = now
        locked.save(update_fields=["updated_at", *_recount(locked)])
        if locked.status in SENDABLE:  # the fix has shipped: this ticket's customer hears of it too
            fix_notices_enqueue(actor=actor, escalation=locked, ticket_ids=[ticket.pk])
        events.broadcast_escalation_changed(escalation=locked, actor=actor, change="linked")
        audit_record(actor=actor, action="escalation.linked", obj=locked, changes={"ticket": [None, ticket.reference]})
    return locked, created


@transaction.atomic
def escalation_transition(
    *,
    actor: AbstractBaseUser | None,
    escalation: Escalation,
    action: str,
    text: str = "",
    expected_version: int | None = None,
) -> Escalation:
    """Take one lifecycle ``action`` (``Escalation.TRANSITIONS``) with its note; refused ones change nothing."""
    if action not in Escalation.TRANSITIONS:
        raise InvalidInput(f"Unknown action {action!r}.", field="action")
    feature, locked = _lock(escalation)
    if actor is not None and not permissions.can_take_action(actor, locked, action):
        raise ActionForbidden(f"You may not {action.replace('_', ' ')} this escalation.")
    if expected_version is not None and locked.version != expected_version:
        raise StaleVersion(
            f"{locked.reference} was changed by someone else since you opened it "
            f"(you had version {expected_version}, it is now {locked.version}).",
            current=locked,
        )
    sources, target = Escalation.TRANSITIONS[action]
    if locked.status not in sources:
        raise TransitionNotAllowed(
            f"{locked.reference} is {locked.get_status_display().lower()}: "
            f"“{action.replace('_', ' ')}” is not possible from there.",
            field="action",
        )
    note = _text(text, field="note", required=action in Escalation.TEXT_REQUIRED, what=_TEXT_NAMES.get(action, "a note"))
    now = timezone.now()
    old = locked.status
    locked.status = target
    locked.updated_at = now
    locked.version += 1
    fields = ["status", "updated_at", "version"]
    if action == "acknowledge":
        locked.acknowledged_at = now
        fields.append("acknowledged_at")
    if action == "reopen" and locked.severity == Severity.BLOCKING:
        # Open again: it must be acknowledged again, with a new deadline (and its own overdue notice).
        locked.acknowledge_by = now + timedelta(minutes=settings.HELPDESK_ESCALATION_ACK_MINUTES)
        locked.overdue_notified_at = None
        fields.extend(["acknowledge_by", "overdue_notified_at"])
    if target in UNRESOLVED_STATUSES:
        if locked.resolved_at is not None:
            locked.resolved_at = None
            fields.append("resolved_at")
    elif old in UNRESOLVED_STATUSES:
        locked.resolved_at = now
        fields.append("resolved_at")
    if action == "fix":
        locked.fix_update = note
        fields.append("fix_update")
    locked.save(update_fields=fields)
    if action == "fix":
        fix_notices_enqueue(actor=actor, escalation=locked)
    _event(locked, actor=actor, kind=EscalationEvent.Kind.STATUS, now=now, action=action, old=old, new=target, note=note)
    audit_record(
        actor=actor,
        action=f"escalation.{action}",
        obj=locked,
        changes={"status": [old, target], **({"note": [None, note]} if note else {})},
    )
    _status_webhook(locked, old=old, action=action)
    _refresh_blocked(actor=actor, feature=feature)
    notices.notify_changed(actor=actor, escalation=locked, action=action, note=note)
    events.broadcast_escalation_changed(escalation=locked, actor=actor, change=action)
    return locked


def escalations_flag_overdue(*, now=None) -> int:
    """Tell of every blocking escalation still open past its acknowledgement deadline, once; returns how many.

    Run from ``manage.py escalation_worker`` (every minute, or on a timer): it picks up
    every deadline missed while it was not running. Each escalation is its own
    transaction, under the feature's and escalation's locks like every other change.
    """
    now = now or timezone.now()
    due = list(
        Escalation.objects.filter(
            severity=Severity.BLOCKING,
            status=EscalationStatus.OPEN,
            acknowledge_by__lt=now,
            overdue_notified_at__isnull=True,
        )
        .order_by("acknowledge_by", "id")
        .values_list("pk", "feature_id")
    )
    flagged = 0
    for pk, feature_id in due:
        with transaction.atomic():
            _lock_feature(feature_id)
            locked = (
                Escalation.objects.select_for_update()
                .select_related("feature")
                .filter(pk=pk, status=EscalationStatus.OPEN, overdue_notified_at__isnull=True, acknowledge_by__lt=now)
                .first()
            )
            if locked is None:  # acknowledged, or flagged by another worker, in the meantime
                continue
            locked.overdue_notified_at = now
            locked.save(update_fields=["overdue_notified_at"])
            _event(locked, actor=None, kind=EscalationEvent.Kind.OVERDUE, now=now)
            notices.notify_overdue(escalation=locked)
            events.broadcast_escalation_changed(escalation=locked, actor=None, change="overdue")
            flagged += 1
    return flagged


@transaction.atomic
def escalation_comment(*, actor: AbstractBaseUser | None, escalation: Escalation, body: str) -> EscalationEvent:
    """A word in the escalation's discussion (agents and product managers)."""
    _feature, locked = _lock(escalation)
    if actor is not None and not permissions.can_comment(actor, locked):
        raise ActionForbidden("You may not comment on this escalation.")
    text = _text(body, field="body", required=True, what="a comment")
    now = timezone.now()
    locked.updated_at = now
    locked.save(update_fields=["updated_at"])
    events.broadcast_escalation_changed(escalation=locked, actor=actor, change="commented")
    return _event(locked, actor=actor, kind=EscalationEvent.Kind.COMMENT, now=now, note=text)
