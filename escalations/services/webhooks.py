"""Outgoing webhooks: signed JSON POSTs when a feature is blocked or unblocked and when an escalation changes status.

``webhooks_enqueue`` runs inside the transaction of the change and writes one
``WebhookDelivery`` per subscribed endpoint (an outbox: a change that rolls back sends
nothing, one that commits is delivered even if the process dies right after).
``webhooks_deliver_due`` (the worker) claims due deliveries with a lease, POSTs them
outside any transaction, and records the answer: 2xx is delivered; anything else is
retried with backoff (30 s, 2 min, 10 min, 30 min, then hourly) up to
``HELPDESK_WEBHOOK_MAX_ATTEMPTS``. A worker that was down catches up on its next run.

Each POST carries ``X-Helpdesk-Event``, ``X-Helpdesk-Delivery`` (the delivery's id: the
receiver's key against duplicates), ``X-Helpdesk-Timestamp`` (Unix seconds) and
``X-Helpdesk-Signature: sha256=<hex>``, the HMAC-SHA256 of ``"<timestamp>.<body>"``
with the endpoint's secret. Receivers recompute it and refuse stale timestamps
(docs/escalations.md shows how).
"""

from __future__ import annotations

import hashlib
import hmac
import json
import logging
import secrets
from dataclasses import dataclass
from datetime import timedelta

import requests
from django.conf import settings
from django.db import transaction
from django.db.models import Q
from django.utils import timezone

from escalations.models import WebhookDelivery, WebhookEndpoint

log = logging.getLogger(__name__)

FEATURE_BLOCKED = "feature.blocked"
FEATURE_UNBLOCKED = "feature.unblocked"
ESCALATION_STATUS_CHANGED = "escalation.status_changed"
BACKOFF_SECONDS = (30, 120, 600, 1800, 3600)
LEASE_SECONDS = 60
TIMEOUT_SECONDS = 10
RESPONSE_KEPT = 2000


def signature(*, secret: str, timestamp: int, body: str) -> str:
    digest = hmac.new(secret.encode(), f"{timestamp}.{body}".encode(), hashlib.sha256).hexdigest()
    return f"sha256={digest}"


def feature_payload(feature) -> dict:
    return {"key": feature.key, "name": feature.name, "product": feature.product.key, "blocked": feature.blocked}


def escalation_payload(escalation) -> dict:
    return {
        "reference": escalation.reference,
        "feature": escalation.feature.key,
        "severity": escalation.severity,
        "status": escalation.status,
        "title": escalation.title,
        "version": escalation.version,
    }


def webhooks_enqueue(*, event: str, data: dict) -> int:
    """Queue ``event`` for every active endpoint that takes it; call inside the change's transaction."""
    endpoints = WebhookEndpoint.objects.filter(active=True)
    endpoints = (
        endpoints.filter(feature_events=True) if event.startswith("feature.") else endpoints.filter(escalation_events=True)
    )
    now = timezone.now()
    rows = []
    for endpoint in endpoints:
        body = json.dumps(
            {"id": secrets.token_hex(12), "event": event, "created": now.isoformat(), "data": data},
            ensure_ascii=False,
            separators=(",", ":"),
        )
        rows.append(WebhookDelivery(endpoint=endpoint, event=event, body=body, next_attempt_at=now, created_at=now))
    WebhookDelivery.objects.bulk_create(rows)
    return len(rows)


@dataclass
class WebhookReport:
    delivered: int = 0
    retried: int = 0
    failed: int = 0

    @property
    def handled(self) -> int:
        return self.delivered + self.retried + self.failed


def _due(now) -> Q:
    return Q(status=WebhookDelivery.Status.PENDING, next_attempt_at__lte=now) | Q(
        status=WebhookDelivery.Status.SENDING, lease_until__lte=now
    )


def _claim(limit: int) -> list[WebhookDelivery]:
    now = timezone.now()
    with transaction.atomic():
        rows = list(
            WebhookDelivery.objects.select_for_update(skip_locked=True, of=("self",))
            .filter(_due(now))
            .select_related("endpoint")
            .order_by("next_attempt_at", "id")[:limit]
        )
        for row in rows:
            row.status = WebhookDelivery.Status.SENDING
            row.lease_until = now + timedelta(seconds=LEASE_SECONDS)
            row.attempts += 1
            row.last_attempt_at = now
        WebhookDelivery.objects.bulk_update(rows, ["status", "lease_until", "attempts", "last_attempt_at"])
    return rows


