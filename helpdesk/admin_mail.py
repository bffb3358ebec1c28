"""The admin's email pages: the outbox (states, errors, "send again"), what came in, and the templates.

Outgoing and incoming emails are read-only; the only write is "send again", through
``services.outbox_retry``. Templates are saved through ``services.mail_template_save``
(checked, audited) and show a preview of every part with sample values: of the saved
wording, and of the edits being typed (``preview/``, before anything is saved).
"""

from __future__ import annotations

from django import forms
from django.contrib import admin, messages
from django.core.exceptions import PermissionDenied
from django.http import Http404, HttpResponse
from django.urls import path, reverse
from django.utils import timezone
from django.utils.html import format_html, format_html_join
from django.utils.safestring import mark_safe

from helpdesk import permissions, services
from helpdesk.admin_base import ServiceSavedAdmin
from helpdesk.errors import DomainError
from helpdesk.macros.models import Macro
from helpdesk.mail import templates
from helpdesk.mail.models import InboundEmail, Mailbox, MailTemplate, OutboundEmail


@admin.register(OutboundEmail)
class OutboundEmailAdmin(admin.ModelAdmin):
    list_display = ["created_at", "kind", "recipients", "subject", "status", "attempts", "next_attempt_at", "short_error"]
    list_filter = ["status", "kind"]
    search_fields = ["subject", "message_id", "to"]
    search_help_text = "Search by subject, recipient or Message-ID."
    fields = [
        "kind", "status", "ticket_reference", "from_email", "to", "cc", "reply_to", "subject", "message_id",
        "in_reply_to", "references", "attempts", "next_attempt_at", "last_error", "created_at", "sent_at",
        "body_text",
    ]
    readonly_fields = fields
    actions = ["send_again"]
    list_select_related = ["ticket"]
    show_full_result_count = False

    @admin.display(description="To")
    def recipients(self, row: OutboundEmail) -> str:
        return ", ".join([*row.to, *row.cc])

    @admin.display(description="Ticket")
    def ticket_reference(self, row: OutboundEmail) -> str:
        return row.ticket.reference if row.ticket else "—"

    @admin.display(description="Last error")
    def short_error(self, row: OutboundEmail) -> str:
        return (row.last_error[:80] + "…") if len(row.last_error) > 80 else row.last_error

    @admin.action(description="Send selected emails again (failed or waiting)")
    def send_again(self, request, queryset):
        again = 0
        for row in queryset.filter(status__in=[OutboundEmail.Status.FAILED, OutboundEmail.Status.PENDING]):
            services.outbox_retry(actor=request.user, message=row)
            again += 1
        if again:
            self.message_user(request, f"{again} email(s) will be sent with the next run of the outbox.", messages.SUCCESS)
        else:
            self.message_user(request, "None of the selected emails was waiting or failed.", messages.INFO)

    def has_view_permission(self, request, obj=None):
        return permissions.can_view_outbox(request.user)

    def has_add_permission(self, request):
        return False

    def has_change_permission(self, request, obj=None):
        return False

    def has_delete_permission(self, request, obj=None):
        return False

    def get_actions(self, request):
        actions = super().get_actions(request)
        if not permissions.can_manage_outbox(request.user):
            actions.pop("send_again", None)
        return actions


@admin.register(InboundEmail)
class InboundEmailAdmin(admin.ModelAdmin):
    list_display = ["received_at", "from_email", "subject", "outcome", "reason", "ticket_reference", "size"]
    list_filter = ["outcome", "source"]
    search_fields = ["subject", "from_email", "message_id"]
    search_help_text = "Search by subject, sender or Message-ID."
    fields = [
        "received_at", "source", "from_name", "from_email", "subject", "message_id", "in_reply_to", "references",
        "outcome", "reason", "ticket_reference", "size", "original",
    ]
    readonly_fields = fields
    list_select_related = ["ticket"]
    show_full_result_count = False

    @admin.display(description="Ticket")
    def ticket_reference(self, row: InboundEmail) -> str:
        return row.ticket.reference if row.ticket else "—"

    @admin.display(description="Original message")
    def original(self, row: InboundEmail) -> str:
        text = bytes(row.raw[:200_000]).decode("utf-8", "replace")
        return format_html('<pre style="white-space: pre-wrap; max-height: 40em; overflow: auto">{}</pre>', text)

    def has_view_permission(self, request, obj=None):
        return request.user.is_active and request.user.has_perm("helpdesk.view_inboundemail")

    def has_add_permission(self, request):
        return False

    def has_change_permission(self, request, obj=None):
        return False

    def has_delete_permission(self, request, obj=None):
        return False


