"""The andon cord's services: raising, linking, the lifecycle table, who may act, and the blocked flag."""

from __future__ import annotations

import pytest

from escalations import services
from escalations.models import Escalation, EscalationEvent, EscalationLink, Feature
from helpdesk.errors import ActionForbidden, InvalidInput, NotFound, StaleVersion, TransitionNotAllowed
from helpdesk.models import AuditEvent
from tests.escalations.conftest import raise_on

pytestmark = pytest.mark.django_db


def blocked(feature) -> bool:
    return Feature.objects.get(pk=feature.pk).blocked


def act(escalation, actor, action, text="Because.", **extra):
    return services.escalation_transition(actor=actor, escalation=escalation, action=action, text=text, **extra)


def test_raising_a_blocking_escalation_links_the_ticket_and_blocks_the_feature(ticket, feature, agent):
    escalation = raise_on(ticket, feature, agent)
    assert escalation.status == "open" and escalation.raised_by_id == agent.pk
    assert escalation.acknowledge_by is not None  # blocking: the acknowledgement clock runs
    assert list(EscalationLink.objects.filter(escalation=escalation).values_list("ticket_id", flat=True)) == [ticket.pk]
    assert blocked(feature)
    kinds = list(escalation.events.values_list("kind", flat=True))
    assert kinds == [EscalationEvent.Kind.RAISED, EscalationEvent.Kind.LINKED]
    assert AuditEvent.objects.filter(action="escalation.raised", object_type="escalation").exists()
    assert AuditEvent.objects.filter(action="feature.blocked", object_id=str(feature.pk)).exists()


def test_a_major_escalation_does_not_block(ticket, feature, agent):
    escalation = raise_on(ticket, feature, agent, severity="major")
    assert not blocked(feature) and escalation.acknowledge_by is None


@pytest.mark.parametrize(
    ("field", "changes"),
    [("severity", {"severity": "catastrophic"}), ("title", {"title": "  "}), ("customer_impact", {"customer_impact": ""})],
)
def test_bad_input_names_the_field_and_creates_nothing(ticket, feature, agent, field, changes):
    values = {"severity": "blocking", "title": "T", "customer_impact": "Blank PDFs", **changes}
    with pytest.raises(InvalidInput) as error:
        services.escalation_raise(actor=agent, ticket=ticket, feature=feature, **values)
    assert error.value.field == field
    assert not Escalation.objects.exists() and not blocked(feature)


def test_only_holders_of_the_right_raise_and_only_on_tickets_they_see(ticket, feature, customer, make_user):
    with pytest.raises((ActionForbidden, NotFound)):
        raise_on(ticket, feature, customer.user)
    from django.contrib.auth.models import Permission

    reader = make_user("reader", role=None)
    reader.user_permissions.add(Permission.objects.get(codename="view_all_tickets"))
    reader = type(reader).objects.get(pk=reader.pk)
    with pytest.raises(ActionForbidden):
        raise_on(ticket, feature, reader)  # sees every ticket, but was not given the cord
    assert not Escalation.objects.exists()


def test_product_managers_may_pull_the_cord_too(ticket, feature, product_manager):
    # They hear customers live (livelisten) and stop the feature in one step.
    assert raise_on(ticket, feature, product_manager).raised_by == product_manager


def test_linking_twice_is_a_no_op(make_ticket, ticket, feature, agent, agent2):
    escalation = raise_on(ticket, feature, agent)
    other = make_ticket(subject="Blank invoice again")
    _, created = services.escalation_link(actor=agent2, escalation=escalation, ticket=other)
    assert created
    _, again = services.escalation_link(actor=agent, escalation=escalation, ticket=other)
    assert not again
    assert escalation.links.count() == 2
    assert escalation.events.filter(kind="linked").count() == 2
    assert AuditEvent.objects.filter(action="escalation.linked").count() == 1


def test_the_whole_lifecycle_by_the_features_owner(ticket, feature, agent, product_manager):
    escalation = raise_on(ticket, feature, agent)
    escalation = act(escalation, product_manager, "acknowledge", text="")
    assert escalation.acknowledged_at is not None and blocked(feature)
    escalation = act(escalation, product_manager, "request_info", text="Which browser?")
    escalation = act(escalation, agent, "provide_info", text="Firefox 120.")
    assert escalation.status == "acknowledged"
    escalation = act(escalation, product_manager, "start", text="")
    escalation = act(escalation, product_manager, "fix", text="Invoices download correctly again.")
    assert escalation.status == "fixed" and escalation.resolved_at is not None
    assert escalation.fix_update == "Invoices download correctly again."
    assert not blocked(feature)
    escalation = act(escalation, product_manager, "close", text="")
    assert escalation.status == "closed" and escalation.version == 7
    history = list(escalation.events.filter(kind="status").values_list("action", "old_value", "new_value"))
    assert history == [
        ("acknowledge", "open", "acknowledged"),
        ("request_info", "acknowledged", "needs_info"),
        ("provide_info", "needs_info", "acknowledged"),
        ("start", "acknowledged", "in_progress"),
        ("fix", "in_progress", "fixed"),
        ("close", "fixed", "closed"),
    ]
    assert escalation.events.get(action="request_info").note == "Which browser?"
    assert AuditEvent.objects.filter(action="escalation.fix", actor=product_manager).exists()
    assert AuditEvent.objects.filter(action="feature.unblocked").exists()


