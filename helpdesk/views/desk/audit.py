"""The audit log of configuration writes, for support managers."""

from __future__ import annotations

from django.conf import settings
from django.shortcuts import render

from helpdesk import permissions, presenters, selectors_audit
from helpdesk.errors import InvalidInput
from helpdesk.models import AuditEvent
from helpdesk.views.desk._common import desk_required


@desk_required
def audit_log(request):
    user = request.user
    if not permissions.can_view_audit_log(user):
        return render(request, "helpdesk/audit_forbidden.html", status=403)
    error, page = None, None
    try:
        filters = selectors_audit.parse_audit_filters(request.GET)
        page = selectors_audit.audit_event_page(
            user=user, filters=filters, cursor=request.GET.get("cursor") or None, page_size=settings.HELPDESK_PAGE_SIZE
        )
    except InvalidInput as exc:
        error = exc
    rows = [
        {
            "event": event,
            "who": presenters.audit_actor(event),
            "what": presenters.audit_action(event),
            "type_label": AuditEvent.OBJECT_TYPES.get(event.object_type, event.object_type),
            "lines": presenters.audit_lines(event),
        }
        for event in (page.items if page else [])
    ]
    raw = {name: request.GET.get(name, "") for name in selectors_audit.FILTER_PARAMS}
    context = {
        "rows": rows,
        "page": page,
        "error": error,
        "raw": raw,
        "filtered": any(raw.values()),
        "on_later_page": bool(request.GET.get("cursor")),
        "object_types": AuditEvent.OBJECT_TYPES,
        "actions": AuditEvent.ACTIONS,
        "system_actor": selectors_audit.SYSTEM_ACTOR,
    }
    return render(request, "helpdesk/audit_log.html", context, status=400 if error else 200)
