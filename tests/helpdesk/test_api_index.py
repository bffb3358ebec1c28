"""``GET /api/v1/`` answers with an index of the API (it was a 404 listing every URL in DEBUG)."""

from __future__ import annotations

import pytest


@pytest.mark.parametrize("debug", [True, False])
def test_index_lists_every_endpoint_and_links_schema_and_docs(client, db, settings, debug):
    settings.DEBUG = debug
    response = client.get("/api/v1/", HTTP_ACCEPT="application/json")

    assert response.status_code == 200
    assert response["Content-Type"].startswith("application/json")
    index = response.json()
    assert (index["schema"], index["docs"]) == ("/api/schema/", "/api/docs/")
    endpoints = {e["url"]: e["methods"] for e in index["endpoints"]}
    assert set(endpoints["/api/v1/tickets/"]) == {"GET", "POST"}
    assert set(endpoints["/api/v1/tickets/{reference}/"]) == {"GET", "PATCH", "DELETE"}
    assert set(endpoints["/api/v1/tickets/{reference}/merge/"]) == {"POST"}
    assert set(endpoints["/api/v1/tickets/{reference}/messages/"]) == {"GET", "POST"}
    assert "POST" in endpoints["/api/v1/auth/token/"]
    assert all(text for methods in endpoints.values() for text in methods.values()), "every method says what it does"
    assert "/api/v1/" not in endpoints


def test_index_matches_the_schema(client, db):
    schema = client.get("/api/schema/", HTTP_ACCEPT="application/json").json()
    documented = {path for path in schema["paths"] if path.startswith("/api/v1/") and path != "/api/v1/"}
    listed = {e["url"] for e in client.get("/api/v1/").json()["endpoints"]}
    assert listed == documented


def test_index_needs_no_sign_in_and_does_not_build_links_from_the_host(client, db, settings):
    settings.ALLOWED_HOSTS = ["desk.example.com"]
    response = client.get("/api/v1/", HTTP_HOST="desk.example.com:8443")
    assert response.status_code == 200
    assert "8443" not in response.content.decode() and "desk.example.com" not in response.content.decode()
