"""The directory cache: pick-lists and permission sets, and everything that must end them."""

from __future__ import annotations

import pytest
from django.contrib.auth import get_user_model
from django.contrib.auth.models import Group, Permission
from django.db import connection, transaction
from django.test.utils import CaptureQueriesContext
from django.urls import reverse

from escalations import services as escalation_services
from helpdesk import directory_cache, permissions, roles, selectors, services
from helpdesk.demo import bulk_load
from helpdesk.models import DirectoryGeneration, Tag, Team
from helpdesk.selectors import TicketFilters

INBOX = reverse("helpdesk:inbox")


def fresh(user):
    """The user as the next request loads it: no permission set remembered on the object."""
    return get_user_model().objects.get(pk=user.pk)


def queries_of(fn) -> int:
    with CaptureQueriesContext(connection) as captured:
        fn()
    return len(captured.captured_queries)


def assignee_names(user) -> list[str]:
    return [u.username for u in selectors.assignable_users(user=fresh(user))]


# --- what is cached -------------------------------------------------------------------------------


def test_pick_lists_are_built_once_per_generation(agent, agent2):
    services.team_ensure(actor=None, name="Ops")

    def request():
        # What one desk request does: a new user object, then every list.
        viewer = fresh(agent)
        viewer.has_perm(permissions.VIEW_ALL_TICKETS)
        with CaptureQueriesContext(connection) as captured:
            selectors.assignable_users(user=viewer)
            selectors.teams(user=viewer)
            selectors.features(user=viewer)
            selectors.popular_tags(user=viewer)
        return len(captured.captured_queries)

    assert request() == 4  # people, teams, features, tags: built once for everyone
    assert request() == 0  # the generation was read with the permissions, the lists come from the cache
    directory_cache.invalidate()
    assert request() == 4


def test_permission_sets_are_cached_per_person(agent, customer):
    # The user, the generation, then the user's and the groups' permissions.
    assert queries_of(lambda: fresh(agent).has_perm(permissions.WORK_TICKETS)) == 4
    assert queries_of(lambda: fresh(agent).has_perm(permissions.WORK_TICKETS)) == 2
    # Another person's set is their own.
    assert not fresh(customer.user).has_perm(permissions.WORK_TICKETS)
    assert fresh(agent).has_perm(permissions.WORK_TICKETS)


def test_one_request_reads_the_generation_once(agent, ticket):
    viewer = fresh(agent)
    with CaptureQueriesContext(connection) as captured:
        for _ in range(3):
            viewer.has_perm(permissions.WORK_TICKETS)
            selectors.teams(user=viewer)
            selectors.assignable_users(user=viewer)
    generation_reads = [q for q in captured.captured_queries if "directorygeneration" in q["sql"]]
    assert len(generation_reads) == 1


def test_cached_people_carry_no_password_hash(agent):
    directory_cache.pick_lists(fresh(agent))
    cached = directory_cache.pick_lists(fresh(agent)).assignees
    assert [u.username for u in cached] == ["agent"]
    assert "password" in cached[0].get_deferred_fields()


def test_lists_stay_scoped_to_the_viewer(agent, customer):
    assert assignee_names(agent) == ["agent"]
    assert assignee_names(customer.user) == []
    assert selectors.teams(user=fresh(customer.user)) == []
    assert selectors.features(user=fresh(customer.user)) == []
    assert selectors.popular_tags(user=fresh(customer.user)) == []


def test_zero_lifetime_turns_the_cache_off(settings, agent):
    settings.HELPDESK_DIRECTORY_CACHE_SECONDS = 0
    fresh(agent).has_perm(permissions.VIEW_ALL_TICKETS)
    for _ in range(2):
        # The user, its permissions (2), the generation, every list (4).
        assert queries_of(lambda: selectors.teams(user=fresh(agent))) == 8


# --- what ends a generation --------------------------------------------------------------------------


def test_a_new_agent_is_assignable_at_once(agent, make_user):
    assert assignee_names(agent) == ["agent"]
    make_user("newcomer", role=roles.AGENTS)
    assert assignee_names(agent) == ["agent", "newcomer"]


def test_losing_the_agent_role_ends_assignability_and_rights_at_once(agent, agent2, client):
    assert assignee_names(agent) == ["agent", "agent2"]
    client.force_login(agent2)
    assert client.get(INBOX).status_code == 200

    services.user_set_roles(actor=None, user=agent2, role_names=[roles.CUSTOMERS])

    assert assignee_names(agent) == ["agent"]
    assert not fresh(agent2).has_perm(permissions.WORK_TICKETS)
    response = client.get(INBOX)
    assert response.status_code == 302
    assert response["Location"] == reverse("helpdesk:no_role")


