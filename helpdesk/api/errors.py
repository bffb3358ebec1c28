"""Translate domain errors into API answers: 400/403/404/409 with the offending field."""

from __future__ import annotations

from rest_framework.response import Response
from rest_framework.views import exception_handler as drf_exception_handler

from helpdesk.errors import DomainError, StaleVersion


def exception_handler(exc, context):
    if isinstance(exc, DomainError):
        body = exc.as_dict()
        if isinstance(exc, StaleVersion):
            from helpdesk.api.serializers import TicketSerializer

            body = {"detail": exc.message, "current": TicketSerializer(exc.current, context=context).data}
        return Response(body, status=exc.http_status)
    return drf_exception_handler(exc, context)
