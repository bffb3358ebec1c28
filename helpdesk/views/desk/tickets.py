"""One ticket: the page, the composer and the properties form, with conflicts shown rather than lost."""

from __future__ import annotations

import copy
from typing import Any

from django.conf import settings
from django.contrib import messages
from django.http import HttpResponse
from django.shortcuts import redirect, render
from django.urls import reverse
from django.views.decorators.http import require_POST

from helpdesk import (
    permissions,
    selectors,
    selectors_files,
    selectors_macros,
    selectors_mail,
    selectors_participants,
    services,
)
from helpdesk.errors import DomainError, InvalidInput, NotFound, StaleVersion
from helpdesk.forms import PRIORITY_CHOICES, MessageForm, TicketFieldsForm, split_tags
from helpdesk.models import TicketEvent, TicketPriority, TicketStatus
from helpdesk.views.desk import refused
from helpdesk.views.desk._common import (
    DeskOptions,
    attach_error,
    desk_required,
    labels_of,
    load_options,
    not_found,
)
from helpdesk.views.desk.lists import list_origin, next_ticket
from helpdesk.views.desk.refused import RefusedSubmission
from helpdesk.views.desk.timeline import build_timeline, describe_changes


def _ticket_or_none(user, reference: str):
    try:
        return selectors.ticket_get(user=user, reference=reference)
    except NotFound:
        return None


def _with_current_assignee(options: DeskOptions, ticket) -> DeskOptions:
    """Keep a current assignee who can no longer be picked (left the desk) selectable, so saving
    other fields does not silently unassign them."""
    if ticket.assignee_id is None or any(u.pk == ticket.assignee_id for u in options.assignees):
        return options
    return DeskOptions(assignees=[*options.assignees, ticket.assignee], teams=options.teams, features=options.features)


def _status_choices(ticket, fields_form: TicketFieldsForm) -> list[tuple[str, str]]:
    """The current status and those that may follow; a submitted one is kept so a re-render loses nothing."""
    values = {ticket.status, *ticket.allowed_next_statuses()}
    submitted = fields_form["status"].value() if fields_form.is_bound else None
    if submitted in TicketStatus.values:
        values.add(submitted)
    return [(value, label) for value, label in TicketStatus.choices if value in values]


def _timeline_window(request, ticket) -> selectors.TimelineWindow:
    user = request.user
    if request.GET.get("timeline") == "all":
        # The whole timeline in one page: the link's target without JavaScript, and for printing.
        return selectors.TimelineWindow(events=selectors.ticket_timeline_entries(user=user, ticket=ticket), earlier=0)
    return selectors.ticket_timeline_window(user=user, ticket=ticket, limit=settings.HELPDESK_TIMELINE_WINDOW)


def timeline_items(user, ticket, events, *, user_labels):
    """The timeline as the desk shows it, with how each message travelled by email."""
    message_ids = [e.pk for e in events if e.kind in TicketEvent.MESSAGE_KINDS]
    marks = selectors_mail.timeline_mail_marks(user=user, ticket=ticket, event_ids=message_ids)
    files = selectors_files.event_attachments(user=user, ticket=ticket, event_ids=message_ids)

    def original_url(inbound_id: int) -> str:
        return reverse("helpdesk:ticket_email_original", kwargs={"reference": ticket.reference, "inbound_id": inbound_id})

    return build_timeline(
        events,
        user_labels=user_labels,
        requester=ticket.requester,
        mail_marks=marks,
        original_url=original_url,
        attachments=files,
    )