def test_deactivating_someone_removes_them_from_the_pick_list(agent, agent2):
    assert "agent2" in assignee_names(agent)
    services.user_set_active(actor=None, user=agent2, is_active=False)
    assert assignee_names(agent) == ["agent"]


def test_a_permission_taken_from_a_role_is_gone_at_once(agent):
    assert fresh(agent).has_perm(permissions.ADD_INTERNAL_NOTE)
    note = Permission.objects.get(codename=permissions.ADD_INTERNAL_NOTE.split(".")[1])
    Group.objects.get(name=roles.AGENTS).permissions.remove(note)
    assert not fresh(agent).has_perm(permissions.ADD_INTERNAL_NOTE)


def test_a_personal_permission_counts_at_once(make_user):
    helper = make_user("helper", role=None)
    assert not fresh(helper).has_perm(permissions.WORK_TICKETS)
    work = Permission.objects.get(codename=permissions.WORK_TICKETS.split(".")[1])
    helper.user_permissions.add(work)
    assert fresh(helper).has_perm(permissions.WORK_TICKETS)


def test_made_superuser_counts_at_once(make_user, agent):
    boss = make_user("boss", role=None)
    assert "boss" not in assignee_names(agent)
    boss.is_superuser = True
    boss.save(update_fields=["is_superuser"])
    assert "boss" in assignee_names(agent)


def test_teams_created_renamed_and_deleted_show_at_once(agent):
    viewer = fresh(agent)
    assert selectors.teams(user=viewer) == []
    team = services.team_ensure(actor=None, name="Ops")
    assert [t.name for t in selectors.teams(user=viewer)] == ["Ops"]
    team.name = "Operations"
    services.directory_object_save(actor=agent, obj=team, changed_fields=["name"])
    assert [t.name for t in selectors.teams(user=viewer)] == ["Operations"]
    team.delete()
    assert selectors.teams(user=viewer) == []


def test_features_and_their_products_show_at_once(agent):
    viewer = fresh(agent)
    product = escalation_services.product_ensure(actor=None, key="mobile", name="Mobile app")
    escalation_services.feature_ensure(actor=None, product=product, key="mobile.sync", name="Sync")
    assert [f.key for f in selectors.features(user=viewer)] == ["mobile.sync"]
    product.name = "Phone app"
    escalation_services.product_save(actor=agent, product=product, changed_fields=["name"])
    assert selectors.features(user=viewer)[0].product.name == "Phone app"


def test_new_tags_are_suggested_at_once(agent, ticket):
    viewer = fresh(agent)
    assert "fresh-tag" not in selectors.popular_tags(user=viewer)
    services.ticket_update(actor=agent, ticket=ticket, tags=["fresh-tag"])
    assert "fresh-tag" in selectors.popular_tags(user=viewer)


def test_a_sign_in_does_not_end_the_generation(agent, client):
    before = directory_cache.generation()
    client.login(username="agent", password="pw-agent")
    assert directory_cache.generation() == before
    agent.first_name = "Alexandra"
    agent.save()
    assert directory_cache.generation() != before


def test_a_rolled_back_change_leaves_nothing_behind(agent, make_user):
    helper = make_user("helper", role=None)
    work = Permission.objects.get(codename=permissions.WORK_TICKETS.split(".")[1])
    with pytest.raises(RuntimeError), transaction.atomic():
        helper.user_permissions.add(work)
        make_user("ghost", role=roles.AGENTS)
        # Read inside the transaction: cached under a generation only it ever saw.
        assert fresh(helper).has_perm(permissions.WORK_TICKETS)
        assert "ghost" in assignee_names(agent)
        raise RuntimeError("roll back")
    assert not fresh(helper).has_perm(permissions.WORK_TICKETS)
    assert assignee_names(agent) == ["agent"]


def test_a_change_committed_by_another_process_is_seen(agent):
    """Another process (a second Daphne, ``manage.py shell``) shares only the database."""
    assert selectors.teams(user=fresh(agent)) == []
    # What that process's signal does: a team saved there, a new token committed.
    Team.objects.bulk_create([Team(name="Made elsewhere")])
    DirectoryGeneration.objects.filter(pk=1).update(token="token-of-another-process")
    assert [t.name for t in selectors.teams(user=fresh(agent))] == ["Made elsewhere"]


