"""Files on messages: stored through Django's storage API, never at a public URL.

Imported by ``helpdesk.models``. Written by ``helpdesk.services.attachments`` only;
served by a permission-checked view (``helpdesk.views.files``).
"""

from __future__ import annotations

from django.conf import settings
from django.db import models


def _private_name(instance: Attachment, filename: str) -> str:
    # The storage name never carries the uploader's file name: nothing to traverse, nothing to guess.
    return f"attachments/{instance.created_at:%Y/%m}/{instance.storage_key}"


def _thumbnail_name(instance: Attachment, filename: str) -> str:
    return f"thumbnails/{instance.created_at:%Y/%m}/{instance.storage_key}.png"


class Attachment(models.Model):
    ticket = models.ForeignKey("helpdesk.Ticket", on_delete=models.CASCADE, related_name="attachments")
    event = models.ForeignKey("helpdesk.TicketEvent", on_delete=models.CASCADE, related_name="attachments")
    # The timeline entry's visibility, copied: a note's files are the desk's only.
    internal = models.BooleanField(default=False)
    filename = models.CharField(max_length=150)
    # What the bytes are (sniffed), not what the sender said.
    content_type = models.CharField(max_length=100)
    size = models.PositiveBigIntegerField()
    sha256 = models.CharField(max_length=64)
    storage_key = models.CharField(max_length=64, unique=True)
    file = models.FileField(upload_to=_private_name, max_length=200)
    thumbnail = models.FileField(upload_to=_thumbnail_name, max_length=200, blank=True)
    width = models.PositiveIntegerField(null=True, blank=True)
    height = models.PositiveIntegerField(null=True, blank=True)
    # Shown inside the message (an email's inline image) rather than listed under it.
    inline = models.BooleanField(default=False)
    content_id = models.CharField(max_length=250, blank=True)
    uploaded_by = models.ForeignKey(
        settings.AUTH_USER_MODEL, null=True, blank=True, on_delete=models.SET_NULL, related_name="+"
    )
    created_at = models.DateTimeField()

    class Meta:
        ordering = ["event_id", "id"]
        indexes = [models.Index(fields=["event", "id"], name="attachment_event")]

    def __str__(self) -> str:
        return self.filename

    @property
    def is_image(self) -> bool:
        return self.width is not None
