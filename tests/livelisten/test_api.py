"""The live chat API: start, list, accept (with its race), transfer, end, transcript, socket tickets, coaching."""

from __future__ import annotations

import pytest
from django.db import connection
from django.test.utils import CaptureQueriesContext

from livelisten import services
from livelisten.models import ChatSession

pytestmark = pytest.mark.django_db


def test_a_customer_starts_a_chat_and_reads_it(api, chat_customer):
    client = api(chat_customer)
    answer = client.post("/api/v1/sessions/", {"subject": "Export fails", "body": "It times out."}, format="json")
    assert answer.status_code == 201, answer.content
    body = answer.json()
    assert body["status"] == "waiting" and body["ticket"].startswith("HD-") and body["customer"] == "customer"
    assert body["agent"] is None and body["listeners"] == [] and body["message_count"] == 1
    detail = client.get(f"/api/v1/sessions/{body['id']}/").json()
    assert detail["id"] == body["id"]
    messages = client.get(f"/api/v1/sessions/{body['id']}/messages/").json()["results"]
    assert [(m["seq"], m["body"]) for m in messages] == [(1, "It times out.")]
    assert [s["id"] for s in client.get("/api/v1/sessions/?status=waiting").json()["results"]] == [body["id"]]


@pytest.mark.parametrize(
    "payload,field",
    [
        ({"subject": "x"}, "body"),
        ({"body": "  "}, "body"),
        ({"body": "hi", "colour": "red"}, "colour"),
        ({"body": "hi", "ticket": "HD-999999"}, "ticket"),
    ],
)
def test_bad_starts_name_the_field_and_store_nothing(api, chat_customer, payload, field):
    answer = api(chat_customer).post("/api/v1/sessions/", payload, format="json")
    assert answer.status_code == 400 and field in answer.json(), answer.content
    assert not ChatSession.objects.exists()


def test_agents_cannot_start_chats_and_anonymous_get_401(api, agent):
    assert api(agent).post("/api/v1/sessions/", {"body": "hi"}, format="json").status_code == 403
    assert api().get("/api/v1/sessions/").status_code == 401


def test_accept_then_a_second_accept_is_409_with_the_current_session(api, waiting_session, agent, agent2):
    first = api(agent).post(f"/api/v1/sessions/{waiting_session.pk}/accept/", {}, format="json")
    assert first.status_code == 200 and first.json()["agent"] == "agent" and first.json()["status"] == "active"
    second = api(agent2).post(f"/api/v1/sessions/{waiting_session.pk}/accept/", {}, format="json")
    assert second.status_code == 409 and second.json()["current"]["agent"] == "agent"


def test_a_stale_version_is_409(api, waiting_session, agent):
    answer = api(agent).post(f"/api/v1/sessions/{waiting_session.pk}/accept/", {"version": 7}, format="json")
    assert answer.status_code == 409


def test_transfer_and_end(api, active_session, agent, agent2, chat_customer):
    bad = api(agent).post(f"/api/v1/sessions/{active_session.pk}/transfer/", {"agent": "nobody"}, format="json")
    assert bad.status_code == 400 and "agent" in bad.json()
    moved = api(agent).post(f"/api/v1/sessions/{active_session.pk}/transfer/", {"agent": "agent2"}, format="json")
    assert moved.status_code == 200 and moved.json()["agent"] == "agent2"
    ended = api(chat_customer).post(f"/api/v1/sessions/{active_session.pk}/end/")
    assert ended.status_code == 200 and ended.json()["status"] == "ended"
    assert api(chat_customer).post(f"/api/v1/sessions/{active_session.pk}/end/").status_code == 200


def test_strangers_get_404_and_customers_never_see_listeners(api, active_session, make_customer, listener, chat_customer):
    stranger = make_customer("stranger").user
    for path in ("", "messages/"):
        assert api(stranger).get(f"/api/v1/sessions/{active_session.pk}/{path}").status_code == 404
    assert api(stranger).post(f"/api/v1/sessions/{active_session.pk}/end/").status_code == 404
    assert api(stranger).post(f"/api/v1/sessions/{active_session.pk}/ws-ticket/").status_code == 404
    assert api(stranger).get("/api/v1/sessions/").json()["results"] == []
    services.listen_start(actor=listener, session_id=active_session.pk, connection="c1")
    assert api(listener).get(f"/api/v1/sessions/{active_session.pk}/").json()["listeners"] == ["listener"]
    assert api(chat_customer).get(f"/api/v1/sessions/{active_session.pk}/").json()["listeners"] == []
    assert api(chat_customer).get("/api/v1/sessions/").json()["results"][0]["listeners"] == []


def test_the_customer_transcript_has_no_whispers(api, active_session, chat_customer, listener, agent):
    services.whisper_post(actor=listener, session_id=active_session.pk, body="psst")
    mine = api(chat_customer).get(f"/api/v1/sessions/{active_session.pk}/messages/").json()["results"]
    theirs = api(agent).get(f"/api/v1/sessions/{active_session.pk}/messages/").json()["results"]
    assert "psst" not in [m["body"] for m in mine] and "psst" in [m["body"] for m in theirs]
    emailed = api(chat_customer).post(f"/api/v1/sessions/{active_session.pk}/transcript-email/")
    assert emailed.status_code == 201 and emailed.json() == {"queued": True, "to": ["customer@customer.test"]}


