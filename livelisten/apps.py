from django.apps import AppConfig


class LivelistenConfig(AppConfig):
    name = "livelisten"
    verbose_name = "Live sessions"
    default_auto_field = "django.db.models.BigAutoField"
