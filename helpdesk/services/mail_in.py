"""Email in: one service for every way mail arrives (a pipe, IMAP, a provider's webhook).

``mail_receive`` stores each message once (by Message-ID), decides whether a person
sent it, finds its ticket and adds it there or opens a new one, all in one
transaction, and keeps the original beside what it made of it. Machines' mail
(auto-replies, bounces, bulk) is kept and ignored, never answered.

Threading, in order: a Message-ID the message answers (In-Reply-To, References) that
the desk sent or received on a ticket; else the ``[HD-1042]`` reference in the subject,
when the sender is that ticket's requester; else a new ticket (channel ``email``).
"""

from __future__ import annotations

import logging
import re
from dataclasses import dataclass
from datetime import timedelta
from email.parser import BytesHeaderParser

from django.conf import settings
from django.contrib.auth.models import AbstractBaseUser
from django.db import IntegrityError, transaction
from django.utils import timezone

from helpdesk.errors import DomainError
from helpdesk.mail import parse
from helpdesk.mail.models import InboundEmail, OutboundEmail
from helpdesk.models import Customer, Ticket, TicketChannel, TicketStatus, parse_reference
from helpdesk.participants.models import TicketCC
from helpdesk.services.attachments import Upload, upload_from_bytes
from helpdesk.services.directory import customer_create
from helpdesk.services.outbox import outbox_acknowledgement_enqueue
from helpdesk.services.participants import ticket_ccs_from_email
from helpdesk.services.tickets import SUBJECT_MAX_LENGTH, ticket_create, ticket_customer_message_add

log = logging.getLogger("helpdesk.mail.in")

Outcome = InboundEmail.Outcome
_SHORTENED = "\n\n[The message was shortened here; the whole email is kept as its original.]"
_NO_TEXT = "(The email had no text.)"


@dataclass(frozen=True)
class Received:
    email: InboundEmail
    duplicate: bool = False


def _subject_reference(subject: str) -> int | None:
    prefix = re.escape(settings.HELPDESK_REFERENCE_PREFIX)
    found = re.search(rf"\[({prefix}-\d{{1,12}})\]", subject, flags=re.IGNORECASE)
    return parse_reference(found.group(1).upper()) if found else None


def _own_addresses() -> set[str]:
    return {settings.DEFAULT_FROM_EMAIL.lower(), settings.HELPDESK_INBOUND_EMAIL.lower()}


def _uploads(parsed: parse.ParsedMail) -> tuple[list[Upload], list[str]]:
    """The email's files the desk keeps, and a line for each one it could not (the original keeps all)."""
    kept: list[Upload] = []
    left: list[str] = []
    for item in parsed.attachments:
        if not item.data:
            continue
        if len(item.data) > settings.HELPDESK_ATTACHMENT_MAX_BYTES:
            left.append(f"{item.filename} (larger than {settings.HELPDESK_ATTACHMENT_MAX_BYTES // (1024 * 1024)} MB)")
        elif len(kept) >= settings.HELPDESK_ATTACHMENTS_PER_MESSAGE:
            left.append(f"{item.filename} (more than {settings.HELPDESK_ATTACHMENTS_PER_MESSAGE} files)")
        else:
            kept.append(
                upload_from_bytes(
                    filename=item.filename,
                    data=item.data,
                    content_type=item.content_type,
                    inline=item.inline,
                    content_id=item.content_id,
                )
            )
    return kept, left


def _body(parsed: parse.ParsedMail, left_out: list[str]) -> str:
    text = parsed.reply_text or parsed.text
    if left_out:
        text = (text.rstrip() + "\n\n" if text.strip() else "") + (
            "[Not attached here, kept in the original email: " + "; ".join(left_out) + "]"
        )
    if not text.strip():
        return _NO_TEXT
    limit = settings.HELPDESK_MAX_BODY_BYTES - len(_SHORTENED.encode())
    encoded = text.encode("utf-8")
    if len(encoded) > limit:
        text = encoded[:limit].decode("utf-8", "ignore") + _SHORTENED
    return text


