"""Email throughput: ``mail_in`` (parse, thread, store, with attachments) and the outbox's delivery rate.

    createdb -h 127.0.0.1 -U postgres helpdesk_mail_bench
    DATABASE_URL=postgres://postgres@127.0.0.1:5432/helpdesk_mail_bench make bench-mail

The database's tickets, customers and emails are deleted first, so give it one of its own.
Each figure is compared with a baseline measured in the same run on the same machine
(parsing alone for ``mail_in``, Django's ``send_messages`` over one SMTP connection for
the outbox), so the ratios hold on a noisy machine. The SMTP server is aiosmtpd on
loopback. Results are printed and written to bench-results/mail-<time>.md.
"""

from __future__ import annotations

import argparse
import base64
import os
import sys
import time
from datetime import datetime
from pathlib import Path

ROOT = Path(__file__).resolve().parents[2]
def _png() -> bytes:
    import io

    from PIL import Image

    out = io.BytesIO()
    Image.new("RGB", (320, 200), (40, 90, 160)).save(out, format="PNG")
    return out.getvalue()


PNG = _png()


def new_request(n: int) -> bytes:
    return (
        f"From: Sender {n} <sender{n % 500}@bench{n % 50}.test>\r\nTo: support@example.com\r\n"
        f"Subject: Request number {n}\r\nMessage-ID: <bench-new-{n}@bench.test>\r\n"
        "Content-Type: text/plain; charset=utf-8\r\n\r\n" + "The export fails with a timeout. " * 20 + "\r\n"
    ).encode()


def with_attachments(n: int, pdf_kb: int) -> bytes:
    boundary = f"b{n}"
    pdf = base64.encodebytes(b"%PDF-1.4\n" + os.urandom(pdf_kb * 1024)).decode()
    png = base64.encodebytes(PNG).decode()
    return (
        f"From: Sender {n} <sender{n % 500}@bench{n % 50}.test>\r\nTo: support@example.com\r\n"
        f"Subject: With files {n}\r\nMessage-ID: <bench-files-{n}@bench.test>\r\nMIME-Version: 1.0\r\n"
        f'Content-Type: multipart/mixed; boundary="{boundary}"\r\n\r\n'
        f"--{boundary}\r\nContent-Type: text/plain; charset=utf-8\r\n\r\nScreenshot and log attached.\r\n"
        f'--{boundary}\r\nContent-Type: image/png\r\nContent-Disposition: attachment; filename="screen.png"\r\n'
        f"Content-Transfer-Encoding: base64\r\n\r\n{png}\r\n"
        f'--{boundary}\r\nContent-Type: application/pdf\r\nContent-Disposition: attachment; filename="log.pdf"\r\n'
        f"Content-Transfer-Encoding: base64\r\n\r\n{pdf}\r\n--{boundary}--\r\n"
    ).encode()


def reply_to(message_id: str, n: int) -> bytes:
    return (
        f"From: sender{n % 500}@bench{n % 50}.test\r\nTo: support@example.com\r\nSubject: Re: something\r\n"
        f"Message-ID: <bench-reply-{n}@bench.test>\r\nIn-Reply-To: <{message_id}>\r\nReferences: <{message_id}>\r\n\r\n"
        "Thanks, that works.\r\n\r\nOn Tue, Support wrote:\r\n> We fixed it.\r\n> Please try again.\r\n"
    ).encode()


def configure() -> None:
    url = os.environ.get("DATABASE_URL", "")
    if not url.startswith(("postgres://", "postgresql://")):
        raise SystemExit("The mail benchmark needs PostgreSQL: set DATABASE_URL to a database of its own (see the docstring).")
    os.environ.setdefault("DJANGO_SETTINGS_MODULE", "helpdesk.settings")
    os.environ.setdefault("DEBUG", "0")
    os.environ.setdefault("SECRET_KEY", "benchmark-only-secret-key-not-for-any-real-deployment-0123456789")
    os.environ.setdefault("ALLOWED_HOSTS", "testserver,localhost")
    import django

    django.setup()


def rate(count: int, seconds: float) -> float:
    return count / seconds if seconds else float("inf")


def timed(fn) -> float:
    start = time.perf_counter()
    fn()
    return time.perf_counter() - start


