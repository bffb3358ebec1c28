"""``GET /api/v1/``: what the API offers, where, and where its schema and docs are.

Read from the API's own OpenAPI schema (generated once per process), so the index
lists exactly what the schema documents, with the same paths and summaries, and an
endpoint added to ``api/urls.py`` appears without touching this file. Paths are
relative to the site: the index never builds links from the request's ``Host``.
"""

from __future__ import annotations

from functools import lru_cache

from django.conf import settings
from django.urls import reverse
from drf_spectacular.generators import SchemaGenerator
from drf_spectacular.types import OpenApiTypes
from drf_spectacular.utils import OpenApiExample, OpenApiResponse, extend_schema
from rest_framework.permissions import AllowAny
from rest_framework.request import Request
from rest_framework.response import Response
from rest_framework.views import APIView

_METHODS = ("get", "post", "put", "patch", "delete")


def _first_sentence(text: str) -> str:
    text = " ".join((text or "").split())
    end = text.find(". ")
    return text if end < 0 else text[: end + 1]


@lru_cache(maxsize=1)
def _endpoints(prefix: str) -> tuple[dict, ...]:
    """Each documented path under ``prefix``: its URL template and, per method, what it does."""
    schema = SchemaGenerator().get_schema(request=None, public=True)
    endpoints = []
    for path, operations in schema.get("paths", {}).items():
        if not path.startswith(prefix) or path == prefix:
            continue
        endpoints.append(
            {
                "url": path,
                "methods": {
                    method.upper(): _first_sentence(operation.get("description") or operation.get("summary", ""))
                    for method, operation in operations.items()
                    if method in _METHODS
                },
            }
        )
    return tuple(endpoints)


class ApiIndexView(APIView):
    """The API's entry point: every endpoint with its URL and methods, and links to the schema and the docs."""

    authentication_classes: list = []
    permission_classes = [AllowAny]

    @extend_schema(
        operation_id="api_index",
        tags=["index"],
        auth=[],
        responses={
            200: OpenApiResponse(
                OpenApiTypes.OBJECT,
                description="`endpoints` (url, and what each method does), `schema`, `docs`, `name`, `version`.",
                examples=[
                    OpenApiExample(
                        "Index",
                        value={
                            "name": "Help desk API",
                            "version": "1.0.0",
                            "schema": "/api/schema/",
                            "docs": "/api/docs/",
                            "endpoints": [
                                {"url": "/api/v1/tickets/",
                                 "methods": {"GET": "The tickets the caller may see.", "POST": "Open a ticket."}},
                            ],
                        },
                    )
                ],
            )
        },
        description="What the API offers. Needs no authentication; the schema says what each endpoint needs.",
    )
    def get(self, request: Request) -> Response:
        prefix = reverse("api:index")
        return Response(
            {
                "name": settings.SPECTACULAR_SETTINGS.get("TITLE", "API"),
                "version": settings.SPECTACULAR_SETTINGS.get("VERSION", ""),
                "schema": reverse("api-schema"),
                "docs": reverse("api-docs"),
                "endpoints": list(_endpoints(prefix)),
            }
        )