def _record(raw: bytes, *, source: str, outcome: str, reason: str, parsed: parse.ParsedMail | None = None, **extra):
    return InboundEmail.objects.create(
        message_id=parsed.message_id if parsed else extra.pop("message_id"),
        source=source[:20],
        from_email=(parsed.from_email if parsed else extra.pop("from_email", ""))[:320],
        from_name=parsed.from_name if parsed else "",
        subject=(parsed.subject if parsed else extra.pop("subject", ""))[:300],
        in_reply_to=" ".join(parsed.in_reply_to)[:255] if parsed else "",
        references=" ".join(parsed.references)[:10_000] if parsed else "",
        raw=raw,
        size=len(raw),
        outcome=outcome,
        reason=reason[:255],
        received_at=timezone.now(),
        **extra,
    )


def _too_large(raw: bytes, *, source: str) -> InboundEmail:
    """Keep the headers of a refused message (who, what), not its bulk."""
    head = raw[:64 * 1024]
    headers = BytesHeaderParser().parsebytes(head)
    ids = parse.message_ids(str(headers.get("Message-ID", "")))
    message_id = ids[0] if ids else f"too-large-{timezone.now().timestamp()}@no-message-id"
    sender = parse.clean_line(str(headers.get("From", "")), 320)
    log.warning("refused an email of %s bytes from %s (limit %s)", len(raw), sender, settings.HELPDESK_MAIL_MAX_BYTES)
    existing = InboundEmail.objects.filter(message_id=message_id).first()
    if existing:
        return existing
    return _record(
        head.partition(b"\r\n\r\n")[0] or head.partition(b"\n\n")[0],
        source=source,
        outcome=Outcome.REFUSED,
        reason=f"larger than {settings.HELPDESK_MAIL_MAX_BYTES // (1024 * 1024)} MB ({len(raw)} bytes)",
        message_id=message_id,
        from_email=sender,
        subject=parse.clean_line(str(headers.get("Subject", "")), 300),
    )


def _followed(ticket: Ticket | None) -> Ticket | None:
    """Where a reply to ``ticket`` belongs: the ticket it was merged into, if so; None when it was removed."""
    for _ in range(10):  # merges chain (A into B, B into C); a cycle is impossible but never loops forever
        if ticket is None or ticket.removed:
            return None
        if ticket.merged_into_id is None:
            return ticket
        ticket = Ticket.objects.select_related("requester").filter(pk=ticket.merged_into_id).first()
    return ticket


def _thread_ticket(parsed: parse.ParsedMail) -> Ticket | None:
    return _followed(_referenced_ticket(parsed))


def _referenced_ticket(parsed: parse.ParsedMail) -> Ticket | None:
    ids = parsed.thread_ids
    if ids:
        for model in (OutboundEmail, InboundEmail):
            found = (
                model.objects.filter(message_id__in=ids, ticket__isnull=False)
                .select_related("ticket", "ticket__requester")
                .order_by("-id")
                .first()
            )
            if found is not None:
                return found.ticket
    number = _subject_reference(parsed.subject)
    if number is not None:
        # A reference alone is guessable: only the ticket's requester and CCs may reply by it.
        ticket = Ticket.objects.filter(number=number).select_related("requester").first()
        if ticket is not None and (
            ticket.requester.email.lower() == parsed.from_email
            or TicketCC.objects.filter(ticket=ticket, email__iexact=parsed.from_email).exists()
        ):
            return ticket
    return None


def _sender_customer(parsed: parse.ParsedMail) -> Customer:
    existing = Customer.objects.filter(email__iexact=parsed.from_email).first()
    if existing is not None:
        return existing
    try:
        with transaction.atomic():
            return customer_create(actor=None, name=parsed.from_name or parsed.from_email, email=parsed.from_email)
    except (DomainError, IntegrityError):  # created by a delivery running beside this one
        return Customer.objects.get(email__iexact=parsed.from_email)


def _over_sender_limit(sender: str) -> bool:
    since = timezone.now() - timedelta(seconds=settings.HELPDESK_MAIL_SENDER_WINDOW_SECONDS)
    recent = InboundEmail.objects.filter(from_email=sender, received_at__gte=since).exclude(
        outcome=Outcome.REFUSED
    )
    return recent.count() >= settings.HELPDESK_MAIL_SENDER_LIMIT


