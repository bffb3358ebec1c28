"""helpdesk.broadcast: sends handed from service threads to the event loop, in order per group."""

from __future__ import annotations

import asyncio

import pytest
from asgiref.sync import sync_to_async

from helpdesk import broadcast


class RecordingLayer:
    """A channel layer whose sends take as long as the test says, per group."""

    def __init__(self) -> None:
        self.sent: list[tuple[str, object]] = []
        self.hold: dict[str, asyncio.Event] = {}
        self.delay: dict[object, float] = {}

    async def group_send(self, group: str, payload: dict) -> None:
        if group in self.hold:
            await self.hold[group].wait()
        await asyncio.sleep(self.delay.get(payload["n"], 0))
        self.sent.append((group, payload["n"]))


@pytest.fixture
def layer(monkeypatch):
    fake = RecordingLayer()
    monkeypatch.setattr(broadcast, "get_channel_layer", lambda: fake)
    return fake


async def settle(layer: RecordingLayer, count: int, timeout: float = 2.0) -> None:
    async with asyncio.timeout(timeout):
        while len(layer.sent) < count:
            await asyncio.sleep(0.005)


async def test_one_groups_sends_leave_in_the_order_handed_over(layer):
    layer.delay = {1: 0.05, 2: 0.0, 3: 0.01}
    for number in (1, 2, 3):
        await sync_to_async(broadcast.group_send_soon)([("chat.1", {"n": number})])
    await settle(layer, 3)
    assert layer.sent == [("chat.1", 1), ("chat.1", 2), ("chat.1", 3)]


async def test_a_slow_group_does_not_hold_up_another(layer):
    layer.hold["chat.slow"] = asyncio.Event()
    await sync_to_async(broadcast.group_send_soon)([("chat.slow", {"n": 1})])
    await sync_to_async(broadcast.group_send_soon)([("chat.fast", {"n": 2})])
    await settle(layer, 1)
    assert layer.sent == [("chat.fast", 2)]
    layer.hold["chat.slow"].set()
    await settle(layer, 2)
    assert layer.sent[-1] == ("chat.slow", 1)


async def test_a_failed_send_does_not_stop_the_groups_next(layer, monkeypatch):
    real = layer.group_send

    async def flaky(group, payload):
        if payload["n"] == 1:
            raise ConnectionError("Redis went away")
        await real(group, payload)

    monkeypatch.setattr(layer, "group_send", flaky)
    await sync_to_async(broadcast.group_send_soon)([("chat.1", {"n": 1}), ("chat.1", {"n": 2})])
    await settle(layer, 1)
    assert layer.sent == [("chat.1", 2)]


async def test_latest_sends_the_first_at_once_then_only_the_latest_per_interval(layer):
    send_latest = sync_to_async(broadcast.group_send_latest)
    await send_latest("count.1", [("live", {"n": 1})], interval=0.2)
    await settle(layer, 1)
    for number in (2, 3, 4):
        await send_latest("count.1", [("live", {"n": number})], interval=0.2)
    await asyncio.sleep(0.05)
    assert layer.sent == [("live", 1)]  # the rest wait for the interval
    await settle(layer, 2)
    await asyncio.sleep(0.3)
    assert layer.sent == [("live", 1), ("live", 4)]


async def test_latest_keys_are_independent(layer):
    send_latest = sync_to_async(broadcast.group_send_latest)
    await send_latest("count.1", [("live", {"n": 1})], interval=5)
    await send_latest("count.2", [("live", {"n": 2})], interval=5)
    await settle(layer, 2)
    assert sorted(layer.sent) == [("live", 1), ("live", 2)]


async def test_a_full_announcement_drops_the_waiting_latest(layer):
    send_latest = sync_to_async(broadcast.group_send_latest)
    await send_latest("count.1", [("live", {"n": 1})], interval=0.1)
    await send_latest("count.1", [("live", {"n": 2})], interval=0.1)  # waits for the interval
    await sync_to_async(broadcast.group_send_soon)([("live", {"n": 3})], supersedes="count.1")
    await settle(layer, 2)
    await asyncio.sleep(0.2)
    assert layer.sent == [("live", 1), ("live", 3)]


def test_without_an_event_loop_the_sends_run_at_once(layer):
    broadcast.group_send_soon([("chat.1", {"n": 1})])
    broadcast.group_send_latest("count.1", [("live", {"n": 2})], interval=60)
    assert layer.sent == [("chat.1", 1), ("live", 2)]
