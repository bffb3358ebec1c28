"""The timeline's items rendered in Python: the same bytes as the template loop they replaced, every value escaped."""

from __future__ import annotations

from datetime import UTC, datetime, timedelta
from unittest import mock

import pytest
from django.contrib.auth import get_user_model
from django.db import connection
from django.template import Context, Template
from django.template.loader import render_to_string
from django.test.utils import CaptureQueriesContext
from django.urls import reverse
from django.utils import timezone

from helpdesk import selectors, services
from helpdesk.models import Customer, TicketEvent
from helpdesk.templatetags.timeline import render_timeline_items
from helpdesk.views.desk.timeline import build_timeline

Kind = TicketEvent.Kind

# The loop of templates/helpdesk/_timeline_items.html as it was before it moved to Python:
# the reference the new renderer must match byte for byte (since joined by the
# "written by ... on the customer's behalf" line of a call an agent logged).
REFERENCE_LOOP = """{% load desk timeline %}{% for item in timeline %}
  {% if item.kind == "message" %}
  <li id="{{ item.anchor }}" class="event {% if item.is_note %}event-note{% else %}event-reply {% if item.is_customer %}event-customer{% else %}event-agent{% endif %}{% endif %}">
    <span class="avatar" aria-hidden="true">{{ item.actor_label|initials }}</span>
    <div class="event-card">
      <div class="event-head">
        <span class="author">{{ item.actor_label }}</span>
        {% if item.is_note %}<span class="event-label label-note">Internal note</span>
        {% elif item.is_customer %}<span class="event-label label-customer">Customer</span>
        {% if item.written_by %}
<span class="event-behalf">written by {{ item.written_by }} on the customer's behalf</span>{% endif %}{% else %}<span class="event-label label-agent">Public reply</span>{% endif %}
        <span class="event-time" title="{{ item.created_at|abstime }}">{{ item.created_at|shorttime }}</span>
      </div>
      <div class="event-body">{{ item.event.body|linebreaksbr }}</div>
{% if item.attachments %}      <ul class="event-files">
{% for a in item.attachments %}{% if a.thumbnail %}        <li class="file file-image"><a href="/attachments/{{ a.pk }}/" target="_blank" rel="noopener"><img src="/attachments/{{ a.pk }}/preview/" alt="{{ a.filename }}" loading="lazy"></a><a class="file-name" href="/attachments/{{ a.pk }}/?download" download>{{ a.filename }}</a> <span class="file-size">{{ a.size|filesize_label }}</span></li>
{% else %}        <li class="file"><a class="file-name" href="/attachments/{{ a.pk }}/?download" download>{{ a.filename }}</a> <span class="file-size">{{ a.size|filesize_label }}</span></li>
{% endif %}{% endfor %}      </ul>
{% endif %}{% if item.mail %}{% if item.mail.direction == "in" %}      <div class="event-mail">Received by email{% if item.mail_url %} · <a href="{{ item.mail_url }}">original</a>{% endif %}</div>
{% else %}      <div class="event-mail event-mail-{{ item.mail.status }}">Emailed to {{ item.mail.recipients|join:", " }} · {{ item.mail.status_label }}{% if item.mail.error and item.mail.status != "sent" %} <span class="event-mail-error" title="{{ item.mail.error }}">({{ item.mail.error|slice:":80" }})</span>{% endif %}</div>
{% endif %}{% endif %}    </div>
  </li>
  {% else %}
  <li id="{{ item.anchor }}" class="event event-audit">
    <span class="audit-actor">{{ item.actor_label }}</span>
    {% for phrase in item.phrases %}{% for text, is_value in phrase %}{% if is_value %}<b>{{ text }}</b>{% else %}{{ text }}{% endif %}{% endfor %}{% if not forloop.last %}, {% endif %}{% endfor %}
    <span class="audit-time" title="{{ item.created_at|abstime }}">· {{ item.created_at|shorttime }}</span>
    {% for remark in item.remarks %}<span class="audit-remark">{{ remark }}</span>{% endfor %}
  </li>
  {% endif %}
{% endfor %}"""

HOSTILE = """<script>alert("x")</script> & 'quoted' <b>bold</b>"""
NOW = datetime(2026, 6, 15, 14, 30, tzinfo=UTC)


