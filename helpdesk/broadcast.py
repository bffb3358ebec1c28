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


async def _send_one(layer, group: str, payload: dict[str, Any], after: asyncio.Future | None) -> None:
    if after is not None:
        await asyncio.wait([after])  # the group's earlier send, however it ended
    try:
        await layer.group_send(group, payload)
    except Exception:  # a lost announcement never undoes the committed change
        logger.exception("broadcast to %s failed", group)


# Per event loop, the last send handed over for each group. A group's announcements leave in
# the order they were handed over (commit order, for changes serialised by a row lock), so a
# later line never overtakes an earlier one; different groups go out side by side. One
# queue for the whole process made every chat wait for every other chat's Redis round trips:
# at 100 lines/s (two sends each) that queue, not the store, was the listeners' latency.
_tails: dict[asyncio.AbstractEventLoop, dict[str, asyncio.Future]] = {}


def _enqueue(loop: asyncio.AbstractEventLoop, layer, sends: list[tuple[str, dict[str, Any]]]) -> None:
    """On ``loop``: start each send once the same group's previous one has finished."""
    tails = _tails.get(loop)
    if tails is None:
        for stale in [known for known in _tails if known.is_closed()]:
            del _tails[stale]
        tails = _tails[loop] = {}
    for group, payload in sends:
        task = loop.create_task(_send_one(layer, group, payload, tails.get(group)))
        tails[group] = task
        task.add_done_callback(lambda done, group=group: tails.get(group) is done and tails.pop(group))


# Per event loop, per key: the latest sends waiting for their key's interval to pass, and
# until when each recently sent key stays quiet.
_latest: dict[asyncio.AbstractEventLoop, dict[Any, list[tuple[str, dict[str, Any]]]]] = {}
_quiet_until: dict[asyncio.AbstractEventLoop, dict[Any, float]] = {}


def _enqueue_latest(loop, layer, key: Any, sends: list[tuple[str, dict[str, Any]]], interval: float) -> None:
    """On ``loop``: send now if ``key`` was quiet for ``interval``, else keep only the latest for the interval's end."""
    pending = _latest.setdefault(loop, {})
    waiting = key in pending
    pending[key] = sends
    if waiting:
        return
    wait = _quiet_until.setdefault(loop, {}).get(key, float("-inf")) - loop.time()
    if wait <= 0:
        _flush_latest(loop, layer, key, interval)
    else:
        loop.call_later(wait, _flush_latest, loop, layer, key, interval)


def _flush_latest(loop, layer, key: Any, interval: float) -> None:
    sends = _latest.get(loop, {}).pop(key, None)
    if sends is None:  # superseded by a full announcement meanwhile
        return
    now = loop.time()
    quiet = _quiet_until.setdefault(loop, {})
    if len(quiet) > 1024:  # keys long quiet (ended chats) would otherwise pile up
        for stale in [known for known, until in quiet.items() if until <= now]:
            del quiet[stale]
    quiet[key] = now + interval
    _enqueue(loop, layer, sends)


def _enqueue_superseding(loop, layer, sends, supersedes: Any) -> None:
    if supersedes is not None:
        _latest.get(loop, {}).pop(supersedes, None)
    _enqueue(loop, layer, sends)


def group_send_soon(sends: Iterable[tuple[str, dict[str, Any]]], *, supersedes: Any = None) -> None:
    """Send each ``(group, payload)``, in order per group: on the event loop that started this thread if there is one, else now.

    ``supersedes``: a ``group_send_latest`` key whose waiting sends these make stale (a
    chat's end makes its pending message count pointless); they are dropped.
    """
    sends = list(sends)
    layer = get_channel_layer()
    if layer is None or not sends:
        return
    loop = _loop_that_started_this_thread()
    if loop is not None:
        loop.call_soon_threadsafe(_enqueue_superseding, loop, layer, sends, supersedes)
        return
    _send_now(layer, sends)


def group_send_latest(key: Any, sends: Iterable[tuple[str, dict[str, Any]]], *, interval: float) -> None:
    """Like ``group_send_soon`` for state that only its latest value matters of: at most once per ``interval`` per ``key``.

    The first goes at once; those within the interval after it wait for its end, and only
    the latest of them is sent (a busy chat's message count, not one update per line).
    Without a running event loop (a command, a test) it sends at once, like ``group_send_soon``.
    """
    sends = list(sends)
    layer = get_channel_layer()
    if layer is None or not sends:
        return
    loop = _loop_that_started_this_thread()
    if loop is not None:
        loop.call_soon_threadsafe(_enqueue_latest, loop, layer, key, sends, interval)
        return
    _send_now(layer, sends)


def _send_now(layer, sends: list[tuple[str, dict[str, Any]]]) -> None:
    try:
        async_to_sync(_send_all)(layer, sends)
    except RuntimeError:
        # Called from a thread that runs an event loop itself: schedule it there.
        asyncio.get_running_loop().create_task(_send_all(layer, sends))
