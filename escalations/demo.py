"""Demo products and features for `manage.py seed_demo`."""

from __future__ import annotations

from django.contrib.auth import get_user_model

from escalations.services import feature_ensure, product_ensure

PRODUCTS = {
    ("billing", "Billing"): [
        ("billing.invoices", "Invoices", "PDF invoices and invoice e-mails"),
        ("billing.payments", "Card payments", "Card checkout and 3-D Secure"),
        ("billing.refunds", "Refunds", "Full and partial refunds"),
    ],
    ("mobile", "Mobile app"): [
        ("mobile.login", "Mobile sign-in", "Sign-in, SSO and biometrics on iOS and Android"),
        ("mobile.sync", "Offline sync", "Syncing changes made offline"),
        ("mobile.push", "Push notifications", "Push notifications on iOS and Android"),
    ],
    ("reports", "Reporting"): [
        ("reports.export", "CSV export", "Exporting reports to CSV and Excel"),
        ("reports.dashboards", "Dashboards", "Custom dashboards and widgets"),
    ],
    ("integrations", "Integrations"): [
        ("integrations.webhooks", "Webhooks", "Outgoing webhooks"),
        ("integrations.slack", "Slack app", "Notifications and commands in Slack"),
    ],
}


def seed_products(*, stdout) -> None:
    owner = get_user_model().objects.filter(username="pm").first()
    count = 0
    for (product_key, product_name), features in PRODUCTS.items():
        product = product_ensure(actor=None, key=product_key, name=product_name)
        for key, name, description in features:
            feature_ensure(actor=None, product=product, key=key, name=name, description=description, owner=owner)
            count += 1
    stdout.write(f"  products and features: {len(PRODUCTS)} products, {count} features")
