"""Reading one RFC 5322 message: who, what, which thread, what is attached, and whether a machine sent it.

Pure functions, no database: ``helpdesk.services.mail_in`` decides what the desk does
with the result. Whatever the message holds (wrong charsets, HTML only, broken MIME),
``parse`` either returns text that is safe to store and show escaped, or raises
``MalformedMail`` with the reason.
"""

from __future__ import annotations

import email
import email.policy
import hashlib
import re
from dataclasses import dataclass, field
from email.headerregistry import Address
from email.message import EmailMessage
from email.utils import getaddresses, parseaddr
from html.parser import HTMLParser

from mailparser_reply import EmailReplyParser

# Languages whose reply headers ("On … wrote:", "Am … schrieb", "Le … a écrit") are cut.
REPLY_LANGUAGES = ["en", "de", "fr", "es", "it", "nl", "pl", "sv", "cs", "pt", "ja", "zh"]
MAX_HEADER_COUNT = 500
MAX_HEADER_LENGTH = 64 * 1024
MAX_PARTS = 200
MESSAGE_ID_MAX_LENGTH = 250
_ID_RE = re.compile(r"<([^<>\s]{1,250})>")
_CONTROL = re.compile(r"[\x00-\x08\x0b\x0c\x0e-\x1f\x7f]")


class MalformedMail(ValueError):
    """The message cannot be read; the reason is safe to log and show."""


@dataclass
class Attachment:
    filename: str
    content_type: str
    data: bytes
    inline: bool = False
    content_id: str = ""


@dataclass
class ParsedMail:
    message_id: str
    from_email: str
    from_name: str
    to: list[str]
    cc: list[str]
    subject: str
    in_reply_to: list[str]
    references: list[str]
    text: str
    reply_text: str
    attachments: list[Attachment] = field(default_factory=list)
    # Why a machine sent it (auto-reply, bounce, bulk), or "" for a person's mail.
    automatic: str = ""

    @property
    def thread_ids(self) -> list[str]:
        """Every Message-ID this one answers, nearest first."""
        seen: list[str] = []
        for message_id in [*self.in_reply_to, *reversed(self.references)]:
            if message_id not in seen:
                seen.append(message_id)
        return seen


def clean_line(value: str, limit: int) -> str:
    """One header value as one printable line."""
    return " ".join(_CONTROL.sub(" ", value or "").split())[:limit]


def message_ids(value: str | None) -> list[str]:
    return _ID_RE.findall(str(value or ""))[:100]


def read_message(raw: bytes) -> EmailMessage:
    try:
        message = email.message_from_bytes(raw, policy=email.policy.default)
    except Exception as error:  # the stdlib parser is lenient; anything it raises is malformed mail
        raise MalformedMail(f"The message could not be parsed ({type(error).__name__}).") from error
    if len(message.keys()) > MAX_HEADER_COUNT:
        raise MalformedMail(f"The message has more than {MAX_HEADER_COUNT} header fields.")
    if any(len(str(value)) > MAX_HEADER_LENGTH for value in message.values()):
        raise MalformedMail("A header field of the message is too long.")
    return message


def _header(message: EmailMessage, name: str) -> str:
    try:
        value = message.get(name)
    except Exception:  # a header the policy cannot decode: fall back to its raw bytes
        value = message.get_all(name, failobj=[""])[0] if hasattr(message, "get_all") else ""
    return str(value or "")


def _addresses(message: EmailMessage, name: str) -> list[tuple[str, str]]:
    values = [str(v) for v in (message.get_all(name) or [])]
    return [(clean_line(n, 200), a.strip().lower()) for n, a in getaddresses(values) if "@" in a][:50]


def _sender(message: EmailMessage) -> tuple[str, str]:
    for name in ("From", "Sender"):
        found = _addresses(message, name)
        if found:
            return found[0]
    fallback_name, fallback = parseaddr(_header(message, "From"))
    return clean_line(fallback_name, 200), fallback.strip().lower()


def _decoded(part: EmailMessage) -> str:
    try:
        content = part.get_content()
    except (LookupError, UnicodeError, AssertionError, ValueError):
        payload = part.get_payload(decode=True) or b""
        content = payload.decode("utf-8", "replace")
    if isinstance(content, bytes):
        content = content.decode("utf-8", "replace")
    return _CONTROL.sub("", content.replace("\r\n", "\n"))


class _TextFromHtml(HTMLParser):
    """HTML as readable text: blocks on their own lines, links with their address, no scripts or styles."""

    BLOCKS = {"p", "div", "br", "tr", "li", "h1", "h2", "h3", "h4", "h5", "h6", "blockquote", "pre", "table", "hr"}
    SKIPPED = {"script", "style", "head", "title", "template"}

    def __init__(self) -> None:
        super().__init__(convert_charrefs=True)
        self.parts: list[str] = []
        self.skipping = 0
        self.href: list[str | None] = []

    def handle_starttag(self, tag, attrs):
        if tag in self.SKIPPED:
            self.skipping += 1
        elif tag in self.BLOCKS:
            self.parts.append("\n")
        if tag == "li":
            self.parts.append("- ")
        if tag == "a":
            self.href.append(dict(attrs).get("href"))

    def handle_endtag(self, tag):
        if tag in self.SKIPPED:
            self.skipping = max(0, self.skipping - 1)
        elif tag in self.BLOCKS:
            self.parts.append("\n")
        if tag == "a" and self.href:
            href = self.href.pop()
            if href and href.startswith(("http://", "https://", "mailto:")):
                self.parts.append(f" ({href})")

    def handle_data(self, data):
        if not self.skipping:
            self.parts.append(data)

    def text(self) -> str:
        joined = "".join(self.parts)
        lines = [" ".join(line.split()) for line in joined.split("\n")]
        return re.sub(r"\n{3,}", "\n\n", "\n".join(lines)).strip()


