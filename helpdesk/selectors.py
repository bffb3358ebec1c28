"""Every read of the ticketing app, scoped to the viewing user.

A user never receives a ticket they may not see; "not yours" and "does not exist"
both raise ``NotFound``. Lists fetch related rows in a fixed number of queries.
"""

from __future__ import annotations

from collections.abc import Iterable
from dataclasses import dataclass, field, replace
from typing import Any

from django.contrib.auth import get_user_model
from django.db import connections
from django.db.models import Prefetch, Q, QuerySet

from helpdesk import directory_cache, extensions, permissions
from helpdesk.errors import InvalidInput, NotFound
from helpdesk.keyset import MAX_PAGE_SIZE, Page, SortKey, paginate
from helpdesk.models import (
    UNSOLVED_STATUSES,
    Customer,
    Organization,
    Tag,
    Team,
    Ticket,
    TicketPriority,
    TicketStatus,
    parse_reference,
)
from helpdesk.search import search_condition

# --- inbox views and sorts ------------------------------------------------------------

# In the order of the inbox's sidebar.
VIEWS: dict[str, str] = {
    "mine": "My unsolved tickets",
    "features": "My features",
    "unassigned": "Unassigned",
    "open": "All open",
    "pending": "Pending",
    "solved": "Recently solved",
    "all": "All tickets",
}
DEFAULT_VIEW = "mine"


@dataclass(frozen=True)
class _ViewRule:
    """What a view asks of a ticket: its statuses (None: any), who has it, whose feature it concerns."""

    statuses: frozenset[str] | None
    assignee: str | None = None  # "me" or "none"
    owned_features: bool = False


_UNSOLVED = frozenset(UNSOLVED_STATUSES)
VIEW_RULES: dict[str, _ViewRule] = {
    "mine": _ViewRule(_UNSOLVED, assignee="me"),
    # Unsolved tickets about the features the viewer owns (a product manager's inbox).
    "features": _ViewRule(_UNSOLVED, owned_features=True),
    "unassigned": _ViewRule(_UNSOLVED, assignee="none"),
    "open": _ViewRule(_UNSOLVED - {TicketStatus.PENDING}),
    "pending": _ViewRule(frozenset({TicketStatus.PENDING})),
    "solved": _ViewRule(frozenset({TicketStatus.SOLVED})),
    "all": _ViewRule(None),
}

SORTS: dict[str, tuple[str, SortKey]] = {
    "updated": ("Recently updated", SortKey((("updated_at", True), ("id", True)))),
    "updated_asc": ("Least recently updated", SortKey((("updated_at", False), ("id", False)))),
    "created": ("Newest", SortKey((("created_at", True), ("id", True)))),
    "created_asc": ("Oldest", SortKey((("created_at", False), ("id", False)))),
    "priority": ("Most urgent", SortKey((("priority", True), ("updated_at", True), ("id", True)))),
}
DEFAULT_SORT = "updated"
# Counts shown beside the views stop here ("1,000+"): counting further costs a scan per page.
COUNT_CAP = 1000


@dataclass
class TicketFilters:
    view: str = "all"
    status: list[str] = field(default_factory=list)
    priority: list[int] = field(default_factory=list)
    assignee: str | None = None  # "me", "none" or a username
    team: int | None = None
    tag: str | None = None
    feature: str | None = None  # feature key
    requester: int | None = None
    q: str = ""
    sort: str = DEFAULT_SORT
    # Other apps' yes/no filters that are on (helpdesk.extensions.TicketFilter names: "escalated").
    flags: tuple[str, ...] = ()

    def is_default(self) -> bool:
        return not (
            self.status or self.priority or self.assignee or self.team or self.tag or self.feature or self.q or self.flags
        )


def _id_param(value: Any, message: str, *, field: str) -> int | None:
    """A positive database id from a query parameter, or None when absent."""
    if value in (None, ""):
        return None
    text = str(value).strip()
    # isascii(): "²".isdigit() is true but int() refuses it; 18 digits fit a bigint.
    if not (text.isascii() and text.isdigit()) or len(text) > 18 or int(text) == 0:
        raise InvalidInput(message, field=field)
    return int(text)


