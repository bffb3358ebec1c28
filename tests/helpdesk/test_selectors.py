"""Selectors: who sees which tickets, the inbox views, filters, sorts and query counts."""

from __future__ import annotations

import pytest
from django.contrib.auth import get_user_model
from django.contrib.auth.models import AnonymousUser
from django.db import connection
from django.http import QueryDict
from django.test.utils import CaptureQueriesContext

from escalations.services import feature_ensure, product_ensure
from helpdesk import presenters, selectors, services
from helpdesk.errors import InvalidInput, NotFound
from helpdesk.models import Ticket, TicketEvent
from helpdesk.selectors import TicketFilters


def fresh(user):
    """The same user without cached permissions or customer record (a new request)."""
    return get_user_model().objects.get(pk=user.pk)


def listed(user, **filters) -> list[str]:
    filters.setdefault("view", "all")
    page = selectors.ticket_list(user=user, filters=TicketFilters(**filters), page_size=100)
    return [t.subject for t in page.items]


@pytest.fixture
def nobody(make_user):
    return make_user("nobody", role=None)


@pytest.fixture
def two_customers_tickets(make_ticket, customer, customer2):
    mine = make_ticket(requester=customer, subject="Mine")
    theirs = make_ticket(requester=customer2, subject="Theirs")
    return mine, theirs


# --- scoping ---------------------------------------------------------------------------------


class TestScoping:
    def test_desk_sees_all(self, agent, manager, product_manager, two_customers_tickets):
        for user in (agent, manager, product_manager):
            assert sorted(listed(user)) == ["Mine", "Theirs"]
            assert selectors.tickets_visible_to(user).count() == 2

    def test_customer_sees_only_own(self, customer, customer2, two_customers_tickets):
        assert listed(customer.user) == ["Mine"]
        assert listed(customer2.user) == ["Theirs"]

    def test_no_role_anonymous_and_inactive_see_none(self, nobody, agent, two_customers_tickets):
        agent.is_active = False
        for user in (nobody, AnonymousUser(), agent, None):
            assert selectors.tickets_visible_to(user).count() == 0
        assert listed(nobody) == []

    def test_customer_without_login_has_no_portal_access(self, make_customer, make_ticket):
        offline = make_customer("offline", with_login=False)
        make_ticket(requester=offline)
        assert offline.user_id is None

    def test_single_permission_grants_view_all(self, nobody, two_customers_tickets):
        from django.contrib.auth.models import Permission

        nobody.user_permissions.add(Permission.objects.get(codename="view_all_tickets"))
        assert sorted(listed(fresh(nobody))) == ["Mine", "Theirs"]


class TestTicketGet:
    @pytest.mark.parametrize("form", ["{ref}", "{ref_lower}", "{number}", "  {ref}  "])
    def test_reference_forms(self, agent, ticket, form):
        reference = form.format(ref=ticket.reference, ref_lower=ticket.reference.lower(), number=ticket.number)
        assert selectors.ticket_get(user=agent, reference=reference).pk == ticket.pk

    def test_missing_foreign_and_garbage_look_the_same(self, customer, customer2, ticket):
        messages = set()
        for user, reference in [
            (customer2.user, ticket.reference),  # exists, not theirs
            (customer.user, f"HD-{ticket.number + 1}"),  # does not exist
            (customer.user, "HD-"),
            (customer.user, ""),
            (customer.user, "abc"),
            (customer.user, "HD-12x"),
            (customer.user, "-1"),
            (customer.user, "HD--1"),
            (customer.user, "1" * 19),
            (customer.user, "²"),
            (customer.user, "HD-²"),
            (customer.user, "HD-١٠٠١"),
            (customer.user, "1001; DROP TABLE x"),
            (customer.user, None),
        ]:
            with pytest.raises(NotFound) as excinfo:
                selectors.ticket_get(user=user, reference=reference)
            messages.add((type(excinfo.value), excinfo.value.message, excinfo.value.field))
        assert len(messages) == 1, "not-found and forbidden must be indistinguishable"

    def test_no_role_and_anonymous_get_not_found(self, nobody, ticket):
        for user in (nobody, AnonymousUser()):
            with pytest.raises(NotFound):
                selectors.ticket_get(user=user, reference=ticket.reference)

    def test_owner_gets_it(self, customer, ticket):
        assert selectors.ticket_get(user=customer.user, reference=ticket.reference).pk == ticket.pk

    def test_related_rows_are_fetched_with_it(self, agent, ticket, django_assert_num_queries):
        user = fresh(agent)
        selectors.ticket_get(user=user, reference=ticket.reference)  # warm the permission cache
        found = None
        with django_assert_num_queries(2):  # the ticket with its relations, then its tags
            found = selectors.ticket_get(user=user, reference=ticket.reference)
        with django_assert_num_queries(0):
            found.requester.organization, found.organization, found.assignee, found.team, found.feature
            list(found.tags.all())

    def test_tickets_by_references_skips_unknown_and_foreign(self, customer, two_customers_tickets):
        mine, theirs = two_customers_tickets
        found = selectors.tickets_by_references(
            user=customer.user, references=[theirs.reference, mine.reference, "junk", "²", "HD-99999"]
        )
        assert [t.pk for t in found] == [mine.pk]


