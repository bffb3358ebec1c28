"""Who may do what with escalations: the one place views, the API and consumers ask.

Rights are Django permissions the built-in roles carry (``helpdesk/roles.py``) and the
admin grants to anyone: ``raise_escalation`` (agents: raise, link, comment, provide
info), ``triage_escalation`` (product managers beyond the features they own),
``reopen_escalation`` (support managers: overrule a rejection or a fix). A feature's
owner triages the escalations against it without any extra right.
"""

from __future__ import annotations

from helpdesk import permissions as desk_permissions

RAISE = "escalations.raise_escalation"
TRIAGE = "escalations.triage_escalation"
REOPEN = "escalations.reopen_escalation"

TRIAGE_ACTIONS = frozenset({"acknowledge", "start", "request_info", "fix", "reject", "close"})


def _active(user) -> bool:
    return user is not None and user.is_authenticated and user.is_active


def can_view_escalations(user) -> bool:
    """Escalations name tickets and their customers: for those who see every ticket."""
    return desk_permissions.can_view_all_tickets(user)


def can_raise_escalations(user) -> bool:
    return _active(user) and user.has_perm(RAISE) and can_view_escalations(user)


def owns_feature(user, feature) -> bool:
    return _active(user) and feature.owner_id is not None and feature.owner_id == user.pk


def can_triage(user, escalation) -> bool:
    return _active(user) and can_view_escalations(user) and (user.has_perm(TRIAGE) or owns_feature(user, escalation.feature))


def can_triage_any(user) -> bool:
    """Whether the board is this person's to work ("my features" makes sense): owners and triagers."""
    return _active(user) and can_view_escalations(user) and (user.has_perm(TRIAGE) or user.owned_features.exists())


def can_take_action(user, escalation, action: str) -> bool:
    """Whether ``user`` may take ``action`` on ``escalation`` (the status table is the model's)."""
    if action in TRIAGE_ACTIONS:
        return can_triage(user, escalation)
    if action == "provide_info":
        return can_raise_escalations(user) or can_triage(user, escalation)
    if action == "reopen":
        if not can_view_escalations(user):
            return False
        if user.has_perm(REOPEN):
            return True
        # The product manager may take back their own fix; a rejection is overruled by support.
        return escalation.status == "fixed" and owns_feature(user, escalation.feature)
    return False


def can_comment(user, escalation) -> bool:
    return can_raise_escalations(user) or can_triage(user, escalation)
