from django.apps import AppConfig


class LivelistenConfig(AppConfig):
    name = "livelisten"
    verbose_name = "Live sessions"
    default_auto_field = "django.db.models.BigAutoField"

    def ready(self) -> None:
        # The ticketing app routes our URLs and sockets through its registry, never by importing us.
        from livelisten import hooks

        hooks.register()

    def seed_demo_after_tickets(self, *, stdout) -> None:
        """Called by `manage.py seed_demo` once the demo tickets exist: chats in every state."""
        from livelisten.demo import seed_chats

        seed_chats(stdout=stdout)
