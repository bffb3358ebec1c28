"""The shared socket base: a send racing the client's close is not an error."""

from __future__ import annotations

import pytest
from autobahn.exception import Disconnected

from helpdesk.socketkit import AccessCheckedConsumer


def consumer_whose_send(raises: Exception | None) -> tuple[AccessCheckedConsumer, list]:
    consumer = AccessCheckedConsumer()
    sent: list = []

    async def base_send(message) -> None:
        if raises is not None:
            raise raises
        sent.append(message)

    consumer.base_send = base_send
    return consumer, sent


async def test_a_send_reaches_the_client_while_it_is_connected():
    consumer, sent = consumer_whose_send(None)
    await consumer.send(text_data='{"type": "pong"}')
    assert sent == [{"type": "websocket.send", "text": '{"type": "pong"}'}]
    assert consumer.closing is False


async def test_a_send_after_the_client_closed_marks_the_socket_closing_and_raises_nothing():
    # Daphne passes sends on until the TCP connection is gone; after the client's close
    # frame, autobahn raises Disconnected (seen in the e2e Daphne log as a listeners frame
    # met a window closing).
    consumer, _ = consumer_whose_send(Disconnected("Attempt to send on a closed protocol"))
    await consumer.send(text_data='{"type": "listeners", "listeners": []}')
    assert consumer.closing is True


async def test_other_send_failures_still_raise():
    consumer, _ = consumer_whose_send(ValueError("Socket has not been accepted, so cannot send over it"))
    with pytest.raises(ValueError):
        await consumer.send(text_data="{}")
    assert consumer.closing is False