def test_a_socket_ticket_for_scripts(api, active_session, chat_customer):
    answer = api(chat_customer).post(f"/api/v1/sessions/{active_session.pk}/ws-ticket/")
    assert answer.status_code == 201 and len(answer.json()["ticket"]) >= 40


def test_coaching_marks_and_settings(api, active_session, listener, agent, manager):
    reply, _ = services.message_post(actor=agent, session_id=active_session.pk, body="Hi.")
    system = api(listener).post(f"/api/v1/sessions/{active_session.pk}/coaching/", {"seq": 2, "comment": "?"}, format="json")
    assert system.status_code == 400 and "seq" in system.json()  # only an agent's messages take marks
    mark = api(listener).post(
        f"/api/v1/sessions/{active_session.pk}/coaching/", {"seq": reply.seq, "comment": "Greet by name."}, format="json"
    )
    assert mark.status_code == 201 and mark.json()["agent"] == "agent"
    missing = api(listener).post(f"/api/v1/sessions/{active_session.pk}/coaching/", {"seq": reply.seq}, format="json")
    assert missing.status_code == 400 and "comment" in missing.json()
    assert [m["comment"] for m in api(manager).get("/api/v1/coaching-marks/").json()["results"]] == ["Greet by name."]
    assert api(agent).get("/api/v1/chat/settings/").json() == {"available": False, "show_listeners": True}
    changed = api(agent).patch("/api/v1/chat/settings/", {"available": True}, format="json")
    assert changed.json() == {"available": True, "show_listeners": True}
    assert api(listener).patch("/api/v1/chat/settings/", {"available": "maybe"}, format="json").status_code == 400


def test_the_schema_lists_the_session_endpoints(client):
    schema = client.get("/api/schema/").content.decode()
    for path in ("/api/v1/sessions/", "/api/v1/sessions/{session_id}/accept/", "/api/v1/sessions/{session_id}/ws-ticket/"):
        assert path in schema


def _every_page(client, url: str) -> tuple[list[dict], int]:
    """Follow ``next`` to the end: every item in order, and how many pages it took."""
    items, pages = [], 0
    while url:
        answer = client.get(url)
        assert answer.status_code == 200, answer.content
        body = answer.json()
        items += body["results"]
        pages += 1
        url = body["next"]
    return items, pages


def test_the_session_list_pages_with_keyset_cursors(api, start_chat, agent, chat_customer):
    started = []
    for number in range(5):
        session = start_chat(subject=f"Chat {number}")
        started.append(session.pk)
        services.session_end(actor=chat_customer, session_id=session.pk)  # at most 3 live chats per customer
    started.append(start_chat(subject="Still waiting").pk)
    sessions, pages = _every_page(api(agent), "/api/v1/sessions/?page_size=2")
    assert [s["id"] for s in sessions] == started[::-1] and pages == 3  # newest first, each once
    ended, _ = _every_page(api(agent), "/api/v1/sessions/?status=ended&page_size=2")
    assert [s["id"] for s in ended] == started[:5][::-1]  # the filter rides along in `next`
    mine, _ = _every_page(api(chat_customer), "/api/v1/sessions/?page_size=4")
    assert len(mine) == 6 and all(s["listeners"] == [] for s in mine)
    with CaptureQueriesContext(connection) as one:
        api(agent).get("/api/v1/sessions/?page_size=1")
    with CaptureQueriesContext(connection) as six:
        api(agent).get("/api/v1/sessions/?page_size=6")
    assert len(six) == len(one)  # no query per session
    bad = api(agent).get("/api/v1/sessions/?cursor=not-a-cursor")
    assert bad.status_code == 400 and "cursor" in bad.json()


def test_the_transcript_pages_in_order_and_the_customers_pages_skip_whispers(
    api, active_session, chat_customer, agent, listener
):
    for number in range(3):
        services.message_post(actor=agent, session_id=active_session.pk, body=f"Answer {number}")
        services.whisper_post(actor=listener, session_id=active_session.pk, body=f"psst {number}")
    url = f"/api/v1/sessions/{active_session.pk}/messages/?page_size=3"
    theirs, pages = _every_page(api(agent), url)
    assert [m["seq"] for m in theirs] == list(range(1, 9)) and pages == 3  # the opening line, "joined", 6 more
    mine, _ = _every_page(api(chat_customer), url)
    assert [m["body"] for m in mine if m["kind"] == "message"] == ["The export times out.", "Answer 0", "Answer 1", "Answer 2"]
    assert all(m["kind"] != "whisper" for m in mine)


def test_coaching_marks_page(api, active_session, listener, agent, manager):
    for number in range(3):
        reply, _ = services.message_post(actor=agent, session_id=active_session.pk, body=f"Answer {number}")
        services.coaching_mark_add(actor=listener, session_id=active_session.pk, seq=reply.seq, comment=f"Note {number}")
    marks, pages = _every_page(api(manager), "/api/v1/coaching-marks/?page_size=2")
    assert [m["comment"] for m in marks] == ["Note 2", "Note 1", "Note 0"] and pages == 2
