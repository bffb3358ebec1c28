"""Live chat API views: parse, call selectors and services, shape the answer.

Domain errors become 400/403/404/409/429 answers in the project's exception handler
(``helpdesk.api.errors``), as for tickets (docs/api.md).
"""

from __future__ import annotations

from drf_spectacular.types import OpenApiTypes
from drf_spectacular.utils import OpenApiParameter, OpenApiResponse, extend_schema
from rest_framework import serializers as drf
from rest_framework import status as http
from rest_framework.request import Request
from rest_framework.response import Response

from helpdesk.apikit import PAGING, ApiView, PageQuerySerializer, next_url, valid
from helpdesk.errors import ActionForbidden
from livelisten import events, permissions, selectors, services
from livelisten.api import serializers as s

TAG = ["live sessions"]


class ChatError(drf.Serializer):
    detail = drf.CharField()


BAD_REQUEST = OpenApiResponse(OpenApiTypes.OBJECT, description='The offending field: `{"agent": ["…"]}`.')
FORBIDDEN = OpenApiResponse(ChatError, description="Not for the caller's role; nothing was changed.")
NOT_FOUND = OpenApiResponse(ChatError, description="No such session, or not one the caller may see.")
CONFLICT = OpenApiResponse(
    OpenApiTypes.OBJECT, description='Someone changed the session first: `{"detail", "current": <session>}`.'
)
SESSION_ID = OpenApiParameter("session_id", OpenApiTypes.INT, OpenApiParameter.PATH, description="The session's id.")


def shaped(user, session) -> dict:
    """The session object; a customer never hears who listens."""
    body = selectors.session_object(session)
    if permissions.role_in(user, session) == "customer":
        hide_from_customer(body)
    return body


def hide_from_customer(body: dict) -> None:
    """Who listens, and the count of every line (whispers included), are not the customer's business."""
    body["listeners"], body["offered_to"], body["last_seq"] = [], None, None


class SessionListView(ApiView):
    @extend_schema(
        tags=TAG,
        summary="List chat sessions",
        operation_id="sessions_list",
        parameters=[OpenApiParameter("status", OpenApiTypes.STR, enum=["waiting", "active", "ended"])] + PAGING,
        responses={200: s.SessionListOutput, 400: BAD_REQUEST},
        description=(
            "Newest first. Customers see their own; agents and listeners see all. "
            "Keyset-paginated: follow `next` until it is null."
        ),
    )
    def get(self, request: Request) -> Response:
        paging = valid(PageQuerySerializer, request.query_params)
        page = selectors.sessions_page(
            user=request.user,
            status=request.query_params.get("status") or None,
            cursor=paging["cursor"],
            page_size=paging["page_size"],
        )
        objects = selectors.session_objects(page.items)
        if not (permissions.can_serve_chats(request.user) or permissions.can_listen(request.user)):
            for body in objects:
                hide_from_customer(body)
        return Response({"results": objects, "next": next_url(request, page)})

    @extend_schema(
        tags=TAG,
        summary="Start a chat (customers)",
        request=s.SessionStartInput,
        responses={201: s.SessionOutput, 400: BAD_REQUEST, 403: FORBIDDEN, 429: BAD_REQUEST},
        description="Opens a ticket with channel `chat` (or continues `ticket`, one of yours) and the first message.",
    )
    def post(self, request: Request) -> Response:
        data = valid(s.SessionStartInput, request.data)
        session = services.session_start(
            actor=request.user, subject=data["subject"], body=data["body"], ticket_reference=data.get("ticket")
        )
        return Response(shaped(request.user, session), status=http.HTTP_201_CREATED)


class SessionDetailView(ApiView):
    @extend_schema(
        tags=TAG,
        summary="One chat session",
        operation_id="sessions_retrieve",
        parameters=[SESSION_ID],
        responses={200: s.SessionOutput, 404: NOT_FOUND},
    )
    def get(self, request: Request, session_id: str) -> Response:
        session = selectors.session_get(user=request.user, session_id=session_id)
        return Response(shaped(request.user, session))


class SessionAcceptView(ApiView):
    @extend_schema(
        tags=TAG,
        summary="Accept a waiting chat (agents)",
        parameters=[SESSION_ID],
        request=s.VersionInput,
        responses={200: s.SessionOutput, 403: FORBIDDEN, 404: NOT_FOUND, 409: CONFLICT},
        description="409 when another agent accepted it first (or it ended); `current` is the session now.",
    )
    def post(self, request: Request, session_id: str) -> Response:
        session = selectors.session_get(user=request.user, session_id=session_id)
        data = valid(s.VersionInput, request.data)
        session = services.session_accept(actor=request.user, session_id=session.pk, version=data.get("version"))
        return Response(shaped(request.user, session))


class SessionTransferView(ApiView):
    @extend_schema(
        tags=TAG,
        summary="Transfer an active chat to another agent",
        parameters=[SESSION_ID],
        request=s.TransferInput,
        responses={200: s.SessionOutput, 400: BAD_REQUEST, 403: FORBIDDEN, 404: NOT_FOUND, 409: CONFLICT},
    )
    def post(self, request: Request, session_id: str) -> Response:
        session = selectors.session_get(user=request.user, session_id=session_id)
        data = valid(s.TransferInput, request.data)
        session = services.session_transfer(
            actor=request.user, session_id=session.pk, agent_username=data["agent"], version=data.get("version")
        )
        return Response(shaped(request.user, session))


