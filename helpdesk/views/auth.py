"""Sign-in with a limit on failed attempts, and the signed-out notice."""

from __future__ import annotations

from django.contrib import messages
from django.contrib.admin.forms import AdminAuthenticationForm
from django.contrib.auth import views as auth_views
from django.contrib.auth.forms import AuthenticationForm
from django.contrib.auth.signals import user_logged_out
from django.core.exceptions import NON_FIELD_ERRORS, ValidationError
from django.dispatch import receiver

from helpdesk import ratelimit

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


class RateLimitedLoginView(auth_views.LoginView):
    form_class = RateLimitedAuthenticationForm
    redirect_authenticated_user = True

    def form_invalid(self, form):
        response = super().form_invalid(form)
        if form.is_rate_limited():
            # 429 lets scripts and monitoring tell a pause from a wrong password.
            response.status_code = 429
            response["Retry-After"] = str(ratelimit.current_limit().window_seconds)
        return response


@receiver(user_logged_out, dispatch_uid="helpdesk.signed_out_notice")
def _signed_out_notice(sender, request, user, **kwargs):
    # LOGOUT_REDIRECT_URL lands on the sign-in page; without a word there it is
    # not obvious the click worked. The message lives in request storage (written
    # to the cookie on the way out), so the session flush that follows keeps it.
    if request is not None and user is not None and hasattr(request, "_messages"):
        messages.info(request, "You have signed out.")
