from helpdesk.models import TicketStatus


def test_agent_reply_opens_new_ticket(agent, ticket):
    from helpdesk import services

    services.ticket_message_post(actor=agent, ticket=ticket, body="On it")
    ticket.refresh_from_db()
    assert ticket.status == TicketStatus.OPEN
