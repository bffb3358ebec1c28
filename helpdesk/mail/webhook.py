"""The edge for mail providers' inbound webhooks: anymail turns each provider's format into a message."""

from __future__ import annotations

import logging

log = logging.getLogger("helpdesk.mail.webhook")


def file_inbound_webhook(sender, event, esp_name: str, **kwargs) -> None:
    """Receiver of anymail's ``inbound`` signal. An exception answers 500, so the provider retries."""
    from helpdesk import services

    raw = event.message.as_bytes()
    received = services.mail_receive(actor=None, raw=raw, source=f"webhook:{esp_name.lower()}"[:20])
    log.info("webhook %s: %s %s", esp_name, received.email.message_id, received.email.outcome)