def render_ticket(
    request,
    ticket,
    *,
    options: DeskOptions | None = None,
    window: selectors.TimelineWindow | None = None,
    fields_form: TicketFieldsForm | None = None,
    composer_form: MessageForm | None = None,
    conflict: dict | None = None,
    page_error: str | None = None,
    status: int = 200,
):
    user = request.user
    options = _with_current_assignee(options or load_options(user), ticket)
    if window is None:
        window = _timeline_window(request, ticket)
    events = window.events
    last_event_id = events[-1].pk if events else 0
    if fields_form is None:
        fields_form = TicketFieldsForm(
            initial=TicketFieldsForm.initial_for(ticket, seen=last_event_id), **options.form_kwargs()
        )
    # What the agent is shown as the ticket's values ("was_" fields), the base of a conflict merge.
    # After a refused submit it stays what they were originally shown.
    baseline = {k: str(v) for k, v in TicketFieldsForm.initial_for(ticket, seen=None).items()}
    if fields_form.is_bound and conflict is None:
        baseline = {k: fields_form.data.get(f"was_{k}", v) for k, v in baseline.items()}
    user_labels = options.user_labels
    can_reply = permissions.can_post_public_reply(user, ticket)
    can_note = permissions.can_add_internal_note(user)
    default_mode = "reply" if can_reply else "note"
    macros = selectors_macros.macros_for(user=user)
    applied = None
    if composer_form is None:
        initial = {"kind": default_mode}
        if request.GET.get("macro"):
            try:
                applied = selectors_macros.macro_get(user=user, macro_id=request.GET["macro"])
            except NotFound:
                page_error = page_error or "That macro no longer exists."
            else:
                initial.update(
                    body=selectors_macros.macro_text(user=user, ticket=ticket, macro=applied),
                    status=applied.status,
                    macro=str(applied.pk),
                )
        composer_form = MessageForm(initial=initial)
    context: dict[str, Any] = {
        "ticket": ticket,
        "requester": ticket.requester,
        "organization": ticket.requester.organization,
        "timeline": timeline_items(user, ticket, events, user_labels=user_labels),
        "earlier": window.earlier,
        "earlier_before": window.first_id,
        "fields_form": fields_form,
        "composer_form": composer_form,
        "status_choices": _status_choices(ticket, fields_form),
        "next_statuses": [(v, label) for v, label in TicketStatus.choices if v in ticket.allowed_next_statuses()],
        "priorities": PRIORITY_CHOICES,
        "options": options,
        "baseline": [(f"was_{name}", baseline[name]) for name in TicketFieldsForm.FIELDS],
        "people": user_labels,
        "tag_suggestions": selectors.popular_tags(user=user),
        "people_panel": selectors_participants.ticket_people(user=user, ticket=ticket),
        "macros": macros,
        "applied_macro": applied,
        "can_invite": permissions.can_invite_customers(user),
        "recent_tickets": selectors.requester_recent_tickets(user=user, ticket=ticket),
        "requester_ticket_count": selectors.requester_ticket_count(user=user, ticket=ticket),
        "can_work": permissions.can_work_tickets(user),
        "can_merge": permissions.can_merge_tickets(user),
        "can_mark_spam": permissions.can_mark_spam(user),
        "can_delete": permissions.can_delete_tickets(user),
        "removed_days": settings.HELPDESK_REMOVED_RETENTION_DAYS,
        "can_reply": can_reply,
        "can_set_status": permissions.can_set_status_with_message(user),
        "can_note": can_note,
        "default_mode": default_mode,
        "conflict": conflict,
        "page_error": page_error,
        "ws_path": f"/ws/tickets/{ticket.reference}/",
        # A refused message comes back with the list its page was opened from, whatever the session says now.
        "list_origin": list_origin(request, composer_form.data.get("list") if composer_form.is_bound else None),
        "then_next": bool(composer_form.is_bound and composer_form.data.get("then_next")),
    }
    return render(request, "helpdesk/ticket_detail.html", context, status=status)


@desk_required
def ticket_detail(request, reference: str):
    ticket = _ticket_or_none(request.user, reference)
    if ticket is None:
        return not_found(request)
    submission = refused.take(request, reference=ticket.reference)
    if submission is not None:
        return _render_refused(request, ticket, submission)
    return render_ticket(request, ticket)


def _render_refused(request, ticket, submission: RefusedSubmission):
    """The page as the refused POST left it: the typed values, the errors, the conflict, its status."""
    error = submission.domain_error()
    common = {"page_error": submission.page_error, "status": submission.status}
    if submission.form == "composer":
        composer_form = MessageForm(submission.query_dict())
        composer_form.is_valid()
        if error is not None:
            attach_error(composer_form, error, aliases={"internal": "kind"})
        return render_ticket(request, ticket, composer_form=composer_form, **common)
    options = _with_current_assignee(load_options(request.user), ticket)
    fields_form = TicketFieldsForm(submission.query_dict(), **options.form_kwargs())
    fields_form.is_valid()  # the same parsing the POST had; a service's error is added below
    if error is not None:
        attach_error(fields_form, error)
    return render_ticket(
        request, ticket, options=options, fields_form=fields_form, conflict=submission.conflict, **common
    )


def _refuse(request, ticket, *, form: str, status: int, data=None, error=None, conflict=None, page_error=None):
    """Keep a refused submission for the ticket page and redirect there (see refused.py)."""
    page = reverse("helpdesk:ticket_detail", kwargs={"reference": ticket.reference})
    submission = RefusedSubmission(
        reference=ticket.reference,
        form=form,
        data=refused.submitted(data if data is not None else request.POST),
        status=status,
        error={"message": error.message, "field": error.field} if error is not None else None,
        page_error=page_error,
        conflict=conflict,
    )
    return refused.keep(request, submission, to=page + ("#composer" if form == "composer" else ""))


