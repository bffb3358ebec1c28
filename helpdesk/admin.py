"""The Django admin, for configuration only.

Organizations, customers, teams and tags are edited here, and every save goes
through ``services.directory_object_save``, which writes the audit row beside it.
People and roles are in ``admin_people.py``, the audit log (read-only) at the end.
Tickets are shown read-only: they are worked in the desk, where each change writes
its timeline row and real-time event; an admin edit would bypass both. Who may see
or change what is asked of ``permissions.py``.
"""

from __future__ import annotations

from django.contrib import admin, messages
from django.db.models import Count

from helpdesk import (
    admin_people,  # noqa: F401 - registers the people and roles admins
    permissions,
    presenters,
    selectors,
    services,
)
from helpdesk.admin_base import ServiceSavedAdmin
from helpdesk.errors import DomainError
from helpdesk.models import AuditEvent, Customer, Organization, Tag, Team, Ticket, TicketEvent, parse_reference
from helpdesk.views.auth import RateLimitedAdminAuthenticationForm

admin.site.site_header = "Help desk configuration"
admin.site.site_title = "Help desk admin"
admin.site.index_title = "Configuration"
# The admin has its own sign-in page; it counts against the same failure limit.
admin.site.login_form = RateLimitedAdminAuthenticationForm


def user_picker_fields(request, fields: list[str]) -> list[str]:
    """The user fields this person may fill through an autocomplete.

    The autocomplete asks the user admin for view permission; without it, it
    answers 403 and a plain select would list every account instead.
    """
    return fields if permissions.can_list_people(request.user) else []


# --- directory ---------------------------------------------------------------------------


@admin.register(Organization)
class OrganizationAdmin(ServiceSavedAdmin):
    list_display = ["name", "tier", "annual_value_display", "key_account", "domain"]
    list_filter = ["tier", "is_key_account"]
    search_fields = ["name", "domain"]
    fields = ["name", "domain", "tier", "annual_value", "lifetime_value", "is_key_account", "notes"]

    @admin.display(description="Key account", boolean=True, ordering="is_key_account")
    def key_account(self, obj: Organization) -> bool:
        return obj.is_key_account

    @admin.display(description="Annual value", ordering="annual_value")
    def annual_value_display(self, obj: Organization) -> str:
        return f"{obj.annual_value:,.0f}"


@admin.register(Customer)
class CustomerAdmin(ServiceSavedAdmin):
    list_display = ["name", "email", "organization", "has_login"]
    list_select_related = ["organization"]
    search_fields = ["name", "email"]
    fields = ["name", "email", "phone", "organization", "user", "annual_value", "lifetime_value"]

    @admin.display(description="Portal login", boolean=True, ordering="user")
    def has_login(self, obj: Customer) -> bool:
        return obj.user_id is not None

    def get_autocomplete_fields(self, request):
        return ["organization", *user_picker_fields(request, ["user"])]

    def get_readonly_fields(self, request, obj=None):
        return [] if user_picker_fields(request, ["user"]) else ["user"]

    actions = ["invite_to_portal"]

    @admin.action(description="Invite the selected customers to the portal (email with a set-password link)")
    def invite_to_portal(self, request, queryset):
        sent, refused = 0, []
        for customer in queryset.select_related("user"):
            try:
                services.customer_invite(actor=request.user, customer=customer)
                sent += 1
            except DomainError as error:
                refused.append(error.message)
        if sent:
            self.message_user(request, f"{sent} invitation(s) sent.", messages.SUCCESS)
        for text in refused:
            self.message_user(request, text, messages.WARNING)

    def get_actions(self, request):
        actions = super().get_actions(request)
        if not permissions.can_invite_customers(request.user):
            actions.pop("invite_to_portal", None)
        return actions


@admin.register(Team)
class TeamAdmin(ServiceSavedAdmin):
    list_display = ["name", "member_count"]
    search_fields = ["name"]
    filter_horizontal = ["members"]

    def get_queryset(self, request):
        return super().get_queryset(request).annotate(member_total=Count("members"))

    @admin.display(description="Members", ordering="member_total")
    def member_count(self, obj: Team) -> int:
        return obj.member_total

    def get_form(self, request, obj=None, change=False, **kwargs):
        form_class = super().get_form(request, obj, change=change, **kwargs)
        # Only people who work tickets (and the current members) are offered, so
        # the picker does not list every customer login.
        candidates = selectors.team_member_candidates(user=request.user, team=obj)

        class ScopedTeamForm(form_class):
            def __init__(self, *args, **kw):
                super().__init__(*args, **kw)
                if "members" in self.fields:
                    self.fields["members"].queryset = candidates

        return ScopedTeamForm


