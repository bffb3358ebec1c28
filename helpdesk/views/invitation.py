"""The page an invited customer opens from their email: choose a password, then straight into the portal."""

from __future__ import annotations

from django import forms
from django.contrib import messages
from django.contrib.auth import login
from django.shortcuts import redirect, render
from django.views.decorators.cache import never_cache

from helpdesk import services
from helpdesk.errors import InvalidInput
from helpdesk.invitation_tokens import invitation_user

_NEW = {"autocomplete": "new-password"}


class ChoosePasswordForm(forms.Form):
    new_password1 = forms.CharField(label="New password", strip=False, widget=forms.PasswordInput(attrs=_NEW))
    new_password2 = forms.CharField(label="The same again", strip=False, widget=forms.PasswordInput(attrs=_NEW))

    def clean(self):
        cleaned = super().clean()
        if cleaned.get("new_password1") and cleaned.get("new_password1") != cleaned.get("new_password2"):
            self.add_error("new_password2", "The two passwords differ.")
        return cleaned


@never_cache
def accept_invitation(request, token: str):
    user = invitation_user(token)
    if user is None:
        return render(request, "portal/invitation.html", {"validlink": False}, status=400)
    form = ChoosePasswordForm(request.POST or None)
    if request.method == "POST" and form.is_valid():
        try:
            user = services.invitation_accept(token=token, password=form.cleaned_data["new_password1"])
        except InvalidInput as error:
            form.add_error("new_password1" if error.field == "new_password1" else None, error.message)
        else:
            login(request, user, backend="helpdesk.auth_backend.CachedPermissionsBackend")
            messages.success(request, f"Welcome! From now on, sign in with {user.get_username()} and your password.")
            return redirect("portal:ticket_list")
    status = 400 if request.method == "POST" else 200
    return render(request, "portal/invitation.html", {"validlink": True, "form": form, "account": user}, status=status)