class TestTimeline:
    @pytest.fixture
    def busy_ticket(self, agent, customer, ticket):
        services.ticket_message_post(actor=agent, ticket=ticket, body="Public answer")
        services.ticket_message_post(actor=agent, ticket=ticket, body="Secret note", internal=True)
        services.ticket_update(actor=agent, ticket=ticket, priority="high", tags=["vip"])
        services.ticket_message_post(actor=customer.user, ticket=ticket, body="Thanks")
        return ticket

    def test_customer_sees_public_replies_only(self, customer, busy_ticket):
        timeline = selectors.ticket_timeline(user=customer.user, ticket=busy_ticket)
        assert {e.kind for e in timeline} == {"reply"}
        assert [e.body for e in timeline] == ["Something is wrong.", "Public answer", "Thanks"]

    def test_desk_sees_everything_in_order(self, agent, busy_ticket):
        timeline = selectors.ticket_timeline(user=agent, ticket=busy_ticket)
        assert [e.kind for e in timeline] == ["created", "reply", "reply", "status", "note", "priority", "tags", "reply"]
        assert timeline == sorted(timeline, key=lambda e: (e.created_at, e.id))

    def test_messages(self, agent, customer, product_manager, busy_ticket):
        assert [e.body for e in selectors.ticket_messages(user=customer.user, ticket=busy_ticket)] == [
            "Something is wrong.",
            "Public answer",
            "Thanks",
        ]
        for desk in (agent, product_manager):
            assert "Secret note" in [e.body for e in selectors.ticket_messages(user=desk, ticket=busy_ticket)]

    def test_messages_page_for_customer_has_no_notes(self, customer, busy_ticket):
        bodies, cursor = [], None
        while True:
            page = selectors.ticket_messages_page(user=customer.user, ticket=busy_ticket, cursor=cursor, page_size=1)
            bodies += [e.body for e in page.items]
            cursor = page.next_cursor
            if not cursor:
                break
        assert bodies == ["Something is wrong.", "Public answer", "Thanks"]

    def test_timeline_query_count_does_not_grow(self, agent, customer, busy_ticket):
        user = fresh(agent)
        selectors.ticket_timeline(user=user, ticket=busy_ticket)
        with CaptureQueriesContext(connection) as small:
            for event in selectors.ticket_timeline(user=user, ticket=busy_ticket):
                presenters.author_display(event, viewer_is_desk=True, viewer_customer_id=None)
                presenters.author_handle(event, viewer_is_desk=True)
        for i in range(10):
            services.ticket_message_post(actor=customer.user, ticket=busy_ticket, body=f"more {i}")
        with CaptureQueriesContext(connection) as large:
            for event in selectors.ticket_timeline(user=user, ticket=busy_ticket):
                presenters.author_display(event, viewer_is_desk=True, viewer_customer_id=None)
                presenters.author_handle(event, viewer_is_desk=True)
        # The events, then their authors: agents and customers one query each, shared by every event.
        assert len(small) == len(large) == 3

    def test_author_labels(self, agent, customer, busy_ticket):
        timeline = selectors.ticket_timeline(user=agent, ticket=busy_ticket)
        by_body = {e.body: e for e in timeline if e.is_message}
        def label(event):
            return presenters.author_display(event, viewer_is_desk=True, viewer_customer_id=None)

        assert label(by_body["Public answer"]) == "Alex Agent"
        assert label(by_body["Thanks"]) == "Casey Customer"
        assert presenters.author_handle(by_body["Thanks"], viewer_is_desk=True) == "customer"
        assert by_body["Secret note"].kind == "note" and by_body["Public answer"].kind == "reply"


