"""Merging tickets: the source closes with a pointer, its messages and emails move, its requester is told."""

from __future__ import annotations

import pytest
from django.urls import reverse

from helpdesk import selectors, services
from helpdesk.errors import ActionForbidden, InvalidInput, NotFound, StaleVersion, TransitionNotAllowed
from helpdesk.mail.models import InboundEmail, OutboundEmail
from helpdesk.models import AuditEvent, Ticket
from helpdesk.participants.models import TicketCC

pytestmark = pytest.mark.django_db


def email_from(sender: str, subject: str, *, in_reply_to: str = "", body: str = "Any news?") -> bytes:
    headers = [
        f"From: {sender}",
        "To: support@desk.test",
        f"Subject: {subject}",
        "Message-ID: <m-" + subject[:8].replace(" ", "") + f"-{len(body)}@mail.test>",
    ]
    if in_reply_to:
        headers.append(f"In-Reply-To: <{in_reply_to}>")
    return ("\r\n".join([*headers, "Content-Type: text/plain; charset=utf-8", "", body, ""])).encode()


@pytest.fixture
def pair(make_ticket, agent):
    target = make_ticket(subject="Invoices are empty")
    source = make_ticket(subject="Invoice PDF blank again", body="Second time I write about this.")
    services.ticket_message_post(actor=agent, ticket=source, body="Looking into it.", internal=True)
    return source, target


def test_merge_closes_the_source_moves_its_messages_and_tells_the_requester(pair, agent, customer):
    source, target = pair
    merged = services.ticket_merge(actor=agent, source=source, target=target, expected_version=source.version)
    assert merged.pk == target.pk
    source.refresh_from_db()
    assert source.status == "closed" and source.merged_into_id == target.pk and source.closed_at is not None
    bodies = list(target.events.filter(kind__in=["reply", "note"]).order_by("created_at", "id").values_list("body", flat=True))
    assert bodies == ["Something is wrong.", "Second time I write about this.", "Looking into it."]
    # The source keeps its changes, the pointer and the notice to its requester.
    assert list(source.events.filter(kind__in=["reply", "note"]).values_list("body", flat=True)) == [
        services.merge_notice(source=source, target=target)
    ]
    assert source.events.filter(kind="merged", new_value=target.reference).exists()
    assert source.events.filter(kind="status", old_value="new", new_value="closed").exists()
    line = target.events.get(kind="merged")
    assert line.old_value == source.reference and "2 message(s) moved" in line.body
    notice = OutboundEmail.objects.get(event__body__startswith="Thank you for your message")
    assert notice.to == [customer.email] and f"[{source.reference}]" in notice.subject
    assert notice.ticket_id == target.pk  # a reply to the notice lands on the target
    audit = AuditEvent.objects.get(action="ticket.merged")
    assert audit.object_label.startswith(source.reference) and audit.changes["merged_into"] == [None, target.reference]
    # Nothing was copied: the customer's request exists once, on the target.
    assert Ticket.objects.get(pk=target.pk).last_customer_message_at is not None


def test_a_custom_notice_is_sent_instead_of_the_standard_one(pair, agent):
    source, target = pair
    services.ticket_merge(actor=agent, source=source, target=target, notice="Continuing in HD-x, thanks!")
    assert OutboundEmail.objects.filter(body_text__contains="Continuing in HD-x, thanks!").exists()


@pytest.fixture
def colleague(make_customer, organization):
    return make_customer("colleague", organization=organization, name="Cole League")


def test_a_colleagues_ticket_copies_the_requester_and_the_sources_ccs_and_keeps_its_subject_private(
    make_ticket, agent, customer, colleague
):
    target = make_ticket(requester=colleague, subject="Exports fail for the payroll team")
    source = make_ticket(requester=customer, subject="Export broken")
    services.ticket_cc_add(actor=agent, ticket=source, email="boss@acme.test")
    services.ticket_cc_add(actor=agent, ticket=source, email="second@acme.test")
    services.ticket_merge(actor=agent, source=source, target=target)
    assert sorted(TicketCC.objects.filter(ticket=target).values_list("email", flat=True)) == [
        "boss@acme.test",
        customer.email,
        "second@acme.test",
    ]
    notice = OutboundEmail.objects.get(kind="reply", body_text__contains="merged this request")
    assert target.subject not in notice.body_text and target.reference not in notice.body_text


