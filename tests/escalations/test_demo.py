"""seed_demo's escalations: every status, a few blocking features linked to tickets of several organizations."""

from __future__ import annotations

from io import StringIO

import pytest
from django.core.management import call_command

from escalations.models import Escalation, EscalationStatus, Feature, FixNotice

pytestmark = pytest.mark.django_db


@pytest.fixture(autouse=True)
def demo_settings(settings):
    settings.DEBUG = True


def test_the_demo_has_escalations_in_every_status_and_leaves_most_features_unblocked():
    out = StringIO()
    call_command("seed_demo", "--demo-tickets", "40", stdout=out)
    assert "escalations: 9 in every status" in out.getvalue()
    assert set(Escalation.objects.values_list("status", flat=True)) == set(EscalationStatus.values)
    features = Feature.objects.count()
    blocked = Feature.objects.filter(blocked=True)
    assert 1 <= blocked.count() <= features // 2
    assert all(feature.owner.username == "pm" for feature in Feature.objects.select_related("owner"))
    blocking = Escalation.objects.filter(severity="blocking", status__in=["open", "acknowledged", "in_progress", "needs_info"])
    assert set(blocking.values_list("feature__key", flat=True)) == set(blocked.values_list("key", flat=True))
    assert any(e.organization_count >= 2 for e in blocking)
    assert FixNotice.objects.filter(outcome="told").exists()  # the fixed ones told their customers
    call_command("seed_demo", "--demo-tickets", "40", stdout=StringIO())
    assert Escalation.objects.count() == 9  # a second run adds nothing
