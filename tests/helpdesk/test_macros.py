"""Macros: shared and personal canned replies with placeholders, applied through the ticket services."""

from __future__ import annotations

import pytest

from helpdesk import roles, selectors_macros, services
from helpdesk.errors import ActionForbidden, InvalidInput, NotFound
from helpdesk.macros.models import Macro
from helpdesk.models import AuditEvent


@pytest.fixture
def shared_macro(manager):
    team = services.team_ensure(actor=None, name="Billing")
    return services.macro_create(
        actor=manager,
        name="Refund issued",
        body="Hello {{ customer.name }}, the refund for {{ ticket.reference }} is on its way.\n{{ agent.name }}",
        shared=True,
        status="pending",
        priority=3,
        team=team,
        tags="refund billing",
    )


def test_placeholders_are_filled_for_the_ticket_and_agent(shared_macro, ticket, agent):
    text = selectors_macros.macro_text(user=agent, ticket=ticket, macro=shared_macro)
    assert text == f"Hello Casey Customer, the refund for {ticket.reference} is on its way.\nAlex Agent"


def test_applying_sends_the_text_and_sets_the_fields_in_one_go(shared_macro, ticket, agent):
    services.ticket_update(actor=agent, ticket=ticket, tags=["vip"])
    ticket.refresh_from_db()
    message = services.ticket_reply_with_macro(actor=agent, ticket=ticket, macro=shared_macro, body="Edited text")
    ticket.refresh_from_db()
    assert message.body == "Edited text" and message.kind == "reply"
    assert (ticket.status, ticket.priority, ticket.team.name) == ("pending", 3, "Billing")
    assert sorted(ticket.tags.values_list("name", flat=True)) == ["billing", "refund", "vip"]


def test_a_status_chosen_in_the_composer_wins(shared_macro, ticket, agent):
    services.ticket_reply_with_macro(actor=agent, ticket=ticket, macro=shared_macro, body="x", status="solved")
    ticket.refresh_from_db()
    assert ticket.status == "solved"


def test_a_refused_message_changes_nothing(shared_macro, ticket, agent):
    with pytest.raises(InvalidInput):
        services.ticket_reply_with_macro(actor=agent, ticket=ticket, macro=shared_macro, body="   ")
    ticket.refresh_from_db()
    assert ticket.team is None and ticket.priority == 2


def test_personal_macros_are_their_owners_only(ticket, agent, agent2, shared_macro):
    mine = services.macro_create(actor=agent, name="My sign-off", body="Cheers, {{ agent.name }}")
    assert [m.name for m in selectors_macros.macros_for(user=agent)] == ["My sign-off", "Refund issued"]
    assert [m.name for m in selectors_macros.macros_for(user=agent2)] == ["Refund issued"]
    with pytest.raises(NotFound):
        selectors_macros.macro_get(user=agent2, macro_id=mine.pk)
    assert AuditEvent.objects.filter(action="macro.created", actor=agent).exists()


def test_only_support_managers_share_macros(agent, customer):
    with pytest.raises(ActionForbidden):
        services.macro_create(actor=agent, name="Everyone's", body="x", shared=True)
    with pytest.raises(ActionForbidden):
        services.macro_create(actor=customer.user, name="Mine", body="x")
    with pytest.raises(InvalidInput) as refused:
        services.macro_create(actor=agent, name=" ", body="x")
    assert refused.value.field == "name"


def test_the_ticket_page_applies_a_macro_and_sends_it(agent_client, shared_macro, ticket):
    page = agent_client.get(f"/tickets/{ticket.reference}/?macro={shared_macro.pk}").content.decode()
    assert f"Hello Casey Customer, the refund for {ticket.reference} is on its way." in page
    assert f'<input type="hidden" name="macro" value="{shared_macro.pk}">' in page
    applied = page[page.index('class="muted small macro-applied"'):]
    applied = applied[: applied.index("</span>")]
    assert "sending also sets priority High team Billing tags" in applied, applied
    assert "refund" in applied and "billing" in applied
    response = agent_client.post(
        f"/tickets/{ticket.reference}/messages/", {"body": "Refund sent.", "kind": "reply", "macro": str(shared_macro.pk)}
    )
    assert response.status_code == 302
    ticket.refresh_from_db()
    assert ticket.status == "pending" and ticket.team.name == "Billing"


def test_an_unknown_macro_is_said_not_found(agent_client, ticket):
    page = agent_client.get(f"/tickets/{ticket.reference}/?macro=999999").content.decode()
    assert "That macro no longer exists." in page


def test_agents_keep_macros_from_the_ticket_page(agent_client, ticket, agent):
    agent_client.post(f"/tickets/{ticket.reference}/macros/new/", {"name": "Thanks", "body": "Thanks {{ customer.name }}!", "status": "solved"})
    macro = Macro.objects.get()
    assert (macro.owner, macro.status) == (agent, "solved")
    refused = agent_client.post(f"/tickets/{ticket.reference}/macros/new/", {"name": "", "body": "x"}, follow=True)
    assert "Macro not saved: Name the macro." in refused.content.decode()


def test_shared_macros_are_kept_in_the_admin(client, make_user):
    boss = make_user("boss", role=roles.SUPPORT_MANAGERS, is_staff=True)
    client.force_login(boss)
    assert client.get("/admin/helpdesk/macro/add/").status_code == 200
