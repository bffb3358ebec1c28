"""Reading real MIME samples: text, the new words of a reply, charsets, attachments, machines' mail."""

from __future__ import annotations

import pytest

from helpdesk.mail import parse


def test_a_gmail_reply_keeps_only_the_new_words(sample):
    parsed = parse.parse(sample("gmail_reply.eml", in_reply_to="<abc@example.com>", references="<root@example.com> <abc@example.com>"))
    assert parsed.from_email == "customer@customer.test" and parsed.from_name == "Casey Customer"
    assert parsed.subject == "Re: [HD-1001] Invoice PDF is empty"
    assert parsed.reply_text == "Thanks, the invoice opens now – but the totals are still missing.\n\nCasey"
    assert "We fixed it" in parsed.text  # the whole text is kept beside the reply
    assert parsed.thread_ids == ["abc@example.com", "root@example.com"]
    assert parsed.message_id == "CAF3x9+gmail-reply-1@mail.gmail.com"
    assert parsed.automatic == ""


def test_an_outlook_reply_in_windows_1252(sample):
    parsed = parse.parse(sample("outlook_reply.eml", in_reply_to="<abc@example.com>"))
    assert parsed.from_email == "jordan.ellis@acme.test"
    assert parsed.reply_text.startswith("It still fails for the “Q4” report, see attached log.")
    assert "We fixed it" not in parsed.reply_text
    assert "From: Alex Agent" not in parsed.reply_text


def test_html_only_mail_becomes_safe_text(sample):
    parsed = parse.parse(sample("html_only.eml"))
    assert parsed.from_name == "Renée François"
    assert parsed.subject == "Cannot log in – help"
    assert "I cannot log in since this morning." in parsed.text
    assert "- Chrome" in parsed.text and "- Firefox" in parsed.text
    assert "our status page (https://status.newcomer.test/)" in parsed.text
    assert 'alert("x")' not in parsed.text and "color:red" not in parsed.text and "ignored" not in parsed.text
    assert "onerror" not in parsed.text
    assert "<script>not a tag</script>" in parsed.text  # text, stored as text, escaped where shown


def test_latin1_headers_and_body(sample):
    parsed = parse.parse(sample("latin1.eml"))
    assert parsed.from_name == "Jürgen Müller"
    assert parsed.subject == "Rechnung für März"
    assert parsed.text == "Grüß Gott, die Rechnung für März fehlt."


def test_an_unknown_charset_falls_back_without_losing_the_words(sample):
    assert parse.parse(sample("unknown_charset.eml")).text == "Plain words survive an unknown charset."


def test_attachments_and_inline_images_are_kept_with_safe_names(sample):
    parsed = parse.parse(sample("attachments.eml"))
    assert "Here is the screen:" in parsed.text
    image, pdf = parsed.attachments
    assert (image.filename, image.content_type, image.inline, image.content_id) == (
        "screen.png", "image/png", True, "shot1@customer.test",
    )
    assert image.data.startswith(b"\x89PNG")
    assert pdf.filename == "invoice.pdf" and pdf.content_type == "application/pdf" and not pdf.inline
    assert pdf.data.startswith(b"%PDF")


def test_a_forwarded_message_is_kept_as_an_attachment(sample):
    parsed = parse.parse(sample("forwarded.eml"))
    assert parsed.text == "Please look at the email below, the order never arrived."
    (forwarded,) = parsed.attachments
    assert forwarded.content_type == "message/rfc822" and forwarded.filename == "attachment-1.eml"
    assert b"Your order has shipped." in forwarded.data


@pytest.mark.parametrize(
    ("name", "reason"),
    [("auto_reply.eml", "Auto-Submitted: auto-replied"), ("bounce.eml", "delivery status notification")],
)
def test_machines_mail_is_recognised(sample, name, reason):
    assert parse.parse(sample(name)).automatic == reason


@pytest.mark.parametrize(
    ("header", "reason"),
    [
        ("Precedence: bulk", "Precedence: bulk"),
        ("X-Autoreply: yes", "X-Autoreply header"),
        ("Return-Path: <>", "empty Return-Path (a bounce)"),
    ],
)
def test_other_signs_of_a_machine(header, reason):
    raw = f"From: a@b.test\r\nSubject: x\r\n{header}\r\n\r\nhello\r\n".encode()
    assert parse.parse(raw).automatic == reason


def test_auto_submitted_no_is_a_person():
    raw = b"From: a@b.test\r\nAuto-Submitted: no\r\nSubject: x\r\n\r\nhello\r\n"
    assert parse.parse(raw).automatic == ""


@pytest.mark.parametrize(
    "raw",
    [
        b"",
        b"Subject: no sender\r\n\r\nbody",
        b"From: not an address\r\n\r\nbody",
        b"From: a@b.test\r\n" + b"X-Filler: y\r\n" * 600 + b"\r\nbody",
        b"From: a@b.test\r\nX-Huge: " + b"y" * 70_000 + b"\r\n\r\nbody",
    ],
    ids=["empty", "no-sender", "bad-sender", "too-many-headers", "huge-header"],
)
def test_malformed_mail_is_refused_with_a_reason(raw):
    with pytest.raises(parse.MalformedMail):
        parse.parse(raw)


def test_a_message_without_message_id_gets_a_stable_one():
    raw = b"From: a@b.test\r\nSubject: x\r\n\r\nhello\r\n"
    assert parse.parse(raw).message_id == parse.parse(raw).message_id
    assert parse.parse(raw).message_id != parse.parse(raw + b"more").message_id


@pytest.mark.parametrize(
    ("given", "expected"),
    [("../../etc/passwd", "passwd"), ("C:\\temp\\evil.exe", "evil.exe"), ("\x00\x1f.hidden", "hidden"),
     ('a<b>c:"d|e?f*.txt', "a_b_c__d_e_f_.txt"), ("", "fallback"), ("...", "fallback")],
)
def test_safe_filenames(given, expected):
    assert parse.safe_filename(given, fallback="fallback") == expected


def test_control_characters_never_reach_a_subject():
    raw = b"From: a@b.test\r\nSubject: =?utf-8?q?Hi=0D=0ABcc=3A_x=40evil=2Etest?=\r\n\r\nhello\r\n"
    assert parse.parse(raw).subject == "Hi Bcc: x@evil.test"