def reference_render(items) -> str:
    return Template(REFERENCE_LOOP).render(Context({"timeline": items}))


@pytest.fixture
def frozen_now():
    # Both renderers ask for "today"; one fixed moment keeps them on the same day.
    with mock.patch.object(timezone, "now", return_value=NOW):
        yield NOW


def _hand_made_events() -> list[TicketEvent]:
    """Events of every kind and author, at times today, this year and years ago, with hostile text."""
    User = get_user_model()
    agent = User(pk=901, username="alex", first_name="Alex", last_name="O'Brien <admin>")
    bare = User(pk=902, username='no"name')
    requester_login = User(pk=903, username="casey")
    requester = Customer(pk=801, name='Casey "C" <Customer>', email="c@example.test", user=requester_login)
    walk_in = Customer(pk=802, name="Dana & Co", email="d@example.test")
    times = [NOW - timedelta(minutes=5), NOW - timedelta(days=40), datetime(2023, 1, 2, 3, 4, tzinfo=UTC)]
    events: list[TicketEvent] = []

    def add(kind, *, actor=None, customer=None, body="", old="", new="", when=None):
        events.append(
            TicketEvent(
                pk=1000 + len(events),
                kind=kind,
                actor=actor,
                customer=customer,
                body=body,
                old_value=old,
                new_value=new,
                created_at=when or times[len(events) % 3],
            )
        )

    add(Kind.CREATED, actor=agent, new="email")
    add(Kind.CREATED, actor=None)
    add(Kind.REPLY, customer=requester, actor=requester_login, body=f"First line\r\nsecond {HOSTILE}\rthird\n\nfifth")
    add(Kind.REPLY, customer=walk_in, body="logged for a walk-in")
    add(Kind.REPLY, actor=agent, body=HOSTILE)
    add(Kind.NOTE, actor=bare, body="")
    add(Kind.NOTE, actor=agent, body="ünïcödé ✓ — 日本語")
    shared = times[0] - timedelta(seconds=1)
    # One save: three changes by one actor at one moment make one audit line.
    add(Kind.STATUS, actor=agent, old="new", new="open", when=shared)
    add(Kind.PRIORITY, actor=agent, old="normal", new="urgent", when=shared)
    add(Kind.ASSIGNEE, actor=agent, old="", new="alex", when=shared)
    add(Kind.ASSIGNEE, actor=requester_login, old="alex", new="", when=times[1])
    add(Kind.ASSIGNEE, actor=agent, old="alex", new='sam"<x>', when=times[2])
    add(Kind.TEAM, actor=agent, old="", new=HOSTILE)
    add(Kind.TEAM, actor=agent, old="Billing", new="")
    add(Kind.FEATURE, actor=agent, old="sso", new="export & <csv>")
    add(Kind.SUBJECT, actor=agent, old="old <subject>", new=HOSTILE)
    add(Kind.TAGS, actor=agent, old="a b", new="b c d")
    add(Kind.TAGS, actor=agent, old="x", new="x")
    add(Kind.STATUS, actor=None, old="solved", new="closed", body=f"Closed automatically {HOSTILE}")
    add(Kind.STATUS, actor=None, old="weird<", new="also'weird")
    return events, requester


@pytest.mark.parametrize("zone", ["UTC", "America/New_York", "Asia/Kolkata"])
def test_every_kind_of_item_renders_the_same_bytes_as_the_template(frozen_now, settings, zone):
    settings.TIME_ZONE = zone
    events, requester = _hand_made_events()
    items = build_timeline(events, user_labels={"alex": "Alex O'Brien"}, requester=requester)
    assert {item.kind for item in items} == {"message", "audit"}
    assert any(len(item.events) == 3 for item in items), "the grouped save is one line"
    assert render_timeline_items(items) == reference_render(items)


def test_an_empty_timeline_renders_nothing(frozen_now):
    assert render_timeline_items([]) == reference_render([]) == ""


