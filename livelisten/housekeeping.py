"""Work no one socket owns, done now and then by whichever socket pings.

A process killed without closing its sockets leaves listen rows behind. They stop counting
as listeners once stale (``selectors.LISTENER_FRESH_SECONDS``), but nobody would record the
stop or tell the dashboard and the agent. Chats nobody finished, and offers nobody took,
need the same kind of nudge (``services.upkeep``). Every chat socket pings every 25 s, so
the first ping after ``LISTENER_SWEEP_SECONDS`` in each process sweeps: three queries when
there is nothing to do, and no scheduler to run beside Daphne (``manage.py chat_upkeep``
does the same from cron while nobody is connected).
"""

from __future__ import annotations

import logging
import time

from livelisten import services
from livelisten.dbthreads import on_chat_threads

logger = logging.getLogger(__name__)

LISTENER_SWEEP_SECONDS = 30.0
# Chats a ping ends or offers on at most (the command takes larger batches): the socket that pings waits for it.
PING_BATCH = 10

_swept_at = float("-inf")


def forget_sweeps() -> None:
    """The next ping sweeps (tests)."""
    global _swept_at
    _swept_at = float("-inf")


async def sweep_now_and_then() -> None:
    """At most every ``LISTENER_SWEEP_SECONDS`` per process: forget listeners whose process died, end idle chats,
    pass on offers not taken."""
    global _swept_at
    now = time.monotonic()
    if now - _swept_at < LISTENER_SWEEP_SECONDS:
        return
    _swept_at = now
    for sweep, options in (
        (services.listeners_sweep, {}),
        (services.sessions_end_idle, {"batch": PING_BATCH}),
        (services.offers_pass_on, {"batch": PING_BATCH}),
    ):
        try:
            await on_chat_threads(sweep)(**options)
        except Exception:  # the next sweep tries again; a ping never fails for it
            logger.exception("live chat upkeep (%s) failed", sweep.__name__)
