"""Work no one socket owns, done now and then by whichever socket pings.

A process killed without closing its sockets leaves listen rows behind. They stop counting
as listeners once stale (``selectors.LISTENER_FRESH_SECONDS``), but nobody would record the
stop or tell the dashboard and the agent. Every chat socket pings every 25 s, so the first
ping after ``LISTENER_SWEEP_SECONDS`` in each process sweeps: one query when there is
nothing to do, and no scheduler to run beside Daphne.
"""

from __future__ import annotations

import logging
import time

from livelisten import services
from livelisten.dbthreads import on_chat_threads

logger = logging.getLogger(__name__)

LISTENER_SWEEP_SECONDS = 30.0

_swept_at = float("-inf")


def forget_sweeps() -> None:
    """The next ping sweeps (tests)."""
    global _swept_at
    _swept_at = float("-inf")


async def sweep_now_and_then() -> None:
    """At most every ``LISTENER_SWEEP_SECONDS`` per process: forget listeners whose process died."""
    global _swept_at
    now = time.monotonic()
    if now - _swept_at < LISTENER_SWEEP_SECONDS:
        return
    _swept_at = now
    try:
        await on_chat_threads(services.listeners_sweep)()
    except Exception:  # the next sweep tries again; a ping never fails for it
        logger.exception("sweeping stale listeners failed")
