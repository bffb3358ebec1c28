"""Serving attachments: only to who may see them, 404 exactly as a missing one, never run by the browser."""

from __future__ import annotations

import pytest

from helpdesk import services
from tests.helpdesk.files.conftest import png_bytes


@pytest.fixture
def image(ticket, agent, upload):
    event = services.ticket_message_post(actor=agent, ticket=ticket, body="Look", attachments=[upload()])
    return event.attachments.get()


@pytest.fixture
def document(ticket, agent, upload):
    event = services.ticket_message_post(
        actor=agent, ticket=ticket, body="Doc", attachments=[upload("page.html", b"<script>x</script>", "text/html")]
    )
    return event.attachments.get()


def content(response) -> bytes:
    return b"".join(response.streaming_content)


def test_a_safe_image_is_shown_inline_to_the_requester(client, customer, image):
    client.force_login(customer.user)
    response = client.get(f"/attachments/{image.pk}/")
    assert response.status_code == 200 and response["Content-Type"] == "image/png"
    assert response["Content-Disposition"].startswith("inline")
    assert response["X-Content-Type-Options"] == "nosniff"
    assert "sandbox" in response["Content-Security-Policy"]
    assert content(response) == png_bytes()
    preview = client.get(f"/attachments/{image.pk}/preview/")
    assert preview.status_code == 200 and preview["Content-Type"] == "image/png"
    assert content(preview).startswith(b"\x89PNG")


def test_download_asks_for_a_file(agent_client, image):
    response = agent_client.get(f"/attachments/{image.pk}/?download")
    assert response["Content-Disposition"] == 'attachment; filename="screen.png"'


def test_html_is_never_inline(agent_client, document):
    response = agent_client.get(f"/attachments/{document.pk}/")
    assert response["Content-Type"] == "application/octet-stream"
    assert response["Content-Disposition"].startswith("attachment")


def test_another_customer_gets_404_exactly_as_for_a_missing_file(client, customer2, image):
    client.force_login(customer2.user)
    refused = client.get(f"/attachments/{image.pk}/")
    missing = client.get("/attachments/999999/")
    assert refused.status_code == missing.status_code == 404
    assert refused.content == missing.content
    assert client.get(f"/attachments/{image.pk}/preview/").status_code == 404


def test_a_notes_file_is_the_desks_only(client, ticket, agent, customer, upload, agent_client):
    event = services.ticket_message_post(actor=agent, ticket=ticket, body="n", internal=True, attachments=[upload()])
    note_file = event.attachments.get()
    assert agent_client.get(f"/attachments/{note_file.pk}/").status_code == 200
    client.force_login(customer.user)
    assert client.get(f"/attachments/{note_file.pk}/").status_code == 404


def test_signed_out_visitors_are_sent_to_sign_in(client, image):
    response = client.get(f"/attachments/{image.pk}/")
    assert response.status_code == 302 and response["Location"].startswith("/accounts/login/")


def test_the_desk_page_and_the_portal_show_previews_and_files(agent_client, client, ticket, customer, image, document):
    page = agent_client.get(f"/tickets/{ticket.reference}/").content.decode()
    assert f'<img src="/attachments/{image.pk}/preview/" alt="screen.png"' in page
    assert f'href="/attachments/{document.pk}/?download" download>page.html</a>' in page
    client.force_login(customer.user)
    portal = client.get(f"/portal/tickets/{ticket.reference}/").content.decode()
    assert f'<img src="/attachments/{image.pk}/preview/" alt="screen.png"' in portal
    assert f'/attachments/{document.pk}/?download' in portal


def test_the_composer_sends_files(agent_client, ticket, upload):
    response = agent_client.post(
        f"/tickets/{ticket.reference}/messages/", {"body": "Here", "kind": "reply", "attachments": [upload(), upload("b.txt", b"hi", "text/plain")]}
    )
    assert response.status_code == 302
    event = ticket.events.filter(kind="reply").latest("id")
    assert sorted(a.filename for a in event.attachments.all()) == ["b.txt", "screen.png"]


def test_a_refused_file_keeps_the_text_and_says_so(agent_client, ticket, upload, settings):
    settings.HELPDESK_ATTACHMENT_MAX_BYTES = 10
    response = agent_client.post(
        f"/tickets/{ticket.reference}/messages/", {"body": "My long answer", "kind": "reply", "attachments": [upload()]}, follow=True
    )
    page = response.content.decode()
    assert response.status_code == 400
    assert "My long answer" in page and "screen.png is " in page and "choose the files again" in page


def test_the_portal_reply_takes_files(client, ticket, customer, upload):
    client.force_login(customer.user)
    response = client.post(f"/portal/tickets/{ticket.reference}/reply/", {"body": "Screenshot", "attachments": [upload()]})
    assert response.status_code == 302
    assert ticket.events.filter(kind="reply").latest("id").attachments.count() == 1