class MailTemplateForm(forms.ModelForm):
    class Meta:
        model = MailTemplate
        fields = ["subject", "body"]
        widgets = {"body": forms.Textarea(attrs={"rows": 16, "cols": 90})}

    def clean(self):
        cleaned = super().clean()
        for name in ("subject", "body"):
            source = cleaned.get(name)
            if source:
                error = templates.check_syntax(source)
                if error:
                    self.add_error(name, f"The placeholders do not parse: {error}")
        return cleaned


def _preview_html(key: str, subject: str, body: str, *, edited: bool = False) -> str:
    """An email as it would go out, with its template's sample values: subject, HTML part, plain-text part."""
    default = templates.DEFAULTS.get(key)
    if default is None:
        return "—"
    try:
        rendered = templates.render(subject=subject, body=body, values=default.placeholders)
    except Exception as error:  # a template that fails on real values is shown, not raised
        return format_html('<p class="errornote">This template does not render: {}</p>', error)
    return format_html(
        '<p class="mail-preview-state">{}</p>'
        '<p><strong>Subject:</strong> {}</p><div class="mail-preview-html">{}</div>'
        '<p><strong>Plain text:</strong></p><pre class="mail-preview-text">{}</pre>',
        "Your edits, not saved yet." if edited else "As saved.",
        rendered.subject,
        # Markdown rendered and sanitized by templates.markdown_to_html (nh3).
        mark_safe(templates.markdown_to_html(rendered.text)),
        rendered.text,
    )


@admin.register(MailTemplate)
class MailTemplateAdmin(admin.ModelAdmin):
    form = MailTemplateForm
    list_display = ["title", "key", "subject", "updated_at", "updated_by"]
    fields = ["title", "subject", "body", "placeholders", "preview", "updated_at", "updated_by"]
    readonly_fields = ["title", "placeholders", "preview", "updated_at", "updated_by"]
    actions = ["reset_to_built_in"]

    @admin.display(description="Email")
    def title(self, row: MailTemplate) -> str:
        default = templates.DEFAULTS.get(row.key)
        return default.title if default else row.key

    @admin.display(description="Placeholders")
    def placeholders(self, row: MailTemplate) -> str:
        default = templates.DEFAULTS.get(row.key)
        if default is None:
            return "—"
        return format_html(
            "<ul>{}</ul>",
            format_html_join("", "<li><code>{{{{ {} }}}}</code>: e.g. {}</li>", default.placeholders.items()),
        )

    @admin.display(description="Preview (with sample values)")
    def preview(self, row: MailTemplate) -> str:
        if row.pk is None:
            return "—"
        url = reverse("admin:helpdesk_mailtemplate_preview", args=[row.pk])
        shown = _preview_html(row.key, row.subject, row.body)
        return format_html('<div id="mail-preview" data-preview-url="{}">{}</div>', url, shown)

    class Media:
        js = ["helpdesk/admin-mail-preview.js"]
        css = {"all": ["helpdesk/admin-mail-preview.css"]}

    def get_urls(self):
        preview = path(
            "<path:object_id>/preview/",
            self.admin_site.admin_view(self.preview_edits),
            name="helpdesk_mailtemplate_preview",
        )
        return [preview, *super().get_urls()]

    def preview_edits(self, request, object_id: str) -> HttpResponse:
        """``POST subject, body``: the preview of what is typed, nothing saved (the change page fetches it)."""
        if request.method != "POST":
            return HttpResponse(status=405, headers={"Allow": "POST"})
        row = self.get_object(request, object_id)
        if row is None:
            raise Http404("No such email template.")
        if not self.has_change_permission(request, row):
            raise PermissionDenied
        subject, body = request.POST.get("subject", ""), request.POST.get("body", "")
        for name, source in (("subject", subject), ("body", body)):
            error = templates.check_syntax(source)
            if error:
                return HttpResponse(
                    format_html('<p class="errornote">The {} does not parse: {}. Nothing was saved.</p>', name, error)
                )
        return HttpResponse(_preview_html(row.key, subject, body, edited=True))

    def changelist_view(self, request, extra_context=None):
        services.mail_templates_ensure(actor=request.user)
        return super().changelist_view(request, extra_context)

    def save_model(self, request, obj, form, change):
        try:
            saved = services.mail_template_save(
                actor=request.user, key=obj.key, subject=form.cleaned_data["subject"], body=form.cleaned_data["body"]
            )
        except DomainError as error:
            self.message_user(request, error.message, messages.ERROR)
            return
        obj.pk = saved.pk

    @admin.action(description="Reset selected templates to the built-in wording")
    def reset_to_built_in(self, request, queryset):
        for row in queryset:
            services.mail_template_reset(actor=request.user, key=row.key)
        self.message_user(request, f"{queryset.count()} template(s) reset.", messages.SUCCESS)

    def has_view_permission(self, request, obj=None):
        return request.user.is_active and request.user.has_perm("helpdesk.view_mailtemplate")

    def has_change_permission(self, request, obj=None):
        return permissions.can_edit_mail_templates(request.user)

    def has_add_permission(self, request):
        return False  # one row per built-in email, made when the list is first shown

    def has_delete_permission(self, request, obj=None):
        return False


