"""Live chat services: sessions, numbered lines, idempotent resends, listening, transcripts, coaching."""

from __future__ import annotations

from datetime import timedelta

import pytest
from django.utils import timezone

from helpdesk import roles
from helpdesk.errors import ActionForbidden, InvalidInput, NotFound, RateLimited, StaleVersion, TransitionNotAllowed
from helpdesk.mail.models import OutboundEmail
from helpdesk.models import TicketEvent
from livelisten import events, selectors, services
from livelisten.models import ChatMessage, ChatSession, ListenAudit, ListenerConnection, SessionMember

pytestmark = pytest.mark.django_db


def lines(session):
    return list(ChatMessage.objects.filter(session=session).order_by("seq").values_list("seq", "kind", "body"))


def test_a_customer_starts_a_chat_on_a_new_chat_ticket(waiting_session, chat_customer, customer):
    session = waiting_session
    assert session.status == "waiting" and session.customer == chat_customer
    assert session.ticket.channel == "chat" and session.ticket.requester == customer
    assert session.ticket.subject == "Export fails"
    assert lines(session) == [(1, "message", "The export times out.")]
    first = ChatMessage.objects.get(session=session)
    # The opening line is the ticket's first message already: the transcript will not repeat it.
    assert first.ticket_event.ticket_id == session.ticket_id and first.ticket_event.body == "The export times out."
    assert session.last_seq == 1 and session.message_count == 1


def test_a_chat_can_continue_an_open_ticket_of_the_customer(start_chat, make_ticket, customer, customer2):
    own = make_ticket(requester=customer)
    session = start_chat(ticket_reference=own.reference, subject="")
    assert session.ticket == own and session.subject == own.subject
    others = make_ticket(requester=customer2)
    with pytest.raises(InvalidInput) as error:
        start_chat(ticket_reference=others.reference)
    assert error.value.field == "ticket"


def test_only_customers_start_chats_and_not_too_many_at_once(start_chat, agent):
    with pytest.raises(ActionForbidden):
        start_chat(actor=agent)
    for _ in range(3):
        start_chat()
    with pytest.raises(RateLimited):
        start_chat()


def test_bad_first_messages_are_refused_naming_the_field(start_chat):
    for body in ("", "   ", "x" * (8 * 1024 + 1), "nul\x00"):
        with pytest.raises(InvalidInput) as error:
            start_chat(body=body)
        assert error.value.field == "body"


def test_accepting_takes_a_number_for_the_joined_line_and_assigns_the_ticket(active_session, agent):
    session = active_session
    assert session.status == "active" and session.agent == agent and session.accepted_at is not None
    assert lines(session) == [(1, "message", "The export times out."), (2, "system", "Alex Agent joined the chat.")]
    session.ticket.refresh_from_db()
    assert session.ticket.assignee == agent


def test_a_second_accept_is_a_conflict_naming_who_has_it(active_session, agent, agent2):
    with pytest.raises(StaleVersion) as error:
        services.session_accept(actor=agent2, session_id=active_session.pk)
    assert "Alex Agent" in error.value.message and error.value.current.agent == agent


def test_customers_and_listeners_cannot_accept(waiting_session, chat_customer, product_manager, make_customer):
    with pytest.raises(ActionForbidden):  # their own chat: they see it, but do not answer it
        services.session_accept(actor=chat_customer, session_id=waiting_session.pk)
    with pytest.raises(NotFound):
        services.session_accept(actor=make_customer("else").user, session_id=waiting_session.pk)
    with pytest.raises(ActionForbidden):
        services.session_accept(actor=product_manager, session_id=waiting_session.pk)


def test_numbers_are_gapless_across_kinds_and_resends_are_stored_once(active_session, agent, chat_customer, listener):
    sid = active_session.pk
    first, created = services.message_post(actor=chat_customer, session_id=sid, body="Hello?", client_id="c-1")
    assert created and first.seq == 3
    again, created_again = services.message_post(actor=chat_customer, session_id=sid, body="Hello?", client_id="c-1")
    assert not created_again and again.pk == first.pk
    whisper, _ = services.whisper_post(actor=listener, session_id=sid, body="Offer the workaround")
    reply, _ = services.message_post(actor=agent, session_id=sid, body="Hi!", client_id="c-1")  # same id, other sender
    assert [whisper.seq, reply.seq] == [4, 5]
    assert [row[0] for row in lines(active_session)] == [1, 2, 3, 4, 5]
    active_session.refresh_from_db()
    assert active_session.last_seq == 5 and active_session.message_count == 3  # whispers and system lines not counted