@admin.register(Tag)
class TagAdmin(ServiceSavedAdmin):
    list_display = ["name"]
    search_fields = ["name"]


# --- tickets (read-only) ------------------------------------------------------------------


class TicketEventInline(admin.TabularInline):
    model = TicketEvent
    verbose_name = "timeline entry"
    verbose_name_plural = "Timeline"
    fields = ["created_at", "kind", "actor", "customer", "body", "old_value", "new_value"]
    readonly_fields = fields
    extra = 0
    max_num = 0
    can_delete = False
    show_change_link = False

    def get_queryset(self, request):
        return super().get_queryset(request).select_related("actor", "customer").order_by("created_at", "id")

    def has_view_permission(self, request, obj=None):
        # The timeline holds internal notes: shown to whoever the desk shows them to.
        return permissions.can_see_internal(request.user)

    def has_add_permission(self, request, obj=None):
        return False

    def has_change_permission(self, request, obj=None):
        return False

    def has_delete_permission(self, request, obj=None):
        return False


@admin.register(Ticket)
class TicketAdmin(admin.ModelAdmin):
    list_display = ["reference", "subject", "status", "priority", "assignee", "requester", "updated_at"]
    list_select_related = ["assignee", "requester"]
    list_filter = ["status", "priority", "channel"]
    search_fields = ["subject"]
    search_help_text = "Search by subject, or by reference (HD-1042 or 1042)."
    # Counting every ticket for the "N total" line costs a full scan on a big desk.
    show_full_result_count = False
    inlines = [TicketEventInline]
    fields = [
        "reference",
        "subject",
        "status",
        "priority",
        "channel",
        "requester",
        "organization",
        "assignee",
        "team",
        "tags",
        "feature",
        "version",
        "created_at",
        "updated_at",
        "first_response_at",
        "solved_at",
        "closed_at",
    ]
    readonly_fields = fields

    @admin.display(description="Reference", ordering="number")
    def reference(self, obj: Ticket) -> str:
        return obj.reference

    def get_queryset(self, request):
        return (
            super()
            .get_queryset(request)
            .select_related("requester", "organization", "assignee", "team", "feature__product")
        )

    def get_search_results(self, request, queryset, search_term):
        number = parse_reference(search_term)
        if number is not None:
            return queryset.filter(number=number), False
        return super().get_search_results(request, queryset, search_term)

    def has_view_permission(self, request, obj=None):
        return permissions.can_view_tickets_in_admin(request.user)

    def has_add_permission(self, request):
        return False

    def has_change_permission(self, request, obj=None):
        return False

    def has_delete_permission(self, request, obj=None):
        return False


# --- the audit log (read-only) -----------------------------------------------------------


@admin.register(AuditEvent)
class AuditEventAdmin(admin.ModelAdmin):
    list_display = ["created_at", "who", "action", "object_type", "object_label", "what_changed"]
    list_select_related = ["actor"]
    list_filter = ["object_type", "action", "created_at"]
    search_fields = ["object_label", "actor__username", "actor__last_name"]
    search_help_text = "Search by the object's name or by who made the change."
    fields = ["created_at", "who", "action", "object_type", "object_id", "object_label", "what_changed"]
    readonly_fields = fields
    show_full_result_count = False

    @admin.display(description="Who", ordering="actor__username")
    def who(self, obj: AuditEvent) -> str:
        return presenters.audit_actor(obj)

    @admin.display(description="Changes")
    def what_changed(self, obj: AuditEvent) -> str:
        return "; ".join(f"{line.field}: {line.old} → {line.new}" for line in presenters.audit_lines(obj))

    def has_view_permission(self, request, obj=None):
        return permissions.can_view_audit_log(request.user)

    def has_add_permission(self, request):
        return False

    def has_change_permission(self, request, obj=None):
        return False

    def has_delete_permission(self, request, obj=None):
        return False


# API tokens (read-only list, revoke action) and email (the outbox, incoming mail, templates)
# have their own modules.
from helpdesk import admin_mail, admin_tokens  # noqa: E402,F401
