"""Every write to a ticket: create, change, messages, bulk changes, auto-close.

Each function is one transaction that checks permissions and the transition
table, saves only the changed columns, writes the timeline rows beside the
change and queues the real-time event for after commit.
"""

from __future__ import annotations

import math
from collections.abc import Iterable
from dataclasses import dataclass, field
from datetime import timedelta
from typing import Any

from django.conf import settings
from django.contrib.auth.models import AbstractBaseUser
from django.db import transaction
from django.db.models import F
from django.utils import timezone

from helpdesk import directory_cache, events, permissions, ratelimit
from helpdesk.errors import ActionForbidden, InvalidInput, NotFound, RateLimited, StaleVersion, TransitionNotAllowed
from helpdesk.models import (
    Customer,
    ReferenceCounter,
    Tag,
    Team,
    Ticket,
    TicketChannel,
    TicketEvent,
    TicketPriority,
    TicketStatus,
)
from helpdesk.services.attachments import attachments_store, clean_uploads
from helpdesk.services.audit import audit_record
from helpdesk.services.notifications import notify_ticket_change
from helpdesk.services.outbox import outbox_reply_enqueue
from helpdesk.services.search_index import search_document_refresh


class _Unset:
    def __repr__(self) -> str:
        return "UNSET"

    def __bool__(self) -> bool:
        return False


UNSET: Any = _Unset()

TAG_MAX_LENGTH = 50
SUBJECT_MAX_LENGTH = 200


# --- input checks -------------------------------------------------------------------


def refuse_nul(text: str, *, field_name: str) -> str:
    """Text columns cannot hold NUL characters (PostgreSQL refuses them); say so by field."""
    if "\x00" in text:
        raise InvalidInput("Remove the NUL (\\x00) characters; they cannot be stored.", field=field_name)
    return text


def clean_body(body: str | None, *, field_name: str = "body") -> str:
    text = refuse_nul((body or "").strip(), field_name=field_name)
    if not text:
        raise InvalidInput("Write a message.", field=field_name)
    size = len(text.encode("utf-8"))
    limit = settings.HELPDESK_MAX_BODY_BYTES
    if size > limit:
        raise InvalidInput(
            f"The message is {math.ceil(size / 1024)} KB; the limit is {limit // 1024} KB. "
            "Shorten it or attach the rest as a file.",
            field=field_name,
        )
    return text


def clean_subject(subject: str | None) -> str:
    text = refuse_nul(" ".join((subject or "").split()), field_name="subject")
    if not text:
        raise InvalidInput("Give the ticket a subject.", field="subject")
    if len(text) > SUBJECT_MAX_LENGTH:
        raise InvalidInput(f"Keep the subject under {SUBJECT_MAX_LENGTH} characters.", field="subject")
    return text


def clean_tags(tags: Iterable[str] | str) -> list[str]:
    """Lower-case, hyphenated, de-duplicated, sorted. A string is split on commas."""
    if isinstance(tags, str):
        tags = tags.split(",")
    cleaned: list[str] = []
    for raw in tags:
        name = refuse_nul("-".join(str(raw).strip().lower().split()), field_name="tags")
        if not name:
            continue
        if len(name) > TAG_MAX_LENGTH:
            raise InvalidInput(f"Tag {name[:20]!r}… is longer than {TAG_MAX_LENGTH} characters.", field="tags")
        if name not in cleaned:
            cleaned.append(name)
    limit = settings.HELPDESK_MAX_TAGS_PER_TICKET
    if len(cleaned) > limit:
        raise InvalidInput(
            f"A ticket takes at most {limit} tags; this one would have {len(cleaned)}. Keep the ones that route it.",
            field="tags",
        )
    return sorted(cleaned)


