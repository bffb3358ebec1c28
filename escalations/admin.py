from django.contrib import admin

from escalations.models import Feature, Product


class FeatureInline(admin.TabularInline):
    model = Feature
    extra = 0
    fields = ["key", "name", "owner"]


@admin.register(Product)
class ProductAdmin(admin.ModelAdmin):
    list_display = ["name", "key"]
    search_fields = ["name", "key"]
    inlines = [FeatureInline]


@admin.register(Feature)
class FeatureAdmin(admin.ModelAdmin):
    list_display = ["key", "name", "product", "owner"]
    list_filter = ["product"]
    search_fields = ["key", "name"]
    list_select_related = ["product", "owner"]
    autocomplete_fields = ["owner"]