def _text_params(params: Any, name: str) -> list[str]:
    """A parameter's values, trimmed; NUL characters (which no column can hold) are refused."""
    values = [str(value).strip() for value in params.getlist(name)]
    if any("\x00" in value for value in values):
        raise InvalidInput("Remove the NUL (\\x00) characters.", field=name)
    return values


def _text_param(params: Any, name: str) -> str:
    values = _text_params(params, name)
    return values[-1] if values else ""


def _csv_params(params: Any, name: str) -> list[str]:
    return [part.strip() for value in _text_params(params, name) for part in value.split(",") if part.strip()]


def _refuse_desk_only(params: Any, *, viewer) -> None:
    """Someone outside the desk naming a desk-only filter or view is told so, whatever the value.

    The refusal never depends on the value: answering differently for an agent's
    username that exists and one that does not would confirm it.
    """
    if permissions.can_filter_by_desk_data(viewer):
        return
    for name in (*permissions.DESK_ONLY_FILTERS, *(f.name for f in extensions.ticket_filters())):
        if any(_text_params(params, name)):
            raise InvalidInput(f"Only the desk can filter tickets by {name}.", field=name)
    if _text_param(params, "view") in permissions.DESK_ONLY_VIEWS:
        views = ", ".join(v for v in VIEWS if v not in permissions.DESK_ONLY_VIEWS)
        raise InvalidInput(f"That view is the desk's; use one of {views}.", field="view")


def parse_filters(params: Any, *, default_view: str = "all", viewer=None) -> TicketFilters:
    """Build filters from a QueryDict (inbox page or API query string); bad values name their field.

    With ``viewer``, filters and views that read desk-only data are refused (400) for
    anyone not on the desk; ``ticket_list`` ignores them for such a viewer in any case.
    """
    if viewer is not None:
        _refuse_desk_only(params, viewer=viewer)
    view = _text_param(params, "view") or default_view
    if view not in VIEWS:
        raise InvalidInput(f"Unknown view {view!r}; use one of {', '.join(VIEWS)}.", field="view")
    statuses = _csv_params(params, "status")
    for status in statuses:
        if status not in TicketStatus.values:
            raise InvalidInput(f"Unknown status {status!r}.", field="status")
    priorities = []
    for name in _csv_params(params, "priority"):
        try:
            priorities.append(TicketPriority.from_name(name) if not name.isdigit() else TicketPriority(int(name)))
        except (KeyError, ValueError):
            raise InvalidInput(f"Unknown priority {name!r}.", field="priority") from None
    team = _id_param(params.get("team"), "Team must be a team id.", field="team")
    requester = _id_param(params.get("requester"), "Requester must be a customer id.", field="requester")
    sort = _text_param(params, "sort") or DEFAULT_SORT
    if sort not in SORTS:
        raise InvalidInput(f"Unknown sort {sort!r}; use one of {', '.join(SORTS)}.", field="sort")
    flags = []
    for extension in extensions.ticket_filters():
        value = _text_param(params, extension.name).lower()
        if value not in ("", "0", "1", "true", "false", "yes", "no"):
            raise InvalidInput(f"{extension.name} is 1 (only such tickets) or 0.", field=extension.name)
        if value in ("1", "true", "yes"):
            flags.append(extension.name)
    return TicketFilters(
        view=view,
        status=statuses,
        priority=priorities,
        assignee=_text_param(params, "assignee") or None,
        team=team,
        # Normalised as tags are stored ("Needs info" is saved as needs-info).
        tag="-".join(_text_param(params, "tag").lower().split()) or None,
        feature=_text_param(params, "feature") or None,
        requester=requester,
        q=_text_param(params, "q")[:200],
        sort=sort,
        flags=tuple(flags),
    )


