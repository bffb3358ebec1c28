"""The live chat API: start, list, accept (with its race), transfer, end, transcript, socket tickets, coaching."""

from __future__ import annotations

import pytest

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
    assert api(chat_customer).post(f"/api/v1/sessions/{active_session.pk}/transcript-email/").status_code == 202


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
