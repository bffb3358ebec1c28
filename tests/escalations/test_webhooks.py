"""Outgoing webhooks against a real local HTTP receiver: signature, retries with backoff, catch-up, the admin."""

from __future__ import annotations

import hashlib
import hmac
import json
import threading
from datetime import timedelta
from http.server import BaseHTTPRequestHandler, ThreadingHTTPServer

import pytest
from django.urls import reverse
from django.utils import timezone

from escalations import services
from escalations.models import WebhookDelivery, WebhookEndpoint
from tests.escalations.conftest import raise_on

pytestmark = pytest.mark.django_db


class Receiver:
    """A real HTTP server on a free local port; answers each POST with the next status in ``answers``."""

    def __init__(self) -> None:
        self.requests: list[dict] = []
        self.answers: list[int] = []
        receiver = self

        class Handler(BaseHTTPRequestHandler):
            def do_POST(self):  # noqa: N802 (the standard library's name)
                body = self.rfile.read(int(self.headers["Content-Length"]))
                receiver.requests.append({"headers": dict(self.headers), "body": body})
                code = receiver.answers.pop(0) if receiver.answers else 200
                self.send_response(code)
                self.end_headers()
                self.wfile.write(b"ok" if code < 300 else b"try later")

            def log_message(self, *args):
                pass

        self.server = ThreadingHTTPServer(("127.0.0.1", 0), Handler)
        self.thread = threading.Thread(target=self.server.serve_forever, daemon=True)
        self.thread.start()
        self.url = f"http://127.0.0.1:{self.server.server_address[1]}/hooks/helpdesk"

    def close(self) -> None:
        self.server.shutdown()
        self.server.server_close()


@pytest.fixture
def receiver():
    server = Receiver()
    yield server
    server.close()


@pytest.fixture
def endpoint(receiver):
    return services.webhook_endpoint_save(actor=None, endpoint=WebhookEndpoint(name="Flags", url=receiver.url))


def deliver_all():
    total = services.webhooks_deliver_due()
    return total


def test_a_cord_pull_posts_signed_events_for_the_status_and_the_block(receiver, endpoint, ticket, feature, agent):
    escalation = raise_on(ticket, feature, agent)
    report = deliver_all()
    assert report.delivered == 2 and len(receiver.requests) == 2
    events = {}
    for request in receiver.requests:
        headers, body = request["headers"], request["body"]
        expected = hmac.new(endpoint.secret.encode(), headers["X-Helpdesk-Timestamp"].encode() + b"." + body, hashlib.sha256)
        assert headers["X-Helpdesk-Signature"] == "sha256=" + expected.hexdigest()
        assert abs(int(headers["X-Helpdesk-Timestamp"]) - timezone.now().timestamp()) < 60
        payload = json.loads(body)
        assert payload["event"] == headers["X-Helpdesk-Event"]
        events[payload["event"]] = payload["data"]
    assert events["feature.blocked"]["feature"] == {
        "key": "billing.invoices", "name": "Invoices", "product": "billing", "blocked": True
    }
    assert events["escalation.status_changed"]["escalation"]["reference"] == escalation.reference
    assert events["escalation.status_changed"]["old_status"] is None
    assert set(WebhookDelivery.objects.values_list("status", "response_status")) == {("delivered", 200)}


def test_a_refusing_receiver_is_retried_with_backoff_then_marked_failed(receiver, endpoint, ticket, feature, agent, settings):
    settings.HELPDESK_WEBHOOK_MAX_ATTEMPTS = 3
    WebhookEndpoint.objects.filter(pk=endpoint.pk).update(feature_events=False)
    raise_on(ticket, feature, agent)
    receiver.answers = [503, 500, 502]
    first = deliver_all()
    assert first.retried == 1
    row = WebhookDelivery.objects.get()
    assert row.status == "pending" and row.response_status == 503 and row.response_body == "try later"
    assert 20 <= (row.next_attempt_at - timezone.now()).total_seconds() <= 31  # the first retry within a minute
    assert deliver_all().handled == 0  # not due yet
    for _ in range(2):
        WebhookDelivery.objects.update(next_attempt_at=timezone.now() - timedelta(seconds=1))
        deliver_all()
    row.refresh_from_db()
    assert row.status == "failed" and row.attempts == 3 and "HTTP 502" in row.last_error
    services.webhook_delivery_retry(actor=None, delivery=row)
    assert deliver_all().delivered == 1 and len(receiver.requests) == 4
    assert len({r["headers"]["X-Helpdesk-Delivery"] for r in receiver.requests}) == 1  # the same delivery each time


def test_deliveries_wait_out_a_stopped_worker_and_an_unreachable_receiver(endpoint, ticket, feature, agent, receiver):
    raise_on(ticket, feature, agent)
    receiver.close()  # down
    report = deliver_all()
    assert report.retried == 2 and all(
        "ConnectionError" in error for error in WebhookDelivery.objects.values_list("last_error", flat=True)
    )
    again = Receiver()
    try:
        WebhookEndpoint.objects.update(url=again.url)
        WebhookDelivery.objects.update(next_attempt_at=timezone.now())
        assert deliver_all().delivered == 2 and len(again.requests) == 2
    finally:
        again.close()


def test_a_rolled_back_change_sends_nothing_and_inactive_endpoints_get_nothing(endpoint, ticket, feature, agent):
    WebhookEndpoint.objects.filter(pk=endpoint.pk).update(active=False)
    raise_on(ticket, feature, agent)
    assert WebhookDelivery.objects.count() == 0


def test_the_admin_shows_deliveries_escaped_and_retries(admin_client, receiver, endpoint, ticket, feature, agent):
    raise_on(ticket, feature, agent, title='<img src=x onerror=alert(1)>')
    listing = admin_client.get(reverse("admin:escalations_webhookdelivery_changelist"))
    assert listing.status_code == 200 and b"escalation.status_changed" in listing.content
    delivery = WebhookDelivery.objects.get(event="escalation.status_changed")
    shown = admin_client.get(reverse("admin:escalations_webhookdelivery_change", args=[delivery.pk])).content.decode()
    assert "<img src=x" not in shown and "&lt;img src=x" in shown
    WebhookDelivery.objects.update(status="failed")
    admin_client.post(
        reverse("admin:escalations_webhookdelivery_changelist"),
        {"action": "retry_now", "_selected_action": [delivery.pk]},
    )
    assert WebhookDelivery.objects.get(pk=delivery.pk).status == "pending"
