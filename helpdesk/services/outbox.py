"""The outbox: emails written beside what causes them, delivered by a worker.

``outbox_*_enqueue`` run inside the caller's transaction, so a reply and its email
commit together or not at all. ``outbox_deliver_due`` is the worker's step: it claims
its batch of due rows in one compare-and-set statement marked with a token of its own
(several workers never take the same row, on PostgreSQL or SQLite), sends each
through Django's email backend and records the outcome. A temporary failure
(connection refused, a 4xx answer) leaves the row pending with a later
``next_attempt_at`` (30 s, then 2, 10, 30 minutes, then hourly); a permanent refusal
(5xx for every recipient) fails it at once. The admin shows every row's state and
last error and can retry it.

Delivery is at least once in one case only: a worker that dies after the server took
the message and before the row is marked sent (its lease lapses and the row is sent
again). Everything else is exactly once.
"""

from __future__ import annotations

import logging
import secrets
import smtplib
from dataclasses import dataclass
from datetime import timedelta
from email.utils import formataddr, make_msgid

from django.conf import settings
from django.contrib.auth.models import AbstractBaseUser
from django.core import mail
from django.db import transaction
from django.db.models import Q
from django.utils import timezone

from helpdesk import links, permissions
from helpdesk.attachments.models import Attachment
from helpdesk.errors import ActionForbidden, NotFound
from helpdesk.mail import templates
from helpdesk.mail.models import InboundEmail, MailTemplate, OutboundEmail
from helpdesk.models import Ticket, TicketEvent
from helpdesk.participants.models import TicketCC
from helpdesk.services.audit import audit_record

log = logging.getLogger("helpdesk.mail.outbox")

# Seconds before attempt n+1 after n failures; the last step repeats.
BACKOFF_SECONDS = (30, 120, 600, 1800, 3600)
# How many earlier Message-IDs of a ticket go into References (the first and the latest).
REFERENCES_KEPT = 20


def new_message_id(*, ticket: Ticket | None = None) -> str:
    """A fresh, unguessable Message-ID without angle brackets."""
    idstring = ticket.reference if ticket is not None else None
    return make_msgid(idstring=idstring, domain=settings.HELPDESK_MESSAGE_ID_DOMAIN).strip("<>")


def backoff(attempts: int) -> timedelta:
    return timedelta(seconds=BACKOFF_SECONDS[min(attempts, len(BACKOFF_SECONDS)) - 1])


def _from_header(display: str) -> str:
    address = settings.DEFAULT_FROM_EMAIL
    return formataddr((display, address)) if display else address


def mail_template(key: str) -> tuple[str, str]:
    """The (subject, body) in force for ``key``: a support manager's, else the built-in one."""
    row = MailTemplate.objects.filter(key=key).only("subject", "body").first()
    if row is not None:
        return row.subject, row.body
    default = templates.DEFAULTS[key]
    return default.subject, default.body


def render_mail(key: str, values: dict[str, str]) -> templates.Rendered:
    subject, body = mail_template(key)
    try:
        return templates.render(subject=subject, body=body, values=values)
    except Exception:  # an edited template that breaks at render time must not block replies
        log.exception("mail template %s failed to render; using the built-in one", key)
        default = templates.DEFAULTS[key]
        return templates.render(subject=default.subject, body=default.body, values=values)


@dataclass(frozen=True)
class Thread:
    in_reply_to: str
    references: str


def ticket_thread(ticket: Ticket) -> Thread:
    """The headers that put a new email in the ticket's thread in the customer's mail client.

    In-Reply-To: the customer's latest email, else the desk's latest. References: the
    ticket's emails in order, the first and the latest ``REFERENCES_KEPT``.
    """
    sent = OutboundEmail.objects.filter(ticket=ticket).values_list("created_at", "message_id")
    received = InboundEmail.objects.filter(ticket=ticket, event__isnull=False).values_list("received_at", "message_id")
    ids = [message_id for _, message_id in sorted([*sent, *received])]
    if not ids:
        return Thread(in_reply_to="", references="")
    latest_received = received.order_by("-received_at").first()
    in_reply_to = latest_received[1] if latest_received else ids[-1]
    kept = ids if len(ids) <= REFERENCES_KEPT else [ids[0], *ids[-(REFERENCES_KEPT - 1) :]]
    return Thread(in_reply_to=in_reply_to, references=" ".join(f"<{i}>" for i in kept))