def test_people_outside_the_chat_cannot_write_in_it(active_session, agent2, listener, make_customer):
    stranger = make_customer("stranger").user
    with pytest.raises(NotFound):
        services.message_post(actor=stranger, session_id=active_session.pk, body="hi")
    with pytest.raises(NotFound):
        services.message_post(actor=agent2, session_id=active_session.pk, body="hi")
    with pytest.raises(ActionForbidden) as error:
        services.message_post(actor=listener, session_id=active_session.pk, body="hi")
    assert "barge" in error.value.message.lower()
    with pytest.raises(NotFound):
        services.whisper_post(actor=agent2, session_id=active_session.pk, body="psst")
    assert len(lines(active_session)) == 2


def test_the_customer_never_reads_whispers(active_session, listener):
    services.whisper_post(actor=listener, session_id=active_session.pk, body="secret")
    customer_view = selectors.messages_after(session_id=active_session.pk, after=0, role="customer")
    agent_view = selectors.messages_after(session_id=active_session.pk, after=0, role="agent")
    assert "secret" not in [m.body for m in customer_view]
    assert "secret" in [m.body for m in agent_view]


def test_transfer_moves_the_chat_and_says_so(active_session, agent, agent2, chat_customer):
    with pytest.raises(ActionForbidden):
        services.session_transfer(actor=agent2, session_id=active_session.pk, agent_username="agent2")
    with pytest.raises(InvalidInput) as error:
        services.session_transfer(actor=agent, session_id=active_session.pk, agent_username="customer")
    assert error.value.field == "agent"
    with pytest.raises(InvalidInput):
        services.session_transfer(actor=agent, session_id=active_session.pk, agent_username="agent")
    session = services.session_transfer(actor=agent, session_id=active_session.pk, agent_username="agent2")
    assert session.agent == agent2
    assert lines(session)[-1] == (3, "system", "Alex Agent transferred the chat to Sam Second.")
    with pytest.raises(NotFound):  # the old agent is out of the chat now
        services.message_post(actor=agent, session_id=session.pk, body="still here?")


def test_ending_writes_the_transcript_once_messages_public_whispers_internal(active_session, agent, chat_customer, listener):
    sid = active_session.pk
    services.message_post(actor=chat_customer, session_id=sid, body="It <b>fails</b>")
    services.message_post(actor=agent, session_id=sid, body="Try the nightly export.")
    services.whisper_post(actor=listener, session_id=sid, body="Good answer")
    session = services.session_end(actor=chat_customer, session_id=sid)
    assert session.status == "ended" and session.ended_by == chat_customer
    assert lines(session)[-1] == (6, "system", "customer ended the chat.")
    events = list(TicketEvent.objects.filter(ticket=session.ticket, kind__in=["reply", "note"]).order_by("pk"))
    assert [(e.kind, e.body) for e in events] == [
        ("reply", "The export times out."),
        ("reply", "It <b>fails</b>"),
        ("reply", "Try the nightly export."),
        ("note", "Whisper during the chat: Good answer"),
    ]
    assert events[1].customer_id == session.ticket.requester_id and events[2].customer_id is None
    # No email per chat line: the customer read them live.
    assert not OutboundEmail.objects.filter(ticket=session.ticket, kind="reply").exists()
    session.ticket.refresh_from_db()
    assert session.ticket.first_response_at is not None and session.ticket.status == "open"
    # Ending again changes nothing and writes nothing twice.
    services.session_end(actor=agent, session_id=sid)
    assert TicketEvent.objects.filter(ticket=session.ticket, kind__in=["reply", "note"]).count() == 4
    with pytest.raises(TransitionNotAllowed):
        services.message_post(actor=chat_customer, session_id=sid, body="one more")


def test_who_may_end(active_session, agent2, product_manager, manager):
    with pytest.raises(ActionForbidden):
        services.session_end(actor=agent2, session_id=active_session.pk)
    with pytest.raises(ActionForbidden):
        services.session_end(actor=product_manager, session_id=active_session.pk)
    assert services.session_end(actor=manager, session_id=active_session.pk).status == "ended"


def test_the_customer_may_have_the_transcript_emailed(active_session, chat_customer, agent, listener):
    services.whisper_post(actor=listener, session_id=active_session.pk, body="never in the email")
    services.message_post(actor=agent, session_id=active_session.pk, body="Here is the fix.")
    email = services.session_transcript_email(actor=chat_customer, session_id=active_session.pk)
    assert email.kind == "transcript" and email.to == ["customer@customer.test"]
    assert "Here is the fix." in email.body_text and "never in the email" not in email.body_text
    with pytest.raises(ActionForbidden):
        services.session_transcript_email(actor=agent, session_id=active_session.pk)