def _post(delivery: WebhookDelivery) -> tuple[int | None, str, str]:
    """POST one delivery; (status code or None, response text, error)."""
    timestamp = int(timezone.now().timestamp())
    headers = {
        "Content-Type": "application/json",
        "User-Agent": "helpdesk-webhooks/1",
        "X-Helpdesk-Event": delivery.event,
        "X-Helpdesk-Delivery": str(delivery.pk),
        "X-Helpdesk-Timestamp": str(timestamp),
        "X-Helpdesk-Signature": signature(secret=delivery.endpoint.secret, timestamp=timestamp, body=delivery.body),
    }
    try:
        response = requests.post(
            delivery.endpoint.url,
            data=delivery.body.encode(),
            headers=headers,
            timeout=TIMEOUT_SECONDS,
            allow_redirects=False,
        )
    except requests.RequestException as error:
        return None, "", f"{type(error).__name__}: {error}"[:RESPONSE_KEPT]
    return response.status_code, response.text[:RESPONSE_KEPT], ""


def _record(delivery: WebhookDelivery, code: int | None, text: str, error: str, report: WebhookReport) -> None:
    now = timezone.now()
    delivery.response_status, delivery.response_body, delivery.lease_until = code, text, None
    if code is not None and 200 <= code < 300:
        delivery.status, delivery.delivered_at, delivery.last_error = WebhookDelivery.Status.DELIVERED, now, ""
        report.delivered += 1
    else:
        delivery.last_error = error or f"The receiver answered HTTP {code}."
        if delivery.attempts >= settings.HELPDESK_WEBHOOK_MAX_ATTEMPTS:
            delivery.status = WebhookDelivery.Status.FAILED
            report.failed += 1
        else:
            delivery.status = WebhookDelivery.Status.PENDING
            pause = BACKOFF_SECONDS[min(delivery.attempts - 1, len(BACKOFF_SECONDS) - 1)]
            delivery.next_attempt_at = now + timedelta(seconds=pause)
            report.retried += 1
    # Only if this worker still holds it: after a hang past the lease another worker took it (and counted an attempt).
    WebhookDelivery.objects.filter(pk=delivery.pk, status=WebhookDelivery.Status.SENDING, attempts=delivery.attempts).update(
        status=delivery.status,
        response_status=delivery.response_status,
        response_body=delivery.response_body,
        lease_until=None,
        last_error=delivery.last_error,
        delivered_at=delivery.delivered_at,
        next_attempt_at=delivery.next_attempt_at,
    )


def webhooks_deliver_due(*, limit: int = 50) -> WebhookReport:
    """POST the due deliveries (at most ``limit``); safe to run in several workers at once."""
    report = WebhookReport()
    for delivery in _claim(limit):
        code, text, error = _post(delivery)
        _record(delivery, code, text, error, report)
        if error or code is None or code >= 300:
            log.warning("webhook %s to %s: %s", delivery.pk, delivery.endpoint.url, error or f"HTTP {code}")
    return report


@transaction.atomic
def webhook_delivery_retry(*, actor, delivery: WebhookDelivery) -> WebhookDelivery:
    """Send a failed (or waiting) delivery again now, from the admin."""
    locked = WebhookDelivery.objects.select_for_update().get(pk=delivery.pk)
    if locked.status == WebhookDelivery.Status.DELIVERED:
        return locked
    locked.status, locked.next_attempt_at, locked.lease_until = WebhookDelivery.Status.PENDING, timezone.now(), None
    if locked.attempts >= settings.HELPDESK_WEBHOOK_MAX_ATTEMPTS:
        locked.attempts = settings.HELPDESK_WEBHOOK_MAX_ATTEMPTS - 1  # one more try
    locked.save(update_fields=["status", "next_attempt_at", "lease_until", "attempts"])
    return locked


@transaction.atomic
def webhook_endpoint_save(*, actor, endpoint: WebhookEndpoint, changed_fields=None) -> WebhookEndpoint:
    """Create or change an endpoint (from the admin), audited without its secret."""
    from helpdesk.services import audit_record

    created = endpoint.pk is None
    endpoint.full_clean()
    endpoint.save()
    fields = sorted(set(changed_fields or []) - {"secret"}) if not created else ["name", "url", "active"]
    audit_record(
        actor=actor,
        action="webhook.created" if created else "webhook.updated",
        obj=endpoint,
        changes={name: [None, str(getattr(endpoint, name))] for name in fields}
        | ({"secret": ["…", "changed"]} if changed_fields and "secret" in changed_fields else {}),
    )
    return endpoint
