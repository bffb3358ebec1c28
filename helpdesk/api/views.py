"""API views: parse the request's shape, call selectors and services, shape the answer.

No rules live here. Domain errors raised below become 400/403/404/409 answers in
``helpdesk.api.errors.exception_handler``.
"""

from __future__ import annotations

from typing import Any

from django.contrib.auth import authenticate
from django.db import transaction
from django.http import FileResponse
from django.urls import reverse
from django.utils import timezone
from drf_spectacular.types import OpenApiTypes
from drf_spectacular.utils import OpenApiExample, OpenApiParameter, OpenApiResponse, extend_schema
from rest_framework import status as http
from rest_framework.exceptions import APIException
from rest_framework.parsers import FormParser, MultiPartParser
from rest_framework.permissions import AllowAny
from rest_framework.request import Request
from rest_framework.response import Response
from rest_framework.views import APIView

from helpdesk import permissions, ratelimit, selectors, selectors_files, services
from helpdesk.api import serializers as s
from helpdesk.api.content import SafeJSONParser
from helpdesk.apikit import PAGING, ApiView, PageQuerySerializer, expected_version, next_url, valid
from helpdesk.errors import ActionForbidden, InvalidInput
from helpdesk.models import Ticket, TicketChannel, TicketStatus

# Shared with the other apps' APIs (helpdesk/apikit.py).
_valid, _next_url, _expected_version = valid, next_url, expected_version


def _ticket_response(request: Request, ticket: Ticket, *, status: int = http.HTTP_200_OK) -> Response:
    headers = {"ETag": s.ticket_etag(ticket)}
    if status == http.HTTP_201_CREATED:
        headers["Location"] = request.build_absolute_uri(reverse("api:ticket-detail", args=[ticket.reference]))
    return Response(s.TicketSerializer(ticket, context={"request": request}).data, status=status, headers=headers)


def _resolve_references(user, data: dict[str, Any]) -> dict[str, Any]:
    """Turn the names a client sends (username, team id, feature key) into the objects services take."""
    resolved = dict(data)
    if "assignee" in data:
        name = data["assignee"]
        resolved["assignee"] = None if name in (None, "") else selectors.assignable_user_by_username(user=user, username=name)
    if "team" in data:
        resolved["team"] = None if data["team"] is None else selectors.team_by_id(user=user, team_id=data["team"])
    if "feature" in data:
        key = data["feature"]
        resolved["feature"] = None if key in (None, "") else selectors.feature_by_key(user=user, key=key)
    return resolved


# --- documentation pieces -------------------------------------------------------------------

