"""API actions on one ticket beyond its fields: merge, spam, delete and restore.

Shaped like ``views.py``: parse, call the service, answer; domain errors become
400/403/404/409 in ``helpdesk.api.errors``.
"""

from __future__ import annotations

from drf_spectacular.utils import OpenApiResponse, extend_schema
from rest_framework import status as http
from rest_framework.request import Request
from rest_framework.response import Response

from helpdesk import selectors, selectors_removed, services
from helpdesk.api import serializers as s
from helpdesk.api.views import (
    BAD_REQUEST,
    ETAG_HEADER,
    FORBIDDEN,
    NOT_FOUND,
    REFERENCE,
    STALE,
    UNAUTHENTICATED,
    ApiView,
    _expected_version,
    _ticket_response,
    _valid,
)
from helpdesk.errors import InvalidInput, NotFound

REMOVED = OpenApiResponse(description="Done (or it already was): the ticket is hidden from every list and page.")


class TicketMergeView(ApiView):
    @extend_schema(
        operation_id="tickets_merge",
        tags=["tickets"],
        request=s.TicketMergeSerializer,
        parameters=[REFERENCE, ETAG_HEADER],
        responses={
            200: s.TicketSerializer,
            400: BAD_REQUEST,
            401: UNAUTHENTICATED,
            403: FORBIDDEN,
            404: NOT_FOUND,
            409: STALE,
        },
        description=(
            "Merge this ticket into the ticket `into` (desk only). This ticket is closed with `merged_into` set; its "
            "replies and notes, files and emails move to the other ticket's timeline; its requester is told by a "
            "public reply (the `notice`, or a standard text) and, when the other ticket is someone else's, copied on "
            "it. Answers the ticket merged into. Neither ticket may be closed; `into` must be another ticket."
        ),
    )
    def post(self, request: Request, reference: str) -> Response:
        source = selectors.ticket_get(user=request.user, reference=reference)
        data = _valid(s.TicketMergeSerializer, request.data)
        expected = _expected_version(request, data.get("version"))
        try:
            target = selectors.ticket_get(user=request.user, reference=data["into"])
        except NotFound:
            raise InvalidInput(f"There is no ticket {data['into']!r} you can see.", field="into") from None
        notice = data.get("notice")
        merged = services.ticket_merge(
            actor=request.user,
            source=source,
            target=target,
            expected_version=expected,
            notice=notice if notice and notice.strip() else None,
        )
        return _ticket_response(request, selectors.ticket_get(user=request.user, reference=merged.reference))


class TicketSpamView(ApiView):
    @extend_schema(
        operation_id="tickets_mark_spam",
        tags=["tickets"],
        request=None,
        parameters=[REFERENCE],
        responses={204: REMOVED, 401: UNAUTHENTICATED, 403: FORBIDDEN, 404: NOT_FOUND},
        description=(
            "Mark the ticket as spam: it is hidden, its requester is blocked (their email is ignored, the portal "
            "opens no ticket for them) and its unsent emails are dropped. Restorable for "
            "`HELPDESK_REMOVED_RETENTION_DAYS` (30) days with `POST …/restore/`."
        ),
    )
    def post(self, request: Request, reference: str) -> Response:
        request.data  # noqa: B018 - no body is needed, but one we cannot read is a 400 like everywhere else
        ticket = selectors.ticket_get(user=request.user, reference=reference)
        services.ticket_mark_spam(actor=request.user, ticket=ticket)
        return Response(status=http.HTTP_204_NO_CONTENT)


class TicketRestoreView(ApiView):
    @extend_schema(
        operation_id="tickets_restore",
        tags=["tickets"],
        request=None,
        parameters=[REFERENCE, ETAG_HEADER],
        responses={200: s.TicketSerializer, 401: UNAUTHENTICATED, 404: NOT_FOUND},
        description=(
            "Bring back a ticket marked as spam (whoever may mark spam) or deleted (support managers), as it was; "
            "a spam sender is unblocked. Any other ticket, or one the caller could not restore, is 404."
        ),
    )
    def post(self, request: Request, reference: str) -> Response:
        request.data  # noqa: B018 - as for spam: an unreadable body is a 400
        ticket = selectors_removed.removed_ticket_get(user=request.user, reference=reference)
        services.ticket_restore(actor=request.user, ticket=ticket)
        return _ticket_response(request, selectors.ticket_get(user=request.user, reference=reference))

