"""Socket tickets: a single-use, 30-second stand-in for the session cookie, for scripts on the chat sockets."""

from __future__ import annotations

import hashlib
import secrets
from datetime import timedelta

from django.contrib.auth.base_user import AbstractBaseUser
from django.db import transaction
from django.utils import timezone

from helpdesk.errors import NotFound
from livelisten import permissions, selectors
from livelisten.models import SocketTicket

TICKET_SECONDS = 30


def _hash(key: str) -> str:
    return hashlib.sha256(key.encode("utf-8", "surrogatepass")).hexdigest()


@transaction.atomic
def socket_ticket_issue(*, actor: AbstractBaseUser, session_id) -> str:
    """The ticket's text (only its hash is stored), for someone who may open a socket on this session."""
    session = selectors.session_get(user=actor, session_id=session_id)
    if not (permissions.role_in(actor, session) or permissions.can_listen(actor)):
        raise NotFound("No such chat session.")
    key = secrets.token_urlsafe(32)
    now = timezone.now()
    SocketTicket.objects.filter(expires_at__lt=now - timedelta(hours=1)).delete()
    SocketTicket.objects.create(
        key_hash=_hash(key), user=actor, session=session, expires_at=now + timedelta(seconds=TICKET_SECONDS)
    )
    return key


def socket_ticket_redeem(*, actor: AbstractBaseUser | None = None, key: str) -> AbstractBaseUser | None:
    """The user a ticket stands for, once: a second use, an expired or unknown ticket gives None."""
    if not key or len(key) > 200:
        return None
    now = timezone.now()
    digest = _hash(key)
    with transaction.atomic():
        claimed = SocketTicket.objects.filter(key_hash=digest, used_at__isnull=True, expires_at__gt=now).update(used_at=now)
        if not claimed:
            return None
        row = SocketTicket.objects.select_related("user").get(key_hash=digest)
    return row.user if row.user.is_active else None
