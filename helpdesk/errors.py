"""Domain errors. Services raise them; the edges translate them (HTTP status, error frames)."""

from __future__ import annotations

from typing import Any


class DomainError(Exception):
    """Base class; ``http_status`` is how the HTTP edge answers it."""

    http_status = 400

    def __init__(self, message: str, *, field: str | None = None) -> None:
        super().__init__(message)
        self.message = message
        self.field = field

    def as_dict(self) -> dict[str, Any]:
        if self.field:
            return {self.field: [self.message]}
        return {"detail": self.message}


class InvalidInput(DomainError):
    """Bad input, named by field."""


class TransitionNotAllowed(DomainError):
    """The requested status does not follow from the current one."""


class ActionForbidden(DomainError):
    """The actor may see the object but not do this to it."""

    http_status = 403


class NotFound(DomainError):
    """Missing, or not visible to the actor: the two look the same."""

    http_status = 404


class StaleVersion(DomainError):
    """The object changed since the actor last saw it; nothing was written."""

    http_status = 409

    def __init__(self, message: str, *, current: Any) -> None:
        super().__init__(message)
        self.current = current


class RateLimited(DomainError):
    """Too many of something in a short time (tickets a customer opens); ``retry_after`` is in seconds."""

    http_status = 429

    def __init__(self, message: str, *, retry_after: int, field: str | None = None) -> None:
        super().__init__(message, field=field)
        self.retry_after = max(1, int(retry_after))
