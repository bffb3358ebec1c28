"""Live chat pages: who may open which, what they show, forms that name what was wrong, escaping."""

from __future__ import annotations

import html
import re

import pytest
from django.test import Client

from livelisten import services
from livelisten.models import ChatSession

pytestmark = pytest.mark.django_db


def signed_in(user) -> Client:
    client = Client()
    client.force_login(user)
    return client


def test_the_customer_starts_a_chat_from_the_portal(chat_customer):
    browser = signed_in(chat_customer)
    page = browser.get("/portal/chat/")
    assert page.status_code == 200 and b"Start the chat" in page.content
    assert b'href="/portal/chat/"' in browser.get("/portal/").content  # "Chat with us" in the portal's navigation
    answer = browser.post("/portal/chat/", {"subject": "Export", "body": "It fails"})
    session = ChatSession.objects.get()
    assert answer.status_code == 302 and answer["Location"] == f"/portal/chat/{session.pk}/"
    chat = browser.get(answer["Location"])
    assert chat.status_code == 200
    assert f'data-ws="/ws/sessions/{session.pk}/"'.encode() in chat.content and b'data-role="customer"' in chat.content


def test_a_bad_start_keeps_what_was_typed_and_names_the_field(chat_customer):
    page = signed_in(chat_customer).post("/portal/chat/", {"subject": "Keep <me>", "body": ""})
    assert page.status_code == 400
    assert b'aria-invalid="true" aria-describedby="body-error"' in page.content
    assert b'value="Keep &lt;me&gt;"' in page.content
    assert not ChatSession.objects.exists()


def test_pages_are_refused_to_those_without_the_right(active_session, chat_customer, agent, product_manager, make_customer):
    stranger = make_customer("stranger").user
    assert signed_in(stranger).get(f"/portal/chat/{active_session.pk}/").status_code == 404
    assert signed_in(agent).get("/portal/chat/").status_code == 404
    assert signed_in(chat_customer).get("/chat/").status_code == 404
    assert signed_in(chat_customer).get("/live/").status_code == 404
    assert signed_in(agent).get("/live/").status_code == 404
    assert signed_in(agent).get("/live/audit/").status_code == 404
    assert signed_in(product_manager).get("/chat/").status_code == 404
    assert Client().get("/chat/").status_code == 302


def test_the_console_shows_my_chats_with_context_and_the_queue(active_session, agent, start_chat, make_customer):
    waiting = start_chat(actor=make_customer("second").user, subject="<b>Login</b> loop")
    page = signed_in(agent).get("/chat/")
    html = page.content.decode()
    assert page.status_code == 200
    assert f'data-ws="/ws/sessions/{active_session.pk}/"' in html and 'data-role="agent"' in html
    assert "Casey Customer" in html and "Acme Corp" in html  # the ticket's context beside the chat
    assert f'action="/chat/{waiting.pk}/accept/"' in html
    assert "&lt;b&gt;Login&lt;/b&gt; loop" in html and "<b>Login</b>" not in html
    assert "nav" in html and 'href="/chat/"' in html


def test_accepting_from_the_console_and_losing_the_race(waiting_session, agent, agent2):
    assert signed_in(agent).post(f"/chat/{waiting_session.pk}/accept/").status_code == 302
    late = signed_in(agent2).post(f"/chat/{waiting_session.pk}/accept/", follow=True)
    assert b"already accepted by Alex Agent" in late.content


def test_transfer_and_availability_from_the_console(active_session, agent, agent2):
    browser = signed_in(agent)
    bad = browser.post(f"/chat/{active_session.pk}/transfer/", {"agent": "nobody"}, follow=True)
    assert b"nobody does not answer chats" in bad.content
    browser.post(f"/chat/{active_session.pk}/transfer/", {"agent": "agent2"})
    active_session.refresh_from_db()
    assert active_session.agent == agent2
    browser.post("/chat/settings/", {"available": "1"})
    assert services.agent_chat_settings_save(actor=agent).available is True


