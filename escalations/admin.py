"""Product registry in the admin. Saves go through the same configuration service as the help desk's."""

from django.contrib import admin

from escalations.models import Feature, Product
from helpdesk.admin import ServiceSavedAdmin, user_picker_fields


class FeatureInline(admin.TabularInline):
    model = Feature
    extra = 0
    fields = ["key", "name", "owner"]
    # Tickets and escalations point at features; renaming is fine, deleting is not.
    can_delete = False

    def get_autocomplete_fields(self, request):
        return user_picker_fields(self.admin_site, request, ["owner"])

    def get_readonly_fields(self, request, obj=None):
        return [] if user_picker_fields(self.admin_site, request, ["owner"]) else ["owner"]


@admin.register(Product)
class ProductAdmin(ServiceSavedAdmin):
    list_display = ["name", "key"]
    search_fields = ["name", "key"]
    inlines = [FeatureInline]


@admin.register(Feature)
class FeatureAdmin(ServiceSavedAdmin):
    list_display = ["key", "name", "product", "owner"]
    list_filter = ["product"]
    search_fields = ["key", "name"]
    list_select_related = ["product", "owner"]

    def get_autocomplete_fields(self, request):
        return user_picker_fields(self.admin_site, request, ["owner"])

    def get_readonly_fields(self, request, obj=None):
        return [] if user_picker_fields(self.admin_site, request, ["owner"]) else ["owner"]