def test_a_flushed_generation_starts_afresh(agent):
    selectors.teams(user=fresh(agent))
    before = directory_cache.generation()
    DirectoryGeneration.objects.all().delete()  # a flushed table, a restored backup
    assert queries_of(lambda: selectors.teams(user=fresh(agent))) >= 1 + 2 + 4  # user, perms, lists (and a new row)
    assert directory_cache.generation() != before
    assert queries_of(lambda: selectors.teams(user=fresh(agent))) == 1 + 1  # user, generation


def test_keys_of_two_desks_sharing_a_redis_never_meet(agent):
    # The token is random per database, so two deployments with one cache prefix
    # file their entries apart.
    assert len(directory_cache.generation()) == 32


# --- lists attach teams and features from the cache ----------------------------------------------------


def test_ticket_list_takes_teams_and_features_from_the_cache(agent, make_ticket):
    team = services.team_ensure(actor=None, name="Ops")
    product = escalation_services.product_ensure(actor=None, key="web", name="Web")
    feature = escalation_services.feature_ensure(actor=None, product=product, key="web.login", name="Login")
    for _ in range(3):
        services.ticket_update(actor=agent, ticket=make_ticket(), team=team, feature=feature)
    viewer = fresh(agent)
    selectors.ticket_list(user=viewer, filters=TicketFilters(view="all"))

    def names():
        page = selectors.ticket_list(user=viewer, filters=TicketFilters(view="all"))
        return {(t.team.name, t.feature.key, t.feature.product.name) for t in page.items}

    with CaptureQueriesContext(connection) as captured:
        assert names() == {("Ops", "web.login", "Web")}
    assert len(captured.captured_queries) == 2  # the page, its tags


def test_one_ticket_takes_its_team_and_feature_from_the_cache(agent, customer, ticket):
    team = services.team_ensure(actor=None, name="Ops")
    product = escalation_services.product_ensure(actor=None, key="web", name="Web")
    feature = escalation_services.feature_ensure(actor=None, product=product, key="web.login", name="Login")
    services.ticket_update(actor=agent, ticket=ticket, team=team, feature=feature)
    viewer = fresh(agent)
    selectors.ticket_get(user=viewer, reference=ticket.reference)

    with CaptureQueriesContext(connection) as captured:
        found = selectors.ticket_get(user=viewer, reference=ticket.reference)
        assert (found.team.name, found.feature.key, found.feature.product.name) == ("Ops", "web.login", "Web")
    assert len(captured.captured_queries) == 2  # the ticket, its tags
    # The requester sees the same ticket (the portal leaves team and feature out).
    assert selectors.ticket_get(user=fresh(customer.user), reference=ticket.reference).team.name == "Ops"


def test_a_team_the_cache_does_not_hold_yet_is_fetched(agent, ticket):
    # bulk_create sends no signal: the cached pick-list lacks this team until it expires.
    directory_cache.pick_lists(fresh(agent))
    (team,) = Team.objects.bulk_create([Team(name="Night shift")])
    services.ticket_update(actor=agent, ticket=ticket, team=team)
    page = selectors.ticket_list(user=fresh(agent), filters=TicketFilters(view="all"))
    assert [t.team.name for t in page.items] == ["Night shift"]


def test_tags_created_in_bulk_end_the_generation(agent):
    before = directory_cache.generation()
    bulk_load.tags_ensure(actor=None, names=["bulk-a", "bulk-b"])
    assert directory_cache.generation() != before
    assert Tag.objects.filter(name__in=["bulk-a", "bulk-b"]).count() == 2


# --- an unreachable cache --------------------------------------------------------------------------


class _UnreachableCache:
    def __getattr__(self, name):
        def fail(*args, **kwargs):
            raise ConnectionError("cache server down")

        return fail


def test_an_unreachable_cache_falls_back_to_the_database(agent, monkeypatch, caplog):
    monkeypatch.setattr(directory_cache, "cache", _UnreachableCache())

    team = services.team_ensure(actor=None, name="Ops")  # the write is saved all the same
    assert [t.name for t in selectors.teams(user=fresh(agent))] == ["Ops"]
    assert fresh(agent).has_perm(permissions.WORK_TICKETS)
    assert Team.objects.filter(pk=team.pk).exists()
    assert "directory cache unreachable" in caplog.text


def test_a_migration_ends_the_generation(agent):
    # Migrations add permissions with bulk_create, which sends no signal of its own.
    from django.core.management.sql import emit_post_migrate_signal

    before = directory_cache.generation()
    emit_post_migrate_signal(verbosity=0, interactive=False, db="default")
    assert directory_cache.generation() != before