def test_the_dashboard_and_the_shadow_view(active_session, product_manager, listener):
    dashboard = signed_in(product_manager).get("/live/")
    assert dashboard.status_code == 200 and f'href="/live/{active_session.pk}/"'.encode() in dashboard.content
    assert b'data-ws="/ws/live/"' in dashboard.content
    shadow = signed_in(product_manager).get(f"/live/{active_session.pk}/")
    html = shadow.content.decode()
    assert f'data-ws="/ws/sessions/{active_session.pk}/listen/"' in html and "data-chat-whisper" in html
    assert "data-chat-barge" in html and "data-coaching-url=" in html
    # The ticket's escalation panel, to pull the cord without leaving the conversation.
    assert 'id="pull-the-cord"' in html and "data-open-beside" in html
    assert b"Listen audit" in signed_in(listener).get("/live/").content


def test_coaching_and_audit_pages(active_session, listener, agent, manager):
    services.listen_start(actor=listener, session_id=active_session.pk, connection="x")
    reply, _ = services.message_post(actor=agent, session_id=active_session.pk, body="Hello.")
    services.coaching_mark_add(actor=listener, session_id=active_session.pk, seq=reply.seq, comment="<i>Greet</i> them")
    assert b"No coaching marks yet." in signed_in(agent).get("/chat/coaching/").content  # the chat goes on
    everyone = signed_in(manager).get("/chat/coaching/").content.decode()
    assert "&lt;i&gt;Greet&lt;/i&gt; them" in everyone
    services.session_end(actor=agent, session_id=active_session.pk)
    mine = signed_in(agent).get("/chat/coaching/")
    assert b"Greet" in mine.content and b"Mark all as read" in mine.content
    audit = signed_in(manager).get("/live/audit/").content.decode()
    assert "Started listening" in audit and "Lee Listener" in audit


def test_the_customer_ends_and_asks_for_the_transcript(active_session, chat_customer):
    browser = signed_in(chat_customer)
    answer = browser.post(f"/portal/chat/{active_session.pk}/transcript/", follow=True)
    assert b"The transcript is on its way to customer@customer.test" in answer.content
    browser.post(f"/portal/chat/{active_session.pk}/end/")
    active_session.refresh_from_db()
    assert active_session.status == "ended"
    page = browser.get(f"/portal/chat/{active_session.pk}/")
    assert b'data-live="0"' in page.content and b"This chat has ended." in page.content


def test_the_transfer_list_names_colleagues_who_serve_chats_in_one_query(active_session, agent, agent2, make_user, listener):
    from django.db import connection
    from django.test.utils import CaptureQueriesContext

    from helpdesk import roles
    from livelisten import selectors

    make_user("pm", role=roles.PRODUCT_MANAGERS)  # listens, does not serve chats
    selectors.transfer_candidates(user=agent)
    with CaptureQueriesContext(connection) as one:
        names = [person.username for person in selectors.transfer_candidates(user=agent)]
    assert sorted(names) == ["agent2", "listener"]  # support managers serve chats too; the product manager does not
    for number in range(5):
        make_user(f"more{number}", role=roles.AGENTS)
    selectors.transfer_candidates(user=agent)  # the caller's own rights, read again after the directory changed
    with CaptureQueriesContext(connection) as more:
        assert len(selectors.transfer_candidates(user=agent)) == 7
    assert len(more.captured_queries) == len(one.captured_queries)
    assert '<option value="agent2">' in signed_in(agent).get("/chat/").content.decode()


def _older_link(page: str) -> str | None:
    found = re.search(r'href="([^"]*)" rel="next"', page)
    return html.unescape(found.group(1)) if found else None


