"""Live chat pages: the customer's chat in the portal, the agents' console, the listeners' dashboard and shadow view.

Pages render the state at load time; the sockets (``static/livelisten/chat.js``) keep
them live. Every write goes through ``livelisten.services``; a domain error comes back
as a message on the page, naming what was wrong.
"""

from __future__ import annotations

from functools import wraps

from django.contrib import messages
from django.contrib.auth.views import redirect_to_login
from django.http import Http404
from django.shortcuts import redirect, render
from django.urls import reverse
from django.views.decorators.http import require_POST

from helpdesk import selectors as desk_selectors
from helpdesk.errors import DomainError, InvalidInput, NotFound
from livelisten import permissions, selectors, services
from livelisten.models import SessionStatus
from livelisten.services.messages import MAX_BODY_BYTES

# Rows per page of the coaching list and the listen audit; "Older …" follows a keyset cursor.
COACHING_PAGE_SIZE = 100
AUDIT_PAGE_SIZE = 200


def _guard(allowed):
    """Sign-in required; to anyone ``allowed`` refuses the page does not exist (404)."""

    def decorate(view):
        @wraps(view)
        def wrapper(request, *args, **kwargs):
            if not request.user.is_authenticated:
                return redirect_to_login(request.get_full_path())
            if not allowed(request.user):
                raise Http404("No such page.")
            try:
                return view(request, *args, **kwargs)
            except NotFound:
                raise Http404("No such chat.") from None

        return wrapper

    return decorate


customer_only = _guard(permissions.can_start_session)
agents_only = _guard(permissions.can_serve_chats)
listeners_only = _guard(permissions.can_listen)


def _pane(session, *, role: str, user) -> dict:
    """What one chat pane needs: the socket, who is who, the ticket context for the desk."""
    pane = {
        "session": session,
        "role": role,
        "ws_path": f"/ws/sessions/{session.pk}/" + ("listen/" if role == "listener" else ""),
        "live": session.status != SessionStatus.ENDED,
    }
    if role != "customer":
        ticket = session.ticket
        pane["ticket"] = ticket
        pane["requester"] = ticket.requester
        pane["organization"] = ticket.organization
        pane["other_tickets"] = [other for other in desk_selectors.requester_recent_tickets(user=user, ticket=ticket, limit=5)]
    return pane


# --- the customer's side ------------------------------------------------------------------------