def clean_priority(priority: int | str | None) -> int:
    if priority is None or priority == "":
        return TicketPriority.NORMAL
    # isascii(): "²".isdigit() is true but int("²") fails.
    if isinstance(priority, str) and not (priority.isascii() and priority.isdigit()):
        try:
            return TicketPriority.from_name(priority)
        except KeyError:
            known = ", ".join(TicketPriority.slugs())
            raise InvalidInput(f"Unknown priority {priority!r}; use one of {known}.", field="priority") from None
    value = int(priority)
    if value not in TicketPriority.values:
        raise InvalidInput(f"Unknown priority {priority!r}.", field="priority")
    return value


def _username(user: AbstractBaseUser | None) -> str:
    return user.get_username() if user is not None else ""


def _require(allowed: bool, message: str, *, field_name: str | None = None) -> None:
    if not allowed:
        raise ActionForbidden(message, field=field_name)


def _next_number() -> int:
    """Take the next ticket number from the counter row, inside the caller's transaction."""
    return _reserve_numbers(1)


def _reserve_numbers(count: int) -> int:
    """Reserve ``count`` consecutive numbers; returns the first.

    The UPDATE takes the counter row's lock until the surrounding transaction
    ends, so concurrent creators queue rather than share a number.
    """
    ReferenceCounter.objects.get_or_create(name="ticket", defaults={"value": 1000})
    ReferenceCounter.objects.filter(name="ticket").update(value=F("value") + count)
    last = ReferenceCounter.objects.values_list("value", flat=True).get(name="ticket")
    return last - count + 1


def ticket_reserve_numbers(*, actor: AbstractBaseUser | None, count: int) -> int:
    """For bulk loaders (demo data, imports): reserve a block of ticket numbers."""
    with transaction.atomic():
        return _reserve_numbers(count)


def _tag_objects(names: list[str], *, actor: AbstractBaseUser | None) -> list[Tag]:
    existing = {t.name: t for t in Tag.objects.filter(name__in=names)}
    missing = [Tag(name=n) for n in names if n not in existing]
    if missing:
        Tag.objects.bulk_create(missing, ignore_conflicts=True)
        directory_cache.invalidate()  # bulk_create sends no post_save
        existing = {t.name: t for t in Tag.objects.filter(name__in=names)}
        # Typing a new tag on a ticket adds it to the directory: audited like the admin's.
        for tag in missing:
            audit_record(actor=actor, action="tag.created", obj=existing[tag.name], changes={"name": [None, tag.name]})
    return [existing[n] for n in names]


def _feature_label(feature: Any) -> str:
    return getattr(feature, "key", "") if feature is not None else ""


# --- create -------------------------------------------------------------------------


def _count_customer_ticket(customer: Customer) -> None:
    """Count a ticket the customer opens themselves; refuse it once they are over the limit.

    Counted after the input checks (a typo costs nothing) and before the insert, with
    one atomic increment, so that requests racing each other cannot all slip under it.
    """
    limit = ratelimit.ticket_create_limit()
    subject = str(customer.pk)
    if limit.hit(subject) > limit.attempts:
        wait = limit.retry_after(subject) or limit.window_seconds
        raise RateLimited(
            f"You have opened {limit.attempts} requests in the last {ratelimit.duration_text(limit.window_seconds)}, "
            f"the most we take in that time. Try again in {ratelimit.duration_text(wait)}; to add to a request "
            "you already opened, reply on it.",
            retry_after=wait,
        )