def test_another_organizations_ticket_is_refused_and_nothing_moves(make_ticket, agent, customer, customer2):
    target = make_ticket(requester=customer2, subject="Exports fail")
    source = make_ticket(requester=customer, subject="Export broken")
    with pytest.raises(InvalidInput) as error:
        services.ticket_merge(actor=agent, source=source, target=target)
    assert error.value.field == "into" and "another customer" in str(error.value)
    source.refresh_from_db()
    assert source.merged_into_id is None and source.status != "closed"
    assert not TicketCC.objects.filter(ticket=target).exists()


def test_a_customer_sees_no_pointer_to_a_colleagues_ticket_in_the_api(make_ticket, agent, customer, colleague):
    from rest_framework.test import APIClient

    own = make_ticket(subject="Same problem, mine")
    theirs = make_ticket(requester=colleague, subject="Colleague's")
    source = make_ticket(subject="Asked again")
    services.ticket_merge(actor=agent, source=source, target=theirs)
    services.ticket_merge(actor=agent, source=make_ticket(subject="Asked a third time"), target=own)
    api = APIClient()
    api.force_authenticate(customer.user)
    rows = {row["reference"]: row["merged_into"] for row in api.get("/api/v1/tickets/").json()["results"]}
    assert rows[source.reference] is None
    assert own.reference in rows.values()
    assert api.get(f"/api/v1/tickets/{source.reference}/").json()["merged_into"] is None


@pytest.mark.parametrize("case", ["self", "closed_source", "closed_target"])
def test_impossible_merges_are_refused_and_change_nothing(pair, agent, case):
    source, target = pair
    if case == "self":
        target = source
    elif case == "closed_source":
        services.ticket_update(actor=agent, ticket=source, status="solved")
        services.ticket_update(actor=agent, ticket=source, status="closed")
    else:
        services.ticket_update(actor=agent, ticket=target, status="solved")
        services.ticket_update(actor=agent, ticket=target, status="closed")
    source.refresh_from_db()
    events_before = source.events.count()
    with pytest.raises((InvalidInput, TransitionNotAllowed)) as error:
        services.ticket_merge(actor=agent, source=source, target=target)
    assert error.value.field == "into"
    assert source.events.count() == events_before and OutboundEmail.objects.filter(kind="reply").count() == 0


def test_a_stale_version_is_refused(pair, agent):
    source, target = pair
    with pytest.raises(StaleVersion):
        services.ticket_merge(actor=agent, source=source, target=target, expected_version=source.version - 1)
    source.refresh_from_db()
    assert source.status != "closed" and source.merged_into_id is None


def test_only_the_desk_merges(pair, customer, product_manager):
    source, target = pair
    with pytest.raises(ActionForbidden):
        services.ticket_merge(actor=product_manager, source=source, target=target)
    with pytest.raises((NotFound, ActionForbidden)):
        services.ticket_merge(actor=customer.user, source=source, target=target)


def test_email_replies_to_the_merged_ticket_land_on_the_target(pair, agent, customer):
    source, target = pair
    services.ticket_message_post(actor=agent, ticket=source, body="Which invoice?")
    asked = OutboundEmail.objects.filter(ticket=source).latest("id")
    services.ticket_merge(actor=agent, source=source, target=target)
    by_thread = services.mail_receive(
        raw=email_from(customer.email, "Re: Which invoice", in_reply_to=asked.message_id, body="The March one."),
        source="test",
    )
    by_subject = services.mail_receive(
        raw=email_from(customer.email, f"Re: [{source.reference}] Invoice PDF", body="Still blank."), source="test"
    )
    assert by_thread.email.ticket_id == target.pk and by_subject.email.ticket_id == target.pk
    assert InboundEmail.objects.filter(ticket=source).count() == 0
    assert target.events.filter(body__in=["The March one.", "Still blank."]).count() == 2