BAD_REQUEST = OpenApiResponse(
    OpenApiTypes.OBJECT,
    description=(
        "Invalid input. An object naming each offending field with its messages, "
        '`{"status": ["A closed ticket cannot become open; allowed: none (the ticket is closed)."]}`, '
        'or `{"detail": "..."}` when no single field is at fault.'
    ),
)
UNAUTHENTICATED = OpenApiResponse(s.ErrorSerializer, description="No or invalid credentials (`WWW-Authenticate: Token`).")
FORBIDDEN = OpenApiResponse(
    s.ErrorSerializer, description="The caller may see the ticket but not do this; `field` names what was refused."
)
NOT_FOUND = OpenApiResponse(
    s.ErrorSerializer, description="No such ticket, or not one the caller may see (the two answer alike)."
)
STALE = OpenApiResponse(
    s.StaleTicketSerializer,
    description="The ticket changed since the version sent (If-Match or `version`); nothing was changed.",
)
REFERENCE = OpenApiParameter(
    "reference", OpenApiTypes.STR, OpenApiParameter.PATH, description="Ticket reference, e.g. `HD-1042`."
)
ETAG_HEADER = OpenApiParameter(
    "ETag",
    OpenApiTypes.STR,
    OpenApiParameter.HEADER,
    response=[200, 201],
    description='Strong ETag: the ticket\'s `version` in double quotes, e.g. `"7"`. Send it back as If-Match.',
)
SEVERAL = "Repeat or comma-separate for several."
TICKET_FILTERS = [
    OpenApiParameter(
        "view",
        OpenApiTypes.STR,
        enum=list(selectors.VIEWS),
        default="all",
        description=(
            "A saved view of the inbox. `mine`, `features` and `unassigned` are the desk's (400 for customers). "
            "Ignored with `q`: a search covers every ticket you may see."
        ),
    ),
    OpenApiParameter("status", OpenApiTypes.STR, enum=TicketStatus.values, many=True, description=SEVERAL),
    OpenApiParameter("priority", OpenApiTypes.STR, enum=s.PRIORITY_NAMES, many=True, description=SEVERAL),
    OpenApiParameter(
        "assignee", OpenApiTypes.STR, description="A username, `me` or `none` (unassigned). Desk only (400 otherwise)."
    ),
    OpenApiParameter("team", OpenApiTypes.INT, description="Team id. Desk only (400 otherwise)."),
    OpenApiParameter("tag", OpenApiTypes.STR, description="Tag name. Desk only (400 otherwise)."),
    OpenApiParameter("feature", OpenApiTypes.STR, description="Feature key, e.g. `billing.invoices`. Desk only (400 otherwise)."),
    OpenApiParameter("requester", OpenApiTypes.INT, description="Customer id (`requester.id` of a ticket)."),
    OpenApiParameter(
        "q",
        OpenApiTypes.STR,
        description=(
            "Search every ticket you may see (the view is ignored): words in the subject or messages, a reference "
            "with or without its prefix (`HD-1042`, `1042`), a requester's email; for the desk also a requester's "
            "or organization's name, and on PostgreSQL words with small misspellings."
        ),
    ),
    OpenApiParameter("sort", OpenApiTypes.STR, enum=list(selectors.SORTS), default=selectors.DEFAULT_SORT),
]


# --- auth ---------------------------------------------------------------------------------------


class TooManyAttempts(APIException):
    status_code = http.HTTP_429_TOO_MANY_REQUESTS
    default_code = "throttled"

    def __init__(self, *, wait: int) -> None:
        # DRF's handler turns ``wait`` into the Retry-After header.
        self.wait = wait
        super().__init__(
            "Too many failed sign-in attempts for this account or address. "
            f"Try again in {ratelimit.duration_text(wait)}, or reset your password from the sign-in page."
        )


class TokenView(APIView):
    """Exchange a username and password for a new API token."""

    # No session: a script needs no cookie and no CSRF token to get a token.
    authentication_classes: list = []
    permission_classes = [AllowAny]
    # JSON, or a form as `curl -d` / `curl -F` sends it.
    parser_classes = [SafeJSONParser, FormParser, MultiPartParser]

    @extend_schema(
        operation_id="auth_token_create",
        tags=["auth"],
        auth=[],
        request=s.TokenCredentialsSerializer,
        responses={
            201: s.TokenSerializer,
            400: BAD_REQUEST,
            429: OpenApiResponse(
                s.ErrorSerializer,
                description="Too many failed attempts for this username or address; `Retry-After` says when to retry.",
            ),
        },
        description=(
            "Creates a new token on every call (it used to return the same one) and answers with its key, "
            "which is shown only here. Tokens expire after 90 days by default (`expires`) and end early when "
            "revoked or when the account's password changes. Failed attempts are counted like the sign-in "
            "page's: per username and client address, per address, and per username."
        ),
    )
    def post(self, request: Request) -> Response:
        data = _valid(s.TokenCredentialsSerializer, request.data)
        # Scripts carry no known-device cookie: every count applies.
        attempt = ratelimit.SignInAttempt(username=data["username"], client_ip=ratelimit.client_ip(request))
        wait = attempt.retry_after()
        if wait:
            raise TooManyAttempts(wait=wait)
        user = authenticate(request._request, username=data["username"], password=data["password"])
        if user is None:
            attempt.failed()
            raise InvalidInput("Unable to sign in with that username and password.")
        attempt.succeeded()
        now = timezone.now()
        name = data.get("name") or f"API sign-in {timezone.localtime(now):%Y-%m-%d %H:%M}"
        token, key = services.api_token_create(actor=user, name=name, now=now)
        body = dict(s.ApiTokenSerializer(token, context={"now": now}).data, token=key)
        return Response(body, status=http.HTTP_201_CREATED)