@desk_required
def ticket_timeline_earlier(request, reference: str):
    """The part of the timeline just before ``?before=<event id>`` (htmx swaps it in for its link)."""
    user = request.user
    ticket = _ticket_or_none(user, reference)
    if ticket is None:
        return not_found(request)
    try:
        window = selectors.ticket_timeline_window(
            user=user,
            ticket=ticket,
            limit=settings.HELPDESK_TIMELINE_WINDOW,
            before=request.GET.get("before", "").strip(),
        )
    except InvalidInput as exc:
        return render(request, "helpdesk/_timeline_items.html", {"ticket": ticket, "error": exc}, status=400)
    context = {
        "ticket": ticket,
        # Named as on the page, a current assignee who has left the desk included.
        "timeline": timeline_items(
            user,
            ticket,
            window.events,
            user_labels=labels_of([*selectors.assignable_users(user=user), *filter(None, [ticket.assignee])]),
        ),
        "earlier": window.earlier,
        "earlier_before": window.first_id,
    }
    return render(request, "helpdesk/_timeline_items.html", context)


# --- the properties form ---------------------------------------------------------------


def _display_values(ticket, labels: dict[str, str]) -> dict[str, str]:
    return {
        "status": ticket.get_status_display(),
        "priority": TicketPriority(ticket.priority).label,
        "assignee": labels.get(ticket.assignee.get_username(), ticket.assignee.get_username())
        if ticket.assignee_id
        else "Unassigned",
        "team": ticket.team.name if ticket.team_id else "No team",
        "tags": ", ".join(t.name for t in ticket.tags.all()) or "No tags",
        "feature": ticket.feature.key if ticket.feature_id else "No feature",
    }


def _same(name: str, a: str | None, b: str | None) -> bool:
    if name == "tags":
        return sorted({t.lower() for t in split_tags(a or "")}) == sorted({t.lower() for t in split_tags(b or "")})
    return (a or "").strip() == (b or "").strip()


def _merge_conflict(*, posted, current, labels: dict[str, str]) -> tuple[dict, dict[str, str]]:
    """Three-way merge of the properties form after someone else saved first.

    ``was_<field>`` holds what the agent was shown. A field they did not touch takes
    the current value (so a second submit does not undo the other person's change);
    a field they changed keeps their choice, and when the other person changed it
    too, the current value is shown beside it.
    """
    now = TicketFieldsForm.initial_for(current, seen=None)
    shown = _display_values(current, labels)
    merged = posted.copy()
    differs: dict[str, str] = {}
    for name in TicketFieldsForm.FIELDS:
        mine = posted.get(name, "")
        was = posted.get(f"was_{name}")
        if was is not None and _same(name, mine, was):
            merged[name] = str(now[name])
        elif not _same(name, mine, str(now[name])) and (was is None or not _same(name, was, str(now[name]))):
            differs[name] = shown[name]
    return merged, differs


@desk_required
@require_POST
def ticket_update(request, reference: str):
    user = request.user
    ticket = _ticket_or_none(user, reference)
    if ticket is None:
        return not_found(request)
    options = _with_current_assignee(load_options(user), ticket)
    form = TicketFieldsForm(request.POST, **options.form_kwargs())
    if not form.is_valid():
        return _refuse(request, ticket, form="fields", status=400)
    data = form.cleaned_data
    new_assignee = data["assignee"]
    unchanged_assignee = (new_assignee.pk if new_assignee else None) == ticket.assignee_id
    try:
        updated = services.ticket_update(
            actor=user,
            ticket=ticket,
            expected_version=data["version"],
            status=data["status"],
            priority=data["priority"],
            # Unchanged is left out: the service re-checks an assignee it is given,
            # and one who has since left the desk must not block other edits.
            assignee=services.UNSET if unchanged_assignee else new_assignee,
            team=data["team"],
            tags=data["tags"],
            feature=data["feature"],
        )
    except StaleVersion:
        # Whoever changed it may also have taken it out of this user's sight.
        current = _ticket_or_none(user, reference)
        if current is None:
            return not_found(request)
        options = _with_current_assignee(options, current)
        since = selectors.ticket_timeline_after(user=user, ticket=current, after=data.get("seen"))
        actors, kinds = describe_changes(since, me=user, requester=current.requester)
        merged, differs = _merge_conflict(posted=request.POST, current=current, labels=options.user_labels)
        latest = selectors.ticket_timeline_window(user=user, ticket=current, limit=1).events
        # Only the version moves on, so submitting again is a deliberate choice over the new state.
        merged["version"] = str(current.version)
        merged["seen"] = str(latest[-1].pk if latest else 0)
        conflict = {"actors": actors, "kinds": kinds, "differs": differs}
        return _refuse(request, current, form="fields", status=409, data=merged, conflict=conflict)
    except NotFound:
        return not_found(request)
    except DomainError as exc:
        # A closed ticket shows no properties form, so its refusal is said above the page.
        shown_above = exc.http_status == 403 or ticket.is_closed
        return _refuse(
            request,
            ticket,
            form="fields",
            status=exc.http_status,
            error=exc,
            page_error=exc.message if shown_above else None,
        )
    if updated.version == data["version"]:
        messages.info(request, "Nothing to save: the values were unchanged.")
    else:
        messages.success(request, f"{updated.reference} updated.")
    return redirect("helpdesk:ticket_detail", reference=updated.reference)


