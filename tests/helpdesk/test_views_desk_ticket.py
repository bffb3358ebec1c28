"""The desk ticket page: timeline, composer, properties form, conflicts, errors, escaping, access."""

from __future__ import annotations

import re

from django.db import connection
from django.test.utils import CaptureQueriesContext
from django.urls import reverse

from helpdesk import services
from helpdesk.models import Ticket, TicketEvent, TicketStatus

XSS = "<script>alert(1)</script>"
XSS_ESCAPED = "&lt;script&gt;alert(1)&lt;/script&gt;"


def page_url(ticket) -> str:
    return reverse("helpdesk:ticket_detail", kwargs={"reference": ticket.reference})


def update_url(ticket) -> str:
    return reverse("helpdesk:ticket_update", kwargs={"reference": ticket.reference})


def message_url(ticket) -> str:
    return reverse("helpdesk:ticket_message", kwargs={"reference": ticket.reference})


def fields(ticket, **changes) -> dict:
    """The properties form as the page renders it for ``ticket``, with ``changes`` typed over it."""
    ticket = Ticket.objects.get(pk=ticket.pk)
    data = {
        "version": str(ticket.version),
        "seen": str(ticket.events.order_by("-created_at", "-id").values_list("pk", flat=True).first()),
        "status": ticket.status,
        "priority": ticket.priority_slug,
        "assignee": ticket.assignee.username if ticket.assignee_id else "",
        "team": str(ticket.team_id or ""),
        "tags": " ".join(ticket.tags.values_list("name", flat=True)),
        "feature": "",
    }
    data.update(changes)
    return data


def post_refused(client, url: str, data: dict, *, ticket, anchor: str = ""):
    """POST a submission the desk refuses: it redirects (303) to the ticket page, which shows the refusal once."""
    response = client.post(url, data, follow=True)
    assert response.redirect_chain == [(page_url(ticket) + anchor, 303)]
    return response


def hidden_value(html: str, name: str) -> str:
    return re.search(rf'name="{name}" value="([^"]*)"', html).group(1)


# --- the page -------------------------------------------------------------------------------------


def test_page_shows_header_timeline_and_forms(agent_client, agent, customer, ticket):
    services.ticket_message_post(actor=customer.user, ticket=ticket, body="Still broken.\nSecond line.")
    services.ticket_message_post(actor=agent, ticket=ticket, body="Looking into it", internal=True)
    services.ticket_update(actor=agent, ticket=ticket, status="pending", priority="high")

    response = agent_client.get(page_url(ticket))

    assert response.status_code == 200
    html = response.content.decode()
    assert f'<span class="ticket-ref">{ticket.reference}</span>' in html
    assert "<h1>Invoice PDF is empty</h1>" in html
    assert 'class="badge status status-pending">Pending<' in html
    # Customer words, agent words and notes are told apart.
    assert re.search(r'class="event event-reply event-customer"', html)
    assert "Still broken.<br>Second line." in html
    assert re.search(r'class="event event-note"', html) and "Internal note" in html
    # Both changes of one save read as one audit line.
    assert re.search(
        r"Alex Agent</span>\s*changed priority from <b>Normal</b> to <b>High</b>, "
        r"changed status from <b>New</b> to <b>Pending</b>",
        html,
    )
    assert 'form id="composer"' in html
    assert 'name="kind" value="reply"' in html and 'name="kind" value="note"' in html
    assert f'name="version" value="{Ticket.objects.get(pk=ticket.pk).version}"' in html
    assert "Acme Corp" in html and "120,000" in html


def test_status_select_offers_current_and_allowed_next_only(agent_client, agent, ticket):
    services.ticket_update(actor=agent, ticket=ticket, status="solved")

    html = agent_client.get(page_url(ticket)).content.decode()

    select = html[html.index('id="f-status"') : html.index("</select>", html.index('id="f-status"'))]
    assert re.findall(r'option value="(\w+)"', select) == ["open", "solved", "closed"]


def test_requester_panel_lists_other_tickets(agent_client, make_ticket, customer):
    older = make_ticket(subject="Older problem")
    current = make_ticket(subject="Current problem")

    html = agent_client.get(page_url(current)).content.decode()

    panel = html[html.index("Other tickets") :]
    assert older.reference in panel and "Older problem" in panel
    assert "All 2 tickets from Casey Customer" in panel
    assert f"requester={customer.pk}" in panel


