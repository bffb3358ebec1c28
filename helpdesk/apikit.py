"""What every app's API views share: authentication, JSON only, private caching, If-Match, next links.

Lives outside ``helpdesk.api`` so the other apps' APIs (escalations) follow the same
conventions without importing the ticket API (import-linter keeps that direction).
"""

from __future__ import annotations

import re
from typing import Any

from django.conf import settings
from django.utils.cache import patch_cache_control, patch_vary_headers
from drf_spectacular.types import OpenApiTypes
from drf_spectacular.utils import OpenApiParameter
from rest_framework import serializers
from rest_framework.request import Request
from rest_framework.utils.urls import replace_query_param
from rest_framework.views import APIView

from helpdesk.errors import InvalidInput
from helpdesk.keyset import MAX_PAGE_SIZE, Page


class ApiView(APIView):
    """Authentication and parsing are the project's REST_FRAMEWORK defaults (settings.py).

    Token first, then the session: an anonymous request is answered 401 with
    "WWW-Authenticate: Token" rather than a bare 403. JSON only: lists, null and
    booleans have one spelling there (a form's "assignee=" could mean "unassign" or
    "unchanged").
    """

    def finalize_response(self, request, response, *args, **kwargs):
        response = super().finalize_response(request, response, *args, **kwargs)
        # Answers depend on who asks (scoping, allowed_statuses): never from a shared cache.
        patch_vary_headers(response, ("Authorization", "Cookie"))
        patch_cache_control(response, private=True)
        return response


def valid(serializer_class, data, **kwargs) -> dict[str, Any]:
    serializer = serializer_class(data=data, **kwargs)
    serializer.is_valid(raise_exception=True)
    return dict(serializer.validated_data)


class PageQuerySerializer(serializers.Serializer):
    """Paging parameters of every keyset-paginated list; each list reads its own filters."""

    cursor = serializers.CharField(required=False, allow_blank=True)
    page_size = serializers.IntegerField(required=False, min_value=1)

    def validate(self, attrs: dict[str, Any]) -> dict[str, Any]:
        # Larger pages are cut to the maximum rather than refused, as DRF's own paginators do.
        attrs["page_size"] = min(attrs.get("page_size") or settings.HELPDESK_PAGE_SIZE, MAX_PAGE_SIZE)
        attrs["cursor"] = attrs.get("cursor") or None
        return attrs


PAGING = [
    OpenApiParameter("cursor", OpenApiTypes.STR, description="Opaque; follow the `next` link rather than building it."),
    OpenApiParameter(
        "page_size",
        OpenApiTypes.INT,
        description=(
            f"Items per page (default {settings.HELPDESK_PAGE_SIZE}; more than {MAX_PAGE_SIZE} is cut to {MAX_PAGE_SIZE})."
        ),
    ),
]


def next_url(request: Request, page: Page) -> str | None:
    if page.next_cursor is None:
        return None
    return replace_query_param(request.build_absolute_uri(), "cursor", page.next_cursor)


# One strong ETag ("7"), or the bare version a hand-written curl tends to send (7).
IF_MATCH = re.compile(r'\s*(?:"(\d{1,9})"|(\d{1,9}))\s*')


def expected_version(request: Request, body_version: int | None) -> int | None:
    """The version the client based its change on: If-Match or ``version``, or None for "any"."""
    header = request.headers.get("If-Match")
    header_version = None
    if header is not None and header.strip() != "*":
        if header.strip().startswith("W/"):
            # RFC 9110 13.1.1: If-Match compares strongly, so a weak validator never matches.
            # Said plainly rather than answered 412: our ETags are strong, so a weak one is a client mistake.
            raise InvalidInput('If-Match compares strong ETags only; send the ETag without "W/", such as "7".', field="If-Match")
        match = IF_MATCH.fullmatch(header)
        if match is None:
            raise InvalidInput('If-Match must be one ETag of this object, such as "7".', field="If-Match")
        header_version = int(match.group(1) or match.group(2))
    if header_version is not None and body_version is not None and header_version != body_version:
        raise InvalidInput(
            f"If-Match names version {header_version} but the body says {body_version}; send one of them.",
            field="version",
        )
    return header_version if header_version is not None else body_version


class StrictSerializer(serializers.Serializer):
    """Refuses keys it does not know, so a typo ("asignee") is an error rather than a silent no-op."""

    def validate(self, attrs: dict[str, Any]) -> dict[str, Any]:
        if hasattr(self.initial_data, "keys"):
            unknown = sorted(set(self.initial_data.keys()) - set(self.fields))
            if unknown:
                raise serializers.ValidationError({name: ["Unknown field."] for name in unknown})
        return attrs
