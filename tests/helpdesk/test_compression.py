"""HTML pages are gzip-compressed for clients that accept it; the API's JSON keeps its strong ETag."""

from __future__ import annotations

import gzip

from django.urls import reverse

from helpdesk import services
from tests.helpdesk.test_api_common import client_for, detail_url  # noqa: F401

GZIP = {"Accept-Encoding": "gzip, deflate, br"}


def _page(client, url: str, **headers):
    response = client.get(url, headers=headers)
    assert response.status_code == 200
    return response


def test_inbox_is_compressed_for_a_client_that_accepts_gzip(agent_client, make_ticket):
    for number in range(5):
        make_ticket(subject=f"Printer number {number} jams")
    url = reverse("helpdesk:inbox") + "?view=all"
    plain = _page(agent_client, url)
    packed = _page(agent_client, url, **GZIP)
    assert packed["Content-Encoding"] == "gzip"
    assert "Accept-Encoding" in packed["Vary"] and "Accept-Encoding" in plain["Vary"]
    html = gzip.decompress(packed.content).decode()
    assert "Printer number 4 jams" in html and "ticket-link" in html
    assert len(packed.content) < len(plain.content) / 3
    assert int(packed["Content-Length"]) == len(packed.content)


def test_without_accept_encoding_the_page_is_plain(agent_client, ticket):
    response = _page(agent_client, reverse("helpdesk:ticket_detail", args=[ticket.reference]))
    assert not response.has_header("Content-Encoding")
    assert ticket.subject in response.content.decode()


def test_ticket_page_and_its_whole_timeline_are_compressed(agent_client, agent, ticket):
    for number in range(30):
        services.ticket_message_post(actor=agent, ticket=ticket, body=f"Note {number}: checked the logs.", internal=True)
    url = reverse("helpdesk:ticket_detail", args=[ticket.reference]) + "?timeline=all"
    response = _page(agent_client, url, **GZIP)
    assert response["Content-Encoding"] == "gzip"
    assert "Note 29: checked the logs." in gzip.decompress(response.content).decode()


def test_sign_in_page_is_compressed_for_anonymous_visitors(client):
    response = _page(client, reverse("login"), **GZIP)
    assert response["Content-Encoding"] == "gzip"


def test_api_json_stays_identity_encoded_so_its_etag_stays_strong(client_for, agent, ticket):  # noqa: F811
    client = client_for(agent)
    response = client.get(detail_url(ticket.reference), headers=GZIP)
    assert response.status_code == 200
    assert not response.has_header("Content-Encoding")
    assert response["ETag"] == '"1"'
    # What a gzip-accepting client (requests, curl --compressed) sends back still applies.
    patched = client.patch(
        detail_url(ticket.reference), {"priority": "high"}, format="json", headers={**GZIP, "If-Match": response["ETag"]}
    )
    assert patched.status_code == 200


def test_compressed_length_is_padded_with_a_random_file_name(agent_client, make_ticket):
    """BREACH mitigation kept from Django: the gzip header carries 0-99 random bytes as a file name."""
    make_ticket(subject="Padding probe")
    url = reverse("helpdesk:inbox") + "?view=all"
    bodies = [_page(agent_client, url, **GZIP).content for _ in range(12)]
    assert all(body[3] & gzip.FNAME for body in bodies)
    assert len({len(body) for body in bodies}) > 1
    assert all(b"Padding probe" in gzip.decompress(body) for body in bodies)


def test_small_answers_are_left_alone(client):
    from django.http import HttpResponse
    from django.test import RequestFactory

    from helpdesk.compression import HtmlGZipMiddleware

    request = RequestFactory().get("/", HTTP_ACCEPT_ENCODING="gzip")
    response = HtmlGZipMiddleware(lambda r: HttpResponse("<p>short</p>"))(request)
    assert not response.has_header("Content-Encoding")
