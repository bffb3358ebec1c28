"""Hostile JSON on every API endpoint: deep nesting and lone surrogates are a 400 naming the problem, never a 500.

The routes are read from the URLconf, so an endpoint added later is covered without
touching this file.
"""

from __future__ import annotations

import json

import pytest
from django.urls import URLPattern, get_resolver, reverse
from rest_framework.permissions import AllowAny
from rest_framework.test import APIClient

from helpdesk import jsonsafe
from tests.helpdesk.test_api_common import clean_cache, client_for  # noqa: F401

pytestmark = pytest.mark.usefixtures("clean_cache")

BODY_METHODS = ("post", "put", "patch")

NESTED_ARRAYS = "[" * 100_000 + "]" * 100_000  # past the interpreter's recursion limit
NESTED_OBJECTS = '{"a":' * 5_000 + "1" + "}" * 5_000
JUST_TOO_DEEP = "[" * (jsonsafe.MAX_DEPTH + 1) + "]" * (jsonsafe.MAX_DEPTH + 1)  # parses, but deeper than we take
HOSTILE_BODIES = {
    "nested arrays": (NESTED_ARRAYS, "nested deeper than"),
    "nested objects": (NESTED_OBJECTS, "nested deeper than"),
    "just too deep": (JUST_TOO_DEEP, "nested deeper than"),
    "surrogate key": ('{"\\ud800": 1}', "lone surrogate"),
    "surrogate choice": ('{"status": "\\ud800", "priority": "\\udfff"}', "lone surrogate"),
    "surrogate text": ('{"subject": "Hi \\udc00", "body": "x", "username": "a", "password": "\\ud83d"}', "lone surrogate"),
    "surrogate in a list": ('{"tags": ["ok", "\\udbff"]}', "lone surrogate"),
}


def api_routes() -> list[tuple[str, URLPattern]]:
    _, resolver = get_resolver().namespace_dict["api"]
    routes = []
    for pattern in resolver.url_patterns:
        assert isinstance(pattern, URLPattern), "nested API includes need this test extended"
        routes.append((pattern.name, pattern))
    return routes


def route_url(name: str, pattern: URLPattern, ticket) -> str:
    values = {"reference": ticket.reference}
    kwargs = {}
    for key in pattern.pattern.converters:
        # Ids name nothing that exists: the answer is the same 404 on every database.
        kwargs[key] = values.get(key, 10**9)
    return reverse(f"api:{name}", kwargs=kwargs)


def methods_of(pattern: URLPattern) -> list[str]:
    view = pattern.callback.view_class
    return [m for m in ("get", "post", "put", "patch", "delete") if hasattr(view, m)]


def is_public(pattern: URLPattern) -> bool:
    return AllowAny in pattern.callback.view_class.permission_classes


def send(client: APIClient, method: str, url: str, body: str):
    return client.generic(method.upper(), url, data=body.encode("utf-8"), content_type="application/json")


def test_the_api_has_routes_that_take_a_body():
    names = {name for name, pattern in api_routes() if set(methods_of(pattern)) & set(BODY_METHODS)}
    assert {"token", "ticket-list", "ticket-detail", "ticket-messages"} <= names


@pytest.mark.parametrize("who", ["anonymous", "agent", "customer"])
@pytest.mark.parametrize("body_name", list(HOSTILE_BODIES))
def test_every_endpoint_answers_hostile_json_with_a_clear_400(who, body_name, agent, customer, ticket, client_for):
    body, problem = HOSTILE_BODIES[body_name]
    client = APIClient() if who == "anonymous" else client_for(agent if who == "agent" else customer.user)
    checked = 0
    for name, pattern in api_routes():
        url = route_url(name, pattern, ticket)
        for method in methods_of(pattern):
            response = send(client, method, url, body)
            where = f"{method.upper()} {url} ({who}, {body_name})"
            assert response.status_code < 500, where
            payload = json.loads(response.content.decode("utf-8"))  # always a readable answer
            parses_body = method in BODY_METHODS and (who != "anonymous" or is_public(pattern))
            if parses_body:
                assert response.status_code == 400, (where, response.status_code, payload)
                assert problem in payload["detail"], where
                checked += 1
    assert checked


def test_a_proper_surrogate_pair_is_text_and_accepted(client_for, agent, customer):
    body = '{"subject": "Broken \\ud83d\\ude00", "body": "Help", "requester": "customer"}'
    response = send(client_for(agent), "post", reverse("api:ticket-list"), body)
    assert response.status_code == 201, response.content
    assert response.json()["subject"] == "Broken \U0001f600"


def test_nesting_up_to_the_limit_parses(client_for, agent):
    # The body is deep but legal; the serializer then names the field, as for any wrong type.
    tags = "[" * (jsonsafe.MAX_DEPTH - 1) + "]" * (jsonsafe.MAX_DEPTH - 1)
    body = f'{{"subject": "S", "body": "B", "requester": "customer", "tags": {tags}}}'
    response = send(client_for(agent), "post", reverse("api:ticket-list"), body)
    assert response.status_code == 400 and "tags" in response.json()


def test_the_renderer_escapes_what_it_cannot_encode():
    from helpdesk.api.content import SafeJSONRenderer

    assert json.loads(SafeJSONRenderer().render({"detail": "bad \ud800"})) == {"detail": "bad \ud800"}


def test_browsable_api_answers_hostile_json_too(agent, ticket):
    client = APIClient()
    client.force_login(agent)
    response = client.post(
        reverse("api:ticket-list"), data=b'{"\\ud800": 1}', content_type="application/json", HTTP_ACCEPT="text/html"
    )
    assert response.status_code == 400
