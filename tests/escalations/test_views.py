"""Escalation pages: the ticket page's panel and banner, pulling the cord, the board, an escalation, metrics."""

from __future__ import annotations

import pytest
from django.db import connection
from django.test.utils import CaptureQueriesContext
from django.urls import reverse

from escalations import services
from escalations.models import Escalation, EscalationLink
from helpdesk import services as desk_services
from tests.escalations.conftest import raise_on

pytestmark = pytest.mark.django_db

HOSTILE = '<script>alert("x")</script>'


def page(client, url, **params):
    response = client.get(url, params)
    return response.status_code, response.content.decode()


def test_the_ticket_page_shows_its_escalations_and_the_cord(agent_client, ticket, feature, agent):
    status, html = page(agent_client, reverse("helpdesk:ticket_detail", args=[ticket.reference]))
    assert status == 200 and "Not linked to any escalation." in html and 'id="pull-the-cord"' in html
    escalation = raise_on(ticket, feature, agent, severity="major")
    _, html = page(agent_client, reverse("helpdesk:ticket_detail", args=[ticket.reference]))
    assert escalation.reference in html and "linked this ticket to escalation" in html


def test_every_unsolved_ticket_of_a_blocked_feature_shows_the_banner(client, agent, feature, make_ticket, product_manager):
    linked = make_ticket(subject="Blank PDF", feature=feature)
    other = make_ticket(subject="Another invoice problem", feature=feature)
    solved = make_ticket(subject="Old one", feature=feature)
    desk_services.ticket_update(actor=agent, ticket=solved, status="solved")
    escalation = raise_on(linked, feature, agent)
    client.force_login(agent)
    _, html = page(client, reverse("helpdesk:ticket_detail", args=[other.reference]))
    assert 'id="feature-blocked-banner"' in html and escalation.reference in html and "link the ticket" in html
    _, html = page(client, reverse("helpdesk:ticket_detail", args=[solved.reference]))
    assert 'id="feature-blocked-banner"' not in html
    services.escalation_transition(actor=product_manager, escalation=escalation, action="reject", text="Not a bug.")
    _, html = page(client, reverse("helpdesk:ticket_detail", args=[other.reference]))
    assert 'id="feature-blocked-banner"' not in html


def test_the_cord_page_offers_what_is_known_before_a_new_one(agent_client, agent, feature, make_ticket):
    known = raise_on(make_ticket(subject="Invoice PDF empty", feature=feature), feature, agent, title="Invoice PDF is empty")
    ticket = make_ticket(subject="Empty invoice PDF again", feature=feature)
    url = reverse("escalations:raise", args=[ticket.reference])
    status, html = page(agent_client, url)
    assert status == 200 and known.reference in html and f"Link {ticket.reference}" in html
    refused = agent_client.post(
        url, {"feature": feature.key, "severity": "blocking", "title": "Blank", "customer_impact": "Blank PDFs."}
    )
    assert refused.status_code == 400 and "tick this box" in refused.content.decode()
    assert Escalation.objects.count() == 1
    linked = agent_client.post(
        reverse("escalations:link", args=[known.reference]),
        {"ticket": ticket.reference, "next": reverse("helpdesk:ticket_detail", args=[ticket.reference])},
    )
    assert linked.status_code == 302 and linked["Location"] == reverse("helpdesk:ticket_detail", args=[ticket.reference])
    assert EscalationLink.objects.filter(escalation=known, ticket=ticket).exists()
    made = agent_client.post(
        url,
        {"feature": feature.key, "severity": "blocking", "title": "Another", "customer_impact": "Other.", "insist": "on"},
    )
    assert made.status_code == 302 and Escalation.objects.count() == 2


def test_the_cord_page_links_an_escalation_named_by_reference(agent_client, agent, feature, other_feature, make_ticket):
    unrelated = raise_on(make_ticket(subject="Login loops", feature=other_feature), other_feature, agent, title="Login loop")
    ticket = make_ticket(subject="Cannot sign in since Monday", feature=feature)
    also = make_ticket(subject="Same here", feature=feature)
    url = reverse("escalations:link_by_reference", args=[ticket.reference])
    status, html = page(agent_client, reverse("escalations:raise", args=[ticket.reference]))
    assert status == 200 and 'id="link-escalation"' in html
    missing = agent_client.post(url, {"escalation": "ESC-99999"})
    assert missing.status_code == 404 and "No escalation ESC-99999." in missing.content.decode()
    assert 'value="ESC-99999"' in missing.content.decode()  # what was typed stays
    empty = agent_client.post(url, {"escalation": " "})
    assert empty.status_code == 400 and "Name the escalation" in empty.content.decode()
    assert not EscalationLink.objects.filter(ticket=ticket).exists()
    linked = agent_client.post(
        url, {"escalation": unrelated.reference.lower(), "also": [also.reference], "next": "https://elsewhere.test/"}
    )
    assert linked.status_code == 302 and linked["Location"] == reverse("helpdesk:ticket_detail", args=[ticket.reference])
    assert set(EscalationLink.objects.filter(escalation=unrelated).values_list("ticket_id", flat=True)) >= {ticket.pk, also.pk}


