"""People and roles in the admin, saved through ``services/people.py`` (imported by ``helpdesk/admin.py``).

Replaces Django's stock User and Group admins, which save models directly and
delete people. Here every write is a service with its audit row; people are
deactivated, never deleted (tickets and timelines keep their names); and what a
non-superuser may grant is bounded by ``permissions.py``: built-in roles, yes;
staff or superuser status, single permissions and role contents, no.
"""

from __future__ import annotations

from django.contrib import admin, messages
from django.contrib.admin.options import IS_POPUP_VAR
from django.contrib.admin.utils import unquote
from django.contrib.auth import get_user_model, update_session_auth_hash
from django.contrib.auth.admin import GroupAdmin as DjangoGroupAdmin
from django.contrib.auth.admin import UserAdmin as DjangoUserAdmin
from django.contrib.auth.forms import AdminPasswordChangeForm
from django.contrib.auth.models import Group
from django.core.exceptions import PermissionDenied
from django.db import router, transaction
from django.db.models import Count
from django.http import Http404, HttpResponseRedirect
from django.template.response import TemplateResponse
from django.urls import reverse
from django.utils.decorators import method_decorator
from django.utils.html import escape
from django.views.decorators.debug import sensitive_post_parameters

from helpdesk import permissions, roles, services
from helpdesk.errors import DomainError

User = get_user_model()

for _model in (User, Group):
    if admin.site.is_registered(_model):
        admin.site.unregister(_model)


def _refused(error: DomainError) -> PermissionDenied:
    # The admin hides what a person may not change; a crafted POST still reaches
    # the service, whose refusal ends the request (and its transaction) as a 403.
    return PermissionDenied(error.message)


@admin.register(User)
class PersonAdmin(DjangoUserAdmin):
    list_display = ("username", "full_name", "email", "role_names", "is_active", "is_staff")
    list_filter = ("is_active", "groups", "is_staff", "is_superuser")
    actions = ["deactivate", "reactivate"]

    def get_queryset(self, request):
        return super().get_queryset(request).prefetch_related("groups")

    @admin.display(description="Name", ordering="last_name")
    def full_name(self, obj) -> str:
        return obj.get_full_name()

    @admin.display(description="Roles")
    def role_names(self, obj) -> str:
        return ", ".join(sorted(g.name for g in obj.groups.all()))

    # --- what this person may do here -------------------------------------------------

    def has_change_permission(self, request, obj=None):
        if not super().has_change_permission(request, obj):
            return False
        return obj is None or permissions.can_manage_person(request.user, obj)

    def has_delete_permission(self, request, obj=None):
        # Deleting a person would null their tickets' assignee and their name in every
        # timeline; "Deactivate" keeps both.
        return False

    def get_readonly_fields(self, request, obj=None):
        fields = ["last_login", "date_joined"]
        if not permissions.can_grant_privileges(request.user):
            fields += ["is_staff", "is_superuser", "user_permissions"]
        if obj is not None and not permissions.can_set_active(request.user, obj):
            fields.append("is_active")
        return fields

    def formfield_for_manytomany(self, db_field, request=None, **kwargs):
        if db_field.name == "groups" and not permissions.can_grant_privileges(request.user):
            kwargs["queryset"] = Group.objects.filter(name__in=roles.ROLE_PERMISSIONS)
            kwargs["help_text"] = "The built-in roles; only a superuser gives other groups."
        return super().formfield_for_manytomany(db_field, request=request, **kwargs)

    # --- writes, through the services ---------------------------------------------------

    def save_model(self, request, obj, form, change):
        try:
            if change:
                services.user_update(actor=request.user, user=obj, changed_fields=form.changed_data)
            else:
                services.user_create(actor=request.user, user=obj)
        except DomainError as error:
            raise _refused(error) from error

    def save_related(self, request, form, formsets, change):
        # Instead of form.save_m2m(): roles and single permissions have services of their own.
        data, person = form.cleaned_data, form.instance
        try:
            if "groups" in form.changed_data:
                if permissions.can_grant_privileges(request.user):
                    services.user_set_groups(actor=request.user, user=person, groups=data["groups"])
                else:
                    services.user_set_roles(
                        actor=request.user, user=person, role_names=[g.name for g in data["groups"]]
                    )
            if "user_permissions" in form.changed_data:
                services.user_set_permissions(
                    actor=request.user, user=person, permission_set=data["user_permissions"]
                )
        except DomainError as error:
            raise _refused(error) from error

    def _set_active(self, request, queryset, *, is_active: bool) -> None:
        done, refused = [], []
        for person in queryset:
            try:
                services.user_set_active(actor=request.user, user=person, is_active=is_active)
                done.append(person.get_username())
            except DomainError as error:
                refused.append(f"{person.get_username()}: {error.message}")
        verb = "Reactivated" if is_active else "Deactivated"
        if done:
            self.message_user(request, f"{verb} {', '.join(done)}.", messages.SUCCESS)
        if refused:
            self.message_user(request, "Left unchanged: " + "; ".join(refused), messages.ERROR)

    @admin.action(description="Deactivate selected people (sign-in stops; their name stays on tickets)",
                  permissions=["change"])
    def deactivate(self, request, queryset):
        self._set_active(request, queryset, is_active=False)

    @admin.action(description="Reactivate selected people", permissions=["change"])
    def reactivate(self, request, queryset):
        self._set_active(request, queryset, is_active=True)

    @method_decorator(sensitive_post_parameters())
    def user_change_password(self, request, id, form_url=""):
        """The stock page, saving through ``user_set_password`` (the stock one calls ``user.save()``)."""
        person = self.get_object(request, unquote(id))
        if person is None:
            raise Http404(f"No person with id {escape(id)!r}.")
        if not self.has_change_permission(request, person):
            raise PermissionDenied
        form = AdminPasswordChangeForm(person, request.POST if request.method == "POST" else None)
        if request.method == "POST" and form.is_valid():
            usable = form.cleaned_data["set_usable_password"]
            if not usable and "unset-password" not in request.POST:
                messages.error(request, "Conflicting form data submitted. Please try again.")
                return HttpResponseRedirect(request.get_full_path())
            with transaction.atomic(using=router.db_for_write(User)):
                services.user_set_password(
                    actor=request.user, user=person, password=form.cleaned_data["password1"] if usable else None
                )
                self.log_change(request, person, [{"changed": {"fields": ["password"]}}])
            messages.success(
                request, "Password changed successfully." if usable else "Password-based authentication was disabled."
            )
            update_session_auth_hash(request, person)
            return HttpResponseRedirect(reverse(f"{self.admin_site.name}:auth_user_change", args=(person.pk,)))
        title = "Change password: %s" if person.has_usable_password() else "Set password: %s"
        context = {
            "title": title % escape(person.get_username()),
            "adminForm": admin.helpers.AdminForm(form, [(None, {"fields": list(form.base_fields)})], {}),
            "form_url": form_url,
            "form": form,
            "is_popup": IS_POPUP_VAR in request.POST or IS_POPUP_VAR in request.GET,
            "is_popup_var": IS_POPUP_VAR,
            "add": True,
            "change": False,
            "has_delete_permission": False,
            "has_change_permission": True,
            "has_absolute_url": False,
            "opts": self.opts,
            "original": person,
            "save_as": False,
            "show_save": True,
            **self.admin_site.each_context(request),
        }
        request.current_app = self.admin_site.name
        return TemplateResponse(request, "admin/auth/user/change_password.html", context)