# --- inbox views and filters ----------------------------------------------------------------------


@pytest.fixture
def inbox(agent, agent2, customer, customer2, make_ticket):
    team = services.team_ensure(actor=None, name="Billing")
    product = product_ensure(actor=None, key="billing", name="Billing")
    feature = feature_ensure(actor=None, product=product, key="billing.invoices", name="Invoices")
    t = {}
    t["mine-new"] = make_ticket(subject="mine-new", assignee=agent, tags=["vip"], priority="urgent")
    t["mine-pending"] = make_ticket(subject="mine-pending", assignee=agent, team=team)
    services.ticket_update(actor=agent, ticket=t["mine-pending"], status="pending")
    t["mine-solved"] = make_ticket(subject="mine-solved", assignee=agent)
    services.ticket_update(actor=agent, ticket=t["mine-solved"], status="solved")
    t["other-open"] = make_ticket(subject="other-open", assignee=agent2, feature=feature, priority="low")
    services.ticket_update(actor=agent, ticket=t["other-open"], status="open")
    t["unassigned-hold"] = make_ticket(subject="unassigned-hold", requester=customer2, tags=["needs-info"])
    services.ticket_update(actor=agent, ticket=t["unassigned-hold"], status="on_hold")
    t["unassigned-closed"] = make_ticket(subject="unassigned-closed", priority="high")
    services.ticket_update(actor=None, ticket=t["unassigned-closed"], status="solved")
    services.ticket_update(actor=None, ticket=t["unassigned-closed"], status="closed")
    return {"tickets": t, "team": team, "feature": feature}


class TestViews:
    @pytest.mark.parametrize(
        ("view", "expected"),
        [
            ("mine", {"mine-new", "mine-pending"}),
            ("unassigned", {"unassigned-hold"}),
            ("open", {"mine-new", "other-open", "unassigned-hold"}),
            ("pending", {"mine-pending"}),
            ("solved", {"mine-solved"}),
            ("all", {"mine-new", "mine-pending", "mine-solved", "other-open", "unassigned-hold", "unassigned-closed"}),
        ],
    )
    def test_view(self, agent, inbox, view, expected):
        assert set(listed(agent, view=view)) == expected

    def test_every_view_is_tested(self):
        assert set(selectors.VIEWS) == {"mine", "features", "unassigned", "open", "pending", "solved", "all"}

    def test_features_view_lists_unsolved_tickets_of_the_features_i_own(self, product_manager, agent, inbox):
        from escalations.services import feature_save

        feature = inbox["feature"]
        assert listed(product_manager, view="features") == []
        feature.owner = product_manager
        feature_save(actor=None, feature=feature, changed_fields=["owner"])
        assert listed(fresh(product_manager), view="features") == ["other-open"]
        # Someone who owns no feature gets an empty view, without a ticket query.
        assert listed(fresh(agent), view="features") == []

    def test_mine_depends_on_who_asks(self, agent2, inbox):
        assert set(listed(agent2, view="mine")) == {"other-open"}


