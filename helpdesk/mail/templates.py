"""The wording of every email the desk sends: built-in defaults, a support manager's own, rendering.

A template is Markdown with Django placeholders (``{{ ticket.reference }}``). It is
rendered by an engine with no template loaders and a context of plain strings, so an
edited template can neither include files nor reach into model methods; the HTML part
is Markdown turned into HTML and then sanitized (whatever a customer's name or an
agent's reply contains).
"""

from __future__ import annotations

from dataclasses import dataclass
from functools import lru_cache
from html import escape as html_escape

import markdown
import nh3
from django.template import Context, Engine, TemplateSyntaxError

_ENGINE = Engine(dirs=[], app_dirs=False, loaders=[], autoescape=False, libraries={})


@dataclass(frozen=True)
class Default:
    title: str
    subject: str
    body: str
    # Placeholder → what it holds, for the admin's help and the preview's sample.
    placeholders: dict[str, str]


_TICKET = {
    "ticket.reference": "HD-1042",
    "ticket.subject": "Export to CSV fails with a timeout",
    "ticket.url": "https://desk.example.com/portal/tickets/HD-1042/",
    "ticket.status": "Open",
}
_CUSTOMER = {"customer.name": "Jordan Ellis", "customer.email": "jordan@example.com"}
_DESK = {"desk.name": "Support"}

DEFAULTS: dict[str, Default] = {
    "reply": Default(
        title="Public reply to the customer and CCs",
        subject="[{{ ticket.reference }}] {{ ticket.subject }}",
        body=(
            "{{ message.body }}\n\n"
            "{{ agent.name }}  \n{{ desk.name }}\n\n"
            "---\n\n"
            "Ticket {{ ticket.reference }}: {{ ticket.subject }} ({{ ticket.status }}).  \n"
            "Reply to this email to answer, or see the whole conversation at {{ ticket.url }}"
        ),
        placeholders={
            **_TICKET,
            **_CUSTOMER,
            **_DESK,
            "message.body": "Thanks for the report: the export now runs in the background and emails you the file.",
            "agent.name": "Alex Agent",
        },
    ),
    "acknowledgement": Default(
        title="Request received (a new ticket by email)",
        subject="[{{ ticket.reference }}] {{ ticket.subject }}",
        body=(
            "Hello {{ customer.name }},\n\n"
            "We received your request and opened ticket {{ ticket.reference }}. "
            "We will answer by email; reply to this message to add anything.\n\n"
            "{{ desk.name }}\n\n---\n\nSee your request at {{ ticket.url }}"
        ),
        placeholders={**_TICKET, **_CUSTOMER, **_DESK},
    ),
    "invitation": Default(
        title="Invitation to the customer portal",
        subject="Your {{ desk.name }} account",
        body=(
            "Hello {{ customer.name }},\n\n"
            "You can now follow your requests to {{ desk.name }} online. "
            "Choose a password here (the link works once, until {{ link.expires }}):\n\n"
            "{{ link.url }}\n\n"
            "Then sign in with your email address, {{ customer.email }}."
        ),
        placeholders={
            **_CUSTOMER,
            **_DESK,
            "link.url": "https://desk.example.com/portal/invitation/MQ/c4k9-2f…/",
            "link.expires": "9 December 2026",
        },
    ),
    "notification": Default(
        title="Notification to an agent",
        subject="[{{ ticket.reference }}] {{ notice.headline }}",
        body=(
            "{{ notice.headline }}\n\n"
            "{{ notice.excerpt }}\n\n"
            "---\n\n"
            "{{ ticket.reference }}: {{ ticket.subject }}  \nOpen it in the desk: {{ ticket.desk_url }}  \n"
            "Change what you are told about at {{ settings_url }}"
        ),
        placeholders={
            **_TICKET,
            **_CUSTOMER,
            **_DESK,
            "ticket.desk_url": "https://desk.example.com/tickets/HD-1042/",
            "notice.headline": "Jordan Ellis replied on a ticket assigned to you",
            "notice.excerpt": "It still times out when I export more than 10,000 rows.",
            "settings_url": "https://desk.example.com/account/notifications/",
        },
    ),
    "chat_transcript": Default(
        title="Live chat transcript, sent to the customer on request",
        subject="[{{ ticket.reference }}] Your chat: {{ ticket.subject }}",
        body=(
            "Hello {{ customer.name }},\n\n"
            "Here is the transcript of your chat with {{ desk.name }}.\n\n"
            "{{ message.body }}\n\n"
            "---\n\n"
            "The conversation goes on as ticket {{ ticket.reference }}: reply to this email, "
            "or see it at {{ ticket.url }}"
        ),
        placeholders={
            **_TICKET,
            **_CUSTOMER,
            **_DESK,
            "message.body": "**Jordan Ellis** (10:02): The export times out.  \n**Alex Agent** (10:03): Looking now.",
        },
    ),
    "desk_notice": Default(
        title="Notification to a desk user about an escalation",
        subject="{{ notice.headline }}",
        body=(
            "{{ notice.headline }}\n\n"
            "{{ notice.excerpt }}\n\n"
            "---\n\n"
            "Open it in the desk: {{ notice.url }}  \n"
            "Change what you are told about at {{ settings_url }}"
        ),
        placeholders={
            **_DESK,
            "notice.headline": "Jordan Ellis pulled the cord on Billing · Invoices: ESC-12 “Invoice PDFs are empty”",
            "notice.excerpt": "Customers download a blank PDF.",
            "notice.url": "https://desk.example.com/escalations/ESC-12/",
            "settings_url": "https://desk.example.com/account/notifications/",
        },
    ),
}


