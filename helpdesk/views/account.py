"""The signed-in person's own API tokens (desk and portal alike): list, create with a name, revoke."""

from __future__ import annotations

from django.conf import settings
from django.contrib import messages
from django.contrib.auth.decorators import login_required
from django.shortcuts import redirect, render
from django.utils import timezone
from django.views.decorators.cache import never_cache
from django.views.decorators.http import require_http_methods, require_POST

from helpdesk import selectors, services
from helpdesk.errors import DomainError, NotFound
from helpdesk.services.api_tokens import NAME_MAX_LENGTH

PAGE = "helpdesk/account_tokens.html"


def _render(request, *, name: str = "", error: str = "", new_key: str = "", new_token=None, status: int = 200):
    now = timezone.now()
    tokens = selectors.api_tokens_of(user=request.user, now=now)
    for token in tokens:
        token.shown_state = token.state(now)
    return render(
        request,
        PAGE,
        {
            "tokens": tokens,
            "name": name,
            "name_error": error,
            "name_max_length": NAME_MAX_LENGTH,
            "new_key": new_key,
            "new_token": new_token,
            "token_days": settings.HELPDESK_API_TOKEN_DAYS,
        },
        status=status,
    )


@never_cache  # the page may carry a key that is shown once
@login_required
@require_http_methods(["GET", "POST"])
def api_tokens(request):
    if request.method == "GET":
        return _render(request)
    name = request.POST.get("name", "")
    try:
        token, key = services.api_token_create(actor=request.user, name=name)
    except DomainError as error:
        return _render(request, name=name, error=error.message, status=error.http_status)
    # Rendered, not redirected: the key is never stored, not even in the session.
    return _render(request, new_key=key, new_token=token, status=201)


@login_required
@require_POST
def api_token_revoke(request, token_id: int):
    try:
        token = selectors.api_token_of(user=request.user, token_id=token_id)
    except NotFound:
        messages.error(request, "That token is not one of yours, or no longer exists.")
        return redirect("helpdesk:api_tokens")
    services.api_token_revoke(actor=request.user, token=token)
    messages.success(request, f"Revoked “{token.name}”: scripts using it now get 401.")
    return redirect("helpdesk:api_tokens")
