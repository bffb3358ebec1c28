"""The one rate limiter of the project, and the rules built on it.

A :class:`Limit` counts events per subject (a username, an address, a customer) in
the cache, in a fixed window that starts with the first event: with ``REDIS_URL``
set every process shares the counts; on the local-memory cache each process counts
on its own (fine for one development server, not for production).

The window is kept by the limiter itself (its start is stored beside the count and
compared with :func:`now`), not left to the cache's expiry, so a test can move the
clock instead of sleeping; the cache's expiry only clears old entries away.

When the cache cannot be reached the limiter *fails open*: nothing is counted and
nothing is refused, and a warning is logged. Refusing instead would let a cache
outage lock everyone out of the desk (and out of the API), while letting guesses
through for those minutes costs little: each one still pays a full password hash,
and the outage itself is loud (the channel layer runs on the same Redis).

Rules (the README's configuration table and docs/architecture.md say the same):

- sign-in (the sign-in page, the admin's sign-in, the API token endpoint) counts
  failures per (username, client address), ``LOGIN_RATE_LIMIT_ATTEMPTS`` per
  ``LOGIN_RATE_LIMIT_WINDOW_SECONDS``; per address, four times as many; and per
  username across all addresses, ten times as many, as a slow-down against guessing
  spread over many addresses. A browser that has signed in to that account before
  (a signed "known device" cookie) is exempt from the per-username count, so
  strangers elsewhere cannot lock its owner out; only a real successful sign-in
  clears the pair's count, and an empty password neither counts nor clears;
- password reset requests per client address; wrong old passwords on the
  password-change form per user; tickets customers open themselves per customer.
"""

from __future__ import annotations

import hashlib
import logging
import math
import time
from dataclasses import dataclass

from django.conf import settings
from django.core.cache import cache

logger = logging.getLogger(__name__)

# The address gets a wider allowance than a (username, address) pair: many people
# can share one office NAT, and a few of them mistyping must not lock the others out.
ADDRESS_ALLOWANCE_FACTOR = 4
# Guesses at one account spread over many addresses: a much higher bar, so that it
# slows a botnet down without letting a stranger lock the owner out cheaply.
USERNAME_ALLOWANCE_FACTOR = 10


# Every key starts with this (tests give each test its own, so counts never leak between them).
KEY_NAMESPACE = "ratelimit"


def now() -> float:
    """The limiter's clock (tests replace it rather than sleeping)."""
    return time.time()


def _digest(text: str) -> str:
    # Hashed so that whatever someone types never becomes part of a cache key
    # verbatim (length, control characters, memcached key rules).
    return hashlib.sha256(text.encode("utf-8", "surrogatepass")).hexdigest()[:32]


@dataclass(frozen=True)
class Limit:
    """At most ``attempts`` events per subject in a window of ``window_seconds`` from the first one."""

    name: str
    attempts: int
    window_seconds: int

    @property
    def window_minutes(self) -> int:
        return max(1, math.ceil(self.window_seconds / 60))

    def _base_key(self, subject: str) -> str:
        return f"{KEY_NAMESPACE}:{self.name}:{_digest(subject)}"

    def _window_start(self, base: str, at: float) -> float | None:
        start = cache.get(base)
        if start is None:
            return None
        if not (start <= at < start + self.window_seconds):
            # Past its window (the cache has not dropped it yet) or from a clock that
            # went backwards: the next event starts a new window.
            cache.delete(base)
            return None
        return start

    @staticmethod
    def _counter_key(base: str, start: float) -> str:
        return f"{base}:{start:.6f}"

    def _expiry(self, start: float, at: float) -> int:
        return max(1, math.ceil(start + self.window_seconds - at))

    def hit(self, subject: str) -> int:
        """Count one event; returns the count in the current window (0 if the cache is unreachable)."""
        try:
            at = now()
            base = self._base_key(subject)
            start = self._window_start(base, at)
            if start is None:
                # add() is atomic: of two processes starting a window at once, one wins
                # and both count under the winner's start.
                cache.add(base, at, timeout=self.window_seconds)
                start = cache.get(base)
                if start is None:
                    start = at
            counter = self._counter_key(base, start)
            if cache.add(counter, 1, timeout=self._expiry(start, at)):
                return 1
            try:
                return cache.incr(counter)
            except ValueError:  # expired between add() and incr()
                cache.set(counter, 1, timeout=self._expiry(start, at))
                return 1
        except Exception:  # noqa: BLE001 - fail open, see the module docstring
            logger.warning("rate limit %s: cache unreachable, event not counted", self.name, exc_info=True)
            return 0

    def count(self, subject: str) -> int:
        return self._state(subject)[0]

    def is_over(self, subject: str) -> bool:
        return self.count(subject) >= self.attempts

    def retry_after(self, subject: str) -> int:
        """Seconds until the subject may try again; 0 when it is not over its limit."""
        count, remaining = self._state(subject)
        return remaining if count >= self.attempts else 0

    def reset(self, subject: str) -> None:
        try:
            # The counter under the old start is never read again and expires by itself.
            cache.delete(self._base_key(subject))
        except Exception:  # noqa: BLE001
            logger.warning("rate limit %s: cache unreachable, not reset", self.name, exc_info=True)

    def _state(self, subject: str) -> tuple[int, int]:
        """(count in the window, seconds the window has left)."""
        try:
            at = now()
            base = self._base_key(subject)
            start = self._window_start(base, at)
            if start is None:
                return 0, 0
            return int(cache.get(self._counter_key(base, start)) or 0), self._expiry(start, at)
        except Exception:  # noqa: BLE001
            logger.warning("rate limit %s: cache unreachable, not checked", self.name, exc_info=True)
            return 0, 0