def test_the_desk_merge_page_merges_and_names_a_bad_reference(pair, agent_client, agent):
    source, target = pair
    url = reverse("helpdesk:ticket_merge", args=[source.reference])
    page = agent_client.get(url)
    assert page.status_code == 200 and target.reference.encode() in page.content  # offered as a candidate
    bad = agent_client.post(url, {"into": "HD-999999", "notice": "Kept text", "version": source.version})
    assert bad.status_code == 400
    assert b"There is no ticket" in bad.content and b"Kept text" in bad.content  # the typed notice is not lost
    done = agent_client.post(url, {"into": target.reference, "notice": "", "version": source.version})
    assert done.status_code == 302 and done["Location"] == reverse("helpdesk:ticket_detail", args=[target.reference])
    shown = agent_client.get(reverse("helpdesk:ticket_detail", args=[source.reference]))
    assert b"This ticket was merged into" in shown.content


def test_the_merge_page_refuses_a_stale_version_with_409(pair, agent_client, agent):
    source, target = pair
    services.ticket_update(actor=agent, ticket=source, priority="high")
    stale = agent_client.post(
        reverse("helpdesk:ticket_merge", args=[source.reference]),
        {"into": target.reference, "version": source.version},
    )
    assert stale.status_code == 409 and b"changed by someone else" in stale.content
    assert selectors.ticket_get(user=agent, reference=source.reference).status != "closed"


def test_the_api_merges_and_shows_the_pointer(pair, agent):
    from rest_framework.test import APIClient

    source, target = pair
    api = APIClient()
    api.force_authenticate(agent)
    bad = api.post(f"/api/v1/tickets/{source.reference}/merge/", {"into": source.reference}, format="json")
    assert bad.status_code == 400 and "into" in bad.json()
    stale = api.post(
        f"/api/v1/tickets/{source.reference}/merge/", {"into": target.reference, "version": source.version + 5}, format="json"
    )
    assert stale.status_code == 409
    done = api.post(
        f"/api/v1/tickets/{source.reference}/merge/",
        {"into": target.reference},
        format="json",
        HTTP_IF_MATCH=f'"{Ticket.objects.get(pk=source.pk).version}"',
    )
    assert done.status_code == 200 and done.json()["reference"] == target.reference
    shown = api.get(f"/api/v1/tickets/{source.reference}/").json()
    assert shown["status"] == "closed" and shown["merged_into"] == target.reference
    listed = api.get("/api/v1/tickets/", {"view": "all"}).json()["results"]
    assert {row["reference"]: row["merged_into"] for row in listed}[source.reference] == target.reference


def test_the_timelines_say_what_was_merged_where(pair, agent_client, agent):
    source, target = pair
    services.ticket_merge(actor=agent, source=source, target=target)
    on_target = agent_client.get(reverse("helpdesk:ticket_detail", args=[target.reference])).content.decode()
    assert f"merged <b>{source.reference}</b> into this ticket" in on_target
    on_source = agent_client.get(reverse("helpdesk:ticket_detail", args=[source.reference])).content.decode()
    assert f"merged this ticket into <b>{target.reference}</b>" in on_source


def test_the_portal_points_the_customer_to_where_the_request_goes_on(make_ticket, agent, client, customer, colleague):
    own_target = make_ticket(subject="Invoices are empty")
    source = make_ticket(subject="Invoice PDF blank again")
    services.ticket_merge(actor=agent, source=source, target=own_target)
    client.force_login(customer.user)
    page = client.get(reverse("portal:ticket_detail", args=[source.reference])).content.decode()
    assert "This request was combined with" in page and reverse("portal:ticket_detail", args=[own_target.reference]) in page

    others = make_ticket(subject="Someone else's", requester=colleague)
    mine = make_ticket(subject="Mine, same problem")
    services.ticket_merge(actor=agent, source=mine, target=others)
    page = client.get(reverse("portal:ticket_detail", args=[mine.reference])).content.decode()
    assert "we carry on there and will keep you posted by email" in page
    assert others.subject not in page  # another customer's ticket is not revealed
