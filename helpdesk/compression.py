"""Gzip for the desk's HTML pages.

The inbox and ticket pages are 36-64 KB of HTML (a whole long timeline 510 KB) and
compress to a tenth of that. Only ``text/html`` is compressed here:

- Static files are compressed once by WhiteNoise (``CompressedManifestStaticFilesStorage``)
  and served with their own ``Content-Encoding``, which the middleware leaves alone.
- JSON of the REST API stays identity-encoded: Django's middleware turns a strong
  ``ETag`` into a weak one (RFC 9110: a strong validator names one encoding), and
  the API's ``If-Match`` compares strongly (docs/api.md), so a compressed answer
  would hand every gzip-accepting client (``requests`` is one) an ETag it could not
  send back.

Why compressing HTML is safe against BREACH here: the secrets such an attack reads
out of a compressed body (by reflecting guesses beside them, request after request)
are not stable in these pages. Django masks the CSRF token afresh in every response,
the session id travels in a cookie (headers are not compressed), and an API token's
key appears once, in the answer to a CSRF-protected POST that a third party cannot
make the victim repeat. Django (4.2+) also adds 0-100 random bytes to every gzip
header, so lengths vary between identical responses.
"""

from __future__ import annotations

import gzip
import secrets

from django.middleware.gzip import GZipMiddleware, re_accepts_gzip
from django.utils.cache import patch_vary_headers

# zlib's level 2 compresses the 500 KB of a whole long timeline in ~2 ms to 37 KB; Django's
# level 6 takes ~9 ms for 29 KB. On two cores the CPU is the scarce part, not the bytes.
COMPRESS_LEVEL = 2


def compress_html(content: bytes, *, max_random_bytes: int) -> bytes:
    """Gzip with a file name of 0 to ``max_random_bytes - 1`` random bytes, as Django's ``compress_string`` does.

    The name hides the exact length of the compressed body ("Heal the Breach"); only the
    compression level differs from Django's.
    """
    data = memoryview(gzip.compress(content, compresslevel=COMPRESS_LEVEL, mtime=0))
    header = bytearray(data[:10])
    header[3] = gzip.FNAME
    return bytes(header) + b"a" * secrets.randbelow(max_random_bytes) + b"\x00" + data[10:]


class HtmlGZipMiddleware(GZipMiddleware):
    """Django's ``GZipMiddleware`` (its rules, its length padding), for whole HTML responses only."""

    def process_response(self, request, response):
        if response.streaming or not response.get("Content-Type", "").startswith("text/html"):
            return response
        if len(response.content) < 200 or response.has_header("Content-Encoding"):
            return response
        patch_vary_headers(response, ("Accept-Encoding",))
        if not re_accepts_gzip.search(request.META.get("HTTP_ACCEPT_ENCODING", "")):
            return response
        compressed = compress_html(response.content, max_random_bytes=self.max_random_bytes)
        if len(compressed) >= len(response.content):
            return response
        response.content = compressed
        response.headers["Content-Length"] = str(len(compressed))
        etag = response.get("ETag")
        if etag and etag.startswith('"'):
            response.headers["ETag"] = "W/" + etag
        response.headers["Content-Encoding"] = "gzip"
        return response
