"""The admin's API token list: read-only, with a "Revoke" action through the service.

Keys are never shown (only their digest is stored). Support managers see every
token (``view_apitoken``) and may revoke anyone's but a superuser's
(``permissions.can_revoke_api_token``); nobody adds, edits or deletes tokens here.
"""

from __future__ import annotations

from django.contrib import admin, messages
from django.utils import timezone

from helpdesk import permissions, services
from helpdesk.models import ApiToken


class TokenStateFilter(admin.SimpleListFilter):
    title = "state"
    parameter_name = "state"

    def lookups(self, request, model_admin):
        return [("active", "Active"), ("expired", "Expired"), ("revoked", "Revoked")]

    def queryset(self, request, queryset):
        now = timezone.now()
        if self.value() == "active":
            return queryset.filter(revoked_at__isnull=True, expires_at__gt=now)
        if self.value() == "expired":
            return queryset.filter(revoked_at__isnull=True, expires_at__lte=now)
        if self.value() == "revoked":
            return queryset.filter(revoked_at__isnull=False)
        return queryset


@admin.register(ApiToken)
class ApiTokenAdmin(admin.ModelAdmin):
    list_display = ["name", "user", "prefix_display", "state_display", "created_at", "expires_at", "last_used_at"]
    list_filter = [TokenStateFilter, "revoked_reason"]
    list_select_related = ["user"]
    search_fields = ["name", "prefix", "user__username", "user__email"]
    fields = [
        "user", "name", "prefix", "created_at", "expires_at", "last_used_at", "revoked_at", "revoked_reason",
        "revoked_by",
    ]
    readonly_fields = fields
    actions = ["revoke_selected"]
    show_full_result_count = False

    @admin.display(description="Key starts", ordering="prefix")
    def prefix_display(self, token: ApiToken) -> str:
        return f"{token.prefix}…"

    @admin.display(description="State")
    def state_display(self, token: ApiToken) -> str:
        return token.state(timezone.now())

    @admin.action(description="Revoke selected tokens")
    def revoke_selected(self, request, queryset):
        revoked, refused = 0, 0
        for token in queryset.select_related("user"):
            if token.revoked_at is not None:
                continue
            if not permissions.can_revoke_api_token(request.user, token):
                refused += 1
                continue
            services.api_token_revoke(actor=request.user, token=token)
            revoked += 1
        if revoked:
            self.message_user(request, f"Revoked {revoked} token(s).", messages.SUCCESS)
        if refused:
            self.message_user(
                request,
                f"{refused} token(s) of superusers were left alone: only a superuser may revoke those.",
                messages.WARNING,
            )
        if not revoked and not refused:
            self.message_user(request, "The selected tokens had already ended.", messages.INFO)

    def has_add_permission(self, request):
        return False

    def has_change_permission(self, request, obj=None):
        return False

    def has_delete_permission(self, request, obj=None):
        return False

    def get_actions(self, request):
        actions = super().get_actions(request)
        if not permissions.can_revoke_others_api_tokens(request.user):
            actions.pop("revoke_selected", None)
        return actions