def _person_name(user: AbstractBaseUser | None) -> str:
    if user is None:
        return settings.HELPDESK_NAME
    return user.get_full_name() or user.get_username()


def ticket_values(ticket: Ticket) -> dict[str, str]:
    requester = ticket.requester
    return {
        "ticket.reference": ticket.reference,
        "ticket.subject": ticket.subject,
        "ticket.url": links.portal_ticket_url(ticket.reference),
        "ticket.desk_url": links.desk_ticket_url(ticket.reference),
        "ticket.status": ticket.get_status_display(),
        "customer.name": requester.name,
        "customer.email": requester.email,
        "desk.name": settings.HELPDESK_NAME,
    }


def _enqueue(
    *,
    kind: str,
    ticket: Ticket | None,
    event: TicketEvent | None,
    to: list[str],
    cc: list[str],
    rendered: templates.Rendered,
    from_display: str,
    thread: Thread | None = None,
    attachment_ids: list[int] | None = None,
) -> OutboundEmail:
    now = timezone.now()
    return OutboundEmail.objects.create(
        kind=kind,
        ticket=ticket,
        event=event,
        from_email=_from_header(from_display),
        reply_to=settings.HELPDESK_INBOUND_EMAIL,
        to=to,
        cc=cc,
        subject=rendered.subject,
        body_text=rendered.text,
        body_html=rendered.html,
        message_id=new_message_id(ticket=ticket),
        in_reply_to=thread.in_reply_to if thread else "",
        references=thread.references if thread else "",
        attachment_ids=attachment_ids or [],
        next_attempt_at=now,
        created_at=now,
    )


def _email_attachments(event: TicketEvent) -> tuple[list[int], list[str]]:
    """(ids of the reply's files that go with its email, names of those over the email's size budget)."""
    budget = settings.HELPDESK_EMAIL_ATTACHMENTS_MAX_BYTES
    attached: list[int] = []
    too_large: list[str] = []
    for pk, filename, size in Attachment.objects.filter(event=event, internal=False).values_list("pk", "filename", "size"):
        if size <= budget:
            attached.append(pk)
            budget -= size
        else:
            too_large.append(filename)
    return attached, too_large


def reply_recipients(ticket: Ticket) -> tuple[list[str], list[str]]:
    """(To, Cc) of a public reply: the requester, and whoever is copied on the ticket."""
    to = [ticket.requester.email] if ticket.requester.email else []
    requester = ticket.requester.email.lower()
    cc = [email for email in TicketCC.objects.filter(ticket=ticket).values_list("email", flat=True) if email != requester]
    return to, cc


def outbox_reply_enqueue(*, actor: AbstractBaseUser | None, event: TicketEvent) -> OutboundEmail | None:
    """Email a public reply by the desk to the requester (and the ticket's CCs); None when nobody has an address.

    Call inside the transaction that stores the reply.
    """
    ticket = event.ticket
    to, cc = reply_recipients(ticket)
    if not to:
        return None
    name = _person_name(actor)
    attached, too_large = _email_attachments(event)
    body = event.body
    if too_large:
        body += "\n\nToo large to attach to this email, on the ticket's page: " + ", ".join(too_large)
    values = {**ticket_values(ticket), "message.body": body, "agent.name": name}
    return _enqueue(
        kind=OutboundEmail.Kind.REPLY,
        ticket=ticket,
        event=event,
        to=to,
        cc=cc,
        rendered=render_mail("reply", values),
        from_display=f"{name} via {settings.HELPDESK_NAME}" if actor is not None else settings.HELPDESK_NAME,
        thread=ticket_thread(ticket),
        attachment_ids=attached,
    )