def test_missing_or_malformed_reference_is_the_same_404(agent_client, ticket):
    missing = agent_client.get("/tickets/HD-999999/")
    malformed = agent_client.get("/tickets/not-a-reference/")

    assert missing.status_code == 404 and malformed.status_code == 404

    # Identical but for the per-response CSRF mask.
    def unmasked(response):
        return re.sub(r'(csrfmiddlewaretoken" value=|X-CSRFToken": )"[^"]+"', "", response.content.decode())

    assert unmasked(missing) == unmasked(malformed)
    assert b"Ticket not found" in missing.content


def test_timeline_query_count_does_not_grow_with_events(agent_client, agent, customer, make_ticket):
    def ticket_with_events(count: int):
        ticket = make_ticket(tags=["a", "b"])
        for i in range(count):
            if i % 3 == 0:
                services.ticket_message_post(actor=customer.user, ticket=ticket, body=f"customer {i}")
            elif i % 3 == 1:
                services.ticket_message_post(actor=agent, ticket=ticket, body=f"note {i}", internal=True)
            else:
                services.ticket_update(actor=agent, ticket=ticket, priority="high" if i % 2 else "low")
        return ticket

    def queries_for(ticket) -> int:
        agent_client.get(page_url(ticket))  # steady state: pick-lists and permissions cached
        with CaptureQueriesContext(connection) as queries:
            response = agent_client.get(page_url(ticket))
        assert response.status_code == 200
        return len(queries.captured_queries)

    small = ticket_with_events(3)
    large = ticket_with_events(60)
    assert TicketEvent.objects.filter(ticket=large).count() > 60
    assert queries_for(small) == queries_for(large)
    # The page, the timeline, its emails and files, the people panel (CCs, followers, the last email's state),
    # the agent's macros, and the escalations panel (one query; the blocked banner adds one on a ticket with a feature).
    assert queries_for(large) <= 18


# --- composer -------------------------------------------------------------------------------------


def test_reply_is_posted_and_opens_the_ticket(agent_client, ticket):
    response = agent_client.post(message_url(ticket), {"body": "Here is a fix.", "kind": "reply"})

    assert response.status_code == 302
    message = TicketEvent.objects.filter(ticket=ticket, kind="reply").latest("id")
    assert response["Location"] == page_url(ticket) + f"#e{message.pk}"
    assert message.body == "Here is a fix."
    assert Ticket.objects.get(pk=ticket.pk).status == TicketStatus.OPEN
    page = agent_client.get(response["Location"]).content.decode()
    assert "Reply sent." in page and "is now open" in page


def test_note_is_internal(agent_client, ticket):
    agent_client.post(message_url(ticket), {"body": "Customer is on the old plan", "kind": "note"})

    note = TicketEvent.objects.get(ticket=ticket, kind="note")
    assert note.body == "Customer is on the old plan"
    assert Ticket.objects.get(pk=ticket.pk).status == TicketStatus.NEW


def test_reply_can_set_the_status(agent_client, ticket):
    agent_client.post(message_url(ticket), {"body": "Waiting for your logs", "kind": "reply", "status": "pending"})

    assert Ticket.objects.get(pk=ticket.pk).status == TicketStatus.PENDING


def test_empty_body_is_refused_beside_the_textarea(agent_client, ticket):
    before = TicketEvent.objects.filter(ticket=ticket).count()

    response = post_refused(
        agent_client, message_url(ticket), {"body": "   ", "kind": "reply"}, ticket=ticket, anchor="#composer"
    )

    assert response.status_code == 400
    html = response.content.decode()
    assert 'id="composer-body-error">Write a message.' in html
    assert TicketEvent.objects.filter(ticket=ticket).count() == before


def test_oversize_body_keeps_the_typed_text(agent_client, ticket):
    body = "Start of my long answer. " + "x" * (64 * 1024)
    before = TicketEvent.objects.filter(ticket=ticket).count()

    response = post_refused(
        agent_client, message_url(ticket), {"body": body, "kind": "reply"}, ticket=ticket, anchor="#composer"
    )

    assert response.status_code == 400
    html = response.content.decode()
    assert "the limit is 64 KB" in html
    assert 'id="composer-body-error"' in html
    assert body in html
    assert TicketEvent.objects.filter(ticket=ticket).count() == before


def test_disallowed_status_with_reply_is_shown_and_text_kept(agent_client, ticket):
    response = post_refused(
        agent_client,
        message_url(ticket),
        {"body": "Closing this", "kind": "reply", "status": "closed"},
        ticket=ticket,
        anchor="#composer",
    )

    assert response.status_code == 400
    html = response.content.decode()
    assert 'id="composer-status-error"' in html and "cannot become closed" in html
    assert "Closing this</textarea>" in html