class TestFilters:
    def test_status_filter_several(self, agent, inbox):
        assert set(listed(agent, status=["pending", "on_hold"])) == {"mine-pending", "unassigned-hold"}

    def test_priority_filter(self, agent, inbox):
        assert set(listed(agent, priority=[4, 3])) == {"mine-new", "unassigned-closed"}

    def test_assignee_filter(self, agent, inbox):
        assert set(listed(agent, assignee="me")) == {"mine-new", "mine-pending", "mine-solved"}
        assert set(listed(agent, assignee="none")) == {"unassigned-hold", "unassigned-closed"}
        assert set(listed(agent, assignee="agent2")) == {"other-open"}
        assert listed(agent, assignee="ghost") == []

    def test_team_tag_feature_requester(self, agent, customer2, inbox):
        assert listed(agent, team=inbox["team"].pk) == ["mine-pending"]
        assert listed(agent, tag="vip") == ["mine-new"]
        assert listed(agent, feature="billing.invoices") == ["other-open"]
        assert listed(agent, requester=customer2.pk) == ["unassigned-hold"]

    def test_unknown_tag_feature_or_assignee_lists_nothing(self, agent, inbox, django_assert_num_queries):
        user = fresh(agent)
        listed(user, view="all")  # warm the permission cache
        for filters in ({"tag": "no-such-tag"}, {"feature": "no.such"}, {"assignee": "ghost"}):
            with django_assert_num_queries(1):  # the lookup, and no ticket query at all
                assert listed(user, **filters) == []

    def test_named_filters_compare_ids_not_names(self, agent, inbox):
        # The ticket query gets the id, so the planner can use that value's statistics
        # and index rather than walking the recency index through a join on names.
        with CaptureQueriesContext(connection) as captured:
            assert listed(agent, tag="vip", feature="billing.invoices", assignee="agent2") == []
        ticket_query = next(q["sql"] for q in captured.captured_queries if 'FROM "helpdesk_ticket"' in q["sql"])
        assert '"helpdesk_tag"."name"' not in ticket_query
        assert '"escalations_feature"."key"' not in ticket_query
        assert '"auth_user"."username"' not in ticket_query.split("WHERE", 1)[1]

    def test_filters_combine_with_views(self, agent, inbox):
        assert listed(agent, view="open", priority=[1]) == ["other-open"]
        assert listed(agent, view="mine", status=["solved"]) == []

    def test_customer_filters_stay_in_scope(self, customer, customer2, inbox):
        assert listed(customer.user, requester=customer2.pk) == []

    @pytest.mark.parametrize(
        "desk_only",
        [{"tag": "vip"}, {"tag": "needs-info"}, {"assignee": "agent"}, {"assignee": "none"}, {"view": "mine"},
         {"view": "unassigned"}, {"view": "features"}],
        ids=lambda f: "=".join(next(iter(f.items()))),
    )
    def test_desk_only_filters_mean_nothing_to_a_customer(self, customer, inbox, desk_only):
        # Whatever a caller parsed, the selector ignores desk-only data for someone outside
        # the desk: the answer is their own tickets, unfiltered, never "those tagged vip".
        own = listed(customer.user)
        assert len(own) == 5
        assert listed(customer.user, **desk_only) == own

    def test_desk_only_team_and_feature_mean_nothing_to_a_customer(self, customer, inbox):
        own = listed(customer.user)
        assert listed(customer.user, team=inbox["team"].pk) == own
        assert listed(customer.user, feature="billing.invoices") == own

    def test_search_subject_message_reference_and_email(self, agent, customer2, inbox):
        t = inbox["tickets"]
        services.ticket_message_post(actor=agent, ticket=t["other-open"], body="The printer caught fire")
        assert listed(agent, q="printer") == ["other-open"]
        assert listed(agent, q="mine-pending") == ["mine-pending"]
        assert listed(agent, q=t["mine-solved"].reference) == ["mine-solved"]
        assert listed(agent, q=t["mine-solved"].reference.lower()) == ["mine-solved"]
        assert listed(agent, q=customer2.email.upper()) == ["unassigned-hold"]

    def test_search_notes_for_desk_not_customers(self, agent, customer, inbox):
        t = inbox["tickets"]
        services.ticket_message_post(actor=agent, ticket=t["mine-new"], body="quokka workaround", internal=True)
        assert listed(agent, q="quokka") == ["mine-new"]
        assert listed(customer.user, q="quokka") == []

    def test_search_is_scoped_for_customers(self, agent, customer, customer2, inbox):
        t = inbox["tickets"]
        services.ticket_message_post(actor=customer2.user, ticket=t["unassigned-hold"], body="wombat")
        assert listed(customer.user, q="wombat") == []
        assert listed(customer2.user, q="wombat") == ["unassigned-hold"]
        assert listed(customer.user, q=t["unassigned-hold"].reference) == []


