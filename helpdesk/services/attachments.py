"""Files on messages: checked before anything is written, stored through Django's storage API.

``clean_uploads`` runs first in every service that takes files (limits, names), so a
refused file refuses the whole message with an error naming ``attachments`` and
nothing is written. ``attachments_store`` runs last, inside the message's transaction.
Files are written to storage before the transaction commits; a rollback after that
leaves an unreferenced file (never a reference to a missing one): space only.
"""

from __future__ import annotations

import hashlib
import io
import secrets
from collections.abc import Iterable
from dataclasses import dataclass
from typing import IO, Any

from django.conf import settings
from django.contrib.auth.models import AbstractBaseUser
from django.core.files.base import ContentFile, File
from django.utils import timezone

from helpdesk.attachments import sniff
from helpdesk.attachments.models import Attachment
from helpdesk.errors import InvalidInput
from helpdesk.mail.parse import safe_filename
from helpdesk.models import TicketEvent

FIELD = "attachments"
# The first bytes of the image formats Pillow is asked to read; anything else is never decoded.
_IMAGE_HEADS = (b"\x89PNG", b"\xff\xd8\xff", b"GIF87a", b"GIF89a", b"RIFF")


@dataclass
class Upload:
    """One file to attach, from a form, the API or an email."""

    filename: str
    size: int
    declared_type: str
    source: IO[bytes]
    inline: bool = False
    content_id: str = ""


def _megabytes(size: int) -> str:
    return f"{size / (1024 * 1024):.1f} MB".replace(".0 MB", " MB")


def upload_from_bytes(*, filename: str, data: bytes, content_type: str = "", inline: bool = False, content_id: str = ""):
    return Upload(
        filename=filename,
        size=len(data),
        declared_type=content_type,
        source=io.BytesIO(data),
        inline=inline,
        content_id=content_id,
    )


def clean_uploads(files: Iterable[Any] | None) -> list[Upload]:
    """Form and API files (Django ``UploadedFile``) or ``Upload`` objects, checked against the limits."""
    uploads: list[Upload] = []
    for item in files or ():
        if isinstance(item, Upload):
            upload = item
        else:
            upload = Upload(
                filename=getattr(item, "name", "") or "",
                size=int(getattr(item, "size", 0) or 0),
                declared_type=getattr(item, "content_type", "") or "",
                source=item,
            )
        upload.filename = safe_filename(upload.filename, fallback=f"attachment-{len(uploads) + 1}")
        uploads.append(upload)
    limit = settings.HELPDESK_ATTACHMENTS_PER_MESSAGE
    if len(uploads) > limit:
        raise InvalidInput(f"Attach at most {limit} files to one message ({len(uploads)} given).", field=FIELD)
    largest = settings.HELPDESK_ATTACHMENT_MAX_BYTES
    for upload in uploads:
        if upload.size > largest:
            raise InvalidInput(
                f"{upload.filename} is {_megabytes(upload.size)}; files may be at most {_megabytes(largest)}.",
                field=FIELD,
            )
        if upload.size == 0:
            raise InvalidInput(f"{upload.filename} is empty.", field=FIELD)
    return uploads


def _read_head(source: IO[bytes], size: int = 16) -> bytes:
    if hasattr(source, "seek"):
        source.seek(0)
    head = source.read(size)
    source.seek(0)
    return head


def _digest(source: IO[bytes]) -> str:
    digest = hashlib.sha256()
    source.seek(0)
    for chunk in iter(lambda: source.read(1024 * 1024), b""):
        digest.update(chunk)
    source.seek(0)
    return digest.hexdigest()


def attachments_store(
    *, actor: AbstractBaseUser | None, event: TicketEvent, uploads: list[Upload]
) -> list[Attachment]:
    """Write checked uploads to storage and record them on ``event`` (inside its transaction)."""
    stored: list[Attachment] = []
    now = timezone.now()
    for upload in uploads:
        source = upload.source
        head = _read_head(source)
        if head.startswith(_IMAGE_HEADS):
            source.seek(0)
            found = sniff.sniff(source.read(), declared=upload.declared_type)
            source.seek(0)
        else:
            found = sniff.sniff(head, declared=upload.declared_type)
            if found.width is not None:  # never: a 16-byte head is no image
                found = sniff.Sniffed("application/octet-stream")
        attachment = Attachment(
            ticket_id=event.ticket_id,
            event=event,
            internal=event.kind == TicketEvent.Kind.NOTE,
            filename=upload.filename,
            content_type=found.content_type,
            size=upload.size,
            sha256=_digest(source),
            storage_key=secrets.token_hex(16),
            width=found.width,
            height=found.height,
            inline=upload.inline and found.width is not None,
            content_id=upload.content_id[:250],
            uploaded_by=actor if actor is not None and actor.pk is not None else None,
            created_at=now,
        )
        attachment.file.save(attachment.storage_key, File(source), save=False)
        if found.thumbnail:
            attachment.thumbnail.save(attachment.storage_key, ContentFile(found.thumbnail), save=False)
        stored.append(attachment)
    Attachment.objects.bulk_create(stored)
    return stored