def test_values_are_escaped(frozen_now):
    events, requester = _hand_made_events()
    html = render_timeline_items(build_timeline(events, user_labels={}, requester=requester))
    assert "<script>" not in html and "<csv>" not in html and "<admin>" not in html
    assert "&lt;script&gt;alert(&quot;x&quot;)&lt;/script&gt; &amp; &#x27;quoted&#x27;" in html
    assert "Casey &quot;C&quot; &lt;Customer&gt;" in html
    assert "First line<br>second " in html and "third<br><br>fifth" in html
    assert '<b>sam&quot;&lt;x&gt;</b>' in html


def test_service_made_timeline_renders_the_same_bytes_as_the_template(agent, customer, make_ticket, frozen_now):
    ticket = make_ticket(subject=f"Subject {HOSTILE}", body=f"Body {HOSTILE}\nline two")
    services.ticket_message_post(actor=customer.user, ticket=ticket, body="Customer <again>")
    services.ticket_message_post(actor=agent, ticket=ticket, body="Agent's reply & more")
    services.ticket_message_post(actor=agent, ticket=ticket, body="A note", internal=True)
    ticket.refresh_from_db()
    services.ticket_update(actor=agent, ticket=ticket, priority="urgent", tags=["vip", "a<b"], subject="New & <improved>")
    events = selectors.ticket_timeline(user=agent, ticket=ticket)
    items = build_timeline(events, user_labels={"agent": "Alex Agent"}, requester=ticket.requester)
    assert render_timeline_items(items) == reference_render(items)


def test_whole_partial_matches_the_old_template_around_the_items(agent_client, agent, customer, make_ticket, settings):
    settings.HELPDESK_TIMELINE_WINDOW = 3
    ticket = make_ticket(subject="Window", body="request")
    for number in range(5):
        services.ticket_message_post(actor=customer.user, ticket=ticket, body=f"message {number} <i>")
    window = selectors.ticket_timeline_window(user=agent, ticket=ticket, limit=3)
    items = build_timeline(window.events, user_labels={}, requester=ticket.requester)
    context = {"ticket": ticket, "timeline": items, "earlier": window.earlier, "earlier_before": window.first_id}
    html = render_to_string("helpdesk/_timeline_items.html", context)
    assert window.earlier > 1 and f"Show {window.earlier} earlier events" in html
    before_items = html[: html.index("\n  \n  <li")]
    assert html == before_items + reference_render(items) + "\n"
    # And over HTTP, the page carries the same items.
    page = agent_client.get(reverse("helpdesk:ticket_detail", args=[ticket.reference])).content.decode()
    assert "message 4 &lt;i&gt;" in page and "message 4 <i>" not in page


def test_whole_long_timeline_loads_only_the_columns_it_shows(agent_client, agent, customer, make_ticket):
    ticket = make_ticket(subject="Long", body="request")
    for number in range(12):
        services.ticket_message_post(actor=customer.user if number % 2 else agent, ticket=ticket, body=f"m{number}")
    url = reverse("helpdesk:ticket_detail", args=[ticket.reference]) + "?timeline=all"
    with CaptureQueriesContext(connection) as queries:
        response = agent_client.get(url)
    assert response.status_code == 200
    timeline_sql = [q["sql"] for q in queries.captured_queries if 'FROM "helpdesk_ticketevent"' in q["sql"]]
    assert len(timeline_sql) == 1, timeline_sql
    selected = timeline_sql[0].split(" FROM ", 1)[0]
    # Neither the password hash nor the customers' money columns are read for a timeline.
    assert '"password"' not in selected and '"annual_value"' not in selected and '"phone"' not in selected
    assert all(f"m{number}" in response.content.decode() for number in range(12))


def _entry_view(event) -> tuple:
    actor, customer = event.actor, event.customer if event.customer_id else None
    return (
        event.pk, event.kind, event.actor_id, event.customer_id, event.body, event.old_value, event.new_value,
        event.created_at, event.is_message, event.get_kind_display(),
        actor and (actor.pk, actor.get_username(), actor.get_full_name(), actor.first_name),
        customer and (customer.pk, customer.user_id, customer.name, customer.email),
    )  # fmt: skip