class TestSorts:
    def test_sorts(self, agent, inbox):
        tickets = Ticket.objects.all()
        by = {
            "updated": sorted(tickets, key=lambda t: (t.updated_at, t.id), reverse=True),
            "updated_asc": sorted(tickets, key=lambda t: (t.updated_at, t.id)),
            "created": sorted(tickets, key=lambda t: (t.created_at, t.id), reverse=True),
            "created_asc": sorted(tickets, key=lambda t: (t.created_at, t.id)),
            "priority": sorted(tickets, key=lambda t: (t.priority, t.updated_at, t.id), reverse=True),
        }
        assert set(by) == set(selectors.SORTS)
        for sort, expected in by.items():
            assert listed(agent, sort=sort) == [t.subject for t in expected], sort


# --- parse_filters --------------------------------------------------------------------------------


class TestParseFilters:
    def test_defaults(self):
        filters = selectors.parse_filters(QueryDict(""))
        assert filters == TicketFilters(view="all", sort="updated")
        assert filters.is_default()
        assert selectors.parse_filters(QueryDict(""), default_view="mine").view == "mine"

    def test_full_query(self):
        filters = selectors.parse_filters(
            QueryDict(
                "view=open&status=open,pending&status=on_hold&priority=high,1&assignee=me&team=3"
                "&tag=Needs+Info&feature=billing.invoices&requester=7&q=++printer+&sort=priority"
            )
        )
        assert filters.view == "open"
        assert filters.status == ["open", "pending", "on_hold"]
        assert filters.priority == [3, 1]
        assert (filters.assignee, filters.team, filters.requester) == ("me", 3, 7)
        assert filters.tag == "needs-info", "normalised the way tags are stored"
        assert (filters.feature, filters.q, filters.sort) == ("billing.invoices", "printer", "priority")
        assert not filters.is_default()

    def test_long_query_is_cut(self):
        assert len(selectors.parse_filters(QueryDict("q=" + "a" * 500)).q) == 200

    @pytest.mark.parametrize(
        ("query", "field"),
        [
            ("view=everything", "view"),
            ("status=open,archived", "status"),
            ("priority=critical", "priority"),
            ("priority=9", "priority"),
            ("priority=²", "priority"),
            ("team=billing", "team"),
            ("team=-1", "team"),
            ("team=²", "team"),
            ("team=" + "9" * 30, "team"),
            ("requester=bob", "requester"),
            ("requester=³", "requester"),
            ("sort=random", "sort"),
        ],
    )
    def test_errors_name_the_field(self, query, field):
        with pytest.raises(InvalidInput) as excinfo:
            selectors.parse_filters(QueryDict(query))
        assert excinfo.value.field == field

    def test_tag_filter_matches_what_was_stored(self, agent, make_ticket):
        make_ticket(subject="tagged", tags=["Needs Info"])
        filters = selectors.parse_filters(QueryDict("tag=needs+info"))
        page = selectors.ticket_list(user=agent, filters=filters)
        assert [t.subject for t in page.items] == ["tagged"]


# --- query counts -------------------------------------------------------------------------------


