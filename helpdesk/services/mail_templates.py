"""The wording of the desk's emails, as support managers edit it (audited)."""

from __future__ import annotations

from django.contrib.auth.models import AbstractBaseUser
from django.db import transaction
from django.utils import timezone

from helpdesk import permissions
from helpdesk.errors import ActionForbidden, InvalidInput
from helpdesk.mail import templates
from helpdesk.mail.models import MailTemplate
from helpdesk.services.audit import audit_record

SUBJECT_MAX_LENGTH = 300


def _check(actor: AbstractBaseUser | None) -> None:
    if actor is not None and not permissions.can_edit_mail_templates(actor):
        raise ActionForbidden("You may not change email templates.")


@transaction.atomic
def mail_templates_ensure(*, actor: AbstractBaseUser | None) -> int:
    """Give every built-in template its editable row (the admin lists rows); returns how many were added."""
    have = set(MailTemplate.objects.values_list("key", flat=True))
    now = timezone.now()
    missing = [
        MailTemplate(key=key, subject=default.subject, body=default.body, updated_at=now)
        for key, default in templates.DEFAULTS.items()
        if key not in have
    ]
    MailTemplate.objects.bulk_create(missing, ignore_conflicts=True)
    return len(missing)


@transaction.atomic
def mail_template_save(*, actor: AbstractBaseUser | None, key: str, subject: str, body: str) -> MailTemplate:
    _check(actor)
    if key not in templates.DEFAULTS:
        raise InvalidInput(f"There is no email called {key!r}.", field="key")
    subject = (subject or "").strip()
    if not subject:
        raise InvalidInput("Give the email a subject.", field="subject")
    if len(subject) > SUBJECT_MAX_LENGTH:
        raise InvalidInput(f"Keep the subject under {SUBJECT_MAX_LENGTH} characters.", field="subject")
    if not (body or "").strip():
        raise InvalidInput("Write the email's text.", field="body")
    for name, source in (("subject", subject), ("body", body)):
        error = templates.check_syntax(source)
        if error:
            raise InvalidInput(f"The placeholders do not parse: {error}", field=name)
    row = MailTemplate.objects.select_for_update().filter(key=key).first()
    before = {"subject": row.subject, "body": row.body} if row else {"subject": None, "body": None}
    if row is None:
        row = MailTemplate(key=key)
    row.subject, row.body = subject, body
    row.updated_at = timezone.now()
    row.updated_by = actor if actor is not None and actor.pk is not None else None
    row.save()
    changes = {name: [before[name], value] for name, value in (("subject", subject), ("body", body)) if before[name] != value}
    if changes:
        audit_record(actor=actor, action="mail_template.saved", obj=row, changes=changes)
    return row


@transaction.atomic
def mail_template_reset(*, actor: AbstractBaseUser | None, key: str) -> MailTemplate:
    """Back to the built-in wording."""
    _check(actor)
    if key not in templates.DEFAULTS:
        raise InvalidInput(f"There is no email called {key!r}.", field="key")
    default = templates.DEFAULTS[key]
    row = MailTemplate.objects.select_for_update().filter(key=key).first()
    if row is None:
        row = MailTemplate(key=key)
    before = {"subject": row.subject, "body": row.body}
    row.subject, row.body = default.subject, default.body
    row.updated_at = timezone.now()
    row.updated_by = actor if actor is not None and actor.pk is not None else None
    row.save()
    changes = {name: [before[name], getattr(row, name)] for name in ("subject", "body") if before[name] != getattr(row, name)}
    audit_record(actor=actor, action="mail_template.reset", obj=row, changes=changes)
    return row
