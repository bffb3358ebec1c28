"""Sign-in with a limit on failed attempts, a limit on password reset requests, and the signed-out notice."""

from __future__ import annotations

import hashlib

from django.conf import settings
from django.contrib import messages
from django.contrib.admin.forms import AdminAuthenticationForm
from django.contrib.auth import views as auth_views
from django.contrib.auth.forms import AuthenticationForm
from django.contrib.auth.signals import user_logged_out
from django.core.cache import cache
from django.core.exceptions import NON_FIELD_ERRORS, ValidationError
from django.dispatch import receiver

from helpdesk import links, ratelimit
from helpdesk.views.navigation import SafeNextMixin

RATE_LIMITED = "rate_limited"


class RateLimitMixin:
    """Refuses sign-in while the username or address is over its failure limit.

    The check comes before the password is looked at, so during the pause the
    right password is refused too: otherwise the pause would tell a guesser when
    they had hit it.
    """

    rate_limit_message = (
        "Too many failed sign-in attempts for this account or from your network. "
        "Sign-in is paused for up to %(window)s; try again after that, or reset your password."
    )

    def clean(self):
        username = self.cleaned_data.get("username") or self.data.get("username", "")
        ip = ratelimit.client_ip(self.request) if self.request is not None else "unknown"
        if ratelimit.login_blocked(username=username, client_ip=ip):
            minutes = ratelimit.current_limit().window_minutes
            raise ValidationError(
                self.rate_limit_message,
                code=RATE_LIMITED,
                params={"window": f"{minutes} minute" if minutes == 1 else f"{minutes} minutes"},
            )
        try:
            cleaned = super().clean()
        except ValidationError:
            ratelimit.login_failed(username=username, client_ip=ip)
            raise
        ratelimit.login_succeeded(username=username, client_ip=ip)
        return cleaned

    def is_rate_limited(self) -> bool:
        return self.has_error(NON_FIELD_ERRORS, RATE_LIMITED)


class RateLimitedAuthenticationForm(RateLimitMixin, AuthenticationForm):
    def __init__(self, request=None, *args, **kwargs):
        super().__init__(request, *args, **kwargs)
        self.fields["username"].widget.attrs.setdefault("autocomplete", "username")


class RateLimitedAdminAuthenticationForm(RateLimitMixin, AdminAuthenticationForm):
    """The admin's own sign-in page, counted against the same limit (it would be a way around it otherwise)."""


class RateLimitedLoginView(SafeNextMixin, auth_views.LoginView):
    form_class = RateLimitedAuthenticationForm
    redirect_authenticated_user = True

    def form_invalid(self, form):
        response = super().form_invalid(form)
        if form.is_rate_limited():
            # 429 lets scripts and monitoring tell a pause from a wrong password.
            response.status_code = 429
            response["Retry-After"] = str(ratelimit.current_limit().window_seconds)
        return response


# Reset requests allowed per client address in one window (the sign-in limit's window).
PASSWORD_RESET_ATTEMPTS = 5


def _reset_limit() -> tuple[int, int]:
    attempts = getattr(settings, "PASSWORD_RESET_RATE_LIMIT_ATTEMPTS", PASSWORD_RESET_ATTEMPTS)
    return attempts, ratelimit.current_limit().window_seconds


def _reset_key(client_ip: str) -> str:
    return "password-reset:ip:" + hashlib.sha256((client_ip or "unknown").encode()).hexdigest()[:32]


def _reset_requests(client_ip: str) -> int:
    return cache.get(_reset_key(client_ip), 0)


def _reset_requested(client_ip: str, *, window: int) -> None:
    # Counted as ratelimit.py counts sign-in failures: add() starts a fixed window,
    # incr() keeps its expiry.
    key = _reset_key(client_ip)
    if cache.add(key, 1, timeout=window):
        return
    try:
        cache.incr(key)
    except ValueError:  # expired between add() and incr()
        cache.set(key, 1, timeout=window)


class RateLimitedPasswordResetView(auth_views.PasswordResetView):
    """Django's password reset form, at most a few requests per client address per window.

    Every request can send an email, so without a limit the form floods any
    address it is pointed at (and spends the mail relay's reputation). Each
    submission counts, whether or not the address has an account: telling the two
    apart would tell a stranger which addresses have one.
    """

    @property
    def extra_email_context(self) -> dict[str, str]:
        # The link starts from SITE_URL, never from the request's Host header.
        return links.email_link_context()

    def post(self, request, *args, **kwargs):
        attempts, window = _reset_limit()
        ip = ratelimit.client_ip(request)
        if _reset_requests(ip) >= attempts:
            form = self.get_form()
            minutes = max(1, -(-window // 60))
            form.add_error(
                None,
                "Too many password reset requests from your network. "
                f"Try again in {minutes} minute{'s' if minutes != 1 else ''}; "
                "if a reset email is on its way, its link still works.",
            )
            response = self.render_to_response(self.get_context_data(form=form), status=429)
            response["Retry-After"] = str(window)
            return response
        _reset_requested(ip, window=window)
        return super().post(request, *args, **kwargs)


@receiver(user_logged_out, dispatch_uid="helpdesk.signed_out_notice")
def _signed_out_notice(sender, request, user, **kwargs):
    # LOGOUT_REDIRECT_URL lands on the sign-in page; without a word there it is
    # not obvious the click worked. The message lives in request storage (written
    # to the cookie on the way out), so the session flush that follows keeps it.
    if request is not None and user is not None and hasattr(request, "_messages"):
        # The tag tells the next page to clear this browser's unsent drafts (static/helpdesk/site.js).
        messages.info(request, "You have signed out.", extra_tags="signed-out")
