"""Forms of the agent desk.

They only parse what the browser sent into the types the services take
(usernames to users, ids to teams, keys to features, tag text to a list) and
keep the typed text for re-rendering. The rules themselves (transitions, body
size, who may do what) live in the services, whose errors the views attach to
the field they name.
"""

from __future__ import annotations

import re
from collections.abc import Iterable
from typing import Any

from django import forms

from helpdesk.models import TicketChannel, TicketPriority, TicketStatus

PRIORITY_CHOICES = [(p.slug, p.label) for p in TicketPriority]
STATUS_CHOICES = list(TicketStatus.choices)

BULK_ACTIONS = {
    "assign_me": "Assign to me",
    "assign": "Assign to",
    "unassign": "Unassign",
    "status": "Set status",
    "priority": "Set priority",
    "tags": "Change tags",
}
# "select all N matching" acts on at most this many tickets per submit (the first ones of the list).
BULK_MATCHING_LIMIT = 500


def split_tags(text: str) -> list[str]:
    """``"billing, refund urgent"`` -> ``["billing", "refund", "urgent"]``; cleaning is the service's."""
    return [part for part in re.split(r"[\s,]+", text or "") if part]


def _user_label(user: Any) -> str:
    return user.get_full_name() or user.get_username()


class _Choices(forms.Form):
    """Resolves the desk's pick-lists (already loaded by the view) without further queries."""

    def __init__(self, *args: Any, assignees: Iterable = (), teams: Iterable = (), features: Iterable = (), **kwargs):
        super().__init__(*args, **kwargs)
        self._assignees = {u.get_username(): u for u in assignees}
        self._teams = {str(t.pk): t for t in teams}
        self._features = {f.key: f for f in features}

    def _resolve_assignee(self, username: str):
        if not username:
            return None
        user = self._assignees.get(username)
        if user is None:
            raise forms.ValidationError(f"{username!r} is not someone tickets can be assigned to.")
        return user

    def _resolve_team(self, value: str):
        if not value:
            return None
        team = self._teams.get(value)
        if team is None:
            raise forms.ValidationError("That team no longer exists; pick another.")
        return team

    def _resolve_feature(self, key: str):
        if not key:
            return None
        feature = self._features.get(key)
        if feature is None:
            raise forms.ValidationError(f"Unknown feature {key!r}.")
        return feature


class _RoutingForm(_Choices):
    """Forms with the routing fields (assignee, team, feature, tags), parsed alike wherever they appear.

    Not on ``_Choices`` itself: the bulk form's assignee is only required for one
    action, so it resolves it in ``clean()``.
    """

    def clean_assignee(self):
        return self._resolve_assignee(self.cleaned_data["assignee"].strip())

    def clean_team(self):
        return self._resolve_team(self.cleaned_data["team"].strip())

    def clean_feature(self):
        return self._resolve_feature(self.cleaned_data["feature"].strip())

    def clean_tags(self):
        return split_tags(self.cleaned_data["tags"])


class TicketFieldsForm(_RoutingForm):
    """The properties panel of a ticket; ``version`` is the one the agent was looking at."""

    version = forms.IntegerField(min_value=1, widget=forms.HiddenInput)
    # The last timeline entry the agent had on screen: on a conflict, what came
    # after it is what they missed.
    seen = forms.IntegerField(required=False, min_value=0, widget=forms.HiddenInput)
    status = forms.ChoiceField(choices=STATUS_CHOICES)
    priority = forms.ChoiceField(choices=PRIORITY_CHOICES)
    assignee = forms.CharField(required=False, max_length=150)
    team = forms.CharField(required=False, max_length=20)
    tags = forms.CharField(required=False, max_length=2000)
    feature = forms.CharField(required=False, max_length=100)

    FIELDS = ("status", "priority", "assignee", "team", "tags", "feature")

    @staticmethod
    def initial_for(ticket: Any, *, seen: int | None) -> dict[str, Any]:
        return {
            "version": ticket.version,
            "seen": seen or 0,
            "status": ticket.status,
            "priority": TicketPriority(ticket.priority).slug,
            "assignee": ticket.assignee.get_username() if ticket.assignee_id else "",
            "team": str(ticket.team_id) if ticket.team_id else "",
            "tags": " ".join(t.name for t in ticket.tags.all()),
            "feature": ticket.feature.key if ticket.feature_id else "",
        }


class MultipleFileInput(forms.ClearableFileInput):
    allow_multiple_selected = True


class MultipleFileField(forms.FileField):
    """Several files in one field; their limits are the service's rules (``services.attachments``)."""

    def __init__(self, *args, **kwargs):
        kwargs.setdefault("widget", MultipleFileInput())
        kwargs.setdefault("required", False)
        super().__init__(*args, **kwargs)

    def clean(self, data, initial=None):
        single = super().clean
        if isinstance(data, list | tuple):
            return [single(item, initial) for item in data if item]
        return [single(data, initial)] if data else []


