"""Escalations API views: parse, call selectors and services, shape the answer.

Domain errors become 400/403/404/409 answers in the project's exception handler
(``helpdesk.api.errors``), exactly as for tickets (docs/api.md).
"""

from __future__ import annotations

from django.urls import reverse
from drf_spectacular.types import OpenApiTypes
from drf_spectacular.utils import OpenApiParameter, OpenApiResponse, extend_schema
from rest_framework import serializers as drf
from rest_framework import status as http
from rest_framework.request import Request
from rest_framework.response import Response

from escalations import permissions, selectors, services
from escalations.api import serializers as s
from escalations.models import Escalation
from helpdesk import selectors as desk_selectors
from helpdesk.apikit import ApiView, expected_version, next_url, valid
from helpdesk.errors import ActionForbidden, InvalidInput, NotFound

TAG = ["escalations"]


class _Error(drf.Serializer):
    detail = drf.CharField()
    field = drf.CharField(required=False)


BAD_REQUEST = OpenApiResponse(
    OpenApiTypes.OBJECT, description='The offending field and its messages: `{"note": ["Write the reason."]}`.'
)
UNAUTHENTICATED = OpenApiResponse(_Error, description="No or invalid credentials (`WWW-Authenticate: Token`).")
FORBIDDEN = OpenApiResponse(_Error, description="Not for the caller's role; nothing was changed.")
NOT_FOUND = OpenApiResponse(_Error, description="No such escalation, feature or ticket, or not one the caller may see.")
ESCALATION = OpenApiParameter("reference", OpenApiTypes.STR, OpenApiParameter.PATH, description="`ESC-12`.")
FEATURE_KEY = OpenApiParameter("key", OpenApiTypes.STR, OpenApiParameter.PATH, description="`billing.invoices`.")
BOARD_FILTERS = [
    OpenApiParameter(
        "status",
        OpenApiTypes.STR,
        description="`unresolved` (default: open, acknowledged, in_progress, needs_info), `all`, or one status.",
    ),
    OpenApiParameter("severity", OpenApiTypes.STR, enum=["blocking", "major", "minor"]),
    OpenApiParameter("product", OpenApiTypes.STR, description="A product's key."),
    OpenApiParameter("feature", OpenApiTypes.STR, description="A feature's key."),
    OpenApiParameter("mine", OpenApiTypes.BOOL, description="Only features the caller owns."),
    OpenApiParameter("q", OpenApiTypes.STR, description="Words of the title, or a reference (`ESC-12`)."),
    OpenApiParameter("cursor", OpenApiTypes.STR, description="From the previous page's `next`."),
    OpenApiParameter("page_size", OpenApiTypes.INT, description="1-100, default 50."),
]


def _desk_only(request: Request) -> None:
    if not permissions.can_view_escalations(request.user):
        raise ActionForbidden("Features and escalations are for the desk.")


def _page_size(request: Request, default: int) -> int:
    raw = request.query_params.get("page_size")
    if raw in (None, ""):
        return default
    try:
        return int(raw)
    except ValueError:
        raise InvalidInput("page_size is a whole number from 1 to 100.", field="page_size") from None


def _ticket(request: Request, reference: str, *, field: str):
    try:
        return desk_selectors.ticket_get(user=request.user, reference=reference)
    except NotFound:
        raise NotFound(f"No ticket {reference}.") from None
    except InvalidInput as exc:
        raise InvalidInput(exc.message, field=field) from None


def _escalation_response(request: Request, escalation: Escalation, *, status: int = http.HTTP_200_OK) -> Response:
    escalation = selectors.escalation_get(user=request.user, reference=escalation.reference)
    tickets = selectors.escalation_ticket_references(user=request.user, escalation=escalation)
    data = s.EscalationDetailSerializer(escalation, context={"request": request, "tickets": tickets}).data
    headers = {"ETag": s.escalation_etag(escalation)}
    if status == http.HTTP_201_CREATED:
        headers["Location"] = request.build_absolute_uri(
            reverse("escalations-api:escalation-detail", args=[escalation.reference])
        )
    return Response(data, status=status, headers=headers)


