"""Email in by a provider's webhook (anymail's inbound support), here Postmark's format."""

from __future__ import annotations

import base64
import json

import pytest

from helpdesk.mail.models import InboundEmail
from helpdesk.models import Ticket

pytestmark = pytest.mark.django_db
URL = "/anymail/postmark/inbound/"


@pytest.fixture(autouse=True)
def webhook_secret(settings):
    settings.ANYMAIL = {"WEBHOOK_SECRET": "postmark:s3cret"}


def auth(secret: str = "postmark:s3cret") -> dict:
    return {"HTTP_AUTHORIZATION": "Basic " + base64.b64encode(secret.encode()).decode()}


def payload(raw: bytes) -> str:
    return json.dumps({"RawEmail": raw.decode("utf-8"), "FromFull": {"Email": "x"}, "Headers": []})


def test_a_message_posted_by_the_provider_opens_a_ticket(client, sample):
    response = client.post(URL, payload(sample("latin1.eml")), content_type="application/json", **auth())
    assert response.status_code == 200
    inbound = InboundEmail.objects.get()
    assert inbound.source == "webhook:postmark" and inbound.outcome == "new_ticket"
    assert inbound.ticket.subject == "Rechnung für März"
    # The provider retries: stored once.
    client.post(URL, payload(sample("latin1.eml")), content_type="application/json", **auth())
    assert Ticket.objects.count() == 1 and InboundEmail.objects.count() == 1


def test_a_wrong_secret_is_refused_and_stores_nothing(client, sample):
    response = client.post(URL, payload(sample("latin1.eml")), content_type="application/json", **auth("postmark:nope"))
    assert response.status_code in (400, 401, 403)
    assert not InboundEmail.objects.exists()