# --- which views a person gets ------------------------------------------------------------


def owned_feature_ids(user) -> list[int]:
    """The features ``user`` owns (a product manager's), from the directory cache; none outside the desk."""
    if not permissions.can_view_all_tickets(user):
        return []
    # ``owner`` is the feature's foreign key to the user, reached without importing its app.
    return [f.pk for f in directory_cache.pick_lists(user).features if getattr(f, "owner_id", None) == user.pk]


def views_for(user) -> dict[str, str]:
    """The views worth offering ``user``: "My unsolved" to those who work tickets, "My features" to owners."""
    if not permissions.can_filter_by_desk_data(user):
        return {key: label for key, label in VIEWS.items() if key not in permissions.DESK_ONLY_VIEWS}
    offered = dict(VIEWS)
    if not permissions.can_work_tickets(user):
        del offered["mine"]
    if not owned_feature_ids(user):
        del offered["features"]
    return offered


def default_view_for(user) -> str:
    """Where the inbox opens: my tickets for who works them, my features' tickets for their owners."""
    if permissions.can_work_tickets(user):
        return DEFAULT_VIEW
    if owned_feature_ids(user):
        return "features"
    return "open"


# --- what a list asks of the tickets ----------------------------------------------------------


@dataclass(frozen=True)
class ListScope:
    """A list's view and filters combined into what they ask of each ticket (no query needed).

    ``statuses`` is the view's statuses intersected with the status filter, so the
    ticket query states one status condition an index can match (``status = x`` for
    one, ``status IN (...)`` for a subset of the unsolved ones); ``()`` means nothing
    can match and no query is made. ``fixed_columns`` are the inbox columns every
    listed ticket shares a value of (the page leaves them out).
    """

    view: str
    filters: TicketFilters
    statuses: tuple[str, ...] | None
    fixed_columns: frozenset[str]

    @property
    def searching(self) -> bool:
        return bool(self.filters.q)


def list_scope(user, filters: TicketFilters) -> ListScope:
    desk = permissions.can_filter_by_desk_data(user)
    if not desk:
        # Defence in depth: whatever the caller parsed, desk-only data filters nothing here.
        filters = replace(filters, assignee=None, team=None, tag=None, feature=None)
    view = filters.view if filters.view in VIEW_RULES else "all"
    if filters.q or (not desk and view in permissions.DESK_ONLY_VIEWS):
        # A search covers every ticket the viewer may see, whatever view is open.
        view = "all"
    rule = VIEW_RULES[view]
    statuses = rule.statuses
    if filters.status:
        statuses = frozenset(filters.status) if statuses is None else statuses & frozenset(filters.status)
    ordered = None if statuses is None else tuple(s for s in TicketStatus.values if s in statuses)
    fixed = set()
    if ordered is not None and len(ordered) == 1:
        fixed.add("status")
    if rule.assignee or filters.assignee:
        fixed.add("assignee")
    if filters.team:
        fixed.add("team")
    return ListScope(view=view, filters=filters, statuses=ordered, fixed_columns=frozenset(fixed))


# --- scoping --------------------------------------------------------------------------


def tickets_visible_to(user) -> QuerySet[Ticket]:
    """The tickets ``user`` may see: all for the desk, their own for a customer, none otherwise."""
    # Spam and deleted tickets are hidden from everyone: the "Deleted and spam" list
    # (selectors_removed.py) is the only way to them until they are restored.
    if permissions.can_view_all_tickets(user):
        return Ticket.objects.filter(removed="")
    customer = permissions.customer_of(user)
    if customer is not None:
        return Ticket.objects.filter(requester=customer, removed="")
    return Ticket.objects.none()


