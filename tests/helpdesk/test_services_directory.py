"""Directory services: roles, activation, the admin's configuration save, customers."""

import pytest

from helpdesk import permissions, roles, services
from helpdesk.errors import InvalidInput
from helpdesk.models import Customer


def test_user_set_roles_replaces_built_in_roles_only(make_user):
    from django.contrib.auth.models import Group

    user = make_user("switcher", role=roles.AGENTS)
    own_group = Group.objects.create(name="Night shift")
    user.groups.add(own_group)
    services.user_set_roles(actor=None, user=user, role_names=[roles.PRODUCT_MANAGERS])
    assert sorted(user.groups.values_list("name", flat=True)) == ["Night shift", roles.PRODUCT_MANAGERS]
    with pytest.raises(InvalidInput) as error:
        services.user_set_roles(actor=None, user=user, role_names=["Wizards"])
    assert error.value.field == "roles"


def test_deactivated_user_loses_desk_rights(make_user):
    from django.contrib.auth import get_user_model

    user = make_user("leaver", role=roles.AGENTS)
    services.user_set_active(actor=None, user=user, is_active=False)
    fresh = get_user_model().objects.get(pk=user.pk)
    assert not permissions.can_view_all_tickets(fresh)


def test_admin_save_refuses_tickets(agent, ticket):
    ticket.subject = "Rewritten behind the audit trail"
    with pytest.raises(InvalidInput):
        services.directory_object_save(actor=agent, obj=ticket, changed_fields=["subject"])
    ticket.refresh_from_db()
    assert ticket.subject != "Rewritten behind the audit trail"


def test_admin_save_updates_only_changed_columns(organization):
    organization.notes = "Renewal in March"
    services.directory_object_save(actor=None, obj=organization, changed_fields=["notes"])
    organization.refresh_from_db()
    assert organization.notes == "Renewal in March"


def test_customer_ensure_is_case_insensitive_and_links_a_login(make_user, organization):
    first = services.customer_ensure(actor=None, name="Ann", email="Ann@Example.test", organization=organization)
    login = make_user("ann", role=roles.CUSTOMERS)
    again = services.customer_ensure(actor=None, name="Ann B", email="ann@example.test", user=login)
    assert again.pk == first.pk
    assert Customer.objects.get(pk=first.pk).user_id == login.pk


@pytest.mark.postgresql
@pytest.mark.django_db(transaction=True)
def test_concurrent_customer_ensure_yields_one_row(role_groups):
    import threading

    from django.db import connection

    barrier = threading.Barrier(4)
    results, errors = [], []

    def create():
        try:
            barrier.wait()
            results.append(services.customer_ensure(actor=None, name="Race", email="race@example.test").pk)
        except Exception as error:  # noqa: BLE001 - collected and asserted below
            errors.append(error)
        finally:
            connection.close()

    threads = [threading.Thread(target=create) for _ in range(4)]
    for thread in threads:
        thread.start()
    for thread in threads:
        thread.join()
    assert errors == []
    assert len(set(results)) == 1
    assert Customer.objects.filter(email__iexact="race@example.test").count() == 1