@admin.register(Group)
class RoleAdmin(DjangoGroupAdmin):
    """Roles: anyone with the right may look; only superusers change what a role carries."""

    list_display = ("name", "member_count", "built_in")

    def get_queryset(self, request):
        return super().get_queryset(request).annotate(member_total=Count("user", distinct=True))

    @admin.display(description="Members", ordering="member_total")
    def member_count(self, obj) -> int:
        return obj.member_total

    @admin.display(description="Built-in", boolean=True)
    def built_in(self, obj) -> bool:
        return obj.name in roles.ROLE_PERMISSIONS

    def has_add_permission(self, request):
        return super().has_add_permission(request) and permissions.can_grant_privileges(request.user)

    def has_change_permission(self, request, obj=None):
        return super().has_change_permission(request, obj) and permissions.can_grant_privileges(request.user)

    def has_delete_permission(self, request, obj=None):
        if obj is not None and obj.name in roles.ROLE_PERMISSIONS:
            return False
        return super().has_delete_permission(request, obj) and permissions.can_grant_privileges(request.user)

    def get_readonly_fields(self, request, obj=None):
        # A built-in role is what helpdesk/roles.py says (migrate restores it): shown, not edited.
        if obj is not None and obj.name in roles.ROLE_PERMISSIONS:
            return ["name", "permissions"]
        return []

    def save_model(self, request, obj, form, change):
        wanted = form.cleaned_data.get("permissions") if (not change or "permissions" in form.changed_data) else None
        try:
            services.role_save(
                actor=request.user,
                group=obj,
                changed_fields=form.changed_data if change else None,
                permission_set=wanted,
            )
        except DomainError as error:
            raise _refused(error) from error

    def save_related(self, request, form, formsets, change):
        # The permissions were written by role_save; form.save_m2m() would write them again, unaudited.
        for formset in formsets:
            self.save_formset(request, form, formset, change=change)

    def delete_model(self, request, obj):
        try:
            services.role_delete(actor=request.user, group=obj)
        except DomainError as error:
            raise _refused(error) from error

    def delete_queryset(self, request, queryset):
        for group in queryset:
            self.delete_model(request, group)