def _list_queryset(user, *, with_requester_logins: bool = False) -> QuerySet[Ticket]:
    # Three joins, tags prefetched, teams and features from the directory cache
    # (_attach_directory): PostgreSQL spends 7-20 ms *planning* a seven-table join
    # (its join search), ten times what running it costs; with four tables it plans
    # in 0.5 ms.
    related = [Prefetch("tags", queryset=Tag.objects.only("id", "name"))]
    if with_requester_logins:
        related.append("requester__user")
    return (
        tickets_visible_to(user)
        .select_related("requester", "assignee", "organization")
        .prefetch_related(*related)
        .defer("search_document")
    )


# --- lists -------------------------------------------------------------------------------


def list_statuses(filters: TicketFilters) -> frozenset[str]:
    """The statuses a ticket can have and be in the list ``filters`` describe.

    The live inbox skips a change that leaves a ticket in any other status unless
    the page shows it. Read from the same view rules ``list_scope`` applies (a search
    covers every view); a test holds the two together.
    """
    rule = VIEW_RULES["all" if filters.q else filters.view] if (filters.q or filters.view in VIEW_RULES) else VIEW_RULES["all"]
    statuses = set(TicketStatus.values) if rule.statuses is None else {str(s) for s in rule.statuses}
    if filters.status:
        statuses &= set(filters.status)
    return frozenset(statuses)


def _related_id(relation: str, **lookup: str) -> int | None:
    """A related row's id found by its name, so the ticket query compares a constant.

    Joining on the name (``tags__name='x'``) hides the value from the planner's
    statistics: it then walks the whole recency index looking for a rare or
    unknown tag, agent or feature (seconds at a million tickets). With the id it
    picks that value's own index when the value is rare.
    """
    related = Ticket._meta.get_field(relation).related_model
    return related._default_manager.filter(**lookup).values_list("pk", flat=True).first()


# What the view and the assignee filter together ask of the assignee, besides one id or None (unassigned).
_ANY_ASSIGNEE = object()
_NO_ASSIGNEE_MATCHES = object()  # they disagree ("mine" and "unassigned"), or the username is unknown


def _assignee_wanted(user, rule: _ViewRule, filters: TicketFilters):
    """The one assignee id (None: unassigned) the view and the filter agree on, or one of the markers above."""
    wanted = set()
    for asked in (rule.assignee, filters.assignee):
        if asked is None:
            continue
        if asked == "me":
            wanted.add(user.pk)
        elif asked == "none":
            wanted.add(None)
        else:
            found = _related_id("assignee", username=asked)
            if found is None:
                return _NO_ASSIGNEE_MATCHES
            wanted.add(found)
    if not wanted:
        return _ANY_ASSIGNEE
    return wanted.pop() if len(wanted) == 1 else _NO_ASSIGNEE_MATCHES


def _apply_filters(qs: QuerySet[Ticket], user, filters: TicketFilters) -> QuerySet[Ticket]:
    """``qs`` narrowed by the view and the filters; ``qs.none()`` (which runs no query) when nothing can match."""
    scope = list_scope(user, filters)
    filters, rule = scope.filters, VIEW_RULES[scope.view]
    if scope.statuses is not None:
        if not scope.statuses:
            return qs.none()
        qs = qs.filter(status=scope.statuses[0]) if len(scope.statuses) == 1 else qs.filter(status__in=scope.statuses)
    assignee = _assignee_wanted(user, rule, filters)
    if assignee is _NO_ASSIGNEE_MATCHES:
        return qs.none()
    if assignee is None:
        qs = qs.filter(assignee__isnull=True)
    elif assignee is not _ANY_ASSIGNEE:
        qs = qs.filter(assignee_id=assignee)
    if rule.owned_features:
        owned = owned_feature_ids(user)
        if not owned:
            return qs.none()
        qs = qs.filter(feature_id=owned[0]) if len(owned) == 1 else qs.filter(feature_id__in=owned)
    if filters.priority:
        qs = qs.filter(priority__in=filters.priority)
    if filters.team:
        qs = qs.filter(team_id=filters.team)
    for relation, value, lookup in (("tags", filters.tag, "name"), ("feature", filters.feature, "key")):
        if value:
            found = _related_id(relation, **{lookup: value})
            if found is None:
                return qs.none()
            qs = qs.filter(**{relation: found})
    if filters.requester:
        qs = qs.filter(requester_id=filters.requester)
    if filters.flags and permissions.can_filter_by_desk_data(user):
        for name in filters.flags:
            extension = extensions.ticket_filter(name)
            if extension is not None:
                qs = qs.filter(extension.condition())
    if filters.q:
        condition = search_condition(filters.q, user=user)
        if condition is None:
            return qs.none()
        qs = qs.filter(condition)
    return qs


