"""Long timelines: the ticket page shows the latest events and brings the earlier ones on demand."""

from __future__ import annotations

import re

import pytest
from django.db import connection
from django.test.utils import CaptureQueriesContext
from django.urls import reverse

from helpdesk import selectors, services
from helpdesk.errors import InvalidInput
from helpdesk.models import TicketEvent

WINDOW = 4


@pytest.fixture(autouse=True)
def small_window(settings):
    settings.HELPDESK_TIMELINE_WINDOW = WINDOW


@pytest.fixture
def long_ticket(make_ticket, agent, customer):
    """A ticket with 11 events: created, the request, then messages 1-9 (every third an internal note)."""
    ticket = make_ticket(subject="Long one", body="message 0")
    for i in range(1, 10):
        if i % 3 == 0:
            services.ticket_message_post(actor=agent, ticket=ticket, body=f"message {i}", internal=True)
        else:
            services.ticket_message_post(actor=customer.user, ticket=ticket, body=f"message {i}")
    return ticket


def page_url(ticket, **query) -> str:
    url = reverse("helpdesk:ticket_detail", kwargs={"reference": ticket.reference})
    return url + ("?" + "&".join(f"{k}={v}" for k, v in query.items()) if query else "")


def earlier_url(ticket, before) -> str:
    return reverse("helpdesk:ticket_timeline_earlier", kwargs={"reference": ticket.reference}) + f"?before={before}"


def bodies(html: str) -> list[str]:
    return re.findall(r"message \d+", html)


class TestWindowSelector:
    def test_latest_events_oldest_first_with_the_count_left_out(self, agent, long_ticket):
        window = selectors.ticket_timeline_window(user=agent, ticket=long_ticket, limit=WINDOW)
        assert [e.body for e in window.events] == ["message 6", "message 7", "message 8", "message 9"]
        assert window.earlier == 7
        assert window.first_id == window.events[0].pk

    def test_parts_before_an_event_join_up_to_the_whole_timeline(self, agent, long_ticket):
        seen = []
        window = selectors.ticket_timeline_window(user=agent, ticket=long_ticket, limit=WINDOW)
        seen[:0] = window.events
        while window.earlier:
            before = window.first_id
            window = selectors.ticket_timeline_window(user=agent, ticket=long_ticket, limit=WINDOW, before=str(before))
            seen[:0] = window.events
        assert [e.pk for e in seen] == [e.pk for e in selectors.ticket_timeline(user=agent, ticket=long_ticket)]

    def test_customers_count_public_replies_only(self, customer, long_ticket):
        window = selectors.ticket_timeline_window(user=customer.user, ticket=long_ticket, limit=WINDOW)
        # Messages 3, 6 and 9 are internal notes; "created" is no message.
        assert [e.body for e in window.events] == ["message 4", "message 5", "message 7", "message 8"]
        assert window.earlier == 3

    def test_one_save_is_never_cut_in_two(self, agent, agent2, customer, long_ticket, make_user):
        # One save writes three change rows with one time; two messages follow, so a
        # window of four would end between the first and the second change row.
        services.ticket_update(actor=agent2, ticket=long_ticket, status="open", priority="high", tags=["x"])
        for i in (10, 11):
            services.ticket_message_post(actor=customer.user, ticket=long_ticket, body=f"message {i}")
        changes = list(TicketEvent.objects.filter(ticket=long_ticket, actor=agent2).order_by("id"))
        assert len(changes) == 3 and len({c.created_at for c in changes}) == 1

        window = selectors.ticket_timeline_window(user=agent, ticket=long_ticket, limit=WINDOW)

        assert [e.pk for e in window.events[:3]] == [c.pk for c in changes]
        assert [e.body for e in window.events[3:]] == ["message 10", "message 11"]
        assert window.earlier == 11
        before = selectors.ticket_timeline_window(
            user=agent, ticket=long_ticket, limit=WINDOW, before=str(window.first_id)
        )
        assert before.events[-1].body == "message 9"

    def test_events_after_one_the_agent_saw(self, agent, agent2, long_ticket):
        seen = selectors.ticket_timeline_window(user=agent, ticket=long_ticket, limit=WINDOW).events[-1].pk
        services.ticket_update(actor=agent2, ticket=long_ticket, priority="urgent")
        after = selectors.ticket_timeline_after(user=agent, ticket=long_ticket, after=seen)
        assert [(e.kind, e.new_value) for e in after] == [("priority", "urgent")]
        assert selectors.ticket_timeline_after(user=agent, ticket=long_ticket, after=None) == []
        assert selectors.ticket_timeline_after(user=agent, ticket=long_ticket, after=2**70) == []

    @pytest.mark.parametrize("before", ["", "abc", "-1", "²", "99999999", "1" * 30])
    def test_before_must_be_an_event_of_this_ticket(self, agent, long_ticket, before):
        with pytest.raises(InvalidInput) as excinfo:
            selectors.ticket_timeline_window(user=agent, ticket=long_ticket, limit=WINDOW, before=before)
        assert excinfo.value.field == "before"

    def test_an_event_of_another_ticket_is_refused(self, agent, long_ticket, make_ticket):
        other = make_ticket(subject="Other")
        foreign = TicketEvent.objects.filter(ticket=other).first()
        with pytest.raises(InvalidInput):
            selectors.ticket_timeline_window(user=agent, ticket=long_ticket, limit=WINDOW, before=str(foreign.pk))

    def test_a_note_is_no_anchor_for_a_customer(self, customer, long_ticket):
        note = TicketEvent.objects.filter(ticket=long_ticket, kind=TicketEvent.Kind.NOTE).first()
        with pytest.raises(InvalidInput):
            selectors.ticket_timeline_window(user=customer.user, ticket=long_ticket, limit=WINDOW, before=str(note.pk))


