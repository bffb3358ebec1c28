"""Who may do what with live chat sessions: views, the API and the sockets all ask here.

Rights are Django permissions granted by the roles in ``helpdesk.roles`` (and
grantable to anyone in the admin): ``livelisten.serve_chat`` answers chats (agents and
support managers), ``livelisten.listen_session`` opens the live dashboard and shadows
sessions (support managers and product managers), ``livelisten.manage_chat`` transfers
and ends anyone's session and reads every coaching mark and the listen audit
(support managers). Customers start and take part in their own sessions.
"""

from __future__ import annotations

from django.db.models import Q

from helpdesk import permissions as desk_permissions
from livelisten.models import ChatSession, SessionStatus


def _active(user) -> bool:
    return user is not None and user.is_authenticated and user.is_active


def can_start_session(user) -> bool:
    """Customers start chats from the portal (a desk user opens tickets for others instead)."""
    return _active(user) and desk_permissions.customer_of(user) is not None and not desk_permissions.is_desk_user(user)


def can_serve_chats(user) -> bool:
    return _active(user) and user.has_perm("livelisten.serve_chat")


def serves_chats_condition() -> Q:
    """``can_serve_chats`` as a query condition on users (the console's "transfer to" list, in one query)."""
    return desk_permissions.permission_holders_condition("livelisten.serve_chat") & Q(is_active=True)


def can_listen(user) -> bool:
    return _active(user) and user.has_perm("livelisten.listen_session")


def can_manage_chats(user) -> bool:
    return _active(user) and user.has_perm("livelisten.manage_chat")


def can_use_live_sockets(user) -> bool:
    """Anyone who may open one of the chat sockets at all (each socket then asks about its session)."""
    return _active(user) and (can_serve_chats(user) or can_listen(user) or desk_permissions.customer_of(user) is not None)


def role_from(user, *, customer_id: int, agent_id: int | None, has_barged) -> str | None:
    """The rule of :func:`role_in` on a session's ids (the chat's hot path has no session object);
    ``has_barged()`` is asked only when the person is neither the customer nor the agent."""
    if not _active(user):
        return None
    if customer_id == user.pk:
        return "customer"
    if agent_id == user.pk:
        return "agent"
    if can_listen(user) and has_barged():
        return "manager"
    return None


def role_in(user, session: ChatSession) -> str | None:
    """``customer``, ``agent`` or ``manager`` (barged in) when ``user`` takes part in the session; else None."""
    return role_from(
        user,
        customer_id=session.customer_id,
        agent_id=session.agent_id,
        has_barged=lambda: session.members.filter(user_id=user.pk).exists(),
    )


def can_see_session(user, session: ChatSession) -> bool:
    """Participants, the desk's chat agents (the queue and their colleagues' chats), and listeners."""
    return role_in(user, session) is not None or can_serve_chats(user) or can_listen(user)


def can_accept(user, session: ChatSession) -> bool:
    return can_serve_chats(user) and session.status == SessionStatus.WAITING


def can_transfer(user, session: ChatSession) -> bool:
    return session.status == SessionStatus.ACTIVE and (
        (session.agent_id == getattr(user, "pk", None) and can_serve_chats(user)) or can_manage_chats(user)
    )


def can_end(user, session: ChatSession) -> bool:
    if session.status == SessionStatus.ENDED:
        return False
    role = role_in(user, session)
    return role in ("customer", "agent") or can_manage_chats(user)


def can_see_whispers(role: str | None) -> bool:
    """Whispers go to the agent and the listeners; never to the customer."""
    return role != "customer"


def can_see_listeners(role: str | None, *, agent_shows_listeners: bool) -> bool:
    """Listeners see each other; the agent unless their setting hides it; the customer never."""
    if role == "customer":
        return False
    if role == "agent":
        return agent_shows_listeners
    return True


def can_mark_for_coaching(user) -> bool:
    return can_listen(user)


def can_view_all_coaching(user) -> bool:
    return can_manage_chats(user)


def can_view_listen_audit(user) -> bool:
    return can_manage_chats(user)
