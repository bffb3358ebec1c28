"""The API's JSON parser and renderer: malformed or hostile JSON is a 400, never a 500.

Set as DRF's defaults in settings (``REST_FRAMEWORK``) and named by the API views
themselves, so no endpoint parses JSON another way.
"""

from __future__ import annotations

from rest_framework.exceptions import ParseError
from rest_framework.parsers import JSONParser, get_encoding
from rest_framework.renderers import JSONRenderer
from rest_framework.utils import json as drf_json

from helpdesk import jsonsafe


class SafeJSONParser(JSONParser):
    """DRF's JSON parser with ``helpdesk.jsonsafe``'s limits (nesting depth, lone surrogates)."""

    def parse(self, stream, media_type=None, parser_context=None):
        encoding = get_encoding(parser_context or {})
        raw = stream.read() if stream is not None else b""
        try:
            text = raw.decode(encoding)
        except UnicodeDecodeError:
            raise ParseError(f"JSON parse error - the body is not valid {encoding}.") from None
        try:
            return jsonsafe.loads(text, parse_constant=drf_json.strict_constant if self.strict else None)
        except jsonsafe.UnsafeJSON as error:
            raise ParseError(f"JSON parse error - {error}.") from None


class _AsciiJSONRenderer(JSONRenderer):
    ensure_ascii = True


class SafeJSONRenderer(JSONRenderer):
    """DRF's JSON renderer that never fails on text it cannot encode as UTF-8.

    The parser keeps lone surrogates out of requests; should one still reach an
    answer (from stored data, a header), it is sent escaped (``\\ud800``), which
    JSON allows, instead of the whole answer becoming a 500.
    """

    def render(self, data, accepted_media_type=None, renderer_context=None):
        try:
            return super().render(data, accepted_media_type, renderer_context)
        except UnicodeEncodeError:
            return _AsciiJSONRenderer().render(data, accepted_media_type, renderer_context)
