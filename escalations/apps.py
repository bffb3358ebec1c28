from django.apps import AppConfig


class EscalationsConfig(AppConfig):
    name = "escalations"
    verbose_name = "Products and escalations"
    default_auto_field = "django.db.models.BigAutoField"

    def ready(self) -> None:
        # The ticketing app shows escalations through its registry, never by importing us.
        from escalations import hooks

        hooks.register()

    def seed_demo(self, *, stdout) -> None:
        """Called by `manage.py seed_demo` before tickets are generated."""
        from escalations.demo import seed_products

        seed_products(stdout=stdout)

    def seed_demo_after_tickets(self, *, stdout) -> None:
        """Called by `manage.py seed_demo` once the demo tickets exist: escalations linked to them."""
        from escalations.demo import seed_escalations

        seed_escalations(stdout=stdout)
