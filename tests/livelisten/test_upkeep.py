"""Chats nobody finished end by themselves; offers nobody took pass to the next agent."""

from __future__ import annotations

from datetime import timedelta

import pytest
from django.core.management import call_command
from django.test import override_settings
from django.utils import timezone

from helpdesk.models import TicketEvent
from livelisten import housekeeping, services
from livelisten.models import ChatMessage, ChatSession

pytestmark = pytest.mark.django_db


def later(**delta):
    return timezone.now() + timedelta(**delta)


@override_settings(LIVELISTEN_IDLE_END_MINUTES=30)
def test_an_idle_chat_ends_by_itself_with_its_transcript_on_the_ticket(active_session, agent):
    services.message_post(actor=agent, session_id=active_session.pk, body="Let me check.")
    assert services.sessions_end_idle(now=later(minutes=29)) == 0
    assert services.sessions_end_idle(now=later(minutes=31)) == 1
    session = ChatSession.objects.get(pk=active_session.pk)
    assert session.status == "ended" and session.ended_by is None
    last = ChatMessage.objects.filter(session=session).order_by("-seq").first()
    assert last.kind == "system" and last.body == (
        f"The chat ended after 30 minutes without a message; the conversation goes on on {session.ticket.reference}."
    )
    replies = TicketEvent.objects.filter(ticket=session.ticket, kind="reply").values_list("body", flat=True)
    assert "Let me check." in list(replies)
    assert services.sessions_end_idle(now=later(minutes=31)) == 0  # once


@override_settings(LIVELISTEN_IDLE_END_MINUTES=30)
def test_a_waiting_chat_nobody_answered_ends_and_the_desk_answers_its_ticket(waiting_session):
    assert services.sessions_end_idle(now=later(minutes=31)) == 1
    session = ChatSession.objects.get(pk=waiting_session.pk)
    last = ChatMessage.objects.filter(session=session).order_by("-seq").first()
    assert session.status == "ended" and last.body.startswith("Nobody could answer within 30 minutes")
    assert session.ticket.reference in last.body


@override_settings(LIVELISTEN_IDLE_END_MINUTES=30)
def test_a_whisper_does_not_keep_a_chat_open_but_a_message_does(active_session, agent, listener, monkeypatch):
    real_now = timezone.now
    monkeypatch.setattr(timezone, "now", lambda: real_now() + timedelta(minutes=20))
    services.whisper_post(actor=listener, session_id=active_session.pk, body="Is the customer still there?")
    monkeypatch.setattr(timezone, "now", real_now)
    assert services.sessions_end_idle(now=later(minutes=31)) == 1  # 31 min after the last line the customer saw

    second = services.session_accept(
        actor=agent, session_id=services.session_start(actor=active_session.customer, subject="Again", body="Hello?").pk
    )
    monkeypatch.setattr(timezone, "now", lambda: real_now() + timedelta(minutes=20))
    services.message_post(actor=agent, session_id=second.pk, body="Still here.")
    monkeypatch.setattr(timezone, "now", real_now)
    assert services.sessions_end_idle(now=later(minutes=31)) == 0
    assert ChatSession.objects.get(pk=second.pk).status == "active"


@override_settings(LIVELISTEN_OFFER_SECONDS=60)
def test_an_offer_not_accepted_in_time_passes_round_robin(start_chat, agent, agent2):
    services.agent_chat_settings_save(actor=agent, available=True)
    services.agent_chat_settings_save(actor=agent2, available=True)
    session = start_chat()
    first = session.offered_to
    other = agent2 if first == agent else agent
    assert services.offers_pass_on(now=later(seconds=30)) == 0
    assert services.offers_pass_on(now=later(seconds=61)) == 1
    session.refresh_from_db()
    assert session.offered_to == other
    assert services.offers_pass_on(now=later(seconds=100)) == 0  # its clock started again at the pass
    assert services.offers_pass_on(now=later(seconds=200)) == 1
    session.refresh_from_db()
    assert session.offered_to == first  # and back, round-robin


