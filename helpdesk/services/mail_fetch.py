"""Email in by IMAP: read each configured mailbox and file every message through ``mail_receive``.

A message leaves the folder (moved to ``processed_folder``, or marked read) only after
it is stored, so a crash or a database outage never loses mail: the next run reads it
again and the Message-ID check stores it once. Messages are fetched with ``BODY.PEEK``,
so reading alone marks nothing.
"""

from __future__ import annotations

import imaplib
import logging
import os
import ssl
from dataclasses import dataclass, field

from django.contrib.auth.models import AbstractBaseUser
from django.utils import timezone

from helpdesk.mail.models import Mailbox
from helpdesk.services.mail_in import mail_receive

log = logging.getLogger("helpdesk.mail.imap")
TIMEOUT_SECONDS = 30


@dataclass
class FetchReport:
    mailbox: str
    received: int = 0
    duplicates: int = 0
    errors: list[str] = field(default_factory=list)


def _tls_context() -> ssl.SSLContext:
    # HELPDESK_IMAP_CA_FILE: a private CA (a company's own mail server, the tests' dovecot).
    return ssl.create_default_context(cafile=os.environ.get("HELPDESK_IMAP_CA_FILE") or None)


def _connect(mailbox: Mailbox) -> imaplib.IMAP4:
    if mailbox.security == Mailbox.Security.TLS:
        client = imaplib.IMAP4_SSL(mailbox.host, mailbox.port, ssl_context=_tls_context(), timeout=TIMEOUT_SECONDS)
    else:
        client = imaplib.IMAP4(mailbox.host, mailbox.port, timeout=TIMEOUT_SECONDS)
        if mailbox.security == Mailbox.Security.STARTTLS:
            client.starttls(ssl_context=_tls_context())
    client.login(mailbox.username, mailbox.password)
    return client


def _quoted(folder: str) -> str:
    return '"' + folder.replace("\\", "\\\\").replace('"', '\\"') + '"'


def _done(client: imaplib.IMAP4, mailbox: Mailbox, uid: bytes, capabilities: set[str]) -> None:
    if mailbox.processed_folder:
        target = _quoted(mailbox.processed_folder)
        if "MOVE" in capabilities:
            status, _ = client.uid("MOVE", uid, target)
            if status == "OK":
                return
        status, _ = client.uid("COPY", uid, target)
        if status != "OK":
            raise imaplib.IMAP4.error(f"could not copy the message to {mailbox.processed_folder!r}")
        client.uid("STORE", uid, "+FLAGS.SILENT", r"(\Deleted)")
        client.expunge()
    else:
        client.uid("STORE", uid, "+FLAGS.SILENT", r"(\Seen)")


def mailbox_fetch(*, actor: AbstractBaseUser | None = None, mailbox: Mailbox, limit: int = 200) -> FetchReport:
    """Read up to ``limit`` messages of one mailbox; records when it was checked and the last error."""
    report = FetchReport(mailbox=mailbox.name)
    try:
        client = _connect(mailbox)
    except (OSError, imaplib.IMAP4.error, ssl.SSLError) as error:
        report.errors.append(f"could not connect: {type(error).__name__}: {error}")
        _checked(mailbox, report)
        return report
    try:
        capabilities = {str(c).upper() for c in client.capabilities}
        status, _ = client.select(_quoted(mailbox.folder))
        if status != "OK":
            raise imaplib.IMAP4.error(f"no folder {mailbox.folder!r}")
        criteria = "ALL" if mailbox.processed_folder else "UNSEEN"
        status, data = client.uid("SEARCH", None, criteria)
        uids = (data[0] or b"").split()[:limit] if status == "OK" else []
        for uid in uids:
            status, parts = client.uid("FETCH", uid, "(BODY.PEEK[])")
            raw = next((part[1] for part in parts if isinstance(part, tuple) and len(part) > 1), None)
            if status != "OK" or raw is None:
                report.errors.append(f"could not read message {uid.decode()}")
                continue
            received = mail_receive(actor=actor, raw=raw, source=f"imap:{mailbox.name}"[:20])
            if received.duplicate:
                report.duplicates += 1
            else:
                report.received += 1
            _done(client, mailbox, uid, capabilities)
    except (OSError, imaplib.IMAP4.error, ssl.SSLError) as error:
        report.errors.append(f"{type(error).__name__}: {error}")
    finally:
        try:
            client.logout()
        except (OSError, imaplib.IMAP4.error):
            log.debug("IMAP logout failed", exc_info=True)
    _checked(mailbox, report)
    return report


def _checked(mailbox: Mailbox, report: FetchReport) -> None:
    mailbox.last_checked_at = timezone.now()
    mailbox.last_error = "; ".join(report.errors)[:2000]
    # Bookkeeping of the worker, not a configuration change: not audited.
    Mailbox.objects.filter(pk=mailbox.pk).update(last_checked_at=mailbox.last_checked_at, last_error=mailbox.last_error)
    for error in report.errors:
        log.warning("mailbox %s: %s", mailbox.name, error)


def mail_fetch_all(*, actor: AbstractBaseUser | None = None, limit: int = 200) -> list[FetchReport]:
    return [mailbox_fetch(actor=actor, mailbox=m, limit=limit) for m in Mailbox.objects.filter(is_active=True)]



