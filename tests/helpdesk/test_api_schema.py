"""The OpenAPI schema is complete and valid, and the docs page works offline."""

from __future__ import annotations

import re

import pytest
import yaml
from django.core.management import call_command
from drf_spectacular.drainage import GENERATOR_STATS


@pytest.fixture
def schema(tmp_path):
    """What `manage.py spectacular --validate --fail-on-warn` writes; the command raises on any warning."""
    GENERATOR_STATS.reset()  # counts are process-wide; start from none
    target = tmp_path / "schema.yaml"
    call_command("spectacular", "--validate", "--fail-on-warn", "--file", str(target))
    assert not GENERATOR_STATS, "schema generation warned or failed"
    return yaml.safe_load(target.read_text())


def _operation(schema, path, method):
    return schema["paths"][path][method]


def _ref(content):
    return content["application/json"]["schema"]["$ref"].rsplit("/", 1)[-1]


def test_every_operation_is_documented_with_its_answers(schema):
    expected = {
        ("/api/v1/auth/token/", "post"): {"201", "400", "429"},
        ("/api/v1/auth/tokens/", "get"): {"200", "401"},
        ("/api/v1/auth/tokens/{token_id}/", "delete"): {"204", "401", "404"},
        ("/api/v1/tickets/", "get"): {"200", "400", "401"},
        ("/api/v1/tickets/", "post"): {"201", "400", "401", "403", "429"},
        ("/api/v1/tickets/{reference}/", "get"): {"200", "401", "404"},
        ("/api/v1/tickets/{reference}/", "patch"): {"200", "400", "401", "403", "404", "409"},
        ("/api/v1/tickets/{reference}/messages/", "get"): {"200", "400", "401", "404"},
        ("/api/v1/tickets/{reference}/messages/", "post"): {"201", "400", "401", "403", "404"},
    }
    for (path, method), codes in expected.items():
        assert set(_operation(schema, path, method)["responses"]) == codes, (path, method)


def test_shapes_match_the_contract(schema):
    components = schema["components"]["schemas"]
    assert _ref(_operation(schema, "/api/v1/tickets/{reference}/", "patch")["responses"]["409"]["content"]) == "StaleTicket"
    assert set(components["StaleTicket"]["properties"]) == {"detail", "current"}
    assert set(components["TicketPage"]["properties"]) == {"results", "next"}
    assert set(components["MessagePage"]["properties"]) == {"results", "next"}
    assert {"reference", "status", "priority", "version", "allowed_statuses", "requester"} <= set(
        components["Ticket"]["properties"]
    )
    assert set(components["Message"]["properties"]) == {"id", "body", "internal", "author", "created", "attachments"}
    assert set(components["PatchedTicketUpdateRequest"]["properties"]) == {
        "subject", "status", "priority", "assignee", "team", "tags", "feature", "version"
    }
    list_params = {p["name"] for p in _operation(schema, "/api/v1/tickets/", "get")["parameters"]}
    assert list_params == {
        "view", "status", "priority", "assignee", "team", "tag", "feature", "requester", "q", "sort", "cursor", "page_size"
    }
    patch_params = {p["name"] for p in _operation(schema, "/api/v1/tickets/{reference}/", "patch")["parameters"]}
    assert "If-Match" in patch_params
    assert "ETag" in _operation(schema, "/api/v1/tickets/{reference}/", "get")["responses"]["200"]["headers"]
    assert not _operation(schema, "/api/v1/auth/token/", "post").get("security")
    assert {"token", "id", "name", "prefix", "expires", "state"} <= set(components["Token"]["properties"])
    assert "token" not in components["ApiToken"]["properties"]  # lists never carry keys
    scheme = schema["components"]["securitySchemes"]["tokenAuth"]
    assert scheme["in"] == "header" and scheme["name"] == "Authorization"


def test_schema_endpoint_serves_it(client, db):
    response = client.get("/api/schema/")
    assert response.status_code == 200
    assert b"/api/v1/tickets/{reference}/messages/" in response.content


def test_swagger_ui_is_served_locally_without_any_cdn(client, db):
    response = client.get("/api/docs/")
    assert response.status_code == 200
    html = response.content.decode()
    for host in ("cdn", "jsdelivr", "unpkg", "googleapis", "cloudflare"):
        assert host not in html.lower()
    assets = re.findall(r"""(?:src|href)\s*=\s*["']([^"']+)["']""", html)
    assert any("swagger-ui" in asset for asset in assets)
    for asset in assets:
        assert asset.startswith("/") and not asset.startswith("//"), asset
        fetched = client.get(asset)
        assert fetched.status_code == 200, asset
        body = b"".join(fetched.streaming_content) if fetched.streaming else fetched.content
        assert b"cdn.jsdelivr" not in body and b"unpkg.com" not in body


def test_routing_fields_are_documented_as_desk_only(schema):
    ticket = schema["components"]["schemas"]["Ticket"]
    desk_only = {"assignee", "team", "tags", "feature"}
    assert desk_only <= set(ticket["properties"])
    # Customers' answers leave them out, so a client must not count on them.
    assert not desk_only & set(ticket["required"])
    assert {"reference", "status", "version", "requester"} <= set(ticket["required"])
    for name in desk_only:
        assert "Desk only" in str(ticket["properties"][name]), name


def test_if_match_documents_strong_comparison(schema):
    patch = _operation(schema, "/api/v1/tickets/{reference}/", "patch")
    if_match = next(p for p in patch["parameters"] if p["name"] == "If-Match")
    assert 'W/"7"' in if_match["description"] and "400" in if_match["description"]
