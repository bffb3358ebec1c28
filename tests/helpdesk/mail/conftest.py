from __future__ import annotations

from pathlib import Path

import pytest

SAMPLES = Path(__file__).parent / "samples"


@pytest.fixture
def sample():
    """A real MIME sample as bytes, with its thread placeholders filled in."""

    def load(name: str, *, ref: str = "HD-1001", in_reply_to: str = "", references: str = "") -> bytes:
        text = (SAMPLES / name).read_bytes()
        for marker, value in (("@@REF@@", ref), ("@@IN_REPLY_TO@@", in_reply_to), ("@@REFERENCES@@", references)):
            text = text.replace(marker.encode(), value.encode())
        return text.replace(b"\r\n", b"\n").replace(b"\n", b"\r\n")

    return load