class SessionEndView(ApiView):
    @extend_schema(
        tags=TAG,
        summary="End a chat",
        parameters=[SESSION_ID],
        request=None,
        responses={200: s.SessionOutput, 403: FORBIDDEN, 404: NOT_FOUND},
        description="The customer, the agent or a support manager. The transcript goes on the ticket. Again: 200, no change.",
    )
    def post(self, request: Request, session_id: str) -> Response:
        session = selectors.session_get(user=request.user, session_id=session_id)
        session = services.session_end(actor=request.user, session_id=session.pk)
        return Response(shaped(request.user, session))


class SessionMessagesView(ApiView):
    @extend_schema(
        tags=TAG,
        summary="The caller's transcript of a chat",
        parameters=[SESSION_ID] + PAGING,
        responses={200: s.MessageListOutput, 400: BAD_REQUEST, 404: NOT_FOUND},
        description=(
            "In order; the customer's has no whispers. Each item is the socket's `message` frame. "
            "Keyset-paginated: follow `next` until it is null."
        ),
    )
    def get(self, request: Request, session_id: str) -> Response:
        paging = valid(PageQuerySerializer, request.query_params)
        page = selectors.transcript_page(
            user=request.user, session_id=session_id, cursor=paging["cursor"], page_size=paging["page_size"]
        )
        return Response({"results": [events.message_frame(row) for row in page.items], "next": next_url(request, page)})


class SocketTicketView(ApiView):
    @extend_schema(
        tags=TAG,
        summary="A single-use ticket for a chat socket (scripts)",
        parameters=[SESSION_ID],
        request=None,
        responses={201: s.SocketTicketOutput, 404: NOT_FOUND},
        description=(
            "`?ticket=<it>` on `/ws/sessions/{id}/`, `/listen/` or `/ws/live/` stands for the session cookie, once, for 30 s."
        ),
    )
    def post(self, request: Request, session_id: str) -> Response:
        key = services.socket_ticket_issue(actor=request.user, session_id=session_id)
        return Response({"ticket": key}, status=http.HTTP_201_CREATED)


class TranscriptEmailView(ApiView):
    @extend_schema(
        tags=TAG,
        summary="Email me the transcript (the chat's customer)",
        parameters=[SESSION_ID],
        request=None,
        responses={201: s.TranscriptEmailOutput, 400: BAD_REQUEST, 403: FORBIDDEN, 404: NOT_FOUND},
        description="Queues an email of the customer's transcript (no whispers) to the chat's customer: 201, `to` the address.",
    )
    def post(self, request: Request, session_id: str) -> Response:
        email = services.session_transcript_email(actor=request.user, session_id=session_id)
        return Response({"queued": True, "to": list(email.to)}, status=http.HTTP_201_CREATED)


class SessionCoachingView(ApiView):
    @extend_schema(
        tags=TAG,
        summary="Mark a message for coaching (listeners)",
        parameters=[SESSION_ID],
        request=s.CoachingInput,
        responses={201: s.CoachingOutput, 400: BAD_REQUEST, 404: NOT_FOUND},
    )
    def post(self, request: Request, session_id: str) -> Response:
        session = selectors.session_get(user=request.user, session_id=session_id)
        data = valid(s.CoachingInput, request.data)
        mark = services.coaching_mark_add(actor=request.user, session_id=session.pk, seq=data["seq"], comment=data["comment"])
        return Response(s.coaching_object(mark), status=http.HTTP_201_CREATED)


class CoachingListView(ApiView):
    @extend_schema(
        tags=TAG,
        summary="Coaching marks",
        parameters=PAGING,
        responses={200: s.CoachingListOutput, 400: BAD_REQUEST},
        description=(
            "Newest first. Support managers: every mark. Agents: the marks on their own ended chats. "
            "Keyset-paginated: follow `next` until it is null."
        ),
    )
    def get(self, request: Request) -> Response:
        paging = valid(PageQuerySerializer, request.query_params)
        page = selectors.coaching_marks_page(user=request.user, cursor=paging["cursor"], page_size=paging["page_size"])
        return Response({"results": [s.coaching_object(mark) for mark in page.items], "next": next_url(request, page)})


class ChatSettingsView(ApiView):
    @extend_schema(tags=TAG, summary="My chat settings (agents)", responses={200: s.ChatSettingsOutput, 403: FORBIDDEN})
    def get(self, request: Request) -> Response:
        if not permissions.can_serve_chats(request.user):
            raise ActionForbidden("You do not answer chats.")
        row = selectors.agent_settings(user=request.user)
        return Response({"available": row.available, "show_listeners": row.show_listeners})

    @extend_schema(
        tags=TAG,
        summary="Change my chat settings (agents)",
        request=s.ChatSettingsInput,
        responses={200: s.ChatSettingsOutput, 400: BAD_REQUEST, 403: FORBIDDEN},
    )
    def patch(self, request: Request) -> Response:
        data = valid(s.ChatSettingsInput, request.data)
        row = services.agent_chat_settings_save(
            actor=request.user, available=data.get("available"), show_listeners=data.get("show_listeners")
        )
        return Response({"available": row.available, "show_listeners": row.show_listeners})
