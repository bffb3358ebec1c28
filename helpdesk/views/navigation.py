"""Every view that takes ``next`` follows it through ``links.safe_next``: sign-in, sign-out, the admin's own two.

Django's auth views accept any value ``url_has_allowed_host_and_scheme`` lets
through, which includes relative words (``next=HD-1001`` sends the browser to
``/accounts/login/HD-1001``). Here only a path on this site is followed.
"""

from __future__ import annotations

from django.contrib import admin
from django.contrib.auth import REDIRECT_FIELD_NAME
from django.contrib.auth import views as auth_views
from django.http import HttpResponseRedirect, QueryDict
from django.urls import reverse

from helpdesk import links


class SafeNextMixin:
    """For Django's ``RedirectURLMixin`` views: the ``next`` they follow (and echo into forms) is a same-site path."""

    def get_redirect_url(self) -> str:
        request = self.request
        field = self.redirect_field_name
        return links.safe_next(request, request.POST.get(field, request.GET.get(field)), default="")


class SignOutView(SafeNextMixin, auth_views.LogoutView):
    """Django's sign-out (POST only), following only a same-site ``next``."""


def _with_safe_next(request, params: QueryDict, *, default: str) -> QueryDict:
    if REDIRECT_FIELD_NAME not in params:
        return params
    cleaned = params.copy()
    cleaned[REDIRECT_FIELD_NAME] = links.safe_next(request, params.get(REDIRECT_FIELD_NAME), default=default)
    return cleaned


def _admin_view(name: str):
    """The admin site's own view with ``next`` made safe first (the admin builds its LoginView/LogoutView itself)."""

    def view(request, *args, **kwargs):
        default = reverse("admin:index")
        cleaned = _with_safe_next(request, request.GET, default=default)
        if request.method == "GET" and cleaned.get(REDIRECT_FIELD_NAME) != request.GET.get(REDIRECT_FIELD_NAME):
            # The admin echoes its own URL into the form's action: take the unsafe value out of it.
            return HttpResponseRedirect(f"{request.path}?{cleaned.urlencode()}")
        request.GET = cleaned
        if request.method == "POST":
            request.POST = _with_safe_next(request, request.POST, default=default)
        site = admin.site
        # As AdminSite.get_urls() routes them: sign-out only for staff, through admin_view().
        if name == "login":
            # The rate-limited admin sign-in (helpdesk/views/auth.py), not the site's own.
            from helpdesk.views.auth import AdminLoginView

            target = AdminLoginView.as_view()
        else:
            target = site.admin_view(site.logout)
        return target(request, *args, **kwargs)

    view.__name__ = f"admin_{name}"
    return view


admin_login = _admin_view("login")
admin_logout = _admin_view("logout")
