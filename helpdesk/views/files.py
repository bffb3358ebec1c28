"""Attachments, streamed after a permission check: never from a public URL, never a page of their own.

Safe image types (sniffed from the bytes when stored) are shown inline; everything
else, SVG and HTML included, is a download. ``nosniff`` and a sandboxing CSP keep a
browser from running what a file contains.
"""

from __future__ import annotations

from django.contrib.auth.decorators import login_required
from django.http import FileResponse, Http404

from helpdesk import selectors_files
from helpdesk.attachments.sniff import INLINE_IMAGE_TYPES
from helpdesk.errors import NotFound

_INLINE = frozenset(INLINE_IMAGE_TYPES.values())


def _stream(handle, *, filename: str, content_type: str, inline: bool) -> FileResponse:
    response = FileResponse(handle, as_attachment=not inline, filename=filename, content_type=content_type)
    response["X-Content-Type-Options"] = "nosniff"
    response["Content-Security-Policy"] = "default-src 'none'; sandbox"
    return response


def _attachment(request, attachment_id: int):
    try:
        return selectors_files.attachment_get(user=request.user, attachment_id=attachment_id)
    except NotFound as error:
        raise Http404(error.message) from error


@login_required
def attachment_download(request, attachment_id: int):
    attachment = _attachment(request, attachment_id)
    inline = attachment.content_type in _INLINE and request.GET.get("download") is None
    return _stream(
        attachment.file.open("rb"), filename=attachment.filename, content_type=attachment.content_type, inline=inline
    )


@login_required
def attachment_thumbnail(request, attachment_id: int):
    attachment = _attachment(request, attachment_id)
    if not attachment.thumbnail:
        raise Http404("This file has no preview.")
    return _stream(attachment.thumbnail.open("rb"), filename="preview.png", content_type="image/png", inline=True)