class MailboxForm(forms.ModelForm):
    password = forms.CharField(
        widget=forms.PasswordInput(render_value=False),
        required=False,
        help_text="Leave empty to keep the stored password.",
    )

    class Meta:
        model = Mailbox
        fields = ["name", "host", "port", "security", "username", "password", "folder", "processed_folder", "is_active"]

    def clean_password(self):
        given = self.cleaned_data.get("password") or ""
        if given:
            return given
        if self.instance.pk:
            return Mailbox.objects.filter(pk=self.instance.pk).values_list("password", flat=True).first() or ""
        raise forms.ValidationError("Give the mailbox's password.")


@admin.register(Mailbox)
class MailboxAdmin(ServiceSavedAdmin):
    form = MailboxForm
    list_display = ["name", "username", "host", "port", "security", "folder", "processed_folder", "is_active",
                    "last_checked_at", "last_error"]  # fmt: skip
    readonly_fields = ["last_checked_at", "last_error"]
    actions = ["check_now"]

    @admin.action(description="Read the selected mailboxes now")
    def check_now(self, request, queryset):
        for mailbox in queryset:
            report = services.mailbox_fetch(actor=request.user, mailbox=mailbox)
            level = messages.WARNING if report.errors else messages.SUCCESS
            text = f"{mailbox.name}: {report.received} new, {report.duplicates} already stored"
            if report.errors:
                text += "; " + "; ".join(report.errors)
            self.message_user(request, text, level)


@admin.register(Macro)
class MacroAdmin(ServiceSavedAdmin):
    """The desk's shared macros (agents keep their own from the ticket page)."""

    list_display = ["name", "status", "priority", "team", "tags", "updated_at"]
    search_fields = ["name", "body"]
    fields = ["name", "body", "status", "priority", "team", "tags"]

    def get_queryset(self, request):
        return super().get_queryset(request).filter(owner__isnull=True)

    def save_model(self, request, obj, form, change):
        obj.owner = None
        obj.updated_at = timezone.now()
        changed = [*form.changed_data, "updated_at"] if change else None
        services.directory_object_save(actor=request.user, obj=obj, changed_fields=changed)
