"""What a file really is, from its bytes; and a thumbnail for images. Pure functions.

The type a sender declares is never trusted: a file is an image only when Pillow reads
it as one of the few formats browsers show safely, and anything else is served as a
download. SVG and HTML are never shown inline (they run scripts).
"""

from __future__ import annotations

import io
from dataclasses import dataclass

from PIL import Image, UnidentifiedImageError

# Images larger than this many pixels are not decoded (a decompression bomb: a small file
# that expands to gigabytes); they are kept as plain files without a thumbnail.
MAX_IMAGE_PIXELS = 40_000_000
THUMBNAIL_SIZE = (320, 240)
INLINE_IMAGE_TYPES = {"PNG": "image/png", "JPEG": "image/jpeg", "GIF": "image/gif", "WEBP": "image/webp"}

_SIGNATURES: list[tuple[bytes, str]] = [
    (b"%PDF-", "application/pdf"),
    (b"PK\x03\x04", "application/zip"),
    (b"\x1f\x8b", "application/gzip"),
    (b"MZ", "application/x-msdownload"),
    (b"\x7fELF", "application/x-executable"),
]
# Text-like types a browser might render or run: always sent as downloads.
_TEXT_TYPES = {"text/plain", "text/csv", "text/calendar", "message/rfc822", "application/json"}


@dataclass(frozen=True)
class Sniffed:
    content_type: str
    width: int | None = None
    height: int | None = None
    thumbnail: bytes | None = None


def _image(data: bytes) -> Sniffed | None:
    Image.MAX_IMAGE_PIXELS = MAX_IMAGE_PIXELS
    try:
        with Image.open(io.BytesIO(data)) as probe:
            kind = probe.format
            probe.verify()  # a truncated or doctored file fails here
        if kind not in INLINE_IMAGE_TYPES:
            return None
        with Image.open(io.BytesIO(data)) as image:
            width, height = image.size
            if width * height > MAX_IMAGE_PIXELS:
                return None
            image.seek(0)
            thumb = image.convert("RGBA") if image.mode not in ("RGB", "RGBA") else image.copy()
            thumb.thumbnail(THUMBNAIL_SIZE)
            out = io.BytesIO()
            thumb.save(out, format="PNG", optimize=True)
        return Sniffed(INLINE_IMAGE_TYPES[kind], width, height, out.getvalue())
    except (UnidentifiedImageError, Image.DecompressionBombError, Image.DecompressionBombWarning, OSError, ValueError,
            SyntaxError, EOFError):  # fmt: skip
        return None


def sniff(data: bytes, *, declared: str = "") -> Sniffed:
    """The file's real type (and, for a safe image, its size and thumbnail)."""
    image = _image(data)
    if image is not None:
        return image
    for signature, content_type in _SIGNATURES:
        if data.startswith(signature):
            return Sniffed(content_type)
    declared = (declared or "").split(";")[0].strip().lower()
    if declared in _TEXT_TYPES:
        return Sniffed(declared)
    return Sniffed("application/octet-stream")
