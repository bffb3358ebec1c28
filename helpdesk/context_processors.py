from django.conf import settings
from django.urls import reverse

from helpdesk import extensions, permissions
from helpdesk.templatetags.timeline import file_size


def roles(request):
    """Role flags for templates (navigation, which home to link)."""
    user = getattr(request, "user", None)
    return {
        "is_desk_user": permissions.is_desk_user(user),
        "is_portal_user": permissions.is_portal_user(user),
        "can_view_audit_log": permissions.can_view_audit_log(user),
        "can_delete_tickets": permissions.can_delete_tickets(user),
        "can_view_removed_tickets": permissions.can_view_removed_tickets(user),
        "can_use_admin": permissions.can_use_admin(user),
        # Other apps' pages in the desk's navigation (escalations), for those who may open them.
        "extension_nav": [
            {"label": link.label, "url": reverse(link.url_name)}
            for link in (extensions.nav_links(user) if permissions.is_desk_user(user) else [])
        ],
        "extension_portal_nav": [
            {"label": link.label, "url": reverse(link.url_name)}
            for link in (extensions.nav_links(user, portal=True) if permissions.is_portal_user(user) else [])
        ],
        # Links to the desk's "New ticket" form only for people it would accept.
        "can_open_tickets": permissions.can_open_ticket_for_others(user),
        # What the file inputs say they take (the service enforces it).
        "attachment_limits": {
            "count": settings.HELPDESK_ATTACHMENTS_PER_MESSAGE,
            "size": file_size(settings.HELPDESK_ATTACHMENT_MAX_BYTES).replace(".0 MB", " MB"),
        },
    }
