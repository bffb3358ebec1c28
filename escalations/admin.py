"""Product registry in the admin. Saves go through the escalations services.

Deliberately self-contained: escalations may use the help desk's services and
selectors, not its admin, so the small save-through-a-service mixin is its own.
"""

from __future__ import annotations

from django.contrib import admin
from django.contrib.auth import get_user_model

from escalations import services
from escalations.models import Feature, Product, WebhookDelivery, WebhookEndpoint


def _user_picker_fields(admin_site, request, fields: list[str]) -> list[str]:
    """The user fields this person may fill through an autocomplete.

    The autocomplete asks the user admin for view permission; without it, it
    answers 403 and a plain select would list every account instead.
    """
    user_admin = admin_site._registry.get(get_user_model())
    if user_admin is not None and user_admin.has_view_permission(request):
        return fields
    return []


class _OwnerPicker:
    """A feature's owner is picked by autocomplete, or shown read-only to those who may not list users."""

    def get_autocomplete_fields(self, request):
        return _user_picker_fields(self.admin_site, request, ["owner"])

    def get_readonly_fields(self, request, obj=None):
        return [] if _user_picker_fields(self.admin_site, request, ["owner"]) else ["owner"]


class FeatureInline(_OwnerPicker, admin.TabularInline):
    model = Feature
    extra = 0
    fields = ["key", "name", "owner"]
    # Tickets and escalations point at features; renaming is fine, deleting is not.
    can_delete = False


class _ServiceSaved(admin.ModelAdmin):
    """Writes through the escalations services instead of the admin's own ``save()`` calls.

    Deleting is switched off: tickets and escalations refer to these rows, and no
    service decides what a deletion should do to them.
    """

    def save_model(self, request, obj, form, change):
        self._save(request, obj, form.changed_data if change else None)

    def save_formset(self, request, form, formset, change):
        formset.save(commit=False)
        for obj in formset.new_objects:
            self._save(request, obj, None)
        for obj, changed in formset.changed_objects:
            self._save(request, obj, changed)

    @staticmethod
    def _save(request, obj, changed_fields):
        if isinstance(obj, Product):
            services.product_save(actor=request.user, product=obj, changed_fields=changed_fields)
        else:
            services.feature_save(actor=request.user, feature=obj, changed_fields=changed_fields)

    def has_delete_permission(self, request, obj=None):
        return False


@admin.register(Product)
class ProductAdmin(_ServiceSaved):
    list_display = ["name", "key"]
    search_fields = ["name", "key"]
    inlines = [FeatureInline]


@admin.register(Feature)
class FeatureAdmin(_OwnerPicker, _ServiceSaved):
    list_display = ["key", "name", "product", "owner"]
    list_filter = ["product"]
    search_fields = ["key", "name"]
    list_select_related = ["product", "owner"]


@admin.register(WebhookEndpoint)
class WebhookEndpointAdmin(admin.ModelAdmin):
    """Receivers of the andon cord's events; the secret is shown for copying into the receiver's configuration."""

    list_display = ["name", "url", "feature_events", "escalation_events", "active"]
    list_filter = ["active"]
    fields = ["name", "url", "secret", "feature_events", "escalation_events", "active"]

    def save_model(self, request, obj, form, change):
        services.webhook_endpoint_save(actor=request.user, endpoint=obj, changed_fields=form.changed_data if change else None)


@admin.register(WebhookDelivery)
class WebhookDeliveryAdmin(admin.ModelAdmin):
    """Every delivery with its answer: what was sent, what came back, when it is tried again."""

    list_display = ["created_at", "event", "endpoint", "status", "attempts", "response_status", "next_attempt_at"]
    list_filter = ["status", "event", "endpoint"]
    list_select_related = ["endpoint"]
    readonly_fields = [
        "endpoint",
        "event",
        "body",
        "status",
        "attempts",
        "next_attempt_at",
        "last_attempt_at",
        "response_status",
        "response_body",
        "last_error",
        "created_at",
        "delivered_at",
    ]
    exclude = ["lease_until"]
    actions = ["retry_now"]

    def has_add_permission(self, request):
        return False

    def has_delete_permission(self, request, obj=None):
        return False

    def has_change_permission(self, request, obj=None):
        return False

    @admin.action(description="Send the selected deliveries again now")
    def retry_now(self, request, queryset):
        count = 0
        for delivery in queryset:
            if delivery.status != WebhookDelivery.Status.DELIVERED:
                services.webhook_delivery_retry(actor=request.user, delivery=delivery)
                count += 1
        self.message_user(request, f"{count} delivery(ies) will be sent by the worker (escalation_worker) on its next round.")
