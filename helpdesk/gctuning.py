"""Garbage collector settings for the servers that load the ASGI application (Daphne), not for commands.

Measured in the live chat benchmark (docs/benchmarks.md, "The live chat benchmark"): with
2,000 sockets a process, CPython's default thresholds ran a full collection every few
seconds while sockets arrived, each pausing the event loop for 200-550 ms, and young
collections of 30-100 ms every few seconds under load: the chat's p99 was those pauses.
What Django and the apps load at start-up lives as long as the process, so it is frozen
out of every later collection (``gc.freeze``), and young collections run less often,
each over more (cheap) young objects.
"""

from __future__ import annotations

import gc

# Allocations (net of frees) between young collections; CPython's default is 700.
YOUNG_THRESHOLD = 20_000
MIDDLE_THRESHOLD = 20
OLD_THRESHOLD = 20


def tune_for_server() -> None:
    gc.collect()
    gc.freeze()
    gc.set_threshold(YOUNG_THRESHOLD, MIDDLE_THRESHOLD, OLD_THRESHOLD)