def html_to_text(html: str) -> str:
    parser = _TextFromHtml()
    try:
        parser.feed(html)
        parser.close()
    except Exception:  # HTMLParser is forgiving; a failure here still must not lose the mail
        return _CONTROL.sub("", re.sub(r"<[^>]*>", " ", html))
    return parser.text()


def safe_filename(name: str | None, *, fallback: str) -> str:
    """A file name with no directories, control characters or leading dots."""
    name = (name or "").replace("\\", "/").rsplit("/", 1)[-1]
    name = _CONTROL.sub("", name).strip().lstrip(".")
    name = re.sub(r'[<>:"|?*]', "_", name)
    return name[:150] or fallback


def _leaves(part: EmailMessage, depth: int = 0):
    """The parts that hold content; a forwarded message (message/rfc822) is one part, not opened."""
    if depth > 20:
        raise MalformedMail("The message nests parts too deeply.")
    if part.get_content_type() == "message/rfc822" or not part.is_multipart():
        yield part
        return
    for child in part.get_payload():
        yield from _leaves(child, depth + 1)


def _walk(message: EmailMessage) -> tuple[str, str, list[Attachment]]:
    plain: list[str] = []
    html: list[str] = []
    attachments: list[Attachment] = []
    for count, part in enumerate(_leaves(message)):
        if count > MAX_PARTS:
            raise MalformedMail(f"The message has more than {MAX_PARTS} parts.")
        content_type = part.get_content_type()
        disposition = part.get_content_disposition()
        filename = part.get_filename()
        if content_type == "message/rfc822" or (disposition == "attachment") or filename or content_type not in (
            "text/plain",
            "text/html",
        ):
            if content_type.startswith("multipart/"):
                continue
            data = part.get_payload(decode=True) or b""
            if not data and content_type == "message/rfc822":
                inner = part.get_payload()
                data = inner[0].as_bytes() if isinstance(inner, list) and inner else b""
            content_id = clean_line(str(part.get("Content-ID") or ""), 250).strip("<>")
            extension = {"message/rfc822": ".eml"}.get(content_type, "")
            attachments.append(
                Attachment(
                    filename=safe_filename(filename, fallback=f"attachment-{len(attachments) + 1}{extension}"),
                    content_type=clean_line(content_type, 100),
                    data=data,
                    inline=disposition == "inline" or bool(content_id and disposition != "attachment"),
                    content_id=content_id,
                )
            )
        elif content_type == "text/plain":
            plain.append(_decoded(part))
        else:
            html.append(_decoded(part))
    text = "\n\n".join(p.strip() for p in plain if p.strip())
    if not text and html:
        text = "\n\n".join(html_to_text(h) for h in html)
    return text, "\n".join(html), attachments


def strip_quoted(text: str) -> str:
    """The new words of a reply: quoted history, "On … wrote:" and signatures removed."""
    if not text.strip():
        return ""
    try:
        reply = EmailReplyParser(languages=REPLY_LANGUAGES).parse_reply(text=text)
    except Exception:  # the library must never cost a message; keep it whole
        return text.strip()
    return (reply or "").strip() or text.strip()


def automatic_reason(message: EmailMessage, from_email: str) -> str:
    """Why this message is a machine's (never answered), or ""."""
    auto_submitted = _header(message, "Auto-Submitted").strip().lower()
    if auto_submitted and auto_submitted != "no":
        return f"Auto-Submitted: {auto_submitted}"[:200]
    precedence = _header(message, "Precedence").strip().lower()
    if precedence in {"bulk", "junk", "list", "auto_reply"}:
        return f"Precedence: {precedence}"
    for name in ("X-Autoreply", "X-Autorespond", "X-Auto-Reply"):
        if message.get(name) is not None:
            return f"{name} header"
    if message.get_content_type() == "multipart/report" or any(
        part.get_content_type() == "message/delivery-status" for part in message.walk()
    ):
        return "delivery status notification"
    local = from_email.partition("@")[0]
    if local in {"mailer-daemon", "postmaster", "noreply", "no-reply", "donotreply", "do-not-reply"}:
        return f"sent by {local}"
    if _header(message, "Return-Path").strip() == "<>":
        return "empty Return-Path (a bounce)"
    return ""


def parse(raw: bytes) -> ParsedMail:
    message = read_message(raw)
    from_name, from_email = _sender(message)
    try:
        Address(addr_spec=from_email)
    except Exception as error:  # not an address the desk could ever answer
        raise MalformedMail("The message has no valid sender address.") from error
    if "@" not in from_email or len(from_email) > 254:
        raise MalformedMail("The message has no valid sender address.")
    ids = message_ids(_header(message, "Message-ID"))
    # Without a Message-ID a repeat delivery is still recognised: by the message's own bytes.
    message_id = ids[0] if ids else f"sha256-{hashlib.sha256(raw).hexdigest()}@no-message-id"
    text, _html, attachments = _walk(message)
    return ParsedMail(
        message_id=message_id[:MESSAGE_ID_MAX_LENGTH],
        from_email=from_email,
        from_name=from_name,
        to=[address for _, address in _addresses(message, "To")],
        cc=[address for _, address in _addresses(message, "Cc")],
        subject=clean_line(_header(message, "Subject"), 300),
        in_reply_to=message_ids(_header(message, "In-Reply-To")),
        references=message_ids(_header(message, "References")),
        text=text,
        reply_text=strip_quoted(text),
        attachments=attachments,
        automatic=automatic_reason(message, from_email),
    )