class TestQueryCounts:
    def count_list(self, user, filters):
        selectors.ticket_list(user=fresh(user), filters=filters)  # steady state: the directory cache warm
        user = fresh(user)
        with CaptureQueriesContext(connection) as queries:
            page = selectors.ticket_list(user=user, filters=filters, page_size=50, with_requester_logins=True)
            for t in page.items:  # what an inbox row and an API item show
                (t.requester.name, t.organization and t.organization.name, t.assignee and t.assignee.username)
                (t.team and t.team.name, t.feature and t.feature.key, [tag.name for tag in t.tags.all()])
                t.requester.user and t.requester.user.username
        return len(queries), len(page.items)

    @pytest.mark.parametrize(
        "filters",
        [
            TicketFilters(view="all"),
            TicketFilters(view="mine", sort="priority"),
            TicketFilters(view="all", q="problem", tag="t0"),
            TicketFilters(view="open", status=["new"], assignee="me", priority=[2, 3]),
        ],
        ids=["all", "mine", "search+tag", "filters"],
    )
    def test_constant_for_3_and_30_tickets_with_tags(self, agent, customer, customer2, make_ticket, filters):
        def add(n):
            for i in range(n):
                make_ticket(
                    subject=f"Problem {i}",
                    requester=customer if i % 2 else customer2,
                    assignee=agent,
                    tags=[f"t{i % 3}", f"u{i % 5}", "t0"],
                )

        add(3)
        small, small_rows = self.count_list(agent, filters)
        add(27)
        large, large_rows = self.count_list(agent, filters)
        assert large_rows > small_rows > 0
        assert small == large
        # The directory generation (1), the page joined with requesters, assignees and
        # organizations (1), then one small query each for logins (asked for here) and tags
        # (2), and the tag filter's own lookup (1); permissions, teams and features come from
        # the directory cache. A search first looks up the customers and organizations it
        # names (and, on PostgreSQL, similar words) in one more query.
        assert large <= 5 + (1 if filters.q else 0)

    def test_pages_skip_the_requesters_logins(self, agent, customer, make_ticket, django_assert_num_queries):
        make_ticket(requester=customer)
        user = fresh(agent)
        selectors.ticket_list(user=user, filters=TicketFilters(view="all"))  # warm the permission cache
        with django_assert_num_queries(2):  # the page and its tags; no team or feature to fetch
            page = selectors.ticket_list(user=user, filters=TicketFilters(view="all"))
        assert page.items[0].requester.name == customer.name
        with django_assert_num_queries(3):  # the page, its tags, then the logins
            with_logins = selectors.ticket_list(
                user=user, filters=TicketFilters(view="all"), with_requester_logins=True
            )
        with django_assert_num_queries(0):
            assert with_logins.items[0].requester.user.username == customer.user.username

    def test_customer_list_constant(self, customer, make_ticket):
        make_ticket(tags=["a"])
        small, _ = self.count_list(customer.user, TicketFilters(view="all"))
        for _ in range(10):
            make_ticket(tags=["a", "b"])
        large, rows = self.count_list(customer.user, TicketFilters(view="all"))
        assert rows == 11 and small == large


# --- choices -------------------------------------------------------------------------------------


class TestChoices:
    def test_assignable_users_are_people_who_work_tickets(self, agent, agent2, manager, product_manager, customer):
        names = [u.username for u in selectors.assignable_users(user=agent)]
        assert names == ["agent", "agent2", "manager"]
        assert selectors.assignable_users(user=customer.user) == []

    def test_assignable_user_by_username(self, agent, agent2, product_manager):
        assert selectors.assignable_user_by_username(user=agent, username="agent2").pk == agent2.pk
        with pytest.raises(InvalidInput) as excinfo:
            selectors.assignable_user_by_username(user=agent, username="pm")
        assert excinfo.value.field == "assignee"

    def test_customer_sees_no_desk_choices(self, customer):
        services.team_ensure(actor=None, name="Billing")
        user = customer.user
        assert selectors.teams(user=user) == [] and selectors.popular_tags(user=user) == []
        assert selectors.features(user=user) == []

    def test_customer_lookup_is_desk_only(self, agent, customer, customer2):
        assert selectors.customer_lookup(user=agent, identifier="CUSTOMER2@customer.test").pk == customer2.pk
        assert selectors.customer_lookup(user=agent, identifier="customer").pk == customer.pk
        with pytest.raises(InvalidInput) as excinfo:
            selectors.customer_lookup(user=agent, identifier="ghost@x.test")
        assert excinfo.value.field == "requester"
        with pytest.raises(NotFound):
            selectors.customer_lookup(user=customer.user, identifier="customer2")

    def test_requester_panel(self, agent, customer, make_ticket):
        tickets = [make_ticket(subject=f"r{i}") for i in range(3)]
        recent = selectors.requester_recent_tickets(user=agent, ticket=tickets[0])
        assert [t.subject for t in recent] == ["r2", "r1"]
        assert selectors.requester_ticket_count(user=agent, ticket=tickets[0]) == 3