def ticket_list(
    *,
    user,
    filters: TicketFilters,
    cursor: str | None = None,
    page_size: int = 25,
    with_requester_logins: bool = False,
) -> Page[Ticket]:
    """One page of the tickets ``user`` may see, filtered and sorted, by keyset.

    ``with_requester_logins`` also fetches each requester's user (the API shows their
    username; the pages show names only, so they skip the query).
    """
    page_size = max(1, min(page_size, MAX_PAGE_SIZE))
    qs = _apply_filters(_list_queryset(user, with_requester_logins=with_requester_logins), user, filters)
    page = paginate(qs, sort=SORTS[filters.sort][1], cursor=cursor, page_size=page_size)
    _attach_directory(page.items, viewer=user)
    return page


def ticket_next_in_list(*, user, filters: TicketFilters, after: Ticket) -> Ticket | None:
    """The ticket that follows ``after`` in the list ``filters`` describe, as ``after`` stood when the list showed it.

    ``after`` carries its sort values from before the agent's change (a reply moves it to
    the top of "Recently updated"), so the next one is the ticket below it on the agent's
    page; ``after`` itself is never the answer, wherever its change moved it.
    """
    sort = SORTS[filters.sort][1]
    return (
        _apply_filters(tickets_visible_to(user), user, filters)
        .exclude(pk=after.pk)
        .filter(sort.after(sort.values_of(after)))
        .order_by(*sort.order_by())
        .only("id", "number")
        .first()
    )


# --- capped counts -------------------------------------------------------------------------------


def capped_counts(querysets: dict[str, QuerySet], *, cap: int = COUNT_CAP) -> dict[str, int]:
    """How many rows each queryset has, counting no further than ``cap + 1``, all in one query.

    Each count reads at most ``cap + 1`` index entries, so a view of a million tickets
    costs what a view of a thousand does; a result above ``cap`` means "more than cap"
    (``count_label`` shows "1,000+"). A queryset that cannot match (``.none()``) counts 0 without SQL.
    """
    counts = {name: 0 for name, qs in querysets.items() if qs.query.is_empty()}
    parts, params = [], []
    names = [name for name in querysets if name not in counts]
    for name in names:
        qs = querysets[name].order_by().values("pk")[: cap + 1]
        sql, part_params = qs.query.get_compiler(using=qs.db).as_sql()
        parts.append(f"(SELECT COUNT(*) FROM ({sql}) AS capped)")
        params.extend(part_params)
    if parts:
        using = querysets[names[0]].db
        with connections[using].cursor() as cursor:
            cursor.execute("SELECT " + ", ".join(parts), params)
            counts.update(zip(names, cursor.fetchone()))
    return {name: counts[name] for name in querysets}


def ticket_count_capped(*, user, filters: TicketFilters, cap: int = COUNT_CAP) -> int:
    """How many tickets a list has (view, filters, search), up to ``cap + 1``: "select all N matching"."""
    return capped_counts({"list": _apply_filters(tickets_visible_to(user), user, filters)}, cap=cap)["list"]


def view_counts(*, user, views: Iterable[str], cap: int = COUNT_CAP) -> dict[str, int]:
    """Tickets in each of ``views`` (no other filter), capped, in one query: the counts beside the views."""
    return capped_counts(
        {view: _apply_filters(tickets_visible_to(user), user, TicketFilters(view=view)) for view in views}, cap=cap
    )