class TestTicketPage:
    def test_shows_the_latest_events_and_a_link_to_the_earlier_ones(self, agent_client, long_ticket, agent):
        html = agent_client.get(page_url(long_ticket)).content.decode()
        assert bodies(html) == ["message 6", "message 7", "message 8", "message 9"]
        assert "Show 7 earlier events" in html
        first_shown = selectors.ticket_timeline_window(user=agent, ticket=long_ticket, limit=WINDOW)
        assert f'hx-get="{earlier_url(long_ticket, first_shown.first_id)}"' in html
        # Without JavaScript the link opens the whole timeline.
        assert f'href="{page_url(long_ticket, timeline="all")}#e' in html

    def test_the_earlier_part_replaces_its_link(self, agent_client, long_ticket, agent):
        first = selectors.ticket_timeline_window(user=agent, ticket=long_ticket, limit=WINDOW).first_id
        response = agent_client.get(earlier_url(long_ticket, first))
        html = response.content.decode()
        assert response.status_code == 200
        assert bodies(html) == ["message 2", "message 3", "message 4", "message 5"]
        assert "Show 3 earlier events" in html
        assert "<html" not in html  # a fragment, not a page

        oldest = selectors.ticket_timeline_window(user=agent, ticket=long_ticket, limit=WINDOW, before=str(first))
        last = agent_client.get(earlier_url(long_ticket, oldest.first_id)).content.decode()
        assert bodies(last) == ["message 0", "message 1"]
        assert "earlier event" not in last

    def test_notes_stay_marked_in_the_earlier_part(self, agent_client, long_ticket, agent):
        first = selectors.ticket_timeline_window(user=agent, ticket=long_ticket, limit=WINDOW).first_id
        html = agent_client.get(earlier_url(long_ticket, first)).content.decode()
        assert html.count("Internal note") == 1  # message 3

    def test_whole_timeline_on_request(self, agent_client, long_ticket):
        html = agent_client.get(page_url(long_ticket, timeline="all")).content.decode()
        assert bodies(html) == [f"message {i}" for i in range(10)]
        assert "earlier event" not in html

    def test_a_bad_cursor_is_a_clear_400_naming_the_field(self, agent_client, long_ticket):
        response = agent_client.get(earlier_url(long_ticket, "junk"))
        assert response.status_code == 400
        html = response.content.decode()
        assert '<code class="error-field">before</code>' in html
        assert "Show the whole timeline" in html

    def test_other_tickets_and_customers_get_not_found_or_the_portal(
        self, client, customer2, long_ticket, agent
    ):
        first = selectors.ticket_timeline_window(user=agent, ticket=long_ticket, limit=WINDOW).first_id
        client.force_login(customer2.user)
        response = client.get(earlier_url(long_ticket, first))
        assert response.status_code == 302 and "/portal/" in response["Location"]
        assert "message" not in response.content.decode()

    def test_unknown_ticket_is_not_found(self, agent_client):
        response = agent_client.get(
            reverse("helpdesk:ticket_timeline_earlier", kwargs={"reference": "HD-999999"}) + "?before=1"
        )
        assert response.status_code == 404

    def test_a_conflict_on_a_long_ticket_names_the_change_and_shows_the_latest_part(
        self, agent_client, agent2, long_ticket
    ):
        rendered = agent_client.get(page_url(long_ticket)).content.decode()
        form = dict(re.findall(r'<input type="hidden" name="(\w+)" value="([^"]*)"', rendered))
        form.update({"status": "new", "priority": "low", "assignee": "", "team": "", "tags": "", "feature": ""})
        services.ticket_update(actor=agent2, ticket=long_ticket, priority="urgent")

        response = agent_client.post(
            reverse("helpdesk:ticket_update", kwargs={"reference": long_ticket.reference}), form, follow=True
        )

        # Redirected to the ticket page (post/redirect/get), which shows the conflict with its status.
        assert response.redirect_chain == [(page_url(long_ticket), 303)]
        assert response.status_code == 409
        html = response.content.decode()
        assert "was changed by Sam Second while you were editing (priority)" in html
        assert bodies(html) == ["message 7", "message 8", "message 9"]  # and Sam's change: four events
        assert "Show 8 earlier events" in html
        latest = TicketEvent.objects.filter(ticket=long_ticket).order_by("-id").first()
        assert f'name="seen" value="{latest.pk}"' in html

    def test_page_queries_do_not_grow_with_events(self, agent_client, long_ticket, agent, customer):
        def count() -> int:
            agent_client.get(page_url(long_ticket))  # steady state: pick-lists and permissions cached
            with CaptureQueriesContext(connection) as queries:
                assert agent_client.get(page_url(long_ticket)).status_code == 200
            return len(queries.captured_queries)

        before = count()
        for i in range(30):
            services.ticket_message_post(actor=customer.user, ticket=long_ticket, body=f"more {i}")
        assert count() == before