@customer_only
def portal_chat_start(request):
    """A new chat, or one about an open request of the customer's (``ticket``, from that request's page)."""
    source = request.POST if request.method == "POST" else request.GET
    values = {"subject": source.get("subject", ""), "body": source.get("body", ""), "ticket": source.get("ticket", "")}
    errors: dict[str, str] = {}
    about = None
    if values["ticket"]:
        try:
            about = desk_selectors.ticket_get(user=request.user, reference=values["ticket"])
        except DomainError:
            errors["ticket"] = "No such request of yours; start a new chat instead."
    if request.method == "POST" and not errors:
        try:
            session = services.session_start(
                actor=request.user,
                subject=values["subject"],
                body=values["body"],
                ticket_reference=about.reference if about is not None else None,
            )
        except DomainError as error:
            errors[error.field or "body"] = error.message
        else:
            return redirect("livelisten-portal:chat", session_id=session.pk)
    live = selectors.sessions_list(user=request.user, live_only=True, limit=20)
    return render(
        request,
        "livelisten/portal_start.html",
        {"values": values, "errors": errors, "about": about, "live_sessions": live, "max_kb": MAX_BODY_BYTES // 1024},
        status=400 if errors and (request.method == "POST" or "ticket" in errors) else 200,
    )


@customer_only
def portal_chat(request, session_id: str):
    session = selectors.session_get(user=request.user, session_id=session_id)
    if permissions.role_in(request.user, session) != "customer":
        raise Http404("No such chat.")
    return render(
        request,
        "livelisten/portal_chat.html",
        {"pane": _pane(session, role="customer", user=request.user), "max_kb": MAX_BODY_BYTES // 1024},
    )


@customer_only
@require_POST
def portal_chat_end(request, session_id: str):
    session = selectors.session_get(user=request.user, session_id=session_id)
    services.session_end(actor=request.user, session_id=session.pk)
    return redirect("livelisten-portal:chat", session_id=session.pk)


@customer_only
@require_POST
def portal_chat_transcript(request, session_id: str):
    session = selectors.session_get(user=request.user, session_id=session_id)
    try:
        services.session_transcript_email(actor=request.user, session_id=session.pk)
    except DomainError as error:
        messages.error(request, error.message)
    else:
        messages.success(request, f"The transcript is on its way to {session.ticket.requester.email}.")
    return redirect("livelisten-portal:chat", session_id=session.pk)


# --- the agents' console ------------------------------------------------------------------------


@agents_only
def console(request):
    mine = selectors.sessions_list(user=request.user, status=SessionStatus.ACTIVE, agent=request.user)
    waiting = selectors.session_objects(selectors.sessions_list(user=request.user, status=SessionStatus.WAITING))
    for body in waiting:
        body.pop("listeners", None)
    colleagues = selectors.transfer_candidates(user=request.user)
    return render(
        request,
        "livelisten/console.html",
        {
            "panes": [_pane(session, role="agent", user=request.user) for session in mine],
            "waiting": waiting,
            "settings": selectors.agent_settings(user=request.user),
            "colleagues": colleagues,
            "marks_unseen": selectors.coaching_marks_unseen_count(user=request.user),
            "max_kb": MAX_BODY_BYTES // 1024,
        },
    )


@agents_only
def console_pane(request, session_id: str):
    """One active chat of the agent's, to open in the console without a reload (a chat transferred to them)."""
    session = selectors.session_get(user=request.user, session_id=session_id)
    if session.agent_id != request.user.pk or session.status != SessionStatus.ACTIVE:
        raise Http404("No such chat of yours.")
    return render(
        request,
        "livelisten/_console_pane.html",
        {
            "pane": _pane(session, role="agent", user=request.user),
            "colleagues": selectors.transfer_candidates(user=request.user),
            "max_kb": MAX_BODY_BYTES // 1024,
        },
    )


def _act(request, function, **kwargs):
    try:
        function(actor=request.user, **kwargs)
    except DomainError as error:
        messages.error(request, error.message)
        return False
    return True


@agents_only
@require_POST
def console_accept(request, session_id: str):
    session = selectors.session_get(user=request.user, session_id=session_id)
    raw_version = request.POST.get("version", "")
    version = int(raw_version) if raw_version.isdigit() else None
    _act(request, services.session_accept, session_id=session.pk, version=version)
    return redirect("livelisten:console")


@agents_only
@require_POST
def console_transfer(request, session_id: str):
    session = selectors.session_get(user=request.user, session_id=session_id)
    agent = request.POST.get("agent", "")
    if _act(request, services.session_transfer, session_id=session.pk, agent_username=agent):
        messages.success(request, f"Chat {session.pk} transferred to {agent}.")
    return redirect("livelisten:console")


@_guard(lambda user: permissions.can_serve_chats(user) or permissions.can_manage_chats(user))
@require_POST
def session_end(request, session_id: str):
    session = selectors.session_get(user=request.user, session_id=session_id)
    _act(request, services.session_end, session_id=session.pk)
    target = request.POST.get("next", "")
    if target == "shadow":
        return redirect("livelisten:shadow", session_id=session.pk)
    return redirect("livelisten:console")


@agents_only
@require_POST
def console_settings(request):
    available = request.POST.get("available")
    show = request.POST.get("show_listeners")
    _act(
        request,
        services.agent_chat_settings_save,
        available=None if available is None else available == "1",
        show_listeners=None if show is None else show == "1",
    )
    return redirect("livelisten:console")


# --- listeners ----------------------------------------------------------------------------------


@listeners_only
def dashboard(request):
    live = selectors.sessions_list(user=request.user, live_only=True)
    return render(
        request,
        "livelisten/dashboard.html",
        {"sessions": selectors.session_objects(live), "can_view_audit": permissions.can_view_listen_audit(request.user)},
    )


@listeners_only
def shadow(request, session_id: str):
    session = selectors.session_get(user=request.user, session_id=session_id)
    return render(
        request,
        "livelisten/shadow.html",
        {
            "pane": _pane(session, role="listener", user=request.user),
            "barged": request.user.pk in selectors.member_ids(session.pk),
            "can_end": permissions.can_end(request.user, session),
            "max_kb": MAX_BODY_BYTES // 1024,
            "coaching_url": reverse("livelisten-api:session-coaching", args=[session.pk]),
        },
    )


@_guard(lambda user: permissions.can_serve_chats(user) or permissions.can_view_all_coaching(user))
def coaching(request):
    if request.method == "POST" and permissions.can_serve_chats(request.user):
        services.coaching_marks_mark_seen(actor=request.user)
        return redirect("livelisten:coaching")
    try:
        page = selectors.coaching_marks_page(
            user=request.user, cursor=request.GET.get("cursor") or None, page_size=COACHING_PAGE_SIZE
        )
    except InvalidInput:  # an edited or stale link: the newest marks rather than an error page
        page = selectors.coaching_marks_page(user=request.user, cursor=None, page_size=COACHING_PAGE_SIZE)
    return render(
        request,
        "livelisten/coaching.html",
        {
            "marks": page.items,
            "next_cursor": page.next_cursor,
            "paged": bool(request.GET.get("cursor")),
            "everyone": permissions.can_view_all_coaching(request.user),
        },
    )


@_guard(permissions.can_view_listen_audit)
def listen_audit(request):
    try:
        page = selectors.listen_audit_page(user=request.user, cursor=request.GET.get("cursor") or None, page_size=AUDIT_PAGE_SIZE)
    except InvalidInput:  # an edited or stale link: the newest entries rather than an error page
        page = selectors.listen_audit_page(user=request.user, cursor=None, page_size=AUDIT_PAGE_SIZE)
    return render(
        request,
        "livelisten/audit.html",
        {"entries": page.items, "next_cursor": page.next_cursor, "paged": bool(request.GET.get("cursor"))},
    )