def _attach_directory(tickets: list[Ticket], *, viewer) -> None:
    """Give each ticket its team and feature from the cached pick-lists instead of two more queries.

    One the cache does not hold (written around the application) is fetched, all
    such in one query per kind. The tickets some were merged into come in one query
    when there are any (a join on every list would cost planning time for a rare column).
    """
    merged = {t.merged_into_id for t in tickets} - {None}
    if merged:
        into = Ticket.objects.only("id", "number", "subject", "requester_id", "removed").in_bulk(merged)
        field = Ticket._meta.get_field("merged_into")
        for ticket in tickets:
            if ticket.merged_into_id is not None:
                field.set_cached_value(ticket, into.get(ticket.merged_into_id))
    if not any(t.team_id is not None or t.feature_id is not None for t in tickets):
        return
    lists = directory_cache.pick_lists(viewer)
    for relation, known, follow in (("team", lists.teams, ()), ("feature", lists.features, ("product",))):
        field = Ticket._meta.get_field(relation)
        by_id = {row.pk: row for row in known}
        missing = {getattr(t, field.attname) for t in tickets} - set(by_id) - {None}
        if missing:
            by_id.update(field.related_model._default_manager.select_related(*follow).in_bulk(missing))
        for ticket in tickets:
            related_id = getattr(ticket, field.attname)
            field.set_cached_value(ticket, by_id.get(related_id) if related_id is not None else None)


# --- one ticket ------------------------------------------------------------------------------


def ticket_get(*, user, reference: str) -> Ticket:
    """The ticket with this reference if ``user`` may see it; ``NotFound`` otherwise."""
    number = parse_reference(reference)
    if number is None:
        raise NotFound("No such ticket.")
    # Team and feature come from the directory cache: each join less saves PostgreSQL
    # more planning than the join would cost to run (docs/benchmarks.md, finding 2).
    ticket = (
        tickets_visible_to(user)
        .select_related("requester__user", "requester__organization", "organization", "assignee")
        .prefetch_related(Prefetch("tags", queryset=Tag.objects.only("id", "name")))
        .defer("search_document")
        .filter(number=number)
        .first()
    )
    if ticket is None:
        raise NotFound("No such ticket.")
    _attach_directory([ticket], viewer=user)
    return ticket


def tickets_by_references(*, user, references: list[str]) -> list[Ticket]:
    """The tickets among ``references`` that ``user`` may see (unknown ones are left out), one query."""
    numbers = {n for n in (parse_reference(r) for r in references) if n is not None}
    if not numbers:
        return []
    return list(tickets_visible_to(user).filter(number__in=numbers).order_by("number"))


def requester_recent_tickets(*, user, ticket: Ticket, limit: int = 5) -> list[Ticket]:
    """The requester's other tickets, newest first (for the requester panel)."""
    return list(
        tickets_visible_to(user)
        .filter(requester_id=ticket.requester_id)
        .exclude(pk=ticket.pk)
        .only("id", "number", "subject", "status", "created_at", "requester_id")
        .order_by("-created_at")[:limit]
    )


def requester_ticket_count(*, user, ticket: Ticket) -> int:
    return tickets_visible_to(user).filter(requester_id=ticket.requester_id).count()


# --- choices for forms and filters ---------------------------------------------------------------


def _assignable_queryset(*, user) -> QuerySet:
    User = get_user_model()
    if not permissions.can_view_all_tickets(user):
        return User.objects.none()
    return User.objects.filter(is_active=True).filter(permissions.works_tickets_condition()).distinct()


def assignable_users(*, user) -> list:
    """People who can be assigned tickets (anyone with the right to work them), from the directory cache."""
    if not permissions.can_view_all_tickets(user):
        return []
    return list(directory_cache.pick_lists(user).assignees)


