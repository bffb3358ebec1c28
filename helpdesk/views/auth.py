"""Sign-in, password reset and password change, each limited by ``helpdesk.ratelimit``; the signed-out notice."""

from __future__ import annotations

import hashlib

from django.conf import settings
from django.contrib import admin, messages
from django.contrib.admin.forms import AdminAuthenticationForm
from django.contrib.auth import REDIRECT_FIELD_NAME
from django.contrib.auth import views as auth_views
from django.contrib.auth.forms import AuthenticationForm, PasswordChangeForm
from django.contrib.auth.signals import user_logged_out
from django.core import signing
from django.core.exceptions import NON_FIELD_ERRORS, ValidationError
from django.dispatch import receiver
from django.shortcuts import redirect
from django.urls import reverse

from helpdesk import links, ratelimit
from helpdesk.views.navigation import SafeNextMixin

RATE_LIMITED = "rate_limited"

# --- known devices -----------------------------------------------------------------------
# A browser that has signed in to an account carries a signed cookie saying so; it is
# exempt from the account's per-username failure count (ratelimit.SignInAttempt), so
# guesses from elsewhere cannot lock the owner out of their usual browser.

KNOWN_DEVICE_COOKIE = "helpdesk_device"
_KNOWN_DEVICE_SALT = "helpdesk.known-device"
# Accounts remembered per browser (a shared front-desk PC signs several people in).
_KNOWN_DEVICE_ACCOUNTS = 5


def _account_tag(username: str) -> str:
    return hashlib.sha256(ratelimit.normalized_username(username).encode()).hexdigest()[:16]


def _known_accounts(request) -> list[str]:
    raw = request.COOKIES.get(KNOWN_DEVICE_COOKIE) if request is not None else None
    if not raw:
        return []
    try:
        tags = signing.loads(raw, salt=_KNOWN_DEVICE_SALT, max_age=settings.HELPDESK_KNOWN_DEVICE_DAYS * 86400)
    except signing.BadSignature:
        return []
    return [tag for tag in tags if isinstance(tag, str)] if isinstance(tags, list) else []


def is_known_device(request, username: str) -> bool:
    return _account_tag(username) in _known_accounts(request)


def remember_device(request, response, username: str) -> None:
    tag = _account_tag(username)
    tags = [tag] + [t for t in _known_accounts(request) if t != tag]
    response.set_cookie(
        KNOWN_DEVICE_COOKIE,
        signing.dumps(tags[:_KNOWN_DEVICE_ACCOUNTS], salt=_KNOWN_DEVICE_SALT),
        max_age=settings.HELPDESK_KNOWN_DEVICE_DAYS * 86400,
        secure=settings.SESSION_COOKIE_SECURE,
        httponly=True,
        samesite="Lax",
    )


def sign_in_attempt(request, username: str) -> ratelimit.SignInAttempt:
    return ratelimit.SignInAttempt(
        username=username,
        client_ip=ratelimit.client_ip(request) if request is not None else "unknown",
        known_device=is_known_device(request, username),
    )


# --- sign-in -----------------------------------------------------------------------------------


class RateLimitMixin:
    """Refuses sign-in while the attempt is over one of its failure limits (see ``helpdesk.ratelimit``).

    Only an authentication that returned a user clears the pair's count; one that
    returned none counts as a failure; a form with the username or password left
    empty is neither (nothing was tried, and it must not be a way to reset the count).
    """

    rate_limit_message = (
        "Too many failed sign-in attempts for this account or from your network. "
        "Sign-in is paused for up to %(window)s; try again after that, or reset your password."
    )
    retry_after = 0

    def clean(self):
        username = self.cleaned_data.get("username")
        password = self.cleaned_data.get("password")
        if not username or not password:
            return super().clean()  # the empty field's own error says what is missing
        attempt = sign_in_attempt(self.request, username)
        wait = attempt.retry_after()
        if wait:
            self.retry_after = wait
            raise ValidationError(
                self.rate_limit_message, code=RATE_LIMITED, params={"window": ratelimit.duration_text(wait)}
            )
        try:
            cleaned = super().clean()
        except ValidationError:
            if self.user_cache is None:
                attempt.failed()
            raise
        if self.user_cache is not None:
            attempt.succeeded()
        return cleaned

    def is_rate_limited(self) -> bool:
        return self.has_error(NON_FIELD_ERRORS, RATE_LIMITED)


class RateLimitedAuthenticationForm(RateLimitMixin, AuthenticationForm):
    def __init__(self, request=None, *args, **kwargs):
        super().__init__(request, *args, **kwargs)
        self.fields["username"].widget.attrs.setdefault("autocomplete", "username")


