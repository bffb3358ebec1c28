"""Opening a ticket from the desk: fields, errors by field with input kept, requester lookup."""

from __future__ import annotations

import pytest
from django.urls import reverse

from helpdesk import services
from helpdesk.models import Ticket, TicketEvent

NEW = "/tickets/new/"


def test_form_prefills_requester_and_assigns_to_me(agent_client):
    response = agent_client.get(NEW + "?requester=casey%40x.test")

    assert response.status_code == 200
    html = response.content.decode()
    assert 'name="requester" value="casey@x.test"' in html
    assert '<option value="agent" selected>Alex Agent (me)</option>' in html
    assert '<option value="phone" selected>' in html


def test_create_by_email_with_every_field(agent_client, agent2, customer):
    from escalations.services import feature_ensure, product_ensure

    feature = feature_ensure(
        actor=None, product=product_ensure(actor=None, key="app", name="App"), key="app.login", name="Login"
    )
    team = services.team_ensure(actor=None, name="Tier 1")

    response = agent_client.post(
        NEW,
        {
            "requester": "CUSTOMER@customer.test",
            "subject": "Cannot sign in",
            "body": "Called at 10:00.\nSays the code never arrives.",
            "priority": "high",
            "channel": "phone",
            "team": str(team.pk),
            "assignee": "agent2",
            "tags": "login, sms",
            "feature": "app.login",
        },
    )

    ticket = Ticket.objects.get(subject="Cannot sign in")
    assert response.status_code == 302
    assert response["Location"] == reverse("helpdesk:ticket_detail", kwargs={"reference": ticket.reference})
    assert (
        ticket.requester_id,
        ticket.priority_slug,
        ticket.channel,
        ticket.team_id,
        ticket.assignee_id,
        ticket.feature_id,
    ) == (
        customer.pk,
        "high",
        "phone",
        team.pk,
        agent2.pk,
        feature.pk,
    )
    assert sorted(ticket.tags.values_list("name", flat=True)) == ["login", "sms"]
    assert TicketEvent.objects.get(ticket=ticket, kind="reply").body == "Called at 10:00.\nSays the code never arrives."


def test_create_by_username(agent_client, customer):
    response = agent_client.post(
        NEW, {"requester": "customer", "subject": "Hi", "body": "Hello", "priority": "normal", "channel": "email"}
    )

    assert response.status_code == 302
    assert Ticket.objects.get(subject="Hi").requester_id == customer.pk


def test_every_error_shows_at_once_and_input_is_kept(agent_client):
    response = agent_client.post(
        NEW,
        {
            "requester": "nobody@nowhere.test",
            "subject": "",
            "body": "  ",
            "priority": "normal",
            "channel": "phone",
            "tags": "kept-tag",
        },
    )

    assert response.status_code == 400
    html = response.content.decode()
    # An email nobody has yet: the form asks for the new customer's name.
    assert 'id="n-requester_name-error">No customer has the email nobody@nowhere.test yet' in html
    assert 'id="n-subject-error">Give the ticket a subject.' in html
    assert 'id="n-body-error">Write a message.' in html
    assert 'value="nobody@nowhere.test"' in html and 'value="kept-tag"' in html
    assert not Ticket.objects.exists()


def test_bad_choices_are_field_errors(agent_client, customer):
    response = agent_client.post(
        NEW,
        {
            "requester": "customer",
            "subject": "S",
            "body": "B",
            "priority": "extreme",
            "channel": "pigeon",
            "assignee": "ghost",
        },
    )

    assert response.status_code == 400
    html = response.content.decode()
    assert 'id="n-priority-error"' in html and 'id="n-channel-error"' in html and 'id="n-assignee-error"' in html
    assert not Ticket.objects.exists()


def test_oversize_description_keeps_text(agent_client, customer):
    body = "My description " + "y" * (65 * 1024)

    response = agent_client.post(
        NEW, {"requester": "customer", "subject": "Big", "body": body, "priority": "normal", "channel": "web"}
    )

    assert response.status_code == 400
    html = response.content.decode()
    assert "the limit is 64 KB" in html and body in html


