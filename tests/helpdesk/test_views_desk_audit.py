"""The desk's audit log (/audit/): support managers read who changed what, from what to what."""

from __future__ import annotations

from datetime import timedelta

import pytest
from django.db import connection
from django.test.utils import CaptureQueriesContext
from django.utils import timezone

from helpdesk import roles, services
from helpdesk.models import AuditEvent, Team


@pytest.fixture
def manager_client(client, manager):
    client.force_login(manager)
    return client


def rows_of(response) -> list[AuditEvent]:
    return [row["event"] for row in response.context["rows"]]


def test_a_manager_reads_who_changed_what_from_what_to_what(manager_client, manager, agent):
    team = services.team_ensure(actor=manager, name="Billing")
    team.name = "Billing & refunds"
    services.directory_object_save(actor=manager, obj=team, changed_fields=["name"], many_to_many={"members": [agent]})

    response = manager_client.get("/audit/")
    html = response.content.decode()

    assert response.status_code == 200
    assert [e.action for e in rows_of(response)][:2] == ["team.updated", "team.created"]
    assert "Team changed" in html and "Billing &amp; refunds" in html
    assert '<span class="audit-field">Name</span>: <span class="audit-old">Billing</span>' in html
    assert '<span class="audit-new">Billing &amp; refunds</span>' in html
    assert '<span class="audit-field">Members</span>: <span class="audit-old">none</span>' in html
    assert "manager" in html
    assert 'href="/audit/"' in html and "Audit log" in html  # in the navigation


def test_agents_are_refused_and_see_no_link(agent_client):
    response = agent_client.get("/audit/")
    assert response.status_code == 403
    assert "support managers" in response.content.decode()
    assert 'href="/audit/"' not in agent_client.get("/inbox/").content.decode()


def test_customers_and_strangers_never_see_it(client, customer):
    assert client.get("/audit/").status_code == 302  # to sign-in
    client.force_login(customer.user)
    response = client.get("/audit/")
    assert response.status_code == 302 and response["Location"].startswith("/portal/")


def test_filters_narrow_by_who_kind_action_and_object(manager_client, manager, agent, make_user):
    other = make_user("other", role=roles.SUPPORT_MANAGERS)
    billing = services.team_ensure(actor=manager, name="Billing")
    services.team_ensure(actor=other, name="Mobile")
    services.user_set_active(actor=manager, user=agent, is_active=False)

    def actions(**params):
        return [(e.action, e.object_label) for e in rows_of(manager_client.get("/audit/", params))]

    assert actions(who="other") == [("team.created", "Mobile")]
    assert actions(who="manager", type="team") == [("team.created", "Billing")]
    assert actions(action="user.deactivated") == [("user.deactivated", "Alex Agent (agent)")]
    assert actions(type="team", object=str(billing.pk)) == [("team.created", "Billing")]
    assert ("role.created", roles.AGENTS) in actions(who="system", type="role")
    assert all(label != "Mobile" for _, label in actions(who="system"))


def test_date_filters_are_inclusive_days(manager_client, manager):
    services.team_ensure(actor=manager, name="Today")
    old = services.team_ensure(actor=manager, name="Last week")
    AuditEvent.objects.filter(object_type="team", object_id=str(old.pk)).update(
        created_at=timezone.now() - timedelta(days=7)
    )
    today = timezone.localdate()

    def labels(**params):
        return [e.object_label for e in rows_of(manager_client.get("/audit/", {"type": "team", **params}))]

    assert labels(since=today.isoformat()) == ["Today"]
    assert labels(until=(today - timedelta(days=1)).isoformat()) == ["Last week"]
    assert labels(since=(today - timedelta(days=7)).isoformat(), until=today.isoformat()) == ["Today", "Last week"]


@pytest.mark.parametrize(
    ("params", "field"),
    [
        ({"who": "nobody-here"}, "who"),
        ({"type": "spaceship"}, "type"),
        ({"action": "ticket.teleported"}, "action"),
        ({"since": "yesterday"}, "since"),
        ({"until": "9999-12-31"}, "until"),
        ({"since": "2025-03-02", "until": "2025-03-01"}, "since"),
        ({"object": "3"}, "object"),
        ({"cursor": "not-a-cursor"}, "cursor"),
        ({"who": "a\x00b"}, "who"),
    ],
)
def test_bad_filters_answer_400_naming_the_field(manager_client, params, field):
    response = manager_client.get("/audit/", params)
    assert response.status_code == 400
    assert response.context["error"].field == field
    assert f'<code class="error-field">{field}</code>' in response.content.decode()


def test_keyset_pages_cover_every_row_once(manager_client, manager, settings):
    settings.HELPDESK_PAGE_SIZE = 4
    for index in range(10):
        services.team_ensure(actor=manager, name=f"Team {index:02d}")
    seen, cursor = [], None
    while True:
        response = manager_client.get("/audit/", {"who": "manager", **({"cursor": cursor} if cursor else {})})
        seen += [e.object_label for e in rows_of(response)]
        cursor = response.context["page"].next_cursor
        if not cursor:
            break
        assert 'rel="next"' in response.content.decode()
    assert seen == [f"Team {index:02d}" for index in reversed(range(10))]


def test_values_are_escaped(manager_client, manager):
    services.team_ensure(actor=manager, name="<script>alert(1)</script>")
    html = manager_client.get("/audit/").content.decode()
    assert "<script>alert(1)</script>" not in html
    assert "&lt;script&gt;alert(1)&lt;/script&gt;" in html


def test_query_count_does_not_grow_with_the_page(manager_client, manager, make_user, django_assert_num_queries):
    for index in range(3):
        services.team_ensure(actor=make_user(f"m{index}", role=roles.SUPPORT_MANAGERS), name=f"Small {index}")
    manager_client.get("/audit/")  # steady state: permission set and directory generation cached
    with CaptureQueriesContext(connection) as few:
        assert manager_client.get("/audit/").status_code == 200
    for index in range(20):
        services.team_ensure(actor=make_user(f"n{index}", role=roles.SUPPORT_MANAGERS), name=f"More {index}")
    assert AuditEvent.objects.count() > 25

    few_count = len(few.captured_queries)
    manager_client.get("/audit/")
    with django_assert_num_queries(few_count):
        manager_client.get("/audit/")
    assert Team.objects.count() == 23