class TokenListView(ApiView):
    @extend_schema(
        operation_id="auth_tokens_list",
        tags=["auth"],
        responses={200: s.ApiTokenListSerializer, 401: UNAUTHENTICATED},
        description=(
            "Your own tokens, newest first: every live one, and those that ended in the last 30 days with why. "
            "Keys are never shown again."
        ),
    )
    def get(self, request: Request) -> Response:
        now = timezone.now()
        tokens = selectors.api_tokens_of(user=request.user, now=now)
        return Response({"results": s.ApiTokenSerializer(tokens, many=True, context={"now": now}).data, "next": None})


class TokenDetailView(ApiView):
    @extend_schema(
        operation_id="auth_tokens_destroy",
        tags=["auth"],
        parameters=[OpenApiParameter("token_id", OpenApiTypes.INT, OpenApiParameter.PATH)],
        responses={204: None, 401: UNAUTHENTICATED, 404: NOT_FOUND},
        description=(
            "Revoke one of your tokens (the one making the request too, as a sign-out). Someone else's token "
            "answers 404. Revoking a token that already ended changes nothing."
        ),
    )
    def delete(self, request: Request, token_id: int) -> Response:
        token = selectors.api_token_of(user=request.user, token_id=token_id)
        services.api_token_revoke(actor=request.user, token=token)
        return Response(status=http.HTTP_204_NO_CONTENT)


# --- tickets ------------------------------------------------------------------------------------


class TicketListView(ApiView):
    @extend_schema(
        operation_id="tickets_list",
        tags=["tickets"],
        parameters=TICKET_FILTERS + PAGING,
        responses={200: s.TicketPageSerializer, 400: BAD_REQUEST, 401: UNAUTHENTICATED},
        description=(
            "The tickets the caller may see (customers: their own), newest change first by default. "
            "Keyset-paginated: follow `next` until it is null; there is no total count."
        ),
    )
    def get(self, request: Request) -> Response:
        paging = _valid(PageQuerySerializer, request.query_params)
        filters = selectors.parse_filters(request.query_params, default_view="all", viewer=request.user)
        page = selectors.ticket_list(
            user=request.user,
            filters=filters,
            cursor=paging["cursor"],
            page_size=paging["page_size"],
            with_requester_logins=True,
        )
        results = s.TicketSerializer(page.items, many=True, context={"request": request}).data
        return Response({"results": results, "next": _next_url(request, page)})

    @extend_schema(
        operation_id="tickets_create",
        tags=["tickets"],
        request=s.TicketCreateSerializer,
        parameters=[ETAG_HEADER],
        responses={
            201: s.TicketSerializer,
            400: BAD_REQUEST,
            401: UNAUTHENTICATED,
            403: FORBIDDEN,
            429: OpenApiResponse(
                s.ErrorSerializer,
                description=(
                    "A customer opened too many tickets in a short time (10 per 10 minutes by default); "
                    "`Retry-After` says when to try again. Tickets the desk opens are never limited."
                ),
            ),
        },
        description=(
            "Open a ticket. Desk users name the customer in `requester` (username or email) and may route it "
            "(`team`, `assignee`, `tags`, `feature`) and set `priority`; a customer opens one for themselves, "
            "sends none of the routing fields, and any `priority` they send is ignored (the desk sets it)."
        ),
        examples=[
            OpenApiExample(
                "Agent logging a call",
                request_only=True,
                value={
                    "subject": "Invoice PDF is empty",
                    "body": "Called at 10:05 ...",
                    "requester": "casey@acme.test",
                    "priority": "high",
                    "channel": "phone",
                    "tags": ["billing"],
                },
            )
        ],
    )
    def post(self, request: Request) -> Response:
        data = _valid(s.TicketCreateSerializer, request.data)
        # What the client sent, not the serializer's defaults: a customer who names no channel is not setting one.
        sent = [name for name, value in data.items() if value not in (None, "", [])]
        refused = permissions.forbidden_create_fields(request.user, sent)
        if refused:
            raise ActionForbidden(f"Only the desk may set {', '.join(refused)} when opening a ticket.", field=refused[0])
        data = _resolve_references(request.user, data)
        requester = data.pop("requester", None)
        requester_name = data.pop("requester_name", "")
        with transaction.atomic():  # a ticket refused leaves no new customer behind
            ticket = self._create(request, data, _requester(request.user, requester, requester_name))
        ticket = selectors.ticket_get(user=request.user, reference=ticket.reference)
        return _ticket_response(request, ticket, status=http.HTTP_201_CREATED)

    @staticmethod
    def _create(request: Request, data: dict, requester):
        return services.ticket_create(
            actor=request.user,
            requester=requester,
            subject=data["subject"],
            body=data["body"],
            priority=data["priority"],
            channel=data.get("channel") or TicketChannel.API,
            team=data.get("team"),
            assignee=data.get("assignee"),
            tags=data.get("tags") or (),
            feature=data.get("feature"),
        )