def test_timeline_rows_never_include_other_tickets(agent, make_ticket):
    a, b = make_ticket(), make_ticket()
    assert {e.ticket_id for e in selectors.ticket_timeline(user=agent, ticket=a)} == {a.pk}
    assert TicketEvent.objects.filter(ticket=b).exists()


# --- one status condition per list -------------------------------------------------------------


def page_query(user, **filters) -> str:
    with CaptureQueriesContext(connection) as captured:
        listed(fresh(user), **filters)
    pages = [q["sql"] for q in captured.captured_queries if 'FROM "helpdesk_ticket"' in q["sql"] and "LIMIT 101" in q["sql"]]
    return pages[0] if pages else ""


class TestStatusCondition:
    """The view's statuses and the status filter reach the query as one condition an index can match."""

    @pytest.mark.parametrize(
        ("filters", "condition"),
        [
            ({"view": "mine"}, """"helpdesk_ticket"."status" IN ('new', 'open', 'pending', 'on_hold')"""),
            ({"view": "open"}, """"helpdesk_ticket"."status" IN ('new', 'open', 'on_hold')"""),
            ({"view": "open", "status": ["open", "closed"]}, """"helpdesk_ticket"."status" = 'open'"""),
            ({"view": "pending"}, """"helpdesk_ticket"."status" = 'pending'"""),
            ({"view": "all", "status": ["solved", "pending"]}, """"helpdesk_ticket"."status" IN ('pending', 'solved')"""),
        ],
    )
    def test_one_condition(self, agent, inbox, filters, condition):
        where = page_query(agent, **filters).split(" WHERE ", 1)[1]
        assert condition in where
        assert where.count('"helpdesk_ticket"."status"') == 1
        assert "NOT" not in where

    @pytest.mark.parametrize(
        "filters",
        [{"view": "open", "status": ["pending"]}, {"view": "solved", "status": ["new"]}, {"view": "mine", "assignee": "none"}],
    )
    def test_contradictions_list_nothing_without_a_query(self, agent, inbox, filters, django_assert_num_queries):
        user = fresh(agent)
        listed(user)  # the directory cache warm
        with django_assert_num_queries(0):
            assert listed(user, **filters) == []

    def test_a_search_ignores_the_view_but_keeps_the_filters(self, agent, inbox):
        assert listed(agent, view="solved", q="mine-new") == ["mine-new"]
        assert listed(agent, view="all", q="mine-new", status=["open"]) == []
        sql = page_query(agent, view="mine", q="mine")
        assert '"helpdesk_ticket"."assignee_id"' not in sql.split("WHERE", 1)[1]


def test_services_never_import_the_demo():
    """The bulk loader lives beside the demo it serves; the services know neither (no import circle)."""
    import ast
    from pathlib import Path

    import helpdesk.services

    for path in Path(helpdesk.services.__file__).parent.glob("*.py"):
        tree = ast.parse(path.read_text())
        imported = [n.module for n in ast.walk(tree) if isinstance(n, ast.ImportFrom) and n.module]
        imported += [a.name for n in ast.walk(tree) if isinstance(n, ast.Import) for a in n.names]
        assert not [m for m in imported if m.startswith("helpdesk.demo")], path.name