@transaction.atomic
def ticket_create(
    *,
    actor: AbstractBaseUser | None,
    subject: str,
    body: str,
    requester: Customer | None = None,
    priority: int | str | None = None,
    channel: str = TicketChannel.WEB,
    team: Team | None = None,
    assignee: AbstractBaseUser | None = None,
    tags: Iterable[str] = (),
    feature: Any = None,
    imported: bool = False,
    attachments: Iterable[Any] | None = None,
) -> Ticket:
    """Open a ticket. Desk users name the requester; customers open their own.

    ``imported``: a request from the past brought in now (demo history, a move from
    another desk), so it does not count against the customer's creation limit.
    """
    staff = actor is None or permissions.can_open_ticket_for_others(actor)
    if staff:
        if requester is None:
            raise InvalidInput("Choose the customer this ticket is for.", field="requester")
    else:
        own = permissions.customer_of(actor)
        _require(own is not None, "Only customers and agents can open tickets.")
        if requester is not None and requester.pk != own.pk:
            raise ActionForbidden("You can only open tickets for yourself.", field="requester")
        # Their earlier ticket was marked as spam (services/ticket_removal.py).
        _require(own.blocked_at is None, "This account cannot open tickets. Please contact us another way.")
        requester = own
        tags = list(tags)
        given = {"assignee": assignee, "team": team, "tags": tags, "feature": feature}
        refused = permissions.forbidden_create_fields(actor, [name for name, value in given.items() if value])
        if refused:
            raise ActionForbidden(f"You may not set {', '.join(refused)} on a new ticket.", field=refused[0])

    subject = clean_subject(subject)
    body = clean_body(body)
    uploads = clean_uploads(attachments)
    priority_value = (
        clean_priority(priority) if actor is None or permissions.can_set_priority_when_opening(actor)
        else TicketPriority.NORMAL
    )
    if channel not in TicketChannel.values:
        raise InvalidInput(f"Unknown channel {channel!r}.", field="channel")
    if assignee is not None and not permissions.can_assign_to(assignee):
        raise InvalidInput(f"{_username(assignee)} cannot be assigned tickets.", field="assignee")
    tag_names = clean_tags(tags)
    if permissions.is_ticket_creation_limited(actor) and not imported:
        _count_customer_ticket(requester)

    now = timezone.now()
    # The request is the customer's words, whoever typed it: an agent logging a call writes
    # them on the customer's behalf (the event keeps both), so the ticket waits on the desk
    # and its first reply is still to come.
    ticket = Ticket.objects.create(
        number=_next_number(),
        subject=subject,
        requester=requester,
        organization_id=requester.organization_id,
        assignee=assignee,
        team=team,
        priority=priority_value,
        channel=channel,
        feature=feature,
        created_at=now,
        updated_at=now,
        last_customer_message_at=now,
        last_agent_reply_at=None,
    )
    if tag_names:
        ticket.tags.set(_tag_objects(tag_names, actor=actor))
    request = TicketEvent(
        ticket=ticket, kind=TicketEvent.Kind.REPLY, actor=actor, customer=requester, body=body, created_at=now
    )
    TicketEvent.objects.bulk_create(
        [
            TicketEvent(ticket=ticket, kind=TicketEvent.Kind.CREATED, actor=actor, new_value=channel, created_at=now),
            request,
        ]
    )
    attachments_store(actor=actor, event=request, uploads=uploads)
    notify_ticket_change(actor=actor, ticket=ticket, rows=[request], created=True)
    search_document_refresh(actor=actor, ticket_ids=[ticket.pk])
    events.broadcast_ticket_changed(ticket=ticket, actor=actor, changes=["created"])
    return ticket


# --- change fields --------------------------------------------------------------------


def _lock(ticket: Ticket) -> Ticket:
    return (
        Ticket.objects.select_for_update(of=("self",))
        .defer("search_document")
        .select_related("assignee", "team", "feature")
        .get(pk=ticket.pk)
    )