def _requester(user, identifier: str | None, name: str):
    """The customer ``identifier`` names; an email nobody has yet adds that customer."""
    if not identifier:
        return None
    try:
        return selectors.customer_lookup(user=user, identifier=identifier)
    except InvalidInput:
        if "@" not in identifier:
            raise
    try:
        return services.customer_create(actor=user, name=name.strip() or identifier.strip(), email=identifier, organization=None)
    except InvalidInput as exc:
        raise InvalidInput(exc.message, field="requester_name" if exc.field == "name" else "requester") from None


class TicketDetailView(ApiView):
    @extend_schema(
        operation_id="tickets_retrieve",
        tags=["tickets"],
        parameters=[REFERENCE, ETAG_HEADER],
        responses={200: s.TicketSerializer, 401: UNAUTHENTICATED, 404: NOT_FOUND},
        description="One ticket by reference (`HD-1042`), with its `version` and `ETag` for a later change.",
    )
    def get(self, request: Request, reference: str) -> Response:
        return _ticket_response(request, selectors.ticket_get(user=request.user, reference=reference))

    @extend_schema(
        operation_id="tickets_partial_update",
        tags=["tickets"],
        request=s.TicketUpdateSerializer,
        parameters=[
            REFERENCE,
            ETAG_HEADER,
            OpenApiParameter(
                "If-Match",
                OpenApiTypes.STR,
                OpenApiParameter.HEADER,
                description=(
                    'The ETag you last saw (`"7"`; a bare `7` and `*` are accepted too); a newer ticket answers 409. '
                    'Compared strongly: a weak validator (`W/"7"`) answers 400. Or send `version` in the body.'
                ),
            ),
        ],
        responses={
            200: s.TicketSerializer,
            400: BAD_REQUEST,
            401: UNAUTHENTICATED,
            403: FORBIDDEN,
            404: NOT_FOUND,
            409: STALE,
        },
        description=(
            "Change any of the fields sent, in one step. With If-Match or `version` the change applies only to "
            "that version; without either it applies to the current state. Sending values the ticket already "
            "has changes nothing and answers 200 with the same version. Customers may only mark their ticket solved."
        ),
    )
    def patch(self, request: Request, reference: str) -> Response:
        ticket = selectors.ticket_get(user=request.user, reference=reference)
        data = _valid(s.TicketUpdateSerializer, request.data)
        expected = _expected_version(request, data.pop("version", None))
        refused = permissions.forbidden_fields(request.user, ticket, data)
        if refused:
            # Asked before names are looked up, so a customer hears "not allowed", not "unknown user".
            raise ActionForbidden(f"You may not change {', '.join(refused)} on this ticket.", field=refused[0])
        services.ticket_update(
            actor=request.user, ticket=ticket, expected_version=expected, **_resolve_references(request.user, data)
        )
        return _ticket_response(request, selectors.ticket_get(user=request.user, reference=reference))

    @extend_schema(
        operation_id="tickets_destroy",
        tags=["tickets"],
        request=None,
        parameters=[REFERENCE],
        responses={
            204: OpenApiResponse(description="Deleted: hidden from everyone, restorable for 30 days."),
            401: UNAUTHENTICATED,
            403: FORBIDDEN,
            404: NOT_FOUND,
        },
        description=(
            "Delete the ticket (support managers). It is hidden from every list and page and can be restored with "
            "`POST …/restore/` for `HELPDESK_REMOVED_RETENTION_DAYS` (30) days; then it is deleted for good."
        ),
    )
    def delete(self, request: Request, reference: str) -> Response:
        ticket = selectors.ticket_get(user=request.user, reference=reference)
        services.ticket_delete(actor=request.user, ticket=ticket)
        return Response(status=http.HTTP_204_NO_CONTENT)