def test_closed_ticket_allows_notes_only(agent_client, agent, ticket):
    services.ticket_update(actor=agent, ticket=ticket, status="solved")
    services.ticket_update(actor=agent, ticket=ticket, status="closed")

    html = agent_client.get(page_url(ticket)).content.decode()
    assert 'name="kind" value="reply"' not in html
    assert 'name="kind" value="note"' in html
    assert "This ticket is closed" in html

    response = post_refused(
        agent_client, message_url(ticket), {"body": "Late answer", "kind": "reply"}, ticket=ticket, anchor="#composer"
    )
    assert response.status_code == 400
    assert "replies are no longer possible" in response.content.decode()
    assert agent_client.post(message_url(ticket), {"body": "For the record", "kind": "note"}).status_code == 302


def test_product_manager_gets_read_only_fields_and_note_only_composer(client, product_manager, ticket):
    client.force_login(product_manager)

    html = client.get(page_url(ticket)).content.decode()

    assert 'id="fields-form"' not in html
    assert 'name="kind" value="reply"' not in html
    assert 'name="kind" value="note"' in html
    response = post_refused(client, update_url(ticket), fields(ticket, priority="urgent"), ticket=ticket)
    assert response.status_code == 403
    assert "You may not change" in response.content.decode()
    assert Ticket.objects.get(pk=ticket.pk).priority_slug == "normal"


# --- properties form ----------------------------------------------------------------------------------


def test_update_changes_fields_and_redirects(agent_client, agent2, ticket):
    from escalations.services import feature_ensure, product_ensure

    feature = feature_ensure(
        actor=None, product=product_ensure(actor=None, key="pdf", name="PDF"), key="pdf.render", name="Rendering"
    )
    team = services.team_ensure(actor=None, name="Tier 2")

    response = agent_client.post(
        update_url(ticket),
        fields(
            ticket,
            status="pending",
            priority="urgent",
            assignee="agent2",
            team=str(team.pk),
            tags="pdf, Billing urgent",
            feature="pdf.render",
        ),
    )

    assert response.status_code == 302 and response["Location"] == page_url(ticket)
    ticket = Ticket.objects.get(pk=ticket.pk)
    assert (ticket.status, ticket.priority_slug, ticket.assignee_id, ticket.team_id, ticket.feature_id) == (
        "pending",
        "urgent",
        agent2.pk,
        team.pk,
        feature.pk,
    )
    assert sorted(ticket.tags.values_list("name", flat=True)) == ["billing", "pdf", "urgent"]


def test_unchanged_submit_says_so(agent_client, ticket):
    version = Ticket.objects.get(pk=ticket.pk).version

    response = agent_client.post(update_url(ticket), fields(ticket), follow=True)

    assert "Nothing to save" in response.content.decode()
    assert Ticket.objects.get(pk=ticket.pk).version == version


def test_invalid_transition_is_shown_beside_status_and_input_kept(agent_client, ticket):
    response = post_refused(
        agent_client, update_url(ticket), fields(ticket, status="closed", tags="typed-tag another"), ticket=ticket
    )

    assert response.status_code == 400
    html = response.content.decode()
    assert re.search(r'id="f-status-error">A new ticket cannot become closed', html)
    assert 'value="typed-tag another"' in html
    assert Ticket.objects.get(pk=ticket.pk).status == TicketStatus.NEW


def test_unknown_assignee_is_a_field_error(agent_client, ticket):
    response = post_refused(agent_client, update_url(ticket), fields(ticket, assignee="ghost"), ticket=ticket)

    assert response.status_code == 400
    assert (
        'id="f-assignee-error">&#x27;ghost&#x27; is not someone tickets can be assigned to.'
        in response.content.decode()
    )


def test_too_long_tag_is_a_field_error(agent_client, ticket):
    response = post_refused(agent_client, update_url(ticket), fields(ticket, tags="ok " + "t" * 80), ticket=ticket)

    assert response.status_code == 400
    assert 'id="f-tags-error"' in response.content.decode()


def hidden_inputs(html: str) -> dict[str, str]:
    form = html[html.index('id="fields-form"') :]
    form = form[: form.index("</form>")]
    return dict(re.findall(r'<input type="hidden" name="(\w+)" value="([^"]*)"', form))


