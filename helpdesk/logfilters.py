"""Logging filters named in settings.LOGGING."""

from __future__ import annotations

import logging


class SkipStatus(logging.Filter):
    """Drop ``django.request`` records about responses of one status (the release gate's expected 423)."""

    def __init__(self, status: int) -> None:
        super().__init__()
        self.status = status

    def filter(self, record: logging.LogRecord) -> bool:
        return getattr(record, "status_code", None) != self.status