@pytest.mark.parametrize(
    ("action", "status"),
    [("start", "open"), ("fix", "open"), ("close", "open"), ("provide_info", "open"), ("reopen", "open")],
)
def test_actions_from_the_wrong_status_are_refused_and_change_nothing(ticket, feature, agent, manager, product_manager, action, status):
    escalation = raise_on(ticket, feature, agent)
    actor = {"provide_info": agent, "reopen": manager}.get(action, product_manager)
    with pytest.raises(TransitionNotAllowed):
        act(escalation, actor, action)
    escalation.refresh_from_db()
    assert escalation.status == status and escalation.version == 1 and blocked(feature)


def test_texts_the_actions_need_are_required(ticket, feature, agent, product_manager):
    escalation = act(raise_on(ticket, feature, agent), product_manager, "acknowledge", text="")
    for action in ("request_info", "fix", "reject"):
        with pytest.raises(InvalidInput) as error:
            act(escalation, product_manager, action, text="   ")
        assert error.value.field == "note"
    escalation.refresh_from_db()
    assert escalation.status == "acknowledged"


def test_who_may_act(ticket, feature, agent, agent2, manager, product_manager, make_user):
    from helpdesk import roles

    escalation = raise_on(ticket, feature, agent)
    other_pm = make_user("pm2", role=roles.PRODUCT_MANAGERS)
    for actor in (agent2, manager, other_pm):
        with pytest.raises(ActionForbidden):
            act(escalation, actor, "acknowledge", text="")
    escalation.refresh_from_db()
    assert escalation.status == "open"

    # A product manager given the right triages any feature's escalations.
    from django.contrib.auth.models import Permission

    other_pm.user_permissions.add(Permission.objects.get(codename="triage_escalation"))
    other_pm = type(other_pm).objects.get(pk=other_pm.pk)
    assert act(escalation, other_pm, "reject", text="Works as designed.").status == "rejected"
    assert not blocked(feature)


def test_support_managers_overrule_a_rejection_and_the_owner_takes_back_a_fix(ticket, feature, agent, manager, product_manager):
    escalation = act(raise_on(ticket, feature, agent), product_manager, "reject", text="Not a bug.")
    with pytest.raises(ActionForbidden):
        act(escalation, agent, "reopen", text="Customers keep calling.")  # agents ask a support manager
    with pytest.raises(ActionForbidden):
        act(escalation, product_manager, "reopen", text="On second thought.")  # not their own rejection to undo
    escalation = act(escalation, manager, "reopen", text="Twelve customers this morning.")
    assert escalation.status == "open" and escalation.resolved_at is None and blocked(feature)
    assert AuditEvent.objects.get(action="escalation.reopen").changes["note"] == [None, "Twelve customers this morning."]

    escalation = act(act(escalation, product_manager, "acknowledge", text=""), product_manager, "fix", text="Fixed.")
    with pytest.raises(InvalidInput):
        act(escalation, manager, "reopen", text="")  # a reopen always says why
    assert act(escalation, product_manager, "reopen", text="Regressed in 4.2.").status == "open"


def test_a_stale_version_is_refused(ticket, feature, agent, product_manager):
    escalation = raise_on(ticket, feature, agent)
    with pytest.raises(StaleVersion):
        act(escalation, product_manager, "acknowledge", text="", expected_version=5)
    assert act(escalation, product_manager, "acknowledge", text="", expected_version=1).version == 2


def test_the_feature_stays_blocked_while_any_blocking_escalation_is_unresolved(make_ticket, feature, agent, product_manager):
    first = raise_on(make_ticket(), feature, agent, title="Blank PDFs")
    second = raise_on(make_ticket(), feature, agent, title="Wrong totals")
    act(first, product_manager, "reject", text="Duplicate of the totals one.")
    assert blocked(feature)
    act(act(second, product_manager, "acknowledge", text=""), product_manager, "fix", text="Totals are right again.")
    assert not blocked(feature)


def test_comments_are_for_agents_and_product_managers(ticket, feature, agent, product_manager, customer):
    escalation = raise_on(ticket, feature, agent)
    services.escalation_comment(actor=agent, escalation=escalation, body="Three more calls.")
    services.escalation_comment(actor=product_manager, escalation=escalation, body="Looking.")
    with pytest.raises(ActionForbidden):
        services.escalation_comment(actor=customer.user, escalation=escalation, body="Hello?")
    with pytest.raises(InvalidInput):
        services.escalation_comment(actor=agent, escalation=escalation, body=" ")
    assert list(escalation.events.filter(kind="comment").values_list("note", flat=True)) == ["Three more calls.", "Looking."]