def test_stale_version_is_a_409_showing_current_state_and_keeping_input(client, agent, agent2, ticket):
    # Alex opens the ticket; Sam changes status and priority; Alex then submits what they chose.
    client.force_login(agent)
    rendered = client.get(page_url(ticket)).content.decode()
    form = {
        **hidden_inputs(rendered),
        "status": "new",
        "priority": "high",
        "assignee": "agent",
        "team": "",
        "tags": "alex-tag",
        "feature": "",
    }
    services.ticket_update(actor=agent2, ticket=ticket, status="pending", priority="low")
    after_sam = Ticket.objects.get(pk=ticket.pk)

    response = post_refused(client, update_url(ticket), form, ticket=ticket)

    assert response.status_code == 409
    now = Ticket.objects.get(pk=ticket.pk)
    assert (now.status, now.priority_slug, now.version, now.assignee_id) == ("pending", "low", after_sam.version, None)
    assert list(now.tags.all()) == []
    html = response.content.decode()
    assert f"{ticket.reference} was changed by Sam Second while you were editing (priority, status)" in html
    assert "your choices are kept in the form" in html
    # The current state is on screen: header badges and the audit line of Sam's change.
    assert re.search(
        r'class="ticket-badges">\s*<span class="badge status status-pending">Pending</span> '
        r'<span class="badge priority priority-low">Low</span>',
        html,
    )
    assert re.search(r"Sam Second</span>\s*changed priority from <b>Normal</b> to <b>Low</b>", html)
    # Alex's changes are kept; what Alex had not touched (status) now shows Sam's value;
    # where both changed (priority) the current value is shown beside Alex's choice.
    assert '<option value="high" selected>' in html and "Now: Low" in html
    assert '<option value="pending" selected>' in html and "Now: Pending" not in html
    assert 'value="alex-tag"' in html and "Now: No tags" not in html
    assert '<option value="agent" selected>' in html
    # The form now carries the new version, so submitting again is a deliberate choice.
    again = hidden_inputs(html)
    assert again["version"] == str(after_sam.version)
    form.update(again)
    form["status"] = "pending"
    assert client.post(update_url(ticket), form).status_code == 302
    final = Ticket.objects.get(pk=ticket.pk)
    assert (final.status, final.priority_slug, final.assignee_id) == ("pending", "high", agent.pk)
    assert list(final.tags.values_list("name", flat=True)) == ["alex-tag"]


def test_stale_version_without_baseline_keeps_every_submitted_value(agent_client, agent2, ticket):
    stale = fields(ticket, priority="high")
    services.ticket_update(actor=agent2, ticket=ticket, status="pending")

    response = post_refused(agent_client, update_url(ticket), stale, ticket=ticket)

    assert response.status_code == 409
    html = response.content.decode()
    assert '<option value="new" selected>' in html and "Now: Pending" in html
    assert Ticket.objects.get(pk=ticket.pk).priority_slug == "normal"


def test_assignee_who_left_the_desk_is_not_dropped_by_other_edits(agent_client, make_user, make_ticket):
    leaver = make_user("leaver")
    ticket = make_ticket(assignee=leaver)
    leaver.groups.clear()

    html = agent_client.get(page_url(ticket)).content.decode()
    assert '<option value="leaver" selected>' in html

    response = agent_client.post(update_url(ticket), fields(ticket, priority="high"))
    assert response.status_code == 302
    ticket = Ticket.objects.get(pk=ticket.pk)
    assert ticket.assignee_id == leaver.pk and ticket.priority_slug == "high"


# --- escaping --------------------------------------------------------------------------------------


def test_user_text_is_escaped_on_the_ticket_page(agent_client, agent, make_customer):
    org = services.organization_ensure(actor=None, name=XSS + " Org")
    requester = make_customer("xss", organization=org, name=XSS)
    ticket = services.ticket_create(actor=requester.user, requester=requester, subject=XSS, body=XSS + "\nline two")
    services.ticket_update(actor=agent, ticket=ticket, tags=[XSS])
    services.ticket_message_post(actor=agent, ticket=ticket, body=XSS, internal=True)

    html = agent_client.get(page_url(ticket)).content.decode()

    assert XSS not in html
    assert XSS_ESCAPED + "<br>line two" in html
    assert html.count(XSS_ESCAPED) >= 6  # title, heading, message, note, tag audit + tags field, requester, org


# --- who may enter ---------------------------------------------------------------------------------------