def test_listening_is_audited_and_counts_each_person_once(active_session, listener):
    sid = active_session.pk
    services.listen_start(actor=listener, session_id=sid, connection="win-1")
    services.listen_start(actor=listener, session_id=sid, connection="win-2")
    assert selectors.listeners_of(sid) == [{"username": "listener", "name": "Lee Listener"}]
    assert selectors.session_object(active_session)["listeners"] == ["listener"]
    services.listen_stop(actor=listener, session_id=sid, connection="win-1")
    services.listen_stop(actor=listener, session_id=sid, connection="win-1")  # twice: once audited
    assert ListenerConnection.objects.filter(session_id=sid).count() == 1
    actions = list(ListenAudit.objects.filter(session_id=sid).order_by("pk").values_list("action", flat=True))
    assert actions == ["listen_started", "listen_started", "listen_stopped"]


def test_a_whisper_is_audited_with_the_line_and_a_refused_one_is_not(active_session, listener, chat_customer):
    services.whisper_post(actor=listener, session_id=active_session.pk, body="Offer the refund.", client_id="w1")
    services.whisper_post(actor=listener, session_id=active_session.pk, body="Offer the refund.", client_id="w1")  # resent
    with pytest.raises(NotFound):
        services.whisper_post(actor=chat_customer, session_id=active_session.pk, body="me too")
    entries = list(ListenAudit.objects.filter(session_id=active_session.pk).values_list("actor__username", "action"))
    assert entries == [("listener", "whispered")]


def test_listeners_of_a_killed_process_go_stale(active_session, listener):
    services.listen_start(actor=listener, session_id=active_session.pk, connection="gone")
    ListenerConnection.objects.update(seen_at=timezone.now() - timedelta(minutes=5))
    assert selectors.listeners_of(active_session.pk) == []
    assert services.listen_touch(actor=listener, connection="gone")
    assert selectors.listeners_of(active_session.pk) != []


def test_the_sweep_forgets_listeners_of_a_killed_process_once_audited_and_announced(
    active_session, listener, make_user, monkeypatch
):
    other = make_user("listener2", role=roles.SUPPORT_MANAGERS)
    sid = active_session.pk
    services.listen_start(actor=listener, session_id=sid, connection="gone")
    services.listen_start(actor=other, session_id=sid, connection="alive")
    ListenerConnection.objects.filter(connection="gone").update(seen_at=timezone.now() - timedelta(minutes=5))
    announced = []
    monkeypatch.setattr(events, "broadcast_listeners", lambda **kwargs: announced.append(kwargs))

    assert services.listeners_sweep() == 1
    assert list(ListenerConnection.objects.values_list("connection", flat=True)) == ["alive"]
    stop = ListenAudit.objects.filter(session_id=sid, action="listen_stopped").get()
    assert stop.actor == listener and stop.old_mode == "listen"
    assert announced == [{"session_id": sid, "listeners": [{"username": "listener2", "name": "listener2"}]}]
    assert ChatSession.objects.get(pk=sid).listener_usernames == ["listener2"]

    assert services.listeners_sweep() == 0  # nothing stale: nothing audited or announced again
    assert ListenAudit.objects.filter(action="listen_stopped").count() == 1 and len(announced) == 1


def test_barge_makes_the_listener_a_visible_participant_and_leave_undoes_it(active_session, listener, agent):
    sid = active_session.pk
    with pytest.raises(NotFound):
        services.session_barge(actor=agent, session_id=sid)  # agents do not listen
    _, joined = services.session_barge(actor=listener, session_id=sid)
    _, again = services.session_barge(actor=listener, session_id=sid)
    assert joined and not again
    assert lines(active_session)[-1] == (3, "system", "Lee Listener (support manager) joined the chat.")
    message, _ = services.message_post(actor=listener, session_id=sid, body="I'm the manager, we'll fix it.")
    assert message.sender_role == "manager"
    services.session_leave(actor=listener, session_id=sid)
    assert not SessionMember.objects.filter(session_id=sid).exists()
    assert lines(active_session)[-1] == (5, "system", "Lee Listener left the chat.")
    actions = list(ListenAudit.objects.filter(session_id=sid).order_by("pk").values_list("action", "old_mode", "new_mode"))
    assert actions == [("barged", "listen", "barge"), ("left", "barge", "listen")]


def test_coaching_marks_reach_the_agent_after_the_session(active_session, listener, agent, manager, chat_customer):
    reply, _ = services.message_post(actor=agent, session_id=active_session.pk, body="Restart it.")
    with pytest.raises(InvalidInput) as error:
        services.coaching_mark_add(actor=listener, session_id=active_session.pk, seq=reply.seq, comment=" ")
    assert error.value.field == "comment"
    with pytest.raises(InvalidInput) as error:
        services.coaching_mark_add(actor=listener, session_id=active_session.pk, seq=99, comment="?")
    assert error.value.field == "seq"
    with pytest.raises(NotFound):
        services.coaching_mark_add(actor=agent, session_id=active_session.pk, seq=reply.seq, comment="self")
    mark = services.coaching_mark_add(actor=listener, session_id=active_session.pk, seq=reply.seq, comment="Ask first.")
    assert mark.agent == agent
    assert list(selectors.visible_coaching_marks(user=agent)) == []  # while the chat goes on
    assert list(selectors.visible_coaching_marks(user=manager)) == [mark]
    services.session_end(actor=agent, session_id=active_session.pk)
    assert list(selectors.visible_coaching_marks(user=agent)) == [mark]
    assert list(selectors.visible_coaching_marks(user=chat_customer)) == []
    assert services.coaching_marks_mark_seen(actor=agent) == 1