@dataclass(frozen=True)
class Rendered:
    subject: str
    text: str
    html: str


def nested(flat: dict[str, str]) -> dict[str, dict[str, str] | str]:
    """``{"ticket.reference": …}`` → ``{"ticket": {"reference": …}}``: what the placeholders look up."""
    context: dict = {}
    for dotted, value in flat.items():
        head, _, rest = dotted.partition(".")
        if rest:
            context.setdefault(head, {})[rest] = value
        else:
            context[head] = value
    return context


def check_syntax(source: str) -> str | None:
    """The error a template's source has, or None."""
    try:
        _ENGINE.from_string(source)
    except TemplateSyntaxError as error:
        return str(error)
    return None


def markdown_to_html(text: str) -> str:
    """Markdown as safe HTML: raw HTML in the source is removed, links get ``rel=noopener``."""
    html = markdown.markdown(text, extensions=["sane_lists", "nl2br"], output_format="html")
    return nh3.clean(html, link_rel="noopener noreferrer")


@lru_cache(maxsize=64)
def _compiled(source: str):
    # Compiling costs more than rendering; the few sources in use are kept (an edit is a new source).
    return _ENGINE.from_string(source)


# Placeholders whose value is Markdown written to be formatted (an agent's reply); every
# other value (names, subjects, titles) is text, escaped in the HTML part so "<b>" reads as typed.
MARKDOWN_VALUES = frozenset({"message.body"})


def render(*, subject: str, body: str, values: dict[str, str]) -> Rendered:
    """Render one template; ``values`` as in ``Default.placeholders``."""
    context = Context(nested(values), autoescape=False)
    text = _compiled(body).render(context).strip() + "\n"
    # A subject is one line whatever a placeholder holds (header injection, and mail clients).
    line = " ".join(_compiled(subject).render(context).split())[:250]
    escaped = {name: value if name in MARKDOWN_VALUES else html_escape(str(value)) for name, value in values.items()}
    html_source = _compiled(body).render(Context(nested(escaped), autoescape=False)).strip() + "\n"
    return Rendered(subject=line, text=text, html=_html_document(markdown_to_html(html_source)))


def _html_document(fragment: str) -> str:
    return (
        '<!DOCTYPE html><html><body style="font-family: -apple-system, Segoe UI, Helvetica, Arial, sans-serif;'
        ' font-size: 15px; line-height: 1.45; color: #1f2328">' + fragment + "</body></html>"
    )
