"""The shipped CI release-gate script against real Daphne: exit 0 while a feature may ship, 1 once the cord is pulled."""

from __future__ import annotations

import os
import subprocess
from pathlib import Path

import pytest

from escalations import services
from helpdesk import services as desk_services

pytestmark = [pytest.mark.e2e, pytest.mark.django_db(transaction=True)]

SCRIPT = Path(__file__).resolve().parents[2] / "deploy" / "ci" / "release-gate.sh"


def gate(url: str, token: str, *keys: str) -> subprocess.CompletedProcess:
    env = {**os.environ, "HELPDESK_URL": url, "HELPDESK_TOKEN": token}
    return subprocess.run(["sh", str(SCRIPT), *keys], env=env, capture_output=True, text=True, timeout=60)


def test_the_release_gate_script_fails_a_job_while_the_feature_is_blocked(live_server_url, agent, product_manager, ticket):
    product = services.product_ensure(actor=None, key="billing", name="Billing")
    feature = services.feature_ensure(actor=None, product=product, key="billing.invoices", name="Invoices", owner=product_manager)
    services.feature_ensure(actor=None, product=product, key="billing.exports", name="Exports")
    _token, key = desk_services.api_token_create(actor=agent, name="CI")

    free = gate(live_server_url, key, "billing.invoices", "billing.exports")
    assert free.returncode == 0, free.stderr
    assert "billing.invoices may ship" in free.stdout

    escalation = services.escalation_raise(
        actor=agent, ticket=ticket, feature=feature, severity="blocking", title="Blank PDFs", customer_impact="Empty invoices."
    )
    blocked = gate(live_server_url, key, "billing.exports", "billing.invoices")
    assert blocked.returncode == 1
    assert "billing.invoices is BLOCKED" in blocked.stderr and escalation.reference in blocked.stderr
    assert "billing.exports may ship" in blocked.stdout

    assert gate(live_server_url, key, "no.such").returncode == 2  # a gate that cannot answer lets nothing through
    assert gate(live_server_url, "hd_wrong", "billing.exports").returncode == 2
