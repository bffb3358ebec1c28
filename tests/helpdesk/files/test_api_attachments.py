"""Attachments in the API: multipart upload on messages, metadata on every message, content by token."""

from __future__ import annotations

from helpdesk import services
from tests.helpdesk.files.conftest import png_bytes


def token_client(client, user):
    token, key = services.api_token_create(actor=user, name="test")
    client.defaults["HTTP_AUTHORIZATION"] = f"Token {key}"
    return client


def test_a_multipart_message_carries_files_and_lists_them(client, agent, ticket, upload):
    api = token_client(client, agent)
    response = api.post(
        f"/api/v1/tickets/{ticket.reference}/messages/",
        {"body": "With files", "attachments": [upload(), upload("notes.txt", b"words", "text/plain")]},
    )
    assert response.status_code == 201, response.content
    files = response.json()["attachments"]
    assert [(f["filename"], f["content_type"], f["size"]) for f in files] == [
        ("screen.png", "image/png", len(png_bytes())),
        ("notes.txt", "text/plain", 5),
    ]
    assert files[0]["width"] == 64 and files[1]["width"] is None
    listed = api.get(f"/api/v1/tickets/{ticket.reference}/messages/").json()["results"]
    assert listed[-1]["attachments"] == files
    fetched = api.get(files[0]["url"])
    assert fetched.status_code == 200 and b"".join(fetched.streaming_content) == png_bytes()
    assert fetched["X-Content-Type-Options"] == "nosniff"


def test_too_many_files_name_the_field(client, agent, ticket, upload, settings):
    settings.HELPDESK_ATTACHMENTS_PER_MESSAGE = 1
    response = token_client(client, agent).post(
        f"/api/v1/tickets/{ticket.reference}/messages/", {"body": "x", "attachments": [upload(), upload()]}
    )
    assert response.status_code == 400 and "attachments" in response.json()


def test_json_messages_still_work(client, agent, ticket):
    response = token_client(client, agent).post(
        f"/api/v1/tickets/{ticket.reference}/messages/", {"body": "plain"}, content_type="application/json"
    )
    assert response.status_code == 201 and response.json()["attachments"] == []


def test_another_customers_file_is_404(client, agent, ticket, customer2, upload):
    event = services.ticket_message_post(actor=agent, ticket=ticket, body="f", attachments=[upload()])
    attachment = event.attachments.get()
    response = token_client(client, customer2.user).get(f"/api/v1/attachments/{attachment.pk}/")
    missing = client.get("/api/v1/attachments/999999/")
    assert response.status_code == missing.status_code == 404
    assert response.json() == missing.json()


def test_listing_messages_costs_the_same_queries_with_files(client, agent, ticket, upload, django_assert_max_num_queries):
    for n in range(5):
        services.ticket_message_post(actor=agent, ticket=ticket, body=f"m{n}", attachments=[upload(), upload()])
    api = token_client(client, agent)
    api.get(f"/api/v1/tickets/{ticket.reference}/messages/")
    from django.db import connection
    from django.test.utils import CaptureQueriesContext

    with CaptureQueriesContext(connection) as few:
        api.get(f"/api/v1/tickets/{ticket.reference}/messages/?page_size=2")
    with CaptureQueriesContext(connection) as many:
        api.get(f"/api/v1/tickets/{ticket.reference}/messages/?page_size=6")
    assert len(many) == len(few)
