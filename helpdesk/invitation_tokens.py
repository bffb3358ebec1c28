"""Portal invitation links: signed, expiring, and good for one use.

A link carries the account's id and a fingerprint of its password hash (signed with
Django's signing and a salt of its own); setting a password changes the hash, so the
link stops working once used. It expires after ``HELPDESK_INVITATION_DAYS``.
"""

from __future__ import annotations

from datetime import timedelta

from django.conf import settings
from django.contrib.auth import get_user_model
from django.contrib.auth.models import AbstractBaseUser
from django.core import signing
from django.utils.crypto import constant_time_compare, salted_hmac

_SALT = "helpdesk.portal-invitation"


def _fingerprint(user: AbstractBaseUser) -> str:
    return salted_hmac(_SALT, f"{user.pk}:{user.password}:{user.is_active}").hexdigest()[:20]


def invitation_token(user: AbstractBaseUser) -> str:
    return signing.dumps({"u": user.pk, "f": _fingerprint(user)}, salt=_SALT, compress=True)


def invitation_user(token: str) -> AbstractBaseUser | None:
    """The account a link is for, while it is valid; None when expired, used, tampered with or unknown."""
    try:
        data = signing.loads(token, salt=_SALT, max_age=timedelta(days=settings.HELPDESK_INVITATION_DAYS))
    except (signing.BadSignature, TypeError, ValueError):
        return None
    if not isinstance(data, dict):
        return None
    user = get_user_model().objects.filter(pk=data.get("u"), is_active=True).first()
    if user is None or not constant_time_compare(str(data.get("f", "")), _fingerprint(user)):
        return None
    return user
