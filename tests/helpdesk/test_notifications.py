"""Agents' notices: who is told what, in the desk and by email, and their own settings."""

from __future__ import annotations

from helpdesk import services
from helpdesk.mail.models import OutboundEmail
from helpdesk.notifications.models import Notification


def notices(user):
    return list(Notification.objects.filter(user=user).values_list("reason", "headline"))


def test_assigning_tells_the_new_assignee_not_the_one_who_did_it(ticket, agent, agent2):
    services.ticket_update(actor=agent, ticket=ticket, assignee=agent2)
    assert notices(agent2) == [("assigned", f"Alex Agent assigned {ticket.reference} to you")]
    assert notices(agent) == []
    email = OutboundEmail.objects.get(kind="notification")
    assert email.to == [agent2.email] and email.subject == f"[{ticket.reference}] Alex Agent assigned {ticket.reference} to you"
    assert "/account/notifications/" in email.body_text


def test_a_customer_reply_tells_the_assignee(ticket, agent, agent2, customer):
    services.ticket_update(actor=agent, ticket=ticket, assignee=agent2)
    services.ticket_message_post(actor=customer.user, ticket=ticket, body="Still broken")
    assert notices(agent2)[0][0] == "customer_replied"
    assert Notification.objects.filter(user=agent2, reason="customer_replied").get().excerpt == "Still broken"


def test_a_mention_in_a_note_tells_who_is_mentioned(ticket, agent, agent2):
    services.ticket_message_post(actor=agent, ticket=ticket, body="@agent2 can you look? mail@agent2.test is not one", internal=True)
    assert notices(agent2) == [("mentioned", f"Alex Agent mentioned you in a note on {ticket.reference}")]


def test_a_new_ticket_in_a_team_tells_its_members(agent, agent2, customer):
    team = services.team_ensure(actor=None, name="Billing")
    team.members.add(agent2)
    ticket = services.ticket_create(actor=agent, requester=customer, subject="Refund", body="Please", team=team)
    assert notices(agent2) == [("team_new_ticket", f"New ticket {ticket.reference} in Billing")]


def test_followers_hear_of_every_change(ticket, agent, agent2):
    services.ticket_follow(actor=agent2, ticket=ticket)
    services.ticket_update(actor=agent, ticket=ticket, priority="urgent")
    services.ticket_message_post(actor=agent, ticket=ticket, body="On it")
    assert [reason for reason, _ in notices(agent2)] == ["following", "following"]


def test_settings_turn_notices_and_emails_off(client, ticket, agent, agent2):
    client.force_login(agent2)
    client.post("/account/notifications/", {"assigned": "", "mentioned": "on", "by_email": ""})
    services.ticket_update(actor=agent, ticket=ticket, assignee=agent2)
    assert notices(agent2) == []
    services.ticket_message_post(actor=agent, ticket=ticket, body="@agent2 fyi", internal=True)
    assert notices(agent2)[0][0] == "mentioned"
    assert not OutboundEmail.objects.filter(kind="notification").exists()


def test_customers_are_never_notified(ticket, agent, customer):
    services.ticket_message_post(actor=agent, ticket=ticket, body=f"@{customer.user.username} hi", internal=True)
    assert notices(customer.user) == []


def test_the_desk_lists_counts_and_opens_notices(client, ticket, agent, agent2):
    services.ticket_update(actor=agent, ticket=ticket, assignee=agent2)
    client.force_login(agent2)
    assert client.get("/notifications/unread/").json() == {"unread": 1}
    page = client.get("/notifications/").content.decode()
    assert f"Alex Agent assigned {ticket.reference} to you" in page
    notice = Notification.objects.get(user=agent2)
    response = client.post(f"/notifications/{notice.pk}/open/")
    assert response["Location"] == f"/tickets/{ticket.reference}/"
    assert client.get("/notifications/unread/").json() == {"unread": 0}


def test_nobody_opens_another_agents_notice(client, ticket, agent, agent2):
    services.ticket_update(actor=agent, ticket=ticket, assignee=agent2)
    notice = Notification.objects.get(user=agent2)
    client.force_login(agent)
    assert client.post(f"/notifications/{notice.pk}/open/")["Location"] == "/notifications/"
    notice.refresh_from_db()
    assert notice.read_at is None
