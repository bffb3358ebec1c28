"""What the admin pages share: saving configuration through the audited service."""

from __future__ import annotations

from django.contrib import admin

from helpdesk import services


class ServiceSavedAdmin(admin.ModelAdmin):
    """Writes through ``directory_object_save`` instead of the admin's own ``save()`` calls.

    Deleting is switched off: tickets and timelines refer to these rows, and there
    is no service that decides what a deletion should do to them.
    """

    def save_model(self, request, obj, form, change):
        relations = {f.name for f in obj._meta.many_to_many}
        many_to_many = {
            name: form.cleaned_data[name]
            for name in form.changed_data
            if name in relations and name in form.cleaned_data
        }
        services.directory_object_save(
            actor=request.user, obj=obj, changed_fields=form.changed_data, many_to_many=many_to_many
        )

    def save_related(self, request, form, formsets, change):
        # Many-to-many fields were written by the service in save_model; calling
        # form.save_m2m() here would write them a second time, outside it.
        for formset in formsets:
            self.save_formset(request, form, formset, change=change)

    def save_formset(self, request, form, formset, change):
        formset.save(commit=False)
        for obj in formset.new_objects:
            services.directory_object_save(actor=request.user, obj=obj, changed_fields=None)
        for obj, changed in formset.changed_objects:
            services.directory_object_save(actor=request.user, obj=obj, changed_fields=changed)

    def has_delete_permission(self, request, obj=None):
        return False
