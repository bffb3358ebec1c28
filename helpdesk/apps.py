from django.apps import AppConfig


class HelpdeskConfig(AppConfig):
    name = "helpdesk"
    verbose_name = "Help desk"
    default_auto_field = "django.db.models.BigAutoField"

    def ready(self) -> None:
        from anymail.signals import inbound
        from django.db.models.signals import post_migrate

        from helpdesk import access, directory_cache
        from helpdesk.mail.webhook import file_inbound_webhook

        directory_cache.connect_signals()
        # A mail provider's inbound webhook (anymail parses each provider's format) files mail as mail_in does.
        inbound.connect(file_inbound_webhook, dispatch_uid="helpdesk-inbound-webhook")
        access.connect_signals()
        post_migrate.connect(_ensure_built_in_roles, sender=self, dispatch_uid="helpdesk-built-in-roles")


def _ensure_built_in_roles(sender, using: str = "default", apps=None, **kwargs) -> None:
    """Every ``migrate`` leaves the built-in roles carrying exactly what ``roles.py`` says.

    So a deployment has the roles without ``seed_demo``, and a right added to a role
    in a release reaches existing desks on their next migrate (audited as a change).
    """
    from django.apps import apps as global_apps
    from django.contrib.auth.management import create_permissions

    from helpdesk import services

    if using != "default":
        return
    # The roles name permissions of other apps (escalations), whose own post_migrate
    # may not have run yet: create every app's permissions first (idempotent).
    for app_config in global_apps.get_app_configs():
        create_permissions(app_config, verbosity=0, using=using)
    services.roles_ensure(actor=None)