# --- messages -------------------------------------------------------------------------------------


class TicketMessagesView(ApiView):
    @extend_schema(
        operation_id="ticket_messages_list",
        tags=["messages"],
        parameters=[REFERENCE] + PAGING,
        responses={200: s.MessagePageSerializer, 400: BAD_REQUEST, 401: UNAUTHENTICATED, 404: NOT_FOUND},
        description=("Public replies, and for the desk internal notes, oldest first. Keyset-paginated like the ticket list."),
    )
    def get(self, request: Request, reference: str) -> Response:
        ticket = selectors.ticket_get(user=request.user, reference=reference)
        paging = _valid(PageQuerySerializer, request.query_params)
        page = selectors.ticket_messages_page(
            user=request.user, ticket=ticket, cursor=paging["cursor"], page_size=paging["page_size"]
        )
        results = s.MessageSerializer(page.items, many=True, context={"request": request}).data
        return Response({"results": results, "next": _next_url(request, page)})

    parser_classes = [SafeJSONParser, MultiPartParser]

    @extend_schema(
        operation_id="ticket_messages_create",
        tags=["messages"],
        request={"application/json": s.MessageCreateSerializer, "multipart/form-data": s.MessageCreateSerializer},
        parameters=[REFERENCE],
        responses={201: s.MessageSerializer, 400: BAD_REQUEST, 401: UNAUTHENTICATED, 403: FORBIDDEN, 404: NOT_FOUND},
        description=(
            "Reply publicly or, on the desk, add an internal note (`internal: true`). The ticket's status follows "
            "as on the web (a customer's reply reopens a pending or solved ticket; the desk's first reply opens a "
            "new one), and desk users may set `status` with the message. The ticket's version changes."
        ),
    )
    def post(self, request: Request, reference: str) -> Response:
        ticket = selectors.ticket_get(user=request.user, reference=reference)
        data = _valid(s.MessageCreateSerializer, request.data)
        message = services.ticket_message_post(
            actor=request.user,
            ticket=ticket,
            body=data["body"],
            internal=data["internal"],
            status=data.get("status"),
            attachments=data.get("attachments") or [],
        )
        return Response(s.MessageSerializer(message, context={"request": request}).data, status=http.HTTP_201_CREATED)


class AttachmentContentView(ApiView):
    @extend_schema(
        operation_id="attachment_content",
        tags=["messages"],
        responses={(200, "application/octet-stream"): OpenApiTypes.BINARY, 401: UNAUTHENTICATED, 404: NOT_FOUND},
        description=(
            "A message's file, as stored. Anyone who may read the message may fetch it; anything else is 404, exactly "
            "as a missing file."
        ),
    )
    def get(self, request: Request, attachment_id: int):
        attachment = selectors_files.attachment_get(user=request.user, attachment_id=attachment_id)
        response = FileResponse(
            attachment.file.open("rb"),
            as_attachment=True,
            filename=attachment.filename,
            content_type=attachment.content_type,
        )
        response["X-Content-Type-Options"] = "nosniff"
        return response