def team_member_candidates(*, user, team: Team | None) -> QuerySet:
    """Who can be put on a team (the admin's member picker): people who work tickets, plus its current members.

    Customers with logins are left out so the picker stays short; current members
    stay listed even if they lost the right, so saving the team does not drop them.
    """
    User = get_user_model()
    if not permissions.can_view_all_tickets(user):
        return User.objects.none()
    condition = permissions.team_member_condition()
    if team is not None and team.pk is not None:
        condition |= Q(pk__in=team.members.values("pk"))
    return User.objects.filter(pk__in=User.objects.filter(condition).values("pk")).order_by("username")


def assignable_user_by_username(*, user, username: str):
    name = (username or "").strip()
    candidate = _assignable_queryset(user=user).filter(username=name).first() if "\x00" not in name else None
    if candidate is not None:
        return candidate
    raise InvalidInput(f"{username!r} is not someone tickets can be assigned to.", field="assignee")


def teams(*, user) -> list[Team]:
    if not permissions.can_view_all_tickets(user):
        return []
    return list(directory_cache.pick_lists(user).teams)


def team_by_id(*, user, team_id: int) -> Team:
    team = Team.objects.filter(pk=team_id).first() if permissions.can_view_all_tickets(user) else None
    if team is None:
        raise InvalidInput(f"No team with id {team_id}.", field="team")
    return team


def features(*, user) -> list:
    """Product features tickets can concern (the model is named by the ticket's foreign key)."""
    if not permissions.can_view_all_tickets(user):
        return []
    return list(directory_cache.pick_lists(user).features)


def feature_by_key(*, user, key: str):
    feature_model = Ticket._meta.get_field("feature").related_model
    feature = feature_model.objects.filter(key=key).first() if "\x00" not in (key or "") else None
    if feature is None or not permissions.can_view_all_tickets(user):
        raise InvalidInput(f"Unknown feature {key!r}.", field="feature")
    return feature


def popular_tags(*, user, limit: int = directory_cache.TAG_SUGGESTIONS) -> list[str]:
    if not permissions.can_view_all_tickets(user):
        return []
    if limit <= directory_cache.TAG_SUGGESTIONS:
        return list(directory_cache.pick_lists(user).tag_names[:limit])
    return list(Tag.objects.order_by("name").values_list("name", flat=True)[:limit])


def customer_lookup(*, user, identifier: str) -> Customer:
    """A customer by username or email, for staff naming a requester."""
    if not permissions.can_open_ticket_for_others(user):
        raise NotFound("No such customer.")
    text = (identifier or "").strip()
    if "\x00" in text:
        raise InvalidInput("Remove the NUL (\\x00) characters.", field="requester")
    customer = Customer.objects.filter(Q(email__iexact=text) | Q(user__username=text)).select_related("organization").first()
    if customer is None:
        raise InvalidInput(f"No customer with username or email {text!r}.", field="requester")
    return customer


# How many customers the requester lookup suggests.
CUSTOMER_SUGGESTIONS = 8


def customer_search(*, user, text: str, limit: int = CUSTOMER_SUGGESTIONS) -> list[Customer]:
    """Customers whose name, email or organization's name contains ``text``: the requester lookup's suggestions."""
    text = (text or "").strip()
    if not permissions.can_open_ticket_for_others(user) or len(text) < 2 or "\x00" in text:
        return []
    return list(
        Customer.objects.filter(Q(name__icontains=text) | Q(email__icontains=text) | Q(organization__name__icontains=text))
        .select_related("organization")
        .order_by("name", "id")[:limit]
    )


def organization_for_email(*, user, email: str) -> Organization | None:
    """The organization that lists this address's domain, when exactly one does (``user`` None: the system)."""
    if user is not None and not permissions.can_open_ticket_for_others(user):
        return None
    domain = (email or "").rpartition("@")[2].strip().lower()
    if not domain:
        return None
    found = list(Organization.objects.filter(domain__iexact=domain)[:2])
    return found[0] if len(found) == 1 else None


def organization_choice(*, user, organization_id: str) -> Organization | None:
    """An organization picked for a new requester, by id; None for anything else."""
    if not permissions.can_open_ticket_for_others(user) or not organization_id.isdigit():
        return None
    return Organization.objects.filter(pk=int(organization_id)).first()