def outbox_acknowledgement_enqueue(*, ticket: Ticket) -> OutboundEmail | None:
    """Tell the sender of a new request by email that it arrived (its reference, the portal link)."""
    if not ticket.requester.email:
        return None
    return _enqueue(
        kind=OutboundEmail.Kind.ACKNOWLEDGEMENT,
        ticket=ticket,
        event=None,
        to=[ticket.requester.email],
        cc=[],
        rendered=render_mail("acknowledgement", ticket_values(ticket)),
        from_display=settings.HELPDESK_NAME,
        thread=ticket_thread(ticket),
    )


def outbox_message_enqueue(
    *, kind: str, key: str, values: dict[str, str], to: list[str], ticket: Ticket | None = None
) -> OutboundEmail:
    """Any other templated email (invitations, agent notifications)."""
    return _enqueue(
        kind=kind,
        ticket=ticket,
        event=None,
        to=to,
        cc=[],
        rendered=render_mail(key, values),
        from_display=settings.HELPDESK_NAME,
    )


# --- the worker -------------------------------------------------------------------------------


def _due(now) -> Q:
    return Q(status=OutboundEmail.Status.PENDING, next_attempt_at__lte=now) | Q(
        status=OutboundEmail.Status.SENDING, lease_until__lte=now
    )


def _claim_batch(pks: list[int], now) -> list[OutboundEmail]:
    """Take the due rows among ``pks`` for this worker in one statement; those another worker holds are skipped.

    The claim is a compare-and-set (only rows still due are updated), marked with a token
    of this worker's own, so the rows read back are exactly the ones it took.
    """
    token = secrets.token_hex(16)
    lease = now + timedelta(seconds=settings.HELPDESK_OUTBOX_LEASE_SECONDS)
    OutboundEmail.objects.filter(_due(now), pk__in=pks).update(
        status=OutboundEmail.Status.SENDING, lease_until=lease, claim=token
    )
    return list(OutboundEmail.objects.filter(claim=token).select_related("ticket").order_by("next_attempt_at", "id"))


def as_email_message(row: OutboundEmail, connection) -> mail.EmailMultiAlternatives:
    headers = {"Message-ID": f"<{row.message_id}>"}
    if row.kind != OutboundEmail.Kind.REPLY:
        # A person's reply is a person's; the rest is machine-made, and out-of-office
        # responders must not answer it (RFC 3834, and Exchange's own header).
        headers["Auto-Submitted"] = "auto-generated"
        headers["X-Auto-Response-Suppress"] = "All"
    if row.in_reply_to:
        headers["In-Reply-To"] = f"<{row.in_reply_to}>"
    if row.references:
        headers["References"] = row.references
    if row.ticket is not None:
        headers["X-Helpdesk-Ticket"] = row.ticket.reference
    message = mail.EmailMultiAlternatives(
        subject=row.subject,
        body=row.body_text,
        from_email=row.from_email,
        to=row.to,
        cc=row.cc,
        reply_to=[row.reply_to] if row.reply_to else None,
        headers=headers,
        connection=connection,
    )
    if row.body_html:
        message.attach_alternative(row.body_html, "text/html")
    files = Attachment.objects.filter(pk__in=row.attachment_ids, ticket_id=row.ticket_id) if row.attachment_ids else ()
    for attachment in files:
        with attachment.file.open("rb") as handle:
            message.attach(attachment.filename, handle.read(), attachment.content_type)
    return message


def _is_permanent(error: Exception) -> bool:
    if isinstance(error, smtplib.SMTPRecipientsRefused):
        codes = [code for code, _ in error.recipients.values()]
        return bool(codes) and all(code >= 500 for code in codes)
    if isinstance(error, smtplib.SMTPResponseException):
        return error.smtp_code >= 500 and not isinstance(error, smtplib.SMTPServerDisconnected)
    return False


def describe_error(error: Exception) -> str:
    """What went wrong, as the admin and the desk show it ("550 5.1.1 No such user")."""
    if isinstance(error, smtplib.SMTPRecipientsRefused):
        return "; ".join(
            f"{address}: {code} {reply.decode('utf-8', 'replace') if isinstance(reply, bytes) else reply}"
            for address, (code, reply) in error.recipients.items()
        )
    if isinstance(error, smtplib.SMTPResponseException):
        reply = error.smtp_error.decode("utf-8", "replace") if isinstance(error.smtp_error, bytes) else error.smtp_error
        return f"{error.smtp_code} {reply}"
    return f"{type(error).__name__}: {error}"


