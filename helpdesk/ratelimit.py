"""Failed sign-in counting in the cache (shared by every process when REDIS_URL is set)."""

from __future__ import annotations

import hashlib

from django.conf import settings
from django.core.cache import cache


def _keys(username: str, client_ip: str) -> list[str]:
    name = hashlib.sha256((username or "").strip().lower().encode()).hexdigest()[:32]
    return [f"login-fail:user:{name}", f"login-fail:ip:{client_ip}"]


def login_blocked(*, username: str, client_ip: str) -> bool:
    """Too many recent failures for this username or this address."""
    limit = settings.LOGIN_RATE_LIMIT_ATTEMPTS
    # The address gets a wider allowance: many people can share one office NAT.
    user_key, ip_key = _keys(username, client_ip)
    return (cache.get(user_key, 0) >= limit) or (cache.get(ip_key, 0) >= limit * 4)


def login_failed(*, username: str, client_ip: str) -> None:
    window = settings.LOGIN_RATE_LIMIT_WINDOW_SECONDS
    for key in _keys(username, client_ip):
        if cache.add(key, 1, timeout=window):
            continue
        try:
            cache.incr(key)
        except ValueError:  # expired between add and incr
            cache.set(key, 1, timeout=window)


def login_succeeded(*, username: str, client_ip: str) -> None:
    cache.delete(_keys(username, client_ip)[0])


def client_ip(request) -> str:
    return request.META.get("REMOTE_ADDR") or "unknown"