def mail_receive(*, actor: AbstractBaseUser | None = None, raw: bytes, source: str) -> Received:
    """Take in one RFC 5322 message (bytes as received). Never raises for bad mail: the outcome says."""
    if len(raw) > settings.HELPDESK_MAIL_MAX_BYTES:
        with transaction.atomic():
            return Received(_too_large(raw, source=source))
    try:
        parsed = parse.parse(raw)
    except parse.MalformedMail as error:
        log.warning("refused a malformed email from %s: %s", source, error)
        with transaction.atomic():
            return Received(
                _record(
                    raw,
                    source=source,
                    outcome=Outcome.REFUSED,
                    reason=str(error),
                    message_id=f"malformed-{timezone.now().timestamp()}@no-message-id",
                )
            )
    existing = InboundEmail.objects.filter(message_id=parsed.message_id).first()
    if existing is not None:
        return Received(existing, duplicate=True)
    try:
        with transaction.atomic():
            return Received(_store(raw, parsed, source=source, actor=actor))
    except IntegrityError:
        # The same message delivered twice at once: the other delivery stored it.
        existing = InboundEmail.objects.filter(message_id=parsed.message_id).first()
        if existing is None:
            raise
        return Received(existing, duplicate=True)


def _store(raw: bytes, parsed: parse.ParsedMail, *, source: str, actor) -> InboundEmail:
    def ignored(reason: str) -> InboundEmail:
        log.info("ignored an email from %s: %s", parsed.from_email, reason)
        return _record(raw, source=source, outcome=Outcome.IGNORED, reason=reason, parsed=parsed)

    if parsed.from_email in _own_addresses():
        return ignored("sent from the desk's own address (a mail loop)")
    if parsed.automatic:
        return ignored(f"sent automatically ({parsed.automatic})")
    if _over_sender_limit(parsed.from_email):
        return ignored(
            f"more than {settings.HELPDESK_MAIL_SENDER_LIMIT} emails from this sender in "
            f"{settings.HELPDESK_MAIL_SENDER_WINDOW_SECONDS // 60} minutes"
        )
    sender = Customer.objects.filter(email__iexact=parsed.from_email).first()
    if sender is not None and sender.blocked_at is not None:
        return ignored("the sender is blocked (a ticket of theirs was marked as spam)")
    ticket = _thread_ticket(parsed)
    sender = sender or _sender_customer(parsed)
    uploads, left_out = _uploads(parsed)
    body = _body(parsed, left_out)
    if ticket is not None and ticket.status != TicketStatus.CLOSED:
        event = ticket_customer_message_add(
            actor=actor, ticket=ticket, customer=sender, body=body, attachments=uploads
        )
        if sender.pk == ticket.requester_id:
            ticket_ccs_from_email(ticket=ticket, addresses=parsed.cc, own=_own_addresses() | {parsed.from_email})
        return _record(raw, source=source, outcome=Outcome.REPLY, reason="", parsed=parsed, ticket=ticket, event=event)
    subject = parsed.subject or "(no subject)"
    if ticket is not None:  # a reply to a closed ticket opens a follow-up, as the portal would
        subject = f"Follow-up to {ticket.reference}: {subject}"
    ticket = ticket_create(
        actor=actor,
        requester=sender,
        subject=subject[:SUBJECT_MAX_LENGTH],
        body=body,
        channel=TicketChannel.EMAIL,
        attachments=uploads,
    )
    event = ticket.events.filter(kind="reply").order_by("id").first()
    # Whoever the customer copied hears the desk's answers too.
    ticket_ccs_from_email(ticket=ticket, addresses=parsed.cc, own=_own_addresses() | {parsed.from_email})
    inbound = _record(raw, source=source, outcome=Outcome.NEW_TICKET, reason="", parsed=parsed, ticket=ticket, event=event)
    outbox_acknowledgement_enqueue(ticket=ticket)
    return inbound