def main(argv: list[str] | None = None) -> int:
    parser = argparse.ArgumentParser(prog="python -m tests.benchmarks.run_mail")
    parser.add_argument("--messages", type=int, default=300, help="messages per kind (default 300)")
    parser.add_argument("--pdf-kb", type=int, default=200, help="size of the PDF in the attachment kind (KB)")
    parser.add_argument("--out", type=Path, default=ROOT / "bench-results")
    args = parser.parse_args(argv)
    configure()
    import tempfile

    from django.core import mail
    from django.core.management import call_command
    from django.test.utils import override_settings

    from helpdesk import services
    from helpdesk.mail import parse
    from helpdesk.mail.models import InboundEmail, OutboundEmail
    from helpdesk.models import Customer, Ticket
    from tests.mailserver import SmtpServer

    call_command("migrate", verbosity=0)
    uploads = tempfile.mkdtemp(prefix="helpdesk-bench-uploads-")
    override_settings(
        STORAGES={
            "default": {"BACKEND": "django.core.files.storage.FileSystemStorage", "OPTIONS": {"location": uploads}},
            "staticfiles": {"BACKEND": "django.contrib.staticfiles.storage.StaticFilesStorage"},
        },
        HELPDESK_MAIL_SENDER_LIMIT=10**6,
    ).enable()
    OutboundEmail.objects.all().delete()
    InboundEmail.objects.all().delete()
    Ticket.objects.all().delete()
    Customer.objects.filter(email__contains="@bench").delete()

    n = args.messages
    kinds = {
        "new ticket (plain text)": [new_request(i) for i in range(n)],
        f"new ticket with 2 files (PNG + {args.pdf_kb} KB PDF)": [with_attachments(i, args.pdf_kb) for i in range(n)],
    }
    rows = []
    for label, messages in kinds.items():
        parse_seconds = timed(lambda messages=messages: [parse.parse(raw) for raw in messages])
        store_seconds = timed(lambda messages=messages: [services.mail_receive(raw=raw, source="bench") for raw in messages])
        rows.append((label, rate(n, store_seconds), rate(n, parse_seconds)))
    sent_ids = list(
        OutboundEmail.objects.filter(kind="acknowledgement").order_by("id").values_list("message_id", flat=True)[:n]
    )
    replies = [reply_to(message_id, i) for i, message_id in enumerate(sent_ids)]
    parse_seconds = timed(lambda: [parse.parse(raw) for raw in replies])
    store_seconds = timed(lambda: [services.mail_receive(raw=raw, source="bench") for raw in replies])
    rows.append(("reply threaded by In-Reply-To (quote stripped)", rate(len(replies), store_seconds), rate(len(replies), parse_seconds)))
    assert InboundEmail.objects.filter(outcome="reply").count() == len(replies), "every reply threads"

    # Outbox: every acknowledgement written above, delivered to a real SMTP server on loopback.
    server = SmtpServer().start()
    smtp = server.settings()
    try:
        with override_settings(**smtp):
            pending = OutboundEmail.objects.filter(status="pending").count()

            def drain() -> None:
                while services.outbox_deliver_due(limit=100).handled:
                    pass

            outbox_seconds = timed(drain)
            delivered = len(server.messages)
            rows_out = [OutboundEmail.objects.get(pk=pk) for pk in OutboundEmail.objects.values_list("pk", flat=True)[:pending]]
            connection = mail.get_connection()
            baseline_messages = [services.outbox.as_email_message(row, connection) for row in rows_out]
            before = len(server.messages)
            baseline_seconds = timed(lambda: connection.send_messages(baseline_messages))
            baseline = len(server.messages) - before
    finally:
        server.stop()
    outbox_rate, baseline_rate = rate(delivered, outbox_seconds), rate(baseline, baseline_seconds)

    lines = [
        f"# Mail benchmark, {datetime.now():%Y-%m-%d %H:%M}",
        "",
        f"{n} messages per kind, PostgreSQL, {os.cpu_count()} cores, one process. Baselines in the same run.",
        "",
        "| mail_in: kind | stored messages/s | parse alone messages/s | stored ÷ parse |",
        "|---|---:|---:|---:|",
        *[f"| {label} | {stored:.0f} | {parsed:.0f} | {stored / parsed:.2f} |" for label, stored, parsed in rows],
        "",
        "| outbox | messages/s | baseline: send_messages on one connection | ratio |",
        "|---|---:|---:|---:|",
        f"| send_mail_outbox to aiosmtpd ({delivered} messages) | {outbox_rate:.0f} | {baseline_rate:.0f} | "
        f"{outbox_rate / baseline_rate:.2f} |",
        "",
    ]
    report = "\n".join(lines)
    print(report)
    args.out.mkdir(parents=True, exist_ok=True)
    path = args.out / f"mail-{datetime.now():%Y%m%d-%H%M%S}.md"
    path.write_text(report)
    print(f"written to {path}")
    assert delivered == pending, f"{pending - delivered} messages were not delivered"
    return 0


if __name__ == "__main__":
    sys.exit(main())
