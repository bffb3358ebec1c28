"""The product registry in the admin: saved through the escalations services, independent of helpdesk's admin."""

from __future__ import annotations

import ast
from pathlib import Path

import pytest

from escalations import services
from escalations.models import Feature, Product


@pytest.fixture
def save_calls(monkeypatch):
    """Records every call of the escalations save services (and still performs them)."""
    calls = []
    for name in ("product_save", "feature_save"):
        real = getattr(services, name)

        def spy(real=real, name=name, **kwargs):
            calls.append((name, kwargs))
            return real(**kwargs)

        monkeypatch.setattr(services, name, spy)
    return calls


def product_form(**features) -> dict:
    data = {
        "key": "billing",
        "name": "Billing",
        "description": "",
        "features-TOTAL_FORMS": str(len(features)),
        "features-INITIAL_FORMS": "0",
        "features-MIN_NUM_FORMS": "0",
        "features-MAX_NUM_FORMS": "1000",
    }
    for index, (key, name) in enumerate(features.items()):
        data.update({f"features-{index}-key": key.replace("_", "."), f"features-{index}-name": name,
                     f"features-{index}-owner": ""})
    return data


def test_product_with_a_feature_is_saved_through_the_escalations_services(admin_client, save_calls):
    response = admin_client.post("/admin/escalations/product/add/", product_form(billing_invoices="Invoices"))

    assert response.status_code == 302, response.content.decode()[:3000]
    product = Product.objects.get(key="billing")
    assert Feature.objects.get(key="billing.invoices").product == product
    assert [(name, type(kwargs.get("product") or kwargs.get("feature")).__name__) for name, kwargs in save_calls] == [
        ("product_save", "Product"),
        ("feature_save", "Feature"),
    ]
    assert all(kwargs["actor"].is_superuser for _, kwargs in save_calls)


def test_changing_a_feature_saves_only_the_changed_fields(admin_client, save_calls):
    product = services.product_ensure(actor=None, key="billing", name="Billing")
    feature = services.feature_ensure(actor=None, product=product, key="billing.invoices", name="Invoices")

    response = admin_client.post(
        f"/admin/escalations/feature/{feature.pk}/change/",
        {"product": product.pk, "key": "billing.invoices", "name": "Invoice PDFs", "description": "", "owner": ""},
    )

    assert response.status_code == 302, response.content.decode()[:3000]
    feature.refresh_from_db()
    assert feature.name == "Invoice PDFs"
    assert [(name, list(kwargs["changed_fields"])) for name, kwargs in save_calls] == [("feature_save", ["name"])]


def test_bad_feature_key_is_a_form_error_and_saves_nothing(admin_client, save_calls):
    response = admin_client.post("/admin/escalations/product/add/", product_form(**{"Not a key": "Invoices"}))

    assert response.status_code == 200
    assert "dotted lower-case key" in response.content.decode()
    assert save_calls == [] and not Product.objects.exists()


def test_save_services_write_only_the_named_fields(db):
    product = services.product_ensure(actor=None, key="billing", name="Billing", description="old")
    product.name, product.description = "Billing & invoices", "new"

    services.product_save(actor=None, product=product, changed_fields=["name"])

    stored = Product.objects.get(pk=product.pk)
    assert (stored.name, stored.description) == ("Billing & invoices", "old")
    services.product_save(actor=None, product=product, changed_fields=[])  # nothing changed: nothing written
    assert Product.objects.get(pk=product.pk).description == "old"
    fresh = services.feature_save(
        actor=None, feature=Feature(product=product, key="billing.refunds", name="Refunds"), changed_fields=None
    )
    assert Feature.objects.get(pk=fresh.pk).key == "billing.refunds"


def test_escalations_admin_does_not_reach_into_helpdesk_admin():
    # Escalations may use helpdesk's services and selectors, nothing else of it.
    source = Path(__file__).resolve().parents[2] / "escalations" / "admin.py"
    imported = set()
    for node in ast.walk(ast.parse(source.read_text())):
        if isinstance(node, ast.ImportFrom) and node.module:
            imported.add(node.module)
        elif isinstance(node, ast.Import):
            imported.update(alias.name for alias in node.names)
    helpdesk = {name for name in imported if name.split(".")[0] == "helpdesk"}
    assert helpdesk <= {"helpdesk.services", "helpdesk.selectors"}, helpdesk


# --- audit and the support manager ------------------------------------------------------------


def test_product_registry_writes_are_audited(admin_client, django_user_model):
    from helpdesk.models import AuditEvent

    admin_client.post("/admin/escalations/product/add/", product_form(billing_invoices="Invoices"))
    feature = Feature.objects.get(key="billing.invoices")
    admin_client.post(
        f"/admin/escalations/feature/{feature.pk}/change/",
        {"product": feature.product_id, "key": "billing.invoices", "name": "Invoice PDFs", "description": "",
         "owner": ""},
    )

    rows = list(AuditEvent.objects.filter(object_type__in=["product", "feature"]).order_by("id")
                .values_list("action", "object_label", "changes", "actor__username"))
    assert rows == [
        ("product.created", "Billing", {"key": [None, "billing"], "name": [None, "Billing"]}, "admin"),
        ("feature.created", "Billing · Invoices",
         {"product": [None, "Billing"], "key": [None, "billing.invoices"], "name": [None, "Invoices"]}, "admin"),
        ("feature.updated", "Billing · Invoice PDFs", {"name": ["Invoices", "Invoice PDFs"]}, "admin"),
    ]


def test_support_manager_manages_products_and_features_without_a_superuser(client, make_user):
    from helpdesk import roles
    from helpdesk.models import AuditEvent

    manager = make_user("boss", role=roles.SUPPORT_MANAGERS, is_staff=True)
    pm = make_user("pm", role=roles.PRODUCT_MANAGERS)
    client.force_login(manager)

    data = product_form(billing_invoices="Invoices")
    data["features-0-owner"] = str(pm.pk)
    response = client.post("/admin/escalations/product/add/", data)

    assert response.status_code == 302, response.content.decode()[:3000]
    feature = Feature.objects.get(key="billing.invoices")
    assert feature.owner == pm
    assert client.get(f"/admin/escalations/feature/{feature.pk}/change/").status_code == 200
    # The owner picker searches people (the manager may list them).
    assert client.get("/admin/autocomplete/", {"app_label": "escalations", "model_name": "feature",
                                               "field_name": "owner", "term": "pm"}).status_code == 200
    assert set(AuditEvent.objects.filter(object_type__in=["product", "feature"]).values_list("actor", flat=True)) == {
        manager.pk
    }