@dataclass
class DeliveryReport:
    sent: int = 0
    retried: int = 0
    failed: int = 0

    @property
    def handled(self) -> int:
        return self.sent + self.retried + self.failed


def outbox_deliver_due(*, actor: AbstractBaseUser | None = None, limit: int = 100, now=None) -> DeliveryReport:
    """Send up to ``limit`` due messages over one connection; returns what happened."""
    report = DeliveryReport()
    now = now or timezone.now()
    candidates = list(
        OutboundEmail.objects.filter(_due(now)).order_by("next_attempt_at", "id").values_list("pk", flat=True)[:limit]
    )
    if not candidates:
        return report
    claimed = _claim_batch(candidates, now)
    connection = mail.get_connection()
    try:
        for row in claimed:
            _deliver_one(row, connection, report)
    finally:
        try:
            connection.close()
        except Exception:  # closing a broken connection must not hide what was recorded
            log.debug("closing the mail connection failed", exc_info=True)
    return report


def _deliver_one(row: OutboundEmail, connection, report: DeliveryReport) -> None:
    attempts = row.attempts + 1
    try:
        as_email_message(row, connection).send()
    except Exception as error:  # any failure is recorded on the row; the worker goes on
        now = timezone.now()
        permanent = _is_permanent(error) or attempts >= settings.HELPDESK_OUTBOX_MAX_ATTEMPTS
        row.status = OutboundEmail.Status.FAILED if permanent else OutboundEmail.Status.PENDING
        row.next_attempt_at = now + backoff(attempts)
        row.last_error = describe_error(error)[:2000]
        log.warning("email %s to %s: attempt %s failed: %s", row.message_id, row.to, attempts, row.last_error)
        if permanent:
            report.failed += 1
        else:
            report.retried += 1
        try:
            connection.close()  # the next message starts on a fresh connection
        except Exception:
            log.debug("closing the failed connection failed", exc_info=True)
        row.attempts = attempts
        row.lease_until = None
        row.save(update_fields=["status", "next_attempt_at", "last_error", "attempts", "lease_until"])
        return
    row.status = OutboundEmail.Status.SENT
    row.sent_at = timezone.now()
    row.attempts = attempts
    row.lease_until = None
    row.save(update_fields=["status", "sent_at", "attempts", "lease_until"])
    report.sent += 1


@transaction.atomic
def outbox_discard_pending(*, actor: AbstractBaseUser | None, created_since, reason: str) -> int:
    """Never send the messages still waiting that were queued since ``created_since`` (demo history).

    They stay in the outbox as failed with ``reason``, so the admin shows what was not
    sent and why; "send again" still works on each. Returns how many.
    """
    if actor is not None and not permissions.can_manage_outbox(actor):
        raise ActionForbidden("You may not discard emails.")
    return OutboundEmail.objects.filter(status=OutboundEmail.Status.PENDING, created_at__gte=created_since).update(
        status=OutboundEmail.Status.FAILED, last_error=reason[:1000], lease_until=None
    )


@transaction.atomic
def outbox_retry(*, actor: AbstractBaseUser | None, message: OutboundEmail) -> OutboundEmail:
    """Put a failed (or waiting) message back at the head of the queue."""
    if actor is not None and not permissions.can_manage_outbox(actor):
        raise ActionForbidden("You may not retry emails.")
    row = OutboundEmail.objects.select_for_update().filter(pk=message.pk).first()
    if row is None:
        raise NotFound("No such email.")
    if row.status in (OutboundEmail.Status.PENDING, OutboundEmail.Status.FAILED):
        old = row.status
        row.status = OutboundEmail.Status.PENDING
        row.next_attempt_at = timezone.now()
        row.save(update_fields=["status", "next_attempt_at"])
        audit_record(
            actor=actor,
            action="outbound_email.retried",
            obj=row,
            object_label=f"{row.subject} to {', '.join(row.to)}"[:255],
            changes={"status": [old, row.status]},
        )
    return row