@dataclass
class _Change:
    """Accumulates one write: changed columns and their timeline rows."""

    ticket: Ticket
    actor: AbstractBaseUser | None
    now: Any
    fields: set[str] = field(default_factory=set)
    rows: list[TicketEvent] = field(default_factory=list)
    kinds: list[str] = field(default_factory=list)

    def record(self, kind: str, old: str, new: str, *, body: str = "") -> None:
        self.rows.append(
            TicketEvent(
                ticket=self.ticket,
                kind=kind,
                actor=self.actor,
                old_value=str(old)[:255],
                new_value=str(new)[:255],
                body=body,
                created_at=self.now,
            )
        )
        self.kinds.append(kind)

    def set_status(self, new_status: str) -> None:
        ticket = self.ticket
        old = ticket.status
        if new_status == old:
            return
        if new_status not in TicketStatus.values:
            raise InvalidInput(f"Unknown status {new_status!r}.", field="status")
        if not ticket.can_transition_to(new_status):
            allowed = ", ".join(ticket.allowed_next_statuses()) or "none (the ticket is closed)"
            raise TransitionNotAllowed(
                f"A {ticket.get_status_display().lower()} ticket cannot become {new_status}; allowed: {allowed}.",
                field="status",
            )
        ticket.status = new_status
        self.fields.add("status")
        if new_status == TicketStatus.SOLVED:
            ticket.solved_at = self.now
            self.fields.add("solved_at")
        elif old == TicketStatus.SOLVED and new_status != TicketStatus.CLOSED:
            ticket.solved_at = None
            self.fields.add("solved_at")
        if new_status == TicketStatus.CLOSED:
            ticket.closed_at = self.now
            self.fields.add("closed_at")
        self.record(TicketEvent.Kind.STATUS, old, new_status)

    def save(self) -> None:
        """Write changed columns with a version bump, then the timeline rows.

        A bare internal note changes no column and bumps nothing: the version and
        ``updated_at`` are visible to customers (ETag, "last activity"), and a note
        must not show through them or make a customer's update conflict.
        """
        if not self.fields and not self.rows:
            return
        ticket = self.ticket
        if self.fields or any(row.kind not in TicketEvent.DESK_ONLY_KINDS for row in self.rows):
            ticket.version += 1
            ticket.updated_at = self.now
            ticket.save(update_fields=sorted(self.fields | {"version", "updated_at"}))
        TicketEvent.objects.bulk_create(self.rows)
        notify_ticket_change(actor=self.actor, ticket=ticket, rows=self.rows)
        events.broadcast_ticket_changed(ticket=ticket, actor=self.actor, changes=self.kinds or ["updated"])


@transaction.atomic
def ticket_update(
    *,
    actor: AbstractBaseUser | None,
    ticket: Ticket,
    expected_version: int | None = None,
    subject: str = UNSET,
    status: str = UNSET,
    priority: int | str = UNSET,
    assignee: AbstractBaseUser | None = UNSET,
    team: Team | None = UNSET,
    tags: Iterable[str] = UNSET,
    feature: Any = UNSET,
) -> Ticket:
    """Change any of a ticket's fields in one step, one timeline row per change.

    With ``expected_version`` the change applies only to that version; a newer
    ticket raises ``StaleVersion`` carrying the current one, and nothing is written.
    """
    requested = {
        name: value
        for name, value in {
            "subject": subject,
            "status": status,
            "priority": priority,
            "assignee": assignee,
            "team": team,
            "tags": tags,
            "feature": feature,
        }.items()
        if value is not UNSET
    }
    locked = _lock(ticket)
    if actor is not None and not permissions.can_view_ticket(actor, locked):
        raise NotFound("No such ticket.")
    if expected_version is not None and locked.version != expected_version:
        raise StaleVersion(
            f"{locked.reference} was changed by someone else since you opened it "
            f"(you had version {expected_version}, it is now {locked.version}). Review the current state and try again.",
            current=locked,
        )
    if actor is not None:
        refused = permissions.forbidden_fields(actor, locked, requested)
        if refused:
            raise ActionForbidden(f"You may not change {', '.join(refused)} on this ticket.", field=refused[0])

    was_closed = locked.is_closed
    change = _Change(ticket=locked, actor=actor, now=timezone.now())
    if "subject" in requested:
        new_subject = clean_subject(requested["subject"])
        if new_subject != locked.subject:
            change.record(TicketEvent.Kind.SUBJECT, locked.subject, new_subject)
            locked.subject = new_subject
            change.fields.add("subject")
    if "priority" in requested:
        new_priority = clean_priority(requested["priority"])
        if new_priority != locked.priority:
            change.record(
                TicketEvent.Kind.PRIORITY, TicketPriority(locked.priority).slug, TicketPriority(new_priority).slug
            )
            locked.priority = new_priority
            change.fields.add("priority")
    if "assignee" in requested:
        new_assignee = requested["assignee"]
        if new_assignee is not None and not permissions.can_assign_to(new_assignee):
            raise InvalidInput(f"{_username(new_assignee)} cannot be assigned tickets.", field="assignee")
        if (new_assignee.pk if new_assignee else None) != locked.assignee_id:
            change.record(TicketEvent.Kind.ASSIGNEE, _username(locked.assignee), _username(new_assignee))
            locked.assignee = new_assignee
            change.fields.add("assignee")
    if "team" in requested:
        new_team = requested["team"]
        if (new_team.pk if new_team else None) != locked.team_id:
            change.record(TicketEvent.Kind.TEAM, locked.team.name if locked.team else "", new_team.name if new_team else "")
            locked.team = new_team
            change.fields.add("team")
    if "feature" in requested:
        new_feature = requested["feature"]
        if (new_feature.pk if new_feature else None) != locked.feature_id:
            change.record(TicketEvent.Kind.FEATURE, _feature_label(locked.feature), _feature_label(new_feature))
            locked.feature = new_feature
            change.fields.add("feature")
    if "status" in requested:
        change.set_status(requested["status"])
    if "tags" in requested:
        new_tags = clean_tags(requested["tags"])
        old_tags = sorted(locked.tags.values_list("name", flat=True))
        if new_tags != old_tags:
            locked.tags.set(_tag_objects(new_tags, actor=actor))
            change.record(TicketEvent.Kind.TAGS, " ".join(old_tags), " ".join(new_tags))
    if was_closed and change.rows:
        # Closed is final; raising here also rolls back the tag rows set above.
        raise TransitionNotAllowed(
            f"{locked.reference} is closed and can no longer be changed. Open a new ticket instead.",
            field=change.rows[0].kind,
        )
    change.save()
    if "subject" in change.fields:
        search_document_refresh(actor=actor, ticket_ids=[locked.pk])
    return locked


