"""Email templates in the admin: edited through the service, checked, audited, previewed as saved and as typed."""

from __future__ import annotations

import pytest
from django.urls import reverse

from helpdesk import services
from helpdesk.mail.models import MailTemplate
from helpdesk.models import AuditEvent

pytestmark = pytest.mark.django_db


@pytest.fixture
def manager(make_user):
    """A support manager with admin access (the role gives the rights, is_staff opens the admin)."""
    from helpdesk import roles

    return make_user("boss", role=roles.SUPPORT_MANAGERS, is_staff=True)


@pytest.fixture
def reply_template(manager):
    services.mail_templates_ensure(actor=manager)
    return MailTemplate.objects.get(key="reply")


def change_url(row) -> str:
    return reverse("admin:helpdesk_mailtemplate_change", args=[row.pk])


def preview_url(row) -> str:
    return reverse("admin:helpdesk_mailtemplate_preview", args=[row.pk])


def test_the_change_page_previews_the_saved_wording_and_loads_the_live_preview(client, manager, reply_template):
    client.force_login(manager)
    page = client.get(change_url(reply_template)).content.decode()
    assert f'data-preview-url="{preview_url(reply_template)}"' in page
    assert "As saved." in page and "helpdesk/admin-mail-preview.js" in page
    assert 'style="' not in page.split('id="mail-preview"')[1][:2000]  # the page's CSP forbids inline styles


def test_the_preview_of_edits_renders_what_is_typed_and_saves_nothing(client, manager, reply_template):
    client.force_login(manager)
    before = (reply_template.subject, reply_template.body)
    response = client.post(
        preview_url(reply_template),
        {"subject": "Re: {{ ticket.subject }} <b>bold</b>", "body": "**Hello** <script>alert(1)</script>"},
    )
    assert response.status_code == 200
    html = response.content.decode()
    assert "Your edits, not saved yet." in html
    assert "&lt;b&gt;bold&lt;/b&gt;" in html  # the subject is text
    assert "<strong>Hello</strong>" in html and "<script>" not in html  # Markdown, sanitized
    reply_template.refresh_from_db()
    assert (reply_template.subject, reply_template.body) == before
    assert not AuditEvent.objects.filter(action="mail_template.saved").exists()


def test_a_placeholder_that_does_not_parse_is_named_in_the_preview(client, manager, reply_template):
    client.force_login(manager)
    html = client.post(preview_url(reply_template), {"subject": "Fine", "body": "Hi {% if %}"}).content.decode()
    assert "The body does not parse" in html and "Nothing was saved" in html


def test_saving_goes_through_the_service_and_is_audited(client, manager, reply_template):
    client.force_login(manager)
    response = client.post(change_url(reply_template), {"subject": "[{{ ticket.reference }}] New words", "body": "Thanks!"})
    assert response.status_code == 302
    reply_template.refresh_from_db()
    assert reply_template.body == "Thanks!" and reply_template.updated_by_id == manager.pk
    audit = AuditEvent.objects.get(action="mail_template.saved")
    assert audit.changes["body"][1] == "Thanks!"


def test_a_bad_placeholder_is_refused_by_field_on_save(client, manager, reply_template):
    client.force_login(manager)
    response = client.post(change_url(reply_template), {"subject": "{% if %}", "body": "Thanks!"})
    assert response.status_code == 200 and "The placeholders do not parse" in response.content.decode()
    reply_template.refresh_from_db()
    assert reply_template.body != "Thanks!"


def test_only_those_who_may_edit_templates_preview_edits(client, make_user, manager, reply_template):
    from helpdesk import roles

    client.force_login(make_user("clerk", role=roles.AGENTS, is_staff=True))  # in the admin, not a template editor
    assert client.post(preview_url(reply_template), {"subject": "x", "body": "y"}).status_code in (403, 404)
    client.force_login(manager)
    assert client.get(preview_url(reply_template)).status_code == 405
    assert client.post(reverse("admin:helpdesk_mailtemplate_preview", args=[10**9]), {}).status_code == 404