def organizations(*, user) -> list[Organization]:
    """The organizations a new requester may belong to (the desk's pick-list)."""
    if not permissions.can_open_ticket_for_others(user):
        return []
    return list(Organization.objects.order_by("name"))


# --- a whole list at once (the inbox's "select all N matching") ------------------------------------


@dataclass(frozen=True)
class MatchingSummary:
    """How many tickets a list holds, counted no further than ``cap`` (``more``: there are others)."""

    count: int
    more: bool
    statuses: frozenset[str]

    @property
    def label(self) -> str:
        return f"{self.count:,}" + ("+" if self.more else "")


def _matching_queryset(*, user, filters: TicketFilters) -> QuerySet[Ticket]:
    return _apply_filters(tickets_visible_to(user), user, filters).order_by(*SORTS[filters.sort][1].order_by())


def ticket_matching_summary(*, user, filters: TicketFilters, cap: int) -> MatchingSummary:
    """Count the list ``filters`` describe up to ``cap`` (one query, never a full count), and the statuses among them.

    Read in the list's own order, the plan is the one its first page uses, so the
    cost is that of ``cap`` rows whatever the table's size.
    """
    statuses = list(_matching_queryset(user=user, filters=filters).values_list("status", flat=True)[: cap + 1])
    return MatchingSummary(count=min(len(statuses), cap), more=len(statuses) > cap, statuses=frozenset(statuses))


def tickets_matching(*, user, filters: TicketFilters, limit: int, exclude: Q | None = None) -> list[Ticket]:
    """The first ``limit`` tickets of the list ``filters`` describe, in its order, leaving out ``exclude``."""
    qs = _matching_queryset(user=user, filters=filters)
    if exclude is not None:
        qs = qs.exclude(exclude)
    return list(qs.defer("search_document")[:limit])


# --- API tokens ----------------------------------------------------------------------------------


def api_token_for_key(*, key: str):
    """The token a presented key belongs to, with its user, or None (the authentication class decides what it means)."""
    from helpdesk.models import ApiToken

    return ApiToken.objects.select_related("user").filter(digest=ApiToken.digest_of(key)).first()


# How long a token that ended stays in its owner's list (with why it ended).
API_TOKEN_ENDED_SHOWN_DAYS = 30


def api_tokens_of(*, user, now=None) -> list:
    """The viewer's own tokens: every live one, and those ended in the last 30 days; newest first."""
    from datetime import timedelta

    from django.utils import timezone

    from helpdesk.models import ApiToken

    if not getattr(user, "is_authenticated", False):
        return []
    now = now or timezone.now()
    since = now - timedelta(days=API_TOKEN_ENDED_SHOWN_DAYS)
    ended_recently = Q(revoked_at__gte=since) | Q(revoked_at__isnull=True, expires_at__gte=since)
    return list(
        ApiToken.objects.filter(user=user)
        .filter(ended_recently | Q(revoked_at__isnull=True, expires_at__gt=now))
        .order_by("-created_at", "-id")[:200]
    )


def api_token_of(*, user, token_id: int):
    """One of the viewer's own tokens; someone else's looks missing."""
    from helpdesk.models import ApiToken

    token = (
        ApiToken.objects.select_related("user").filter(pk=token_id, user_id=getattr(user, "pk", None)).first()
        if getattr(user, "is_authenticated", False)
        else None
    )
    if token is None:
        raise NotFound("No such token.")
    return token


# The timeline's reads live in their own module; callers keep reading them from here.
from helpdesk.selectors_timeline import (  # noqa: E402, F401
    MESSAGE_SORT,
    TimelineAuthor,
    TimelineCustomer,
    TimelineEntry,
    TimelineWindow,
    ticket_messages,
    ticket_messages_page,
    ticket_timeline,
    ticket_timeline_after,
    ticket_timeline_entries,
    ticket_timeline_window,
)