def test_the_coaching_list_and_the_listen_audit_page_back_to_the_first_entry(
    active_session, listener, agent, manager, monkeypatch
):
    from django.db import connection
    from django.test.utils import CaptureQueriesContext

    from livelisten import views

    monkeypatch.setattr(views, "COACHING_PAGE_SIZE", 2)
    monkeypatch.setattr(views, "AUDIT_PAGE_SIZE", 2)
    services.listen_start(actor=listener, session_id=active_session.pk, connection="x")
    for number in range(3):
        reply, _ = services.message_post(actor=agent, session_id=active_session.pk, body=f"Answer {number}")
        services.coaching_mark_add(actor=listener, session_id=active_session.pk, seq=reply.seq, comment=f"Note {number}")
        services.whisper_post(actor=listener, session_id=active_session.pk, body=f"psst {number}")
    browser = signed_in(manager)
    browser.get("/chat/coaching/")  # the session and the account, loaded once
    with CaptureQueriesContext(connection) as first_queries:
        first = browser.get("/chat/coaching/").content.decode()
    assert "Note 2" in first and "Note 1" in first and "Note 0" not in first and "Newest marks" not in first
    with CaptureQueriesContext(connection) as older_queries:
        rest = browser.get("/chat/coaching/" + _older_link(first)).content.decode()
    assert "Note 0" in rest and "Note 2" not in rest and _older_link(rest) is None and "Newest marks" in rest
    assert len(older_queries) == len(first_queries) <= 6  # the page's rows come with what they show
    assert "Note 2" in browser.get("/chat/coaching/?cursor=edited").content.decode()  # a broken link: the newest
    actions, link = [], ""
    while link is not None:
        page = browser.get("/live/audit/" + link).content.decode()
        actions += re.findall(r"<td>(Started listening|Whispered to the agent)</td>", page)
        link = _older_link(page)
    assert actions == ["Whispered to the agent"] * 3 + ["Started listening"]  # newest first, each once


def test_the_console_serves_one_pane_of_a_chat_transferred_in_to_its_agent_only(active_session, agent, agent2, chat_customer):
    services.session_transfer(actor=agent, session_id=active_session.pk, agent_username="agent2")
    answer = signed_in(agent2).get(f"/chat/{active_session.pk}/pane/")
    assert answer.status_code == 200
    page = answer.content.decode()
    assert f'data-session="{active_session.pk}"' in page and 'data-role="agent"' in page and "Transfer to" in page
    assert "<html" not in page  # a fragment the console mounts
    assert signed_in(agent).get(f"/chat/{active_session.pk}/pane/").status_code == 404  # no longer theirs
    assert signed_in(chat_customer).get(f"/chat/{active_session.pk}/pane/").status_code == 404
    services.session_end(actor=agent2, session_id=active_session.pk)
    assert signed_in(agent2).get(f"/chat/{active_session.pk}/pane/").status_code == 404  # ended: nothing to open


def test_the_customer_chats_about_an_open_request_from_its_page(chat_customer, customer, customer2, make_ticket, agent):
    from helpdesk import services as desk_services

    own = make_ticket(requester=customer, subject="Invoice twice")
    browser = signed_in(chat_customer)
    page = browser.get(f"/portal/tickets/{own.reference}/").content.decode()
    assert f'href="/portal/chat/?ticket={own.reference}"' in page and "Chat about this request" in page
    start = browser.get(f"/portal/chat/?ticket={own.reference}").content.decode()
    assert "About your request" in start and "Invoice twice" in start and 'id="chat-subject"' not in start
    answer = browser.post("/portal/chat/", {"ticket": own.reference, "body": "Why was I billed twice?"})
    session = ChatSession.objects.get()
    assert answer.status_code == 302 and session.ticket == own  # no new ticket: the chat is on the request
    page = browser.get(f"/portal/tickets/{own.reference}/").content.decode()
    assert f'href="/portal/chat/{session.pk}/"' in page and "Chat about this request" not in page

    others = make_ticket(requester=customer2)
    refused = browser.post("/portal/chat/", {"ticket": others.reference, "body": "Let me in"})
    assert refused.status_code == 400 and b"No such request of yours" in refused.content
    assert ChatSession.objects.count() == 1  # nothing started
    desk_services.ticket_update(actor=agent, ticket=own, status="solved")
    services.session_end(actor=chat_customer, session_id=session.pk)
    assert "Chat about this request" not in browser.get(f"/portal/tickets/{own.reference}/").content.decode()
