"""The demo's chats: one waiting, one active with a whisper, one ended with its transcript and a coaching mark."""

from __future__ import annotations

import io

import pytest

from helpdesk.demo import directory
from livelisten.demo import seed_chats
from livelisten.models import ChatMessage, ChatSession, CoachingMark

pytestmark = pytest.mark.django_db


def test_demo_chats_in_every_state_and_a_second_run_adds_nothing(role_groups):
    users = directory.ensure_accounts()
    directory.ensure_customers(users, directory.ensure_organizations())
    out = io.StringIO()
    seed_chats(stdout=out)
    assert sorted(ChatSession.objects.values_list("status", flat=True)) == ["active", "ended", "waiting"]
    assert ChatMessage.objects.filter(kind="whisper", session__status="active").exists()
    ended = ChatSession.objects.get(status="ended")
    assert ended.ticket.events.filter(kind="reply").count() >= 3  # the transcript is on the ticket
    assert CoachingMark.objects.filter(session=ended).count() == 1
    seed_chats(stdout=out)
    assert ChatSession.objects.count() == 3 and "left as they are" in out.getvalue()
