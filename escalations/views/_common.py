"""What every escalation page shares: who may open them, and how a domain error reaches the form."""

from __future__ import annotations

from collections.abc import Callable
from functools import wraps
from typing import Any

from django.contrib.auth.views import redirect_to_login
from django.http import Http404

from escalations import permissions


def desk_only(view: Callable) -> Callable:
    """Escalation pages are for the desk; to a customer (or anyone else) they do not exist (404)."""

    @wraps(view)
    def wrapper(request, *args: Any, **kwargs: Any):
        if not request.user.is_authenticated:
            return redirect_to_login(request.get_full_path())
        if not permissions.can_view_escalations(request.user):
            raise Http404("No such page.")
        return view(request, *args, **kwargs)

    return wrapper


def safe_next(request, fallback: str) -> str:
    """A "next" path on this site only (forms post it back); anything else goes to ``fallback``."""
    value = request.POST.get("next") or request.GET.get("next") or ""
    if value.startswith("/") and not value.startswith("//") and "\\" not in value and "\n" not in value and "\r" not in value:
        return value
    return fallback