class MessageForm(forms.Form):
    """The composer. Emptiness and size are the service's rules (one message for both edges)."""

    body = forms.CharField(required=False, strip=False, widget=forms.Textarea)
    attachments = MultipleFileField()
    # The macro applied in the composer: its field changes go with the message.
    macro = forms.CharField(required=False, max_length=20)
    kind = forms.ChoiceField(choices=[("reply", "Public reply"), ("note", "Internal note")])
    status = forms.ChoiceField(required=False, choices=[("", "—")] + STATUS_CHOICES)
    # "Then open the next ticket" of the list the agent came from (``list``: its query string).
    then_next = forms.BooleanField(required=False)
    list = forms.CharField(required=False, max_length=2000)


class NewTicketForm(_RoutingForm):
    requester = forms.CharField(required=False, max_length=254)
    # Only for a requester who is not a customer yet: ``requester`` is then their email.
    requester_name = forms.CharField(required=False, max_length=200)
    requester_organization = forms.CharField(required=False, max_length=20)
    # Files the customer sent along (a screenshot forwarded by hand); stored on their message.
    attachments = MultipleFileField()
    subject = forms.CharField(required=False)
    body = forms.CharField(required=False, strip=False, widget=forms.Textarea)
    priority = forms.ChoiceField(choices=PRIORITY_CHOICES, initial="normal")
    channel = forms.ChoiceField(choices=TicketChannel.choices, initial=TicketChannel.PHONE)
    team = forms.CharField(required=False, max_length=20)
    assignee = forms.CharField(required=False, max_length=150)
    tags = forms.CharField(required=False, max_length=2000)
    feature = forms.CharField(required=False, max_length=100)


class BulkForm(_Choices):
    """The inbox's bulk bar: the selected tickets (or every ticket of the list, ``scope=matching``) and one change."""

    tickets = forms.MultipleChoiceField(required=False)
    # "matching": the list described by ``matching`` (the inbox's query string), which the
    # server evaluates again; the boxes ticked on the page are then ignored.
    scope = forms.ChoiceField(required=False, choices=[("selected", "selected"), ("matching", "matching")])
    matching = forms.CharField(required=False, max_length=4000)
    action = forms.ChoiceField(choices=list(BULK_ACTIONS.items()))
    assignee = forms.CharField(required=False, max_length=150)
    status = forms.ChoiceField(required=False, choices=[("", "—")] + STATUS_CHOICES)
    priority = forms.ChoiceField(required=False, choices=[("", "—")] + PRIORITY_CHOICES)
    add_tags = forms.CharField(required=False, max_length=2000)
    remove_tags = forms.CharField(required=False, max_length=2000)
    next = forms.CharField(required=False, max_length=2000)

    def __init__(self, *args: Any, **kwargs: Any):
        super().__init__(*args, **kwargs)
        from helpdesk import extensions

        # Other apps' bulk buttons (escalations: link to one, pull the cord on the selection).
        self.fields["action"].choices = [
            *BULK_ACTIONS.items(),
            *((action.name, action.label) for action in extensions.bulk_actions()),
        ]
        # Any reference is accepted here; which of them exist and are visible is the selector's answer.
        selected = self.data.getlist("tickets") if hasattr(self.data, "getlist") else []
        self.fields["tickets"].choices = [(r, r) for r in selected[:BULK_MATCHING_LIMIT]]

    def clean_add_tags(self):
        return split_tags(self.cleaned_data["add_tags"])

    def clean_remove_tags(self):
        return split_tags(self.cleaned_data["remove_tags"])

    def clean(self):
        data = super().clean()
        data["scope"] = data.get("scope") or "selected"
        if data["scope"] == "selected" and not data.get("tickets") and "tickets" not in self.errors:
            self.add_error("tickets", "Select at least one ticket (x, or the checkboxes) first.")
        action = data.get("action")
        if action == "assign":
            if not data.get("assignee"):
                self.add_error("assignee", "Choose who to assign the selected tickets to.")
            else:
                try:
                    data["assignee"] = self._resolve_assignee(data["assignee"].strip())
                except forms.ValidationError as error:
                    self.add_error("assignee", error)
        if action == "status" and not data.get("status"):
            self.add_error("status", "Choose the status to set.")
        if action == "priority" and not data.get("priority"):
            self.add_error("priority", "Choose the priority to set.")
        if action == "tags" and not (data.get("add_tags") or data.get("remove_tags")):
            self.add_error("add_tags", "Name the tags to add or to remove.")
        return data
