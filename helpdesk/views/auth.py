"""Sign-in with a limit on failed attempts."""

from __future__ import annotations

from django.conf import settings
from django.contrib.auth import views as auth_views
from django.contrib.auth.forms import AuthenticationForm
from django.core.exceptions import ValidationError

from helpdesk import ratelimit


class RateLimitedAuthenticationForm(AuthenticationForm):
    error_messages = {
        **AuthenticationForm.error_messages,
        "rate_limited": (
            "Too many failed sign-in attempts. Wait %(minutes)s minutes and try again, "
            "or ask a support manager to reset your password."
        ),
    }

    def clean(self):
        username = self.data.get("username", "")
        ip = ratelimit.client_ip(self.request) if self.request else "unknown"
        if ratelimit.login_blocked(username=username, client_ip=ip):
            raise ValidationError(
                self.error_messages["rate_limited"],
                code="rate_limited",
                params={"minutes": max(1, settings.LOGIN_RATE_LIMIT_WINDOW_SECONDS // 60)},
            )
        try:
            cleaned = super().clean()
        except ValidationError:
            ratelimit.login_failed(username=username, client_ip=ip)
            raise
        ratelimit.login_succeeded(username=username, client_ip=ip)
        return cleaned


class RateLimitedLoginView(auth_views.LoginView):
    form_class = RateLimitedAuthenticationForm
    redirect_authenticated_user = True