# --- messages -----------------------------------------------------------------------


@transaction.atomic
def ticket_message_post(
    *,
    actor: AbstractBaseUser,
    ticket: Ticket,
    body: str,
    internal: bool = False,
    status: str | None = None,
    attachments: Iterable[Any] | None = None,
) -> TicketEvent:
    """Add a public reply or an internal note (with files), with the status moves that follow.

    A customer writing on a pending or solved ticket reopens it; an agent's first
    public reply opens a new ticket; an agent may also say which status the
    ticket takes with the reply ("submit as pending").
    """
    locked = _lock(ticket)
    if not permissions.can_view_ticket(actor, locked):
        raise NotFound("No such ticket.")
    text = clean_body(body)
    uploads = clean_uploads(attachments)
    desk = permissions.can_work_tickets(actor)
    if internal:
        _require(permissions.can_add_internal_note(actor), "You may not write internal notes.", field_name="internal")
    else:
        _require(permissions.can_reply(actor, locked), "You may not reply on this ticket.", field_name="body")
        if not permissions.can_post_public_reply(actor, locked):  # closed: notes only
            raise TransitionNotAllowed(
                f"{locked.reference} is closed; replies are no longer possible. Open a new ticket instead.",
                field="body",
            )
    if status and not permissions.can_set_status_with_message(actor):
        raise ActionForbidden("You may not change the status.", field="status")

    change = _Change(ticket=locked, actor=actor, now=timezone.now())
    customer = None if desk else permissions.customer_of(actor)
    message = TicketEvent(
        ticket=locked,
        kind=TicketEvent.Kind.NOTE if internal else TicketEvent.Kind.REPLY,
        actor=actor,
        customer=customer,
        body=text,
        created_at=change.now,
    )
    change.rows.append(message)
    change.kinds.append(message.kind)

    target = status or None
    if not internal:
        # Who waits on whom (the inbox's "customer wrote" column): a public message by either side.
        if customer is not None:
            locked.last_customer_message_at = change.now
            change.fields.add("last_customer_message_at")
        else:
            locked.last_agent_reply_at = change.now
            change.fields.add("last_agent_reply_at")
        if customer is not None and locked.status in Ticket.REOPENED_BY_CUSTOMER_REPLY:
            target = TicketStatus.OPEN
        elif desk:
            if locked.first_response_at is None:
                locked.first_response_at = change.now
                change.fields.add("first_response_at")
            if target is None and locked.status == TicketStatus.NEW:
                target = TicketStatus.OPEN
    if target:
        change.set_status(target)
    change.save()
    attachments_store(actor=actor, event=message, uploads=uploads)
    search_document_refresh(actor=actor, ticket_ids=[locked.pk])
    if not internal and customer is None:
        # The customer hears the desk's reply by email, committed with the reply (the outbox).
        outbox_reply_enqueue(actor=actor, event=message)
    return message