@pytest.mark.parametrize("viewer", ["agent", "customer"])
def test_whole_timeline_entries_carry_what_the_events_do(agent, customer, make_ticket, viewer):
    ticket = make_ticket(subject="Entries", body="request")
    services.ticket_message_post(actor=customer.user, ticket=ticket, body="customer words")
    services.ticket_message_post(actor=agent, ticket=ticket, body="a note", internal=True)
    services.ticket_message_post(actor=agent, ticket=ticket, body="a reply")
    ticket.refresh_from_db()
    services.ticket_update(actor=agent, ticket=ticket, priority="high", tags=["x"])
    user = agent if viewer == "agent" else customer.user
    events = selectors.ticket_timeline(user=user, ticket=ticket)
    with CaptureQueriesContext(connection) as queries:
        entries = selectors.ticket_timeline_entries(user=user, ticket=ticket)
        views = [_entry_view(entry) for entry in entries]
    assert len(queries.captured_queries) == 1
    assert views == [_entry_view(event) for event in events]
    if viewer == "customer":
        assert {entry.kind for entry in entries} == {Kind.REPLY}


def test_whole_timeline_entries_render_the_same_bytes_as_events(agent, customer, make_ticket, frozen_now):
    ticket = make_ticket(subject="Entries render", body=f"request {HOSTILE}")
    services.ticket_message_post(actor=customer.user, ticket=ticket, body="customer <words>")
    services.ticket_message_post(actor=agent, ticket=ticket, body="a note", internal=True)
    ticket.refresh_from_db()
    services.ticket_update(actor=agent, ticket=ticket, status="pending", priority="urgent")
    labels = {"agent": "Alex Agent"}
    from_events = build_timeline(selectors.ticket_timeline(user=agent, ticket=ticket), user_labels=labels,
                                 requester=ticket.requester)  # fmt: skip
    from_entries = build_timeline(selectors.ticket_timeline_entries(user=agent, ticket=ticket), user_labels=labels,
                                  requester=ticket.requester)  # fmt: skip
    assert render_timeline_items(from_entries) == render_timeline_items(from_events) == reference_render(from_events)


def test_mail_marks_render_the_same_bytes_as_the_template(frozen_now):
    from helpdesk.selectors_mail import MailMark

    events, requester = _hand_made_events()
    message_ids = [e.pk for e in events if e.is_message]
    marks = {
        message_ids[0]: MailMark(direction="in", inbound_id=7),
        message_ids[1]: MailMark(direction="out", recipients=("a@x.test", 'b"<c>@x.test'), status="sent"),
        message_ids[2]: MailMark(direction="out", recipients=("a@x.test",), status="failed", error="554 <no> & " + "x" * 90),
        message_ids[3]: MailMark(direction="out", recipients=("a@x.test",), status="pending"),
    }
    items = build_timeline(
        events, user_labels={}, requester=requester, mail_marks=marks, original_url=lambda pk: f"/t/emails/{pk}/?a=1&b=<2>"
    )
    html = render_timeline_items(items)
    assert html == reference_render(items)
    assert 'Received by email · <a href="/t/emails/7/?a=1&amp;b=&lt;2&gt;">original</a>' in html
    assert "Emailed to a@x.test, b&quot;&lt;c&gt;@x.test · sent" in html
    assert "not delivered <span" in html and "554 &lt;no&gt; &amp;" in html
    assert "waiting to be sent" in html


def test_files_render_the_same_bytes_as_the_template(frozen_now):
    from helpdesk.attachments.models import Attachment

    events, requester = _hand_made_events()
    message_ids = [e.pk for e in events if e.is_message]
    image = Attachment(pk=5, filename='shot "<1>".png', size=2048, content_type="image/png", thumbnail="t/x.png", width=10, height=10)
    document = Attachment(pk=6, filename="a&b.pdf", size=3 * 1024 * 1024 + 5, content_type="application/pdf")
    tiny = Attachment(pk=7, filename="n.txt", size=12, content_type="text/plain")
    items = build_timeline(
        events, user_labels={}, requester=requester, attachments={message_ids[0]: [image, document], message_ids[1]: [tiny]}
    )
    html = render_timeline_items(items)
    assert html == reference_render(items)
    assert '<img src="/attachments/5/preview/" alt="shot &quot;&lt;1&gt;&quot;.png"' in html
    assert 'href="/attachments/6/?download" download>a&amp;b.pdf</a> <span class="file-size">3.0 MB</span>' in html
    assert "12 bytes" in html