class RateLimitedAdminAuthenticationForm(RateLimitMixin, AdminAuthenticationForm):
    """The admin's own sign-in page, counted against the same limit (it would be a way around it otherwise)."""


def _too_many(response, seconds: int):
    # 429 lets scripts and monitoring tell a pause from a wrong password.
    response.status_code = 429
    response["Retry-After"] = str(max(1, seconds))
    return response


class RateLimitedLoginView(SafeNextMixin, auth_views.LoginView):
    form_class = RateLimitedAuthenticationForm
    redirect_authenticated_user = True

    def form_valid(self, form):
        response = super().form_valid(form)
        remember_device(self.request, response, form.get_user().get_username())
        return response

    def form_invalid(self, form):
        response = super().form_invalid(form)
        if form.is_rate_limited():
            _too_many(response, form.retry_after)
        return response


class AdminLoginView(RateLimitedLoginView):
    """The admin's sign-in page, answered like the desk's (429 while paused, known-device cookie)."""

    form_class = RateLimitedAdminAuthenticationForm
    template_name = "admin/login.html"
    # A signed-in agent without admin rights sees the page's "not authorized" note
    # instead of being sent to the admin index, which would send them back here.
    redirect_authenticated_user = False

    def get(self, request, *args, **kwargs):
        if admin.site.has_permission(request):
            return redirect("admin:index")
        return super().get(request, *args, **kwargs)

    def dispatch(self, request, *args, **kwargs):
        request.current_app = admin.site.name
        return super().dispatch(request, *args, **kwargs)

    def get_default_redirect_url(self):
        return reverse("admin:index")

    def get_context_data(self, **kwargs):
        context = super().get_context_data(**kwargs)
        context.update(admin.site.each_context(self.request))
        context.update(
            title="Log in",
            subtitle=None,
            app_path=self.request.get_full_path(),
            username=self.request.user.get_username(),
        )
        if REDIRECT_FIELD_NAME not in self.request.GET and REDIRECT_FIELD_NAME not in self.request.POST:
            context[REDIRECT_FIELD_NAME] = reverse("admin:index")
        return context


# --- password reset and change ---------------------------------------------------------------------


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
        limit = ratelimit.password_reset_limit()
        ip = ratelimit.client_ip(request)
        wait = limit.retry_after(ip)
        if wait:
            form = self.get_form()
            form.add_error(
                None,
                "Too many password reset requests from your network. "
                f"Try again in {ratelimit.duration_text(wait)}; if a reset email is on its way, its link still works.",
            )
            return _too_many(self.render_to_response(self.get_context_data(form=form)), wait)
        limit.hit(ip)
        return super().post(request, *args, **kwargs)


class RateLimitedPasswordChangeForm(PasswordChangeForm):
    """Django's password change form, with wrong old passwords counted per user.

    A session left open on a shared computer must not become a way to guess the
    account's password at full speed. While paused, even the right old password is
    refused, as on the sign-in page.
    """

    retry_after = 0

    def clean_old_password(self):
        limit = ratelimit.password_change_limit()
        subject = str(self.user.pk)
        wait = limit.retry_after(subject)
        if wait:
            self.retry_after = wait
            raise ValidationError(
                "Too many wrong passwords. Changing the password is paused for %(window)s; "
                "try again after that, or sign out and reset your password.",
                code=RATE_LIMITED,
                params={"window": ratelimit.duration_text(wait)},
            )
        try:
            old_password = super().clean_old_password()
        except ValidationError:
            limit.hit(subject)
            raise
        limit.reset(subject)
        return old_password

    def is_rate_limited(self) -> bool:
        return self.has_error("old_password", RATE_LIMITED)


class RateLimitedPasswordChangeView(auth_views.PasswordChangeView):
    """Changing the password also revokes the account's API tokens and closes its sockets (``helpdesk.access``)."""

    form_class = RateLimitedPasswordChangeForm

    def form_invalid(self, form):
        response = super().form_invalid(form)
        if form.is_rate_limited():
            _too_many(response, form.retry_after)
        return response


@receiver(user_logged_out, dispatch_uid="helpdesk.signed_out_notice")
def _signed_out_notice(sender, request, user, **kwargs):
    # LOGOUT_REDIRECT_URL lands on the sign-in page; without a word there it is
    # not obvious the click worked. The message lives in request storage (written
    # to the cookie on the way out), so the session flush that follows keeps it.
    if request is not None and user is not None and hasattr(request, "_messages"):
        # The tag tells the next page to clear this browser's unsent drafts (static/helpdesk/site.js).
        messages.info(request, "You have signed out.", extra_tags="signed-out")
