"""Pulling the cord from a ticket: first what is already known about the problem, then a new escalation."""

from __future__ import annotations

from dataclasses import dataclass
from typing import Any

from django import forms
from django.contrib import messages
from django.db import transaction
from django.http import Http404
from django.shortcuts import redirect, render
from django.urls import reverse
from django.views.decorators.http import require_POST

from escalations import permissions, selectors, services
from escalations.models import Severity
from escalations.views._common import desk_only, safe_next
from helpdesk import selectors as desk_selectors
from helpdesk.errors import DomainError, InvalidInput, NotFound


class RaiseForm(forms.Form):
    feature = forms.ChoiceField(label="Feature")
    severity = forms.ChoiceField(
        label="Severity",
        choices=Severity.choices,
        widget=forms.RadioSelect,
        help_text="Blocking stops the feature: the release gate refuses it until product fixes or rejects this.",
    )
    title = forms.CharField(label="Title", max_length=200)
    customer_impact = forms.CharField(
        label="What customers experience", widget=forms.Textarea(attrs={"rows": 4}), max_length=20_000
    )
    steps = forms.CharField(
        label="Steps to reproduce", widget=forms.Textarea(attrs={"rows": 4}), required=False, max_length=20_000
    )
    insist = forms.BooleanField(required=False, label="None of the escalations above is this problem: raise a new one")

    def __init__(self, *args, features, must_insist: bool, **kwargs):
        super().__init__(*args, **kwargs)
        self.features = {feature.key: feature for feature in features}
        self.fields["feature"].choices = [("", "Choose the feature")] + [
            (feature.key, f"{feature.product.name} · {feature.name} ({feature.key})") for feature in features
        ]
        self.must_insist = must_insist

    def clean(self):
        data = super().clean()
        if self.must_insist and not data.get("insist"):
            self.add_error("insist", "Link the ticket to one of the escalations above, or tick this box to raise a new one.")
        return data


def _ticket(request, reference: str):
    try:
        return desk_selectors.ticket_get(user=request.user, reference=reference)
    except NotFound:
        raise Http404("No such ticket.") from None


def _known(request, ticket, feature_id: int | None):
    """The feature's own open escalations first, then the most similar others; those already linked are left out."""
    linked = {
        escalation.pk
        for escalation in selectors.escalations_of_tickets(user=request.user, ticket_ids=[ticket.pk]).get(ticket.pk, [])
    }
    of_feature = (
        [e for e in selectors.escalations_of_feature(user=request.user, feature_id=feature_id) if e.pk not in linked]
        if feature_id
        else []
    )
    similar = selectors.similar_escalations(
        user=request.user, text=ticket.subject, exclude_ids=linked | {e.pk for e in of_feature}
    )
    return of_feature, similar, linked


@dataclass
class _CordPage:
    """What both forms of the page need: the ticket, the rest of an inbox selection, the features, what is known."""

    ticket: Any
    also: list
    features: list
    chosen_key: str
    chosen: Any
    of_feature: list
    similar: list
    linked: set

    @classmethod
    def load(cls, request, ticket) -> _CordPage:
        # More tickets from the inbox's bulk bar ("Pull the cord…" on a selection): linked as well.
        also_refs = (request.POST.getlist("also") if request.method == "POST" else request.GET.getlist("also"))[:99]
        also = [t for t in desk_selectors.tickets_by_references(user=request.user, references=also_refs) if t.pk != ticket.pk]
        features = list(selectors.features_visible_to(request.user))
        chosen_key = request.POST.get("feature") or (ticket.feature.key if ticket.feature_id else "")
        chosen = next((f for f in features if f.key == chosen_key), None)
        of_feature, similar, linked = _known(request, ticket, chosen.pk if chosen else None)
        return cls(ticket, also, features, chosen_key, chosen, of_feature, similar, linked)

    @property
    def must_insist(self) -> bool:
        return bool(self.of_feature or self.similar)

    def blank_form(self) -> RaiseForm:
        return RaiseForm(
            initial={"feature": self.chosen_key, "severity": Severity.BLOCKING, "title": self.ticket.subject},
            features=self.features,
            must_insist=self.must_insist,
        )

    def render(self, request, *, form, status: int, link_error: str = "", link_value: str = ""):
        context = {
            "ticket": self.ticket,
            "form": form,
            "of_feature": self.of_feature,
            "similar": self.similar,
            "chosen": self.chosen,
            "already_linked": len(self.linked),
            "also": self.also,
            "link_error": link_error,
            "link_value": link_value,
            "back": reverse("helpdesk:ticket_detail", args=[self.ticket.reference]),
        }
        return render(request, "escalations/raise.html", context, status=status)


@desk_only
def raise_escalation(request, reference: str):
    ticket = _ticket(request, reference)
    if not permissions.can_raise_escalations(request.user):
        return render(request, "escalations/raise.html", {"ticket": ticket, "refused": True}, status=403)
    cord = _CordPage.load(request, ticket)
    also = cord.also
    if request.method == "POST":
        form = RaiseForm(request.POST, features=cord.features, must_insist=cord.must_insist)
        if form.is_valid():
            data = form.cleaned_data
            try:
                escalation = services.escalation_raise(
                    actor=request.user,
                    ticket=ticket,
                    tickets=also,
                    feature=form.features[data["feature"]],
                    severity=data["severity"],
                    title=data["title"],
                    customer_impact=data["customer_impact"],
                    steps=data["steps"],
                )
            except DomainError as exc:
                form.add_error(exc.field if exc.field in form.fields else None, exc.message)
            else:
                blocked = (
                    " The feature is blocked until product fixes or rejects it." if escalation.severity == "blocking" else ""
                )
                messages.success(
                    request,
                    f"You pulled the cord: {escalation.reference} “{escalation.title}” is raised "
                    f"and {', '.join(t.reference for t in [ticket, *also])} linked.{blocked}",
                )
                return redirect("helpdesk:ticket_detail", reference=ticket.reference)
        status = 400
    else:
        form = cord.blank_form()
        status = 200
    return cord.render(request, form=form, status=status)


@desk_only
@require_POST
def link_by_reference(request, reference: str):
    """Link the ticket (and the rest of a selection) to an escalation the agent names, known or not to the page."""
    ticket = _ticket(request, reference)
    typed = request.POST.get("escalation", "").strip()
    cord = _CordPage.load(request, ticket)
    try:
        if not typed:
            raise InvalidInput("Name the escalation, such as ESC-12.", field="escalation")
        escalation = selectors.escalation_get(user=request.user, reference=typed)
        with transaction.atomic():  # the whole selection or none of it: the error names one field
            _, created = services.escalation_link(actor=request.user, escalation=escalation, ticket=ticket)
            for other in cord.also:
                services.escalation_link(actor=request.user, escalation=escalation, ticket=other)
    except DomainError as exc:
        message = f"No escalation {typed}." if isinstance(exc, NotFound) else exc.message
        status = 404 if isinstance(exc, NotFound) else (403 if exc.http_status == 403 else 400)
        return cord.render(request, form=cord.blank_form(), status=status, link_error=message, link_value=typed)
    if created:
        messages.success(request, f"{ticket.reference} is linked to {escalation.reference}.")
    else:
        messages.info(request, f"{ticket.reference} was already linked to {escalation.reference}.")
    return redirect(safe_next(request, reverse("helpdesk:ticket_detail", args=[ticket.reference])))