class FeatureListView(ApiView):
    @extend_schema(
        operation_id="features_list",
        tags=["features"],
        responses={200: s.FeaturePageSerializer, 401: UNAUTHENTICATED, 403: FORBIDDEN},
        description="Every feature with its `blocked` state. Any desk user's token (agents' included).",
    )
    def get(self, request: Request) -> Response:
        _desk_only(request)
        return Response({"results": s.FeatureSerializer(selectors.features_visible_to(request.user), many=True).data})


class FeatureGateView(ApiView):
    @extend_schema(
        operation_id="features_gate",
        tags=["features"],
        parameters=[FEATURE_KEY],
        responses={
            200: OpenApiResponse(s.GateSerializer, description="Not blocked: release."),
            423: OpenApiResponse(s.GateSerializer, description="Blocked: do not release; `escalations` says by what."),
            401: UNAUTHENTICATED,
            403: FORBIDDEN,
            404: NOT_FOUND,
        },
        description=(
            "The release gate. `200` when the feature may ship, `423 Locked` while a blocking escalation against it "
            "is unresolved. Read from the database in the transaction order of the escalation changes, never a cache."
        ),
    )
    def get(self, request: Request, key: str) -> Response:
        _desk_only(request)
        gate = selectors.feature_gate(user=request.user, key=key)
        body = {"feature": gate.feature, "blocked": gate.blocked, "escalations": gate.escalations}
        return Response(body, status=http.HTTP_423_LOCKED if gate.blocked else http.HTTP_200_OK)


class EscalationListView(ApiView):
    @extend_schema(
        operation_id="escalations_list",
        tags=TAG,
        parameters=BOARD_FILTERS,
        responses={200: s.EscalationPageSerializer, 400: BAD_REQUEST, 401: UNAUTHENTICATED, 403: FORBIDDEN},
        description="The triage board: ranked by severity, then impact, then age (docs/escalations.md).",
    )
    def get(self, request: Request) -> Response:
        _desk_only(request)
        filters = selectors.parse_board_filters(request.query_params)
        page = selectors.escalation_board(
            user=request.user,
            filters=filters,
            cursor=request.query_params.get("cursor") or None,
            page_size=_page_size(request, selectors.BOARD_PAGE_SIZE),
            with_texts=True,
        )
        results = s.EscalationSerializer(page.items, many=True, context={"request": request}).data
        return Response({"results": results, "next": next_url(request, page)})

    @extend_schema(
        operation_id="escalations_create",
        tags=TAG,
        request=s.EscalationCreateSerializer,
        responses={201: s.EscalationDetailSerializer, 400: BAD_REQUEST, 401: UNAUTHENTICATED, 403: FORBIDDEN, 404: NOT_FOUND},
        description="Pull the cord: a new escalation against `feature`, linking `tickets`. A blocking one blocks the feature.",
    )
    def post(self, request: Request) -> Response:
        _desk_only(request)
        data = valid(s.EscalationCreateSerializer, request.data)
        try:
            feature = selectors.feature_get(user=request.user, key=data["feature"])
        except NotFound as exc:
            raise InvalidInput(exc.message, field="feature") from None
        tickets = [_ticket(request, reference, field="tickets") for reference in data.get("tickets") or []]
        escalation = services.escalation_raise(
            actor=request.user,
            feature=feature,
            tickets=tickets,
            severity=data["severity"],
            title=data["title"],
            customer_impact=data["description"],
            steps=data.get("steps", ""),
        )
        return _escalation_response(request, escalation, status=http.HTTP_201_CREATED)


class EscalationDetailView(ApiView):
    @extend_schema(
        operation_id="escalations_retrieve",
        tags=TAG,
        parameters=[ESCALATION],
        responses={200: s.EscalationDetailSerializer, 401: UNAUTHENTICATED, 404: NOT_FOUND},
        description="One escalation with its linked `tickets` and `impact`.",
    )
    def get(self, request: Request, reference: str) -> Response:
        return _escalation_response(request, selectors.escalation_get(user=request.user, reference=reference))


