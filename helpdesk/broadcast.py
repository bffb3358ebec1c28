"""Group sends from service code without holding the database thread.

Services announce events after commit from the thread they run in. Under Daphne that is
a worker thread of ``sync_to_async``, and ``async_to_sync(layer.group_send)`` there hops
to the event loop and waits for Redis: the database thread (one per process for
thread-sensitive calls) stood idle for every announcement, 4 of them per chat line
(docs/benchmarks.md, "The live chat benchmark"). When the calling thread was started by
a running event loop, the sends are handed to that loop and the thread goes on; anywhere
else (a management command, a test without a loop) they run to completion as before.

Nothing may depend on a send arriving (the Redis layer drops when a channel is over
capacity anyway): the apps that need every event read gaps from the database.
"""

from __future__ import annotations

import asyncio
import logging
import os
from collections.abc import Iterable
from typing import Any

from asgiref.sync import SyncToAsync, async_to_sync
from channels.layers import get_channel_layer

logger = logging.getLogger(__name__)


def _loop_that_started_this_thread() -> asyncio.AbstractEventLoop | None:
    loop = getattr(SyncToAsync.threadlocal, "main_event_loop", None)
    pid = getattr(SyncToAsync.threadlocal, "main_event_loop_pid", None)
    if loop is None or pid != os.getpid() or loop.is_closed() or not loop.is_running():
        return None
    return loop


async def _send_all(layer, sends: list[tuple[str, dict[str, Any]]]) -> None:
    for group, payload in sends:
        try:
            await layer.group_send(group, payload)
        except Exception:  # a lost announcement never undoes the committed change
            logger.exception("broadcast to %s failed", group)


# One queue and one sending task per event loop: announcements leave in the order they were
# handed over (commit order, for changes serialised by a row lock), where a task per send
# would interleave at their awaits and let a later line overtake an earlier one.
_queues: dict[asyncio.AbstractEventLoop, asyncio.Queue] = {}


async def _drain(layer, queue: asyncio.Queue) -> None:
    while True:
        sends = await queue.get()
        await _send_all(layer, sends)


def _enqueue(loop: asyncio.AbstractEventLoop, layer, sends: list[tuple[str, dict[str, Any]]]) -> None:
    """On ``loop``: put the sends on its queue, starting its sending task the first time."""
    queue = _queues.get(loop)
    if queue is None:
        for stale in [known for known in _queues if known.is_closed()]:
            del _queues[stale]
        queue = _queues[loop] = asyncio.Queue()
        loop.create_task(_drain(layer, queue))
    queue.put_nowait(sends)


def group_send_soon(sends: Iterable[tuple[str, dict[str, Any]]]) -> None:
    """Send each ``(group, payload)`` in order: on the event loop that started this thread if there is one, else now."""
    sends = list(sends)
    layer = get_channel_layer()
    if layer is None or not sends:
        return
    loop = _loop_that_started_this_thread()
    if loop is not None:
        loop.call_soon_threadsafe(_enqueue, loop, layer, sends)
        return
    try:
        async_to_sync(_send_all)(layer, sends)
    except RuntimeError:
        # Called from a thread that runs an event loop itself: schedule it there.
        asyncio.get_running_loop().create_task(_send_all(layer, sends))
