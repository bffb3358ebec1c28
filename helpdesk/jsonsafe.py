"""JSON from strangers: parsed only when it is shallow and every string is text.

Two kinds of valid-looking JSON broke the API and the websockets (a 500, a
consumer killed with 1011):

- nesting: Python's parser recurses once per level, so a body of ten thousand
  ``[`` raises ``RecursionError`` (not the ``ValueError`` callers catch); nothing we
  accept nests beyond a few levels, so anything deeper than :data:`MAX_DEPTH` is
  refused;
- lone surrogates: ``"\\ud800"`` decodes to a Python string that cannot be encoded
  as UTF-8, so the first error message quoting it (``"\\ud800" is not a valid
  choice``) cannot be sent. A string holding one is refused; a proper pair
  (``"\\ud83d\\ude00"``, an emoji) is one character and is fine.

The API's parser (``helpdesk.api.content``) and every consumer share this.
"""

from __future__ import annotations

import json
import re
from collections.abc import Callable
from typing import Any

# Containers inside containers; the deepest body the API takes nests three levels.
MAX_DEPTH = 32

# A \u escape in the surrogate range, high (D800-DBFF) or low (DC00-DFFF).
_SURROGATE_ESCAPE = re.compile(r"\\u[dD][89a-fA-F][0-9a-fA-F]{2}")


class UnsafeJSON(ValueError):
    """Not JSON we accept; the message says why, for the client."""


def loads(text: str | bytes, *, parse_constant: Callable[[str], Any] | None = None) -> Any:
    if isinstance(text, (bytes, bytearray)):
        try:
            text = bytes(text).decode("utf-8")
        except UnicodeDecodeError as error:
            raise UnsafeJSON(f"the body is not UTF-8 (byte {error.start} is invalid)") from None
    try:
        value = json.loads(text, parse_constant=parse_constant)
    except RecursionError:
        raise UnsafeJSON(f"nested deeper than {MAX_DEPTH} levels") from None
    except ValueError as error:  # JSONDecodeError, and parse_constant's refusals
        raise UnsafeJSON(str(error)) from None
    # Cheap tests first: most bodies have few brackets and no surrogate escapes, and
    # then need no walk at all.
    deep = text.count("[") + text.count("{") > MAX_DEPTH
    surrogates = _SURROGATE_ESCAPE.search(text) is not None or _has_surrogate(text)
    if deep or surrogates:
        _walk(value, check_depth=deep, check_text=surrogates)
    return value


def _has_surrogate(text: str) -> bool:
    # A str handed over by Python code (not decoded from bytes) may hold one raw.
    try:
        text.encode("utf-8")
    except UnicodeEncodeError:
        return True
    return False


def _refuse_text(text: str) -> None:
    try:
        text.encode("utf-8")
    except UnicodeEncodeError as error:
        code = ord(text[error.start])
        raise UnsafeJSON(
            f"a string holds a lone surrogate (\\u{code:04x}), which is not a character; "
            "send text as UTF-8 (or escape characters beyond U+FFFF as a surrogate pair)"
        ) from None


def _walk(value: Any, *, check_depth: bool, check_text: bool) -> None:
    stack: list[tuple[Any, int]] = [(value, 0)]
    while stack:
        item, depth = stack.pop()
        if isinstance(item, (dict, list)):
            depth += 1
            if check_depth and depth > MAX_DEPTH:
                raise UnsafeJSON(f"nested deeper than {MAX_DEPTH} levels")
            if isinstance(item, dict):
                for key, child in item.items():
                    if check_text:
                        _refuse_text(key)
                    stack.append((child, depth))
            else:
                stack.extend((child, depth) for child in item)
        elif check_text and isinstance(item, str):
            _refuse_text(item)