class EscalationLinksView(ApiView):
    @extend_schema(
        operation_id="escalations_links_create",
        tags=TAG,
        parameters=[ESCALATION],
        request=s.LinkCreateSerializer,
        responses={
            201: OpenApiResponse(s.EscalationDetailSerializer, description="Linked."),
            200: OpenApiResponse(s.EscalationDetailSerializer, description="Already linked: nothing changed."),
            400: BAD_REQUEST,
            401: UNAUTHENTICATED,
            403: FORBIDDEN,
            404: NOT_FOUND,
        },
        description="Link a ticket whose customers hit the defect. Linking the same ticket again is a no-op (200).",
    )
    def post(self, request: Request, reference: str) -> Response:
        escalation = selectors.escalation_get(user=request.user, reference=reference)
        data = valid(s.LinkCreateSerializer, request.data)
        ticket = _ticket(request, data["ticket"], field="ticket")
        escalation, created = services.escalation_link(actor=request.user, escalation=escalation, ticket=ticket)
        return _escalation_response(request, escalation, status=http.HTTP_201_CREATED if created else http.HTTP_200_OK)


class EscalationTransitionsView(ApiView):
    @extend_schema(
        operation_id="escalations_transitions_create",
        tags=TAG,
        parameters=[ESCALATION],
        request=s.TransitionSerializer,
        responses={
            200: s.EscalationDetailSerializer,
            400: BAD_REQUEST,
            401: UNAUTHENTICATED,
            403: FORBIDDEN,
            404: NOT_FOUND,
            409: OpenApiResponse(OpenApiTypes.OBJECT, description="Changed since `version`/If-Match; `current` shows it."),
        },
        description=(
            "One lifecycle step: `acknowledge`, `start`, `request_info`, `provide_info`, `fix`, `reject`, `reopen`, "
            "`close`. 400 for an action not allowed from the current status, an unknown action or a missing `note`; "
            "403 for the wrong role."
        ),
    )
    def post(self, request: Request, reference: str) -> Response:
        escalation = selectors.escalation_get(user=request.user, reference=reference)
        data = valid(s.TransitionSerializer, request.data)
        escalation = services.escalation_transition(
            actor=request.user,
            escalation=escalation,
            action=data["action"],
            text=data.get("note", ""),
            expected_version=expected_version(request, data.get("version")),
        )
        return _escalation_response(request, escalation)


class EscalationCommentsView(ApiView):
    @extend_schema(
        operation_id="escalations_comments_list",
        tags=TAG,
        parameters=[ESCALATION],
        responses={200: s.CommentSerializer(many=True), 401: UNAUTHENTICATED, 404: NOT_FOUND},
        description="The discussion, oldest first.",
    )
    def get(self, request: Request, reference: str) -> Response:
        escalation = selectors.escalation_get(user=request.user, reference=reference)
        comments = selectors.escalation_comments(user=request.user, escalation=escalation)
        return Response(s.CommentSerializer(comments, many=True).data)

    @extend_schema(
        operation_id="escalations_comments_create",
        tags=TAG,
        parameters=[ESCALATION],
        request=s.CommentCreateSerializer,
        responses={201: s.CommentSerializer, 400: BAD_REQUEST, 401: UNAUTHENTICATED, 403: FORBIDDEN, 404: NOT_FOUND},
        description="Add a comment (agents and product managers).",
    )
    def post(self, request: Request, reference: str) -> Response:
        escalation = selectors.escalation_get(user=request.user, reference=reference)
        data = valid(s.CommentCreateSerializer, request.data)
        comment = services.escalation_comment(actor=request.user, escalation=escalation, body=data["body"])
        return Response(s.CommentSerializer(comment).data, status=http.HTTP_201_CREATED)