@transaction.atomic
def ticket_customer_message_add(
    *, actor: AbstractBaseUser | None, ticket: Ticket, customer: Customer, body: str, attachments: Iterable[Any] = ()
) -> TicketEvent:
    """A customer's message that arrived without a session (an email): their words on the ticket.

    The same moves as a customer's reply in the portal: a pending or solved ticket
    reopens, the customer's clock restarts. The caller has decided the message belongs
    here (threading) and that the ticket is not closed.
    """
    uploads = clean_uploads(attachments)
    locked = _lock(ticket)
    if locked.status == TicketStatus.CLOSED:
        raise TransitionNotAllowed(f"{locked.reference} is closed.", field="ticket")
    change = _Change(ticket=locked, actor=actor, now=timezone.now())
    message = TicketEvent(
        ticket=locked,
        kind=TicketEvent.Kind.REPLY,
        actor=actor,
        customer=customer,
        body=clean_body(body),
        created_at=change.now,
    )
    change.rows.append(message)
    change.kinds.append(message.kind)
    locked.last_customer_message_at = change.now
    change.fields.add("last_customer_message_at")
    if locked.status in Ticket.REOPENED_BY_CUSTOMER_REPLY:
        change.set_status(TicketStatus.OPEN)
    change.save()
    attachments_store(actor=actor, event=message, uploads=uploads)
    search_document_refresh(actor=actor, ticket_ids=[locked.pk])
    return message


# --- auto-close ---------------------------------------------------------------------------


def ticket_close_solved(*, actor: AbstractBaseUser | None = None, older_than_days: int | None = None, now=None) -> int:
    """Close tickets solved more than ``older_than_days`` ago; returns how many.

    Works in batches, each its own transaction, so it can run against millions of
    tickets and be interrupted safely (a later run picks up the rest).
    """
    days = settings.HELPDESK_AUTO_CLOSE_DAYS if older_than_days is None else older_than_days
    now = now or timezone.now()
    cutoff = now - timedelta(days=days)
    closed = 0
    if not Ticket(status=TicketStatus.SOLVED).can_transition_to(TicketStatus.CLOSED):
        return 0
    while True:
        with transaction.atomic():
            ids = list(
                Ticket.objects.select_for_update(skip_locked=True)
                .filter(status=TicketStatus.SOLVED, solved_at__lt=cutoff)
                .order_by("solved_at")
                .values_list("pk", flat=True)[:1000]
            )
            if not ids:
                return closed
            Ticket.objects.filter(pk__in=ids, status=TicketStatus.SOLVED).update(
                status=TicketStatus.CLOSED, closed_at=now, updated_at=now, version=F("version") + 1
            )
            TicketEvent.objects.bulk_create(
                [
                    TicketEvent(
                        ticket_id=pk,
                        kind=TicketEvent.Kind.STATUS,
                        actor=actor,
                        old_value=TicketStatus.SOLVED,
                        new_value=TicketStatus.CLOSED,
                        body=f"Closed automatically {days} days after it was solved.",
                        created_at=now,
                    )
                    for pk in ids
                ]
            )
            events.broadcast_tickets_changed(
                tickets=list(Ticket.objects.filter(pk__in=ids).only("id", "number", "status", "version")),
                actor=actor,
                changes=["status"],
            )
            closed += len(ids)
