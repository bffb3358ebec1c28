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

from django.middleware.gzip import GZipMiddleware


class HtmlGZipMiddleware(GZipMiddleware):
    """Django's ``GZipMiddleware``, for whole HTML responses only."""

    def process_response(self, request, response):
        if response.streaming or not response.get("Content-Type", "").startswith("text/html"):
            return response
        return super().process_response(request, response)