def duration_text(seconds: int) -> str:
    minutes = max(1, math.ceil(seconds / 60))
    return f"{minutes} minute" if minutes == 1 else f"{minutes} minutes"


# --- sign-in ---------------------------------------------------------------------------------


def normalized_username(username: str) -> str:
    return (username or "").strip().lower()


@dataclass(frozen=True)
class SignInLimits:
    pair: Limit
    address: Limit
    username: Limit


def sign_in_limits() -> SignInLimits:
    # Read on every call so tests (and operators) can change it without a restart.
    attempts, window = settings.LOGIN_RATE_LIMIT_ATTEMPTS, settings.LOGIN_RATE_LIMIT_WINDOW_SECONDS
    return SignInLimits(
        pair=Limit("sign-in-pair", attempts, window),
        address=Limit("sign-in-address", attempts * ADDRESS_ALLOWANCE_FACTOR, window),
        username=Limit("sign-in-username", attempts * USERNAME_ALLOWANCE_FACTOR, window),
    )


@dataclass(frozen=True)
class SignInAttempt:
    """One try at signing in as ``username`` from ``client_ip``, counted by every sign-in edge alike."""

    username: str
    client_ip: str
    known_device: bool = False

    def _subjects(self) -> list[tuple[Limit, str]]:
        limits = sign_in_limits()
        name = normalized_username(self.username)
        subjects = [(limits.pair, f"{name}\n{self.client_ip}"), (limits.address, self.client_ip)]
        if not self.known_device:
            subjects.append((limits.username, name))
        return subjects

    def retry_after(self) -> int:
        """Seconds before this attempt may be made; 0 when it may be made now.

        Checked before the password is looked at, so during a pause the right
        password is refused too: otherwise the pause would tell a guesser when they
        had hit it.
        """
        return max((limit.retry_after(subject) for limit, subject in self._subjects()), default=0)

    def failed(self) -> None:
        limits = sign_in_limits()
        name = normalized_username(self.username)
        # Every count, the per-username one too: a known device's own failures still
        # slow down guessing at the account.
        limits.pair.hit(f"{name}\n{self.client_ip}")
        limits.address.hit(self.client_ip)
        limits.username.hit(name)

    def succeeded(self) -> None:
        # Only the pair is forgiven: one valid account must not let an address reset
        # its own count and keep guessing other people's passwords, and the owner
        # signing in must not reset a guesser's progress elsewhere.
        limits = sign_in_limits()
        limits.pair.reset(f"{normalized_username(self.username)}\n{self.client_ip}")


# --- other limits --------------------------------------------------------------------------------


def password_reset_limit() -> Limit:
    """Reset requests per client address (each one can send an email)."""
    return Limit(
        "password-reset", settings.PASSWORD_RESET_RATE_LIMIT_ATTEMPTS, settings.LOGIN_RATE_LIMIT_WINDOW_SECONDS
    )


def password_change_limit() -> Limit:
    """Wrong old passwords on the password-change form, per user (a stolen session guessing the password)."""
    return Limit("password-change", settings.LOGIN_RATE_LIMIT_ATTEMPTS, settings.LOGIN_RATE_LIMIT_WINDOW_SECONDS)


def ticket_create_limit() -> Limit:
    """Tickets a customer opens themselves, per customer."""
    return Limit(
        "ticket-create", settings.HELPDESK_TICKET_CREATE_LIMIT, settings.HELPDESK_TICKET_CREATE_WINDOW_SECONDS
    )


def client_ip(request) -> str:
    """The caller's address.

    Behind ``HELPDESK_PROXY_HOPS`` trusted reverse proxies, the address is taken
    from ``X-Forwarded-For`` that many entries from the right (entries further left
    are whatever the client chose to send); otherwise ``REMOTE_ADDR``, because a
    forwarded header nobody vouches for is attacker-controlled.
    """
    hops = settings.HELPDESK_PROXY_HOPS
    if hops:
        forwarded = [part.strip() for part in request.META.get("HTTP_X_FORWARDED_FOR", "").split(",") if part.strip()]
        if len(forwarded) >= hops:
            return forwarded[-hops]
    return request.META.get("REMOTE_ADDR") or "unknown"
