"""Who is told of an escalation's events, in the desk and by email, once per person and event."""

from __future__ import annotations

from datetime import timedelta

import pytest
from django.core.management import call_command
from django.utils import timezone

from escalations import services
from escalations.models import Escalation
from helpdesk import services as desk_services
from helpdesk.mail.models import OutboundEmail
from helpdesk.notifications.models import Notification
from tests.escalations.conftest import raise_on

pytestmark = pytest.mark.django_db


def notices(user, reason):
    return list(Notification.objects.filter(user=user, reason=reason))


def test_a_new_blocking_escalation_tells_its_product_manager_once(ticket, feature, agent, product_manager, make_ticket):
    escalation = raise_on(ticket, feature, agent, title="Blank <b>PDFs</b>")
    told = notices(product_manager, "escalation_raised")
    assert len(told) == 1 and escalation.reference in told[0].headline and told[0].url == f"/escalations/{escalation.reference}/"
    assert told[0].ticket_id is None
    [mail] = [m for m in OutboundEmail.objects.filter(kind="notification") if product_manager.email in m.to]
    assert escalation.reference in mail.subject and "<b>PDFs</b>" not in mail.body_html
    services.escalation_link(actor=agent, escalation=escalation, ticket=make_ticket(subject="again"))
    assert len(notices(product_manager, "escalation_raised")) == 1
    raise_on(make_ticket(subject="minor"), feature, agent, severity="minor")
    assert len(notices(product_manager, "escalation_raised")) == 1  # only blocking ones


def test_needs_info_reject_and_fix_tell_the_raiser_and_the_linked_assignees(
    make_ticket, feature, agent, agent2, product_manager, manager
):
    ticket = make_ticket(subject="Blank PDF", assignee=agent2)
    escalation = raise_on(ticket, feature, agent)
    services.escalation_transition(actor=product_manager, escalation=escalation, action="acknowledge")
    assert notices(agent, "escalation_changed") == []  # acknowledging is not one of the told events
    services.escalation_transition(actor=product_manager, escalation=escalation, action="request_info", text="Which browser?")
    for person in (agent, agent2):
        [notice] = notices(person, "escalation_changed")
        assert "needs information" in notice.headline and notice.excerpt == "Which browser?"
    services.escalation_transition(actor=agent, escalation=escalation, action="provide_info", text="Firefox.")
    services.escalation_transition(actor=product_manager, escalation=escalation, action="fix", text="Fixed.")
    services.escalation_transition(actor=manager, escalation=escalation, action="reopen", text="Still blank.")
    services.escalation_transition(actor=product_manager, escalation=escalation, action="reject", text="Works for us.")
    headlines = [n.headline for n in notices(agent, "escalation_changed")]
    assert len(headlines) == 3 and any("is fixed" in h for h in headlines) and any("was rejected" in h for h in headlines)
    assert notices(product_manager, "escalation_changed") == []  # nobody hears of their own doing


def test_settings_turn_a_reason_off(ticket, feature, agent, product_manager):
    desk_services.notification_settings_save(actor=product_manager, values={"escalation_raised": False})
    raise_on(ticket, feature, agent)
    assert notices(product_manager, "escalation_raised") == []


def test_overdue_acknowledgement_is_flagged_once_and_caught_up(ticket, feature, agent, product_manager, manager):
    escalation = raise_on(ticket, feature, agent)
    assert services.escalations_flag_overdue() == 0  # not due yet
    later = timezone.now() + timedelta(minutes=61)
    assert services.escalations_flag_overdue(now=later) == 1
    assert services.escalations_flag_overdue(now=later + timedelta(hours=5)) == 0
    for person in (product_manager, manager):
        [notice] = notices(person, "escalation_overdue")
        assert escalation.reference in notice.headline
    assert notices(agent, "escalation_overdue") == []
    assert Escalation.objects.get(pk=escalation.pk).overdue_notified_at is not None
    assert escalation.events.filter(kind="overdue").count() == 1


def test_an_acknowledged_escalation_is_never_overdue(ticket, feature, agent, product_manager):
    escalation = raise_on(ticket, feature, agent)
    services.escalation_transition(actor=product_manager, escalation=escalation, action="acknowledge")
    assert services.escalations_flag_overdue(now=timezone.now() + timedelta(days=2)) == 0


def test_the_worker_command_catches_up(ticket, feature, agent, product_manager, capsys):
    escalation = raise_on(ticket, feature, agent)
    Escalation.objects.filter(pk=escalation.pk).update(acknowledge_by=timezone.now() - timedelta(hours=3))
    call_command("escalation_worker")
    assert "Overdue flagged 1" in capsys.readouterr().out
    call_command("escalation_worker")
    assert "Overdue flagged 0" in capsys.readouterr().out
