"""Attachments: stored through the storage API, checked before anything is written, served only to who may see them."""

from __future__ import annotations

import pytest

from helpdesk import services
from helpdesk.attachments.models import Attachment
from helpdesk.errors import InvalidInput
from tests.helpdesk.files.conftest import png_bytes, png_claiming


def post_reply(ticket, actor, files, *, internal=False, body="See the file."):
    return services.ticket_message_post(actor=actor, ticket=ticket, body=body, internal=internal, attachments=files)


def test_an_image_is_stored_with_its_real_type_size_and_a_preview(ticket, agent, upload, settings):
    event = post_reply(ticket, agent, [upload()])
    (stored,) = event.attachments.all()
    assert (stored.filename, stored.content_type, stored.width, stored.height) == ("screen.png", "image/png", 64, 48)
    assert stored.size == len(png_bytes()) and len(stored.sha256) == 64
    assert stored.thumbnail and not stored.internal and stored.uploaded_by == agent
    # Under the storage's root, named by a random key, never by the uploader's name.
    assert "screen" not in stored.file.name and stored.file.name.startswith("attachments/")
    assert stored.file.read() == png_bytes()


@pytest.mark.parametrize(
    ("name", "data", "declared", "expected"),
    [
        ("evil.png", b"<html><script>alert(1)</script></html>", "image/png", "application/octet-stream"),
        ("logo.svg", b'<svg xmlns="http://www.w3.org/2000/svg" onload="alert(1)"/>', "image/svg+xml", "application/octet-stream"),
        ("page.html", b"<html><body>hi</body></html>", "text/html", "application/octet-stream"),
        ("tool.exe", b"MZ\x90\x00rest", "image/jpeg", "application/x-msdownload"),
        ("report.pdf", b"%PDF-1.4 tiny", "application/octet-stream", "application/pdf"),
        ("notes.txt", b"plain words", "text/plain", "text/plain"),
        ("bomb.png", png_claiming(30000, 30000), "image/png", "application/octet-stream"),
        ("cut.png", png_bytes()[:40], "image/png", "application/octet-stream"),
    ],
    ids=["html-as-png", "svg", "html", "exe-as-jpeg", "pdf", "text", "decompression-bomb", "truncated-png"],
)
def test_the_type_comes_from_the_bytes_not_the_sender(ticket, agent, upload, name, data, declared, expected):
    (stored,) = post_reply(ticket, agent, [upload(name, data, declared)]).attachments.all()
    assert stored.content_type == expected
    assert not stored.thumbnail and stored.width is None


@pytest.mark.parametrize(
    ("given", "kept"),
    [("../../etc/passwd", "passwd"), ("..\\..\\boot.ini", "boot.ini"), ("bad\x07name\x00.txt", "badname.txt"), (".htaccess", "htaccess")],
)
def test_file_names_lose_paths_and_control_characters(ticket, agent, upload, given, kept):
    (stored,) = post_reply(ticket, agent, [upload(given, b"data", "text/plain")]).attachments.all()
    assert stored.filename == kept


def test_too_many_files_refuse_the_message_and_write_nothing(ticket, agent, upload, settings):
    settings.HELPDESK_ATTACHMENTS_PER_MESSAGE = 2
    before = ticket.events.count()
    with pytest.raises(InvalidInput) as refused:
        post_reply(ticket, agent, [upload(f"f{n}.png") for n in range(3)])
    assert refused.value.field == "attachments" and "at most 2 files" in refused.value.message
    assert ticket.events.count() == before and not Attachment.objects.exists()


def test_a_file_over_the_limit_is_refused_by_name(ticket, agent, upload, settings):
    settings.HELPDESK_ATTACHMENT_MAX_BYTES = 1024
    with pytest.raises(InvalidInput) as refused:
        post_reply(ticket, agent, [upload("big.bin", b"x" * 2048, "application/octet-stream")])
    assert refused.value.field == "attachments" and refused.value.message.startswith("big.bin is ")
    assert not Attachment.objects.exists()


def test_an_empty_file_is_refused(ticket, agent, upload):
    with pytest.raises(InvalidInput, match="empty"):
        post_reply(ticket, agent, [upload("empty.txt", b"", "text/plain")])


def test_a_notes_files_are_internal(ticket, agent, upload):
    (stored,) = post_reply(ticket, agent, [upload()], internal=True).attachments.all()
    assert stored.internal


def test_a_new_ticket_takes_files_on_its_request(agent, customer, upload):
    ticket = services.ticket_create(
        actor=agent, requester=customer, subject="With a file", body="See attached", attachments=[upload()]
    )
    (stored,) = Attachment.objects.filter(ticket=ticket)
    assert stored.event.kind == "reply" and stored.event.customer == customer