def test_customer_is_sent_to_the_portal_page_for_any_reference(client, customer, customer2, make_ticket):
    own = make_ticket()
    other = make_ticket(requester=customer2)
    client.force_login(customer.user)

    for reference in (own.reference, other.reference, "HD-999999"):
        response = client.get(f"/tickets/{reference}/")
        assert response.status_code == 302
        assert response["Location"] == reverse("portal:ticket_detail", kwargs={"reference": reference})
    # And the portal then answers another's ticket exactly like a missing one.
    other_page = client.get(reverse("portal:ticket_detail", kwargs={"reference": other.reference}))
    missing_page = client.get(reverse("portal:ticket_detail", kwargs={"reference": "HD-999999"}))
    assert other_page.status_code == missing_page.status_code == 404


def test_customer_cannot_post_to_desk_endpoints(client, customer, ticket):
    client.force_login(customer.user)

    client.post(message_url(ticket), {"body": "sneaky note", "kind": "note"})
    client.post(update_url(ticket), fields(ticket, priority="urgent"))

    assert not TicketEvent.objects.filter(ticket=ticket, kind="note").exists()
    assert Ticket.objects.get(pk=ticket.pk).priority_slug == "normal"


def test_anonymous_is_sent_to_login(client, ticket):
    response = client.get(page_url(ticket))
    assert response.status_code == 302 and response["Location"].startswith("/accounts/login/")
    response = client.post(message_url(ticket), {"body": "x", "kind": "reply"})
    assert response.status_code == 302 and response["Location"].startswith("/accounts/login/")


def test_get_on_a_post_endpoint_is_refused(agent_client, ticket):
    assert agent_client.get(update_url(ticket)).status_code == 405


# --- edges: access lost mid-conflict, rules asked of permissions.py ------------------------------------


def test_stale_save_after_losing_sight_of_the_ticket_is_the_404_page(agent_client, agent2, ticket, monkeypatch):
    """Someone changed the ticket and, meanwhile, the agent lost access: the conflict page cannot be built."""
    from helpdesk import selectors
    from helpdesk.errors import NotFound

    stale = fields(ticket, priority="high")
    services.ticket_update(actor=agent2, ticket=ticket, status="pending")
    real_get = selectors.ticket_get
    calls = []

    def ticket_get(**kwargs):
        calls.append(kwargs["reference"])
        if len(calls) > 1:  # the page's first read succeeds; by the conflict re-read, access is gone
            raise NotFound("No such ticket.")
        return real_get(**kwargs)

    monkeypatch.setattr(selectors, "ticket_get", ticket_get)

    response = agent_client.post(update_url(ticket), stale)

    assert len(calls) == 2
    assert response.status_code == 404
    assert response.templates[0].name == "helpdesk/not_found.html"
    assert Ticket.objects.get(pk=ticket.pk).priority_slug == "normal"


def test_public_reply_is_offered_as_permissions_say(agent_client, ticket, monkeypatch):
    from helpdesk import permissions

    assert 'name="kind" value="reply"' in agent_client.get(page_url(ticket)).content.decode()
    asked = []

    def refuse(user, t):
        asked.append(t.pk)
        return False

    monkeypatch.setattr(permissions, "can_post_public_reply", refuse)
    html = agent_client.get(page_url(ticket)).content.decode()
    assert asked == [ticket.pk]
    assert 'name="kind" value="reply"' not in html
    assert 'name="kind" value="note"' in html


def test_status_with_message_is_offered_as_permissions_say(agent_client, ticket, monkeypatch):
    from helpdesk import permissions

    def composer(html):
        return html[html.index('id="composer"') : html.index("</form>", html.index('id="composer"'))]

    assert "Then set status" in composer(agent_client.get(page_url(ticket)).content.decode())
    monkeypatch.setattr(permissions, "can_set_status_with_message", lambda user: False)
    html = agent_client.get(page_url(ticket)).content.decode()
    assert "Then set status" not in composer(html)
    assert 'name="kind" value="reply"' in composer(html)  # the composer itself is still there


def test_timeline_names_customer_changes_and_agents_as_before(agent_client, agent, customer, ticket):
    services.ticket_message_post(actor=agent, ticket=ticket, body="Fixed?", status="solved")
    services.ticket_message_post(actor=customer.user, ticket=ticket, body="No.")  # reopens it with their login
    html = agent_client.get(page_url(ticket)).content.decode()
    assert re.search(r'<span class="author">Casey Customer</span>', html)
    assert re.search(r'<span class="author">Alex Agent</span>', html)
    # The reopening change is made with the customer's login: named as the desk knows them.
    assert re.search(r'Casey Customer</span>\s*changed status from <b>Solved</b> to <b>Open</b>', html)
