"""What every desk page shares: who may enter, the pick-lists, and turning domain errors into form errors."""

from __future__ import annotations

from collections.abc import Callable
from dataclasses import dataclass
from functools import wraps
from typing import Any

from django.contrib.auth.views import redirect_to_login
from django.forms import Form
from django.shortcuts import redirect, render
from django.urls import reverse

from helpdesk import permissions, selectors
from helpdesk.errors import DomainError


def desk_required(view: Callable) -> Callable:
    """Desk pages are for desk users; customers go to the portal, role-less users to an explanation."""

    @wraps(view)
    def wrapper(request, *args: Any, **kwargs: Any):
        user = request.user
        if not user.is_authenticated:
            return redirect_to_login(request.get_full_path())
        if permissions.is_desk_user(user):
            return view(request, *args, **kwargs)
        if permissions.customer_of(user) is not None:
            reference = kwargs.get("reference")
            # Their own ticket opens in the portal; anyone else's answers there
            # exactly like a missing one, so the redirect itself tells nothing.
            if reference:
                return redirect(reverse("portal:ticket_detail", kwargs={"reference": reference}))
            return redirect("portal:ticket_list")
        return redirect("helpdesk:no_role")

    return wrapper


def not_found(request):
    """One answer for a missing ticket and a malformed reference."""
    return render(request, "helpdesk/not_found.html", status=404)


@dataclass
class DeskOptions:
    """The pick-lists of the desk forms, each loaded in one query."""

    assignees: list
    teams: list
    features: list

    @property
    def user_labels(self) -> dict[str, str]:
        return labels_of(self.assignees)

    def form_kwargs(self) -> dict[str, list]:
        return {"assignees": self.assignees, "teams": self.teams, "features": self.features}


def labels_of(users) -> dict[str, str]:
    """How the desk names people in audit lines: full name, else username; keyed by username."""
    return {u.get_username(): (u.get_full_name() or u.get_username()) for u in users}


def load_options(user) -> DeskOptions:
    return DeskOptions(
        assignees=selectors.assignable_users(user=user),
        teams=selectors.teams(user=user),
        features=selectors.features(user=user),
    )


def attach_error(form: Form, error: DomainError, *, aliases: dict[str, str] | None = None) -> None:
    """Show a service's error beside the field it names (or above the form when it names none here)."""
    name = (aliases or {}).get(error.field or "", error.field)
    if name and name in form.fields:
        form.add_error(name, error.message)
    else:
        form.add_error(None, error.message)