def test_round_robin_offers_to_the_available_agent_offered_longest_ago(start_chat, agent, agent2, make_customer):
    services.agent_chat_settings_save(actor=agent, available=True)
    services.agent_chat_settings_save(actor=agent2, available=True)
    first = start_chat()
    second = start_chat()
    third = start_chat()
    assert {first.offered_to, second.offered_to} == {agent, agent2}
    assert third.offered_to == first.offered_to
    services.agent_chat_settings_save(actor=agent, available=False)
    fourth = start_chat(actor=make_customer("other").user)
    assert fourth.offered_to == agent2


def test_an_agent_turning_available_is_offered_the_oldest_unoffered_chat(start_chat, agent):
    session = start_chat()
    assert session.offered_to is None
    services.agent_chat_settings_save(actor=agent, available=True)
    session.refresh_from_db()
    assert session.offered_to == agent


def test_socket_tickets_work_once_within_30_seconds(active_session, chat_customer, make_customer):
    key = services.socket_ticket_issue(actor=chat_customer, session_id=active_session.pk)
    assert services.socket_ticket_redeem(key=key) == chat_customer
    assert services.socket_ticket_redeem(key=key) is None
    assert services.socket_ticket_redeem(key="made-up") is None
    with pytest.raises(NotFound):
        services.socket_ticket_issue(actor=make_customer("nosy").user, session_id=active_session.pk)
    from datetime import timedelta

    from django.utils import timezone

    from livelisten.models import SocketTicket

    late = services.socket_ticket_issue(actor=chat_customer, session_id=active_session.pk)
    SocketTicket.objects.filter(used_at__isnull=True).update(expires_at=timezone.now() - timedelta(seconds=1))
    assert services.socket_ticket_redeem(key=late) is None


def test_visibility_of_sessions(active_session, chat_customer, agent2, product_manager, make_customer):
    assert selectors.session_get(user=chat_customer, session_id=active_session.pk) == active_session
    assert selectors.session_get(user=agent2, session_id=active_session.pk) == active_session
    assert selectors.session_get(user=product_manager, session_id=active_session.pk) == active_session
    for nobody, raw in ((make_customer("x").user, active_session.pk), (chat_customer, "abc"), (chat_customer, 999999)):
        with pytest.raises(NotFound):
            selectors.session_get(user=nobody, session_id=raw)


def test_a_coaching_mark_stays_with_the_agent_who_wrote_the_line(active_session, agent, agent2, listener):
    reply, _ = services.message_post(actor=agent, session_id=active_session.pk, body="Restart it.")
    services.session_transfer(actor=agent, session_id=active_session.pk, agent_username="agent2")
    mark = services.coaching_mark_add(actor=listener, session_id=active_session.pk, seq=reply.seq, comment="Why?")
    assert mark.agent == agent
    with pytest.raises(InvalidInput):  # the customer's line and system lines take no marks
        services.coaching_mark_add(actor=listener, session_id=active_session.pk, seq=1, comment="?")


def test_the_fast_session_object_is_the_selectors_own(active_session, listener):
    services.listen_start(actor=listener, session_id=active_session.pk, connection="c")
    message, _ = services.message_post(actor=active_session.customer, session_id=active_session.pk, body="hi")
    fresh = selectors.session_get(user=listener, session_id=active_session.pk)
    row = {column: getattr(fresh, column) for column in selectors.SESSION_ROW_COLUMNS}
    assert selectors.session_object_from_row(row) == selectors.session_object(fresh)
    assert selectors.session_object(fresh)["listeners"] == ["listener"] == fresh.listener_usernames


def test_the_announcement_after_a_line_carries_the_full_session_object(active_session, listener, monkeypatch):
    from livelisten import events

    services.listen_start(actor=listener, session_id=active_session.pk, connection="c")
    announced = []
    monkeypatch.setattr(events, "broadcast_session", lambda **kwargs: announced.append(kwargs))
    services.message_post(actor=active_session.customer, session_id=active_session.pk, body="hello")
    fresh = selectors.session_get(user=listener, session_id=active_session.pk)
    assert announced[0]["session_object"] == selectors.session_object(fresh)
    assert announced[0]["to_participants"] is False