def test_the_cord_form_names_bad_fields_and_keeps_what_was_typed(agent_client, ticket, feature):
    url = reverse("escalations:raise", args=[ticket.reference])
    response = agent_client.post(url, {"feature": "", "severity": "catastrophic", "title": "", "customer_impact": "Typed words"})
    html = response.content.decode()
    assert response.status_code == 400 and 'id="feature-error"' in html and 'id="severity-error"' in html
    assert 'id="title-error"' in html and "Typed words" in html and not Escalation.objects.exists()


def test_customers_and_strangers_reach_no_escalation_page(client, customer, agent, ticket, feature):
    escalation = raise_on(ticket, feature, agent)
    client.force_login(customer.user)
    for url in (
        reverse("escalations:board"),
        reverse("escalations:detail", args=[escalation.reference]),
        reverse("escalations:metrics"),
        reverse("escalations:raise", args=[ticket.reference]),
    ):
        assert client.get(url).status_code == 404, url
    assert client.post(reverse("escalations:act", args=[escalation.reference]), {"action": "acknowledge"}).status_code == 404
    client.logout()
    assert client.get(reverse("escalations:board")).status_code == 302


def test_the_board_escapes_free_text_and_pages_in_fixed_queries(client, product_manager, agent, feature, make_ticket):
    raise_on(make_ticket(subject="s"), feature, agent, title=HOSTILE)
    client.force_login(product_manager)
    client.get(reverse("escalations:board"))
    with CaptureQueriesContext(connection) as few:
        status, html = page(client, reverse("escalations:board"))
    assert status == 200 and HOSTILE not in html and "&lt;script&gt;" in html
    for n in range(5):
        raise_on(make_ticket(subject=f"t{n}"), feature, agent, severity="minor", title=f"Bug {n}")
    with CaptureQueriesContext(connection) as more:
        client.get(reverse("escalations:board"))
    assert len(more) == len(few)
    bad = client.get(reverse("escalations:board"), {"status": "nope"})
    assert bad.status_code == 200 and "Unknown status" in bad.content.decode()


def test_the_escalation_page_offers_each_role_its_actions(client, agent, product_manager, manager, ticket, feature):
    escalation = raise_on(ticket, feature, agent, title=HOSTILE)
    url = reverse("escalations:detail", args=[escalation.reference])
    client.force_login(agent)
    _, html = page(client, url)
    assert 'data-action="acknowledge"' not in html and "Waiting on the feature" in html and HOSTILE not in html
    assert 'id="gate-banner"' in html
    client.force_login(product_manager)
    _, html = page(client, url)
    assert 'data-action="acknowledge"' in html and 'data-action="reject"' in html
    done = client.post(
        reverse("escalations:act", args=[escalation.reference]), {"action": "acknowledge", "version": escalation.version}
    )
    assert done.status_code == 302
    missing = client.post(reverse("escalations:act", args=[escalation.reference]), {"action": "reject", "note": "  "})
    assert missing.status_code == 400 and "Write the reason." in missing.content.decode()
    stale = client.post(reverse("escalations:act", args=[escalation.reference]), {"action": "start", "version": "1"})
    assert stale.status_code == 409 and Escalation.objects.get(pk=escalation.pk).status == "acknowledged"
    client.force_login(agent)
    forbidden = client.post(reverse("escalations:act", args=[escalation.reference]), {"action": "start"})
    assert forbidden.status_code == 403


def test_comments_and_links_from_the_escalation_page(agent_client, agent, ticket, feature, make_ticket):
    escalation = raise_on(ticket, feature, agent)
    other = make_ticket(subject="Me too")
    said = agent_client.post(reverse("escalations:comment", args=[escalation.reference]), {"body": HOSTILE})
    assert said.status_code == 302
    empty = agent_client.post(reverse("escalations:comment", args=[escalation.reference]), {"body": ""})
    assert empty.status_code == 400
    bad = agent_client.post(reverse("escalations:link", args=[escalation.reference]), {"ticket": "HD-999999"})
    assert bad.status_code == 404 and "HD-999999" in bad.content.decode()
    agent_client.post(reverse("escalations:link", args=[escalation.reference]), {"ticket": other.reference})
    _, html = page(agent_client, reverse("escalations:detail", args=[escalation.reference]))
    assert other.reference in html and "&lt;script&gt;" in html and HOSTILE not in html


def test_the_metrics_page_and_its_csv(client, manager, agent, product_manager, ticket, feature):
    escalation = raise_on(ticket, feature, agent)
    services.escalation_transition(actor=product_manager, escalation=escalation, action="acknowledge")
    services.escalation_transition(actor=product_manager, escalation=escalation, action="fix", text="Fixed.")
    client.force_login(manager)
    status, html = page(client, reverse("escalations:metrics"))
    assert status == 200 and "<svg" in html and "Cord pulls per week" in html and "Invoices" in html
    csv = client.get(reverse("escalations:metrics_csv"))
    body = csv.content.decode()
    assert csv["Content-Type"].startswith("text/csv") and "top feature by pulls,Invoices,billing.invoices,1" in body
    assert "median hours to fix" in body


def test_the_navigation_links_the_board_for_the_desk_only(client, agent, customer):
    client.force_login(agent)
    assert 'href="/escalations/"' in client.get(reverse("helpdesk:inbox")).content.decode()
    client.force_login(customer.user)
    assert 'href="/escalations/"' not in client.get(reverse("portal:ticket_list")).content.decode()