@override_settings(LIVELISTEN_OFFER_SECONDS=60)
def test_an_agent_alone_keeps_the_offer(start_chat, agent):
    services.agent_chat_settings_save(actor=agent, available=True)
    session = start_chat()
    assert services.offers_pass_on(now=later(seconds=61)) == 0
    session.refresh_from_db()
    assert session.offered_to == agent and session.offered_at > timezone.now()


def test_an_agent_who_stops_taking_chats_hands_their_offers_on_at_once(start_chat, agent, agent2):
    services.agent_chat_settings_save(actor=agent, available=True)
    session = start_chat()
    assert session.offered_to == agent
    services.agent_chat_settings_save(actor=agent2, available=True)
    services.agent_chat_settings_save(actor=agent, available=False)
    session.refresh_from_db()
    assert session.offered_to == agent2
    services.agent_chat_settings_save(actor=agent2, available=False)
    session.refresh_from_db()
    assert session.offered_to is None and session.offered_at is None  # nobody left: waiting for anyone


@override_settings(LIVELISTEN_IDLE_END_MINUTES=0)
def test_the_command_runs_every_upkeep(active_session, capsys):
    call_command("chat_upkeep")
    assert "1 idle chats ended" in capsys.readouterr().out
    assert ChatSession.objects.get(pk=active_session.pk).status == "ended"


async def test_a_socket_ping_runs_the_upkeep_now_and_then(monkeypatch):
    ran = []
    for name in ("listeners_sweep", "sessions_end_idle", "offers_pass_on"):
        monkeypatch.setattr(services, name, lambda name=name, **kw: ran.append(name) or 0)
    await housekeeping.sweep_now_and_then()
    await housekeeping.sweep_now_and_then()  # within LISTENER_SWEEP_SECONDS: nothing more
    assert ran == ["listeners_sweep", "sessions_end_idle", "offers_pass_on"]


def test_waiting_chats_offered_to_nobody_are_offered_once_someone_is_available(start_chat, agent):
    older, newer = start_chat(subject="First"), start_chat(subject="Second")
    assert services.offers_pass_on() == 0  # nobody available
    services.agent_chat_settings_save(actor=agent, available=True)  # takes the oldest at once
    older.refresh_from_db(), newer.refresh_from_db()
    assert older.offered_to == agent and newer.offered_to is None
    assert services.offers_pass_on() == 1
    newer.refresh_from_db()
    assert newer.offered_to == agent


@override_settings(LIVELISTEN_OFFER_SECONDS=60)
def test_an_offer_to_an_agent_who_went_away_is_not_kept(start_chat, agent, agent2):
    from livelisten.models import AgentChatSettings

    services.agent_chat_settings_save(actor=agent, available=True)
    session = start_chat()
    # As when the agent's hand-on skipped this chat because it was locked at that moment (a line being stored).
    AgentChatSettings.objects.filter(user=agent).update(available=False)
    assert services.offers_pass_on() == 0  # nobody else: it waits for anyone, not for the agent who left
    session.refresh_from_db()
    assert session.offered_to is None and session.offered_at is None
    services.agent_chat_settings_save(actor=agent2, available=True)
    assert ChatSession.objects.get(pk=session.pk).offered_to == agent2


@override_settings(LIVELISTEN_IDLE_END_MINUTES=30)
def test_one_chat_that_cannot_end_does_not_keep_the_others_open(start_chat, monkeypatch):
    from livelisten.services import upkeep

    broken, fine = start_chat(subject="Broken"), start_chat(subject="Fine")
    real_end = upkeep.session_end

    def end(*, session_id, **kwargs):
        if session_id == broken.pk:
            raise RuntimeError("the ticket is broken")
        return real_end(session_id=session_id, **kwargs)

    monkeypatch.setattr(upkeep, "session_end", end)
    assert services.sessions_end_idle(now=later(minutes=31)) == 1
    assert ChatSession.objects.get(pk=fine.pk).status == "ended"
    assert ChatSession.objects.get(pk=broken.pk).status == "waiting"