# --- the composer ----------------------------------------------------------------------------


@desk_required
@require_POST
def ticket_message(request, reference: str):
    user = request.user
    ticket = _ticket_or_none(user, reference)
    if ticket is None:
        return not_found(request)
    form = MessageForm(request.POST, request.FILES)
    # A refused message comes back with its text (refused.py); files cannot ride a redirect.
    files_lost = "Nothing was sent; choose the files again." if request.FILES else None
    if not form.is_valid():
        return _refuse(request, ticket, form="composer", status=400, page_error=files_lost)
    data = form.cleaned_data
    internal = data["kind"] == "note"
    before = copy.copy(ticket)  # where it stood in the agent's list, for "then open the next ticket"
    try:
        if data["macro"]:
            message = services.ticket_reply_with_macro(
                actor=user,
                ticket=ticket,
                macro=selectors_macros.macro_get(user=user, macro_id=data["macro"]),
                body=data["body"],
                internal=internal,
                status=data["status"] or None,
                attachments=data["attachments"],
            )
        else:
            message = services.ticket_message_post(
                actor=user,
                ticket=ticket,
                body=data["body"],
                internal=internal,
                status=data["status"] or None,
                attachments=data["attachments"],
            )
    except NotFound:
        return not_found(request)
    except DomainError as exc:
        return _refuse(
            request,
            ticket,
            form="composer",
            status=exc.http_status,
            error=exc,
            page_error=exc.message if exc.http_status == 403 else files_lost,
        )
    after = message.ticket
    text = "Internal note added." if internal else "Reply sent."
    if after.status != ticket.status:
        text += f" {after.reference} is now {after.get_status_display().lower()}."
    if data["then_next"]:
        return _to_next_ticket(request, before, text)
    messages.success(request, text)
    return redirect(reverse("helpdesk:ticket_detail", kwargs={"reference": after.reference}) + f"#e{message.pk}")


def _to_next_ticket(request, before, text: str):
    """After a message sent with "then open the next ticket": that ticket, or the list when this was its last."""
    origin = list_origin(request, request.POST.get("list"))
    if origin is None:
        messages.success(request, text)
        return redirect("helpdesk:inbox")
    following = next_ticket(request, origin, before)
    if following is None:
        messages.success(request, f"{text} {before.reference} was the last ticket in {origin.label}.")
        return redirect(origin.url)
    messages.success(request, f"{text} Next in {origin.label}: {following.reference}.")
    return redirect("helpdesk:ticket_detail", reference=following.reference)


@desk_required
def ticket_email_original(request, reference: str, inbound_id: int):
    """A received email exactly as it arrived, as plain text (never rendered as HTML)."""
    ticket = _ticket_or_none(request.user, reference)
    if ticket is None:
        return not_found(request)
    try:
        found = selectors_mail.inbound_email_original(user=request.user, ticket=ticket, inbound_id=inbound_id)
    except NotFound:
        return not_found(request)
    response = HttpResponse(bytes(found.raw), content_type="text/plain; charset=utf-8")
    response["Content-Disposition"] = f'inline; filename="{ticket.reference}-email-{found.pk}.eml"'
    response["X-Content-Type-Options"] = "nosniff"
    return response


@desk_required
@require_POST
def macro_new(request, reference: str):
    """Keep a macro from the ticket page (an agent's own; support managers may share it)."""
    ticket = _ticket_or_none(request.user, reference)
    if ticket is None:
        return not_found(request)
    post = request.POST
    try:
        macro = services.macro_create(
            actor=request.user,
            name=post.get("name", ""),
            body=post.get("body", ""),
            shared=post.get("shared") == "1",
            status=post.get("status", "") if post.get("status", "") in TicketStatus.values else "",
            tags=post.get("tags", ""),
        )
    except DomainError as error:
        messages.error(request, f"Macro not saved: {error.message}")
        return redirect(reverse("helpdesk:ticket_detail", kwargs={"reference": ticket.reference}) + "#composer")
    messages.success(request, f"Macro “{macro.name}” saved; pick it in the composer (m).")
    return redirect(reverse("helpdesk:ticket_detail", kwargs={"reference": ticket.reference}) + "#composer")
