"""Translate domain errors into API answers.

Shapes (DRF's own where it has one):
- 400: ``{"<field>": ["message", ...]}``, or ``{"detail": "message"}`` when no field is at fault;
- 401/403/404/405/415/429: ``{"detail": "message"}``; a 403 about one field adds ``"field"``; a 429
  carries ``Retry-After``;
- 409: ``{"detail": "message", "current": <the ticket (or escalation) as GET returns it>}`` with its ``ETag``.
"""

from __future__ import annotations

from rest_framework.response import Response
from rest_framework.views import exception_handler as drf_exception_handler

from helpdesk import extensions
from helpdesk.errors import DomainError, RateLimited, StaleVersion


def exception_handler(exc, context):
    if isinstance(exc, StaleVersion):
        from helpdesk.api.serializers import TicketSerializer, ticket_etag

        render = extensions.stale_renderer(exc.current)
        if render is not None:  # another app's object (an escalation)
            current, etag = render(exc.current, context)
        else:
            current, etag = TicketSerializer(exc.current, context=context).data, ticket_etag(exc.current)
        return Response({"detail": exc.message, "current": current}, status=exc.http_status, headers={"ETag": etag})
    if isinstance(exc, DomainError):
        if exc.http_status == 400:
            body = exc.as_dict()
        else:
            body = {"detail": exc.message}
            if exc.field:
                body["field"] = exc.field
        headers = {"Retry-After": str(exc.retry_after)} if isinstance(exc, RateLimited) else None
        return Response(body, status=exc.http_status, headers=headers)
    return drf_exception_handler(exc, context)
