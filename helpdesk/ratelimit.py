"""Failed sign-in counting in the cache.

With ``REDIS_URL`` set the counts live in Redis and every Daphne process shares
them; on the local-memory cache each process counts on its own, which is fine for
a single development server but not for production.

Counts are kept per username and per client address in a fixed window that starts
with the first failure. Once either count reaches its limit, sign-in is refused
(even with the right password) until the window passes, so guessing gains
nothing from trying faster.
"""

from __future__ import annotations

import hashlib
from dataclasses import dataclass

from django.conf import settings
from django.core.cache import cache

# The address gets a wider allowance than a username: many people can share one
# office NAT, and a few of them mistyping must not lock the others out.
ADDRESS_ALLOWANCE_FACTOR = 4


@dataclass(frozen=True)
class Limit:
    attempts: int
    window_seconds: int

    @property
    def window_minutes(self) -> int:
        return max(1, -(-self.window_seconds // 60))


def current_limit() -> Limit:
    # Read on every call so tests (and operators) can change it without a restart.
    return Limit(
        attempts=settings.LOGIN_RATE_LIMIT_ATTEMPTS,
        window_seconds=settings.LOGIN_RATE_LIMIT_WINDOW_SECONDS,
    )


def _keys(username: str, client_ip: str) -> tuple[str, str]:
    # Hashed so that whatever someone types as a username never becomes part of a
    # cache key verbatim (length, control characters, memcached key rules).
    name = hashlib.sha256((username or "").strip().lower().encode()).hexdigest()[:32]
    address = hashlib.sha256((client_ip or "unknown").encode()).hexdigest()[:32]
    return f"login-fail:user:{name}", f"login-fail:ip:{address}"


def login_blocked(*, username: str, client_ip: str) -> bool:
    """Too many recent failures for this username or from this address."""
    limit = current_limit()
    user_key, ip_key = _keys(username, client_ip)
    counts = cache.get_many([user_key, ip_key])
    return counts.get(user_key, 0) >= limit.attempts or counts.get(ip_key, 0) >= limit.attempts * ADDRESS_ALLOWANCE_FACTOR


def login_failed(*, username: str, client_ip: str) -> None:
    window = current_limit().window_seconds
    for key in _keys(username, client_ip):
        # add() starts the window; incr() keeps the key's expiry, so the window is
        # fixed from the first failure rather than sliding with every attempt.
        if cache.add(key, 1, timeout=window):
            continue
        try:
            cache.incr(key)
        except ValueError:  # expired between add() and incr()
            cache.set(key, 1, timeout=window)


def login_succeeded(*, username: str, client_ip: str) -> None:
    # Only the username's count is forgiven: one valid account must not let an
    # address reset its own count and keep guessing other people's passwords.
    cache.delete(_keys(username, client_ip)[0])


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
