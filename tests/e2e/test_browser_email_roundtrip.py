"""End to end through real parts: a customer's email, an agent's reply in Chromium against Daphne, the reply
at a real SMTP server with its threading headers and attachment, the customer's answer by email on the same
ticket; then the customer, invited to the portal, chooses a password and sees the reply and the image.
"""

from __future__ import annotations

import re

import pytest
from playwright.sync_api import expect

from helpdesk import roles, services
from helpdesk.models import Ticket
from tests.helpdesk.files.conftest import png_bytes

pytestmark = [pytest.mark.e2e, pytest.mark.django_db(transaction=True)]

SCREENSHOT = png_bytes(120, 80)


def first_email(sender: str, message_id: str) -> bytes:
    return (
        f"From: Robin Roe <{sender}>\r\nTo: support@example.com\r\nSubject: Export stops at 10,000 rows\r\n"
        f"Message-ID: <{message_id}>\r\nContent-Type: text/plain; charset=utf-8\r\n\r\n"
        "The CSV export stops after 10,000 rows.\r\n"
    ).encode()


def test_email_in_reply_out_and_back_then_the_portal(
    live_server_url, daphne_server, chromium, sign_in, in_thread, agent, make_user, smtp_server, settings, tmp_path
):
    # The worker runs here, reading the files the server stored.
    settings.STORAGES = {
        **settings.STORAGES,
        "default": {"BACKEND": "django.core.files.storage.FileSystemStorage", "OPTIONS": {"location": daphne_server.media_root}},
    }
    settings.SITE_URL = live_server_url
    make_user("boss", role=roles.SUPPORT_MANAGERS)

    received = in_thread(lambda: services.mail_receive(raw=first_email("robin@roe.test", "first@roe.test"), source="mail_in"))
    reference = in_thread(lambda: Ticket.objects.get(pk=received.email.ticket_id).reference)
    in_thread(lambda: services.outbox_deliver_due(actor=None))  # the acknowledgement
    assert smtp_server.messages[-1].message["Subject"].startswith(f"[{reference}]")

    in_thread(
        lambda: services.macro_create(
            actor=agent, name="Fixed in release", body="Hello {{ customer.name }}, fixed in today's release.", status="pending"
        )
    )
    browser = chromium()
    desk = sign_in(browser.new_context(), "agent", "pw-agent")
    desk.goto(f"{live_server_url}/tickets/{reference}/")
    expect(desk.locator(".event-mail").first).to_contain_text("Received by email")
    # The macro, from the keyboard: m, then choose; its text arrives in the composer to be edited.
    desk.keyboard.press("m")
    expect(desk.locator("#macro-select")).to_be_focused()
    desk.select_option("#macro-select", label="Fixed in release (mine)")
    expect(desk.locator("#composer-body")).to_have_value("Hello Robin Roe, fixed in today's release.")
    desk.fill("#composer-body", "Fixed in today's release; the export now runs in the background.")
    shot = tmp_path / "screenshot.png"
    shot.write_bytes(SCREENSHOT)
    desk.set_input_files("#composer-files", str(shot))
    desk.locator("#composer button[value=reply]").click()
    desk.wait_for_load_state("load")
    expect(desk.locator(".event-files img")).to_be_visible()
    expect(desk.locator(".event-mail-pending")).to_contain_text("Emailed to robin@roe.test · waiting to be sent")
    assert in_thread(lambda: Ticket.objects.get(pk=received.email.ticket_id).status) == "pending"  # the macro's status

    assert in_thread(lambda: services.outbox_deliver_due(actor=None)).sent == 1
    reply = smtp_server.messages[-1].message
    assert reply["Subject"] == f"[{reference}] Export stops at 10,000 rows"
    assert reply["In-Reply-To"] == "<first@roe.test>"
    assert "<first@roe.test>" in reply["References"]
    assert reply.get_body(("plain",)).get_content().startswith("Fixed in today's release")
    assert [part.get_filename() for part in reply.iter_attachments()] == ["screenshot.png"]

    answer = (
        f"From: robin@roe.test\r\nTo: support@example.com\r\nSubject: Re: {reply['Subject']}\r\n"
        f"Message-ID: <second@roe.test>\r\nIn-Reply-To: {reply['Message-ID']}\r\nReferences: {reply['References']} "
        f"{reply['Message-ID']}\r\n\r\nWorks now, thanks!\r\n\r\nOn Wed, Support wrote:\r\n> Fixed in today's release\r\n"
    ).encode()
    back = in_thread(lambda: services.mail_receive(raw=answer, source="mail_in"))
    assert back.email.outcome == "reply" and back.email.ticket_id == received.email.ticket_id
    desk.reload()
    expect(desk.locator("#timeline")).to_contain_text("Works now, thanks!")
    expect(desk.locator("#timeline")).not_to_contain_text("> Fixed in today's release")

    # A support manager invites Robin; Robin follows the emailed link, chooses a password, sees the reply.
    boss = sign_in(browser.new_context(), "boss", "pw-boss")
    boss.goto(f"{live_server_url}/tickets/{reference}/")
    boss.locator("form[action$='/requester/invite/'] button").click()
    expect(boss.locator(".flash")).to_contain_text("Invitation sent to robin@roe.test.")
    in_thread(lambda: services.outbox_deliver_due(actor=None))
    invitation = smtp_server.messages[-1].message.get_body(("plain",)).get_content()
    # The server builds links from its own SITE_URL; the path is what matters here.
    link = live_server_url + re.search(r"/portal/invitation/\S+/", invitation).group(0)

    robin = browser.new_context().new_page()
    robin.goto(link)
    robin.fill("#id_new_password1", "robin's long passphrase 7")
    robin.fill("#id_new_password2", "robin's long passphrase 7")
    robin.locator("form button[type=submit]").click()
    robin.wait_for_url(re.compile(r"/portal/$"))
    robin.goto(f"{live_server_url}/portal/tickets/{reference}/")
    expect(robin.locator(".conversation")).to_contain_text("Fixed in today's release")
    image = robin.locator(".event-files img")
    expect(image).to_be_visible()
    assert image.evaluate("img => img.complete && img.naturalWidth > 0")
    browser.close()