def test_requester_lookup_fragment(agent_client, customer):
    url = reverse("helpdesk:requester_lookup")

    found = agent_client.get(url, {"requester": "customer@customer.test"}).content.decode()
    missing = agent_client.get(url, {"requester": "<b>x</b>"}).content.decode()
    new = agent_client.get(url, {"requester": "<b>x</b>@nowhere"}).content.decode()

    assert "Casey Customer" in found and "Acme Corp" in found
    assert "No customer with" in missing and "<b>x</b>" not in missing and "&lt;b&gt;x&lt;/b&gt;" in missing
    assert "No customer has this email yet" in new and "<b>x</b>" not in new


def test_product_manager_cannot_open_tickets_for_customers(client, product_manager):
    client.force_login(product_manager)

    response = client.get(NEW)

    assert response.status_code == 403
    assert "cannot open tickets for customers" in response.content.decode()
    assert client.post(NEW, {"requester": "x", "subject": "s", "body": "b"}).status_code == 403


def test_customer_is_sent_to_the_portal(client, customer):
    client.force_login(customer.user)
    response = client.get(NEW)
    assert response.status_code == 302 and response["Location"] == reverse("portal:ticket_list")


def test_subject_field_stops_where_the_service_does(agent_client):
    from helpdesk.services.tickets import SUBJECT_MAX_LENGTH

    html = agent_client.get(NEW).content.decode()
    assert SUBJECT_MAX_LENGTH == 200
    assert 'name="subject" value="" maxlength="200" required' in html


@pytest.mark.parametrize("form_name", ["TicketFieldsForm", "NewTicketForm"])
def test_routing_fields_are_parsed_alike_by_both_forms(agent, agent2, form_name):
    from helpdesk import forms, selectors

    form_class = getattr(forms, form_name)
    team = services.team_ensure(actor=None, name="Tier 2")
    choices = {"assignees": selectors.assignable_users(user=agent), "teams": [team], "features": []}
    base = {"version": "1", "status": "new", "priority": "normal", "channel": "phone"}

    good = form_class({**base, "assignee": " agent2 ", "team": str(team.pk), "tags": "a, b  c", "feature": ""}, **choices)
    assert good.is_valid(), good.errors
    assert (good.cleaned_data["assignee"], good.cleaned_data["team"]) == (agent2, team)
    assert (good.cleaned_data["tags"], good.cleaned_data["feature"]) == (["a", "b", "c"], None)

    bad = form_class({**base, "assignee": "ghost", "team": "999", "tags": "", "feature": "no.such"}, **choices)
    assert not bad.is_valid()
    assert set(bad.errors) >= {"assignee", "team", "feature"}
    # One implementation, not two copies that can drift apart.
    for name in ("clean_assignee", "clean_team", "clean_feature", "clean_tags"):
        assert getattr(form_class, name) is getattr(forms.TicketFieldsForm, name)
        assert name not in vars(form_class), name


def test_files_sent_with_the_request_are_kept_on_the_customers_message(agent_client, customer):
    from django.core.files.uploadedfile import SimpleUploadedFile

    shot = SimpleUploadedFile("error.txt", b"Error 500 at checkout", content_type="text/plain")
    response = agent_client.post(
        NEW,
        {"requester": "customer", "subject": "Checkout fails", "body": "See the file", "priority": "normal",
         "channel": "phone", "attachments": [shot]},
    )  # fmt: skip
    assert response.status_code == 302
    request = TicketEvent.objects.get(ticket__subject="Checkout fails", kind="reply")
    assert [a.filename for a in request.attachments.all()] == ["error.txt"]
    assert request.customer_id == customer.pk  # the customer's message carries their file


def test_too_many_files_is_a_field_error_and_nothing_is_opened(agent_client, customer, settings):
    from django.core.files.uploadedfile import SimpleUploadedFile

    settings.HELPDESK_ATTACHMENTS_PER_MESSAGE = 1
    files = [SimpleUploadedFile(f"f{n}.txt", b"x", content_type="text/plain") for n in range(2)]
    response = agent_client.post(
        NEW,
        {"requester": "customer", "subject": "Two files", "body": "Both", "priority": "normal", "channel": "phone",
         "attachments": files},
    )  # fmt: skip
    assert response.status_code == 400
    html = response.content.decode()
    assert 'id="n-files-error"' in html and "Two files" in html  # the error by the field, the subject kept
    assert not Ticket.objects.filter(subject="Two files").exists()
