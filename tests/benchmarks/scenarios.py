"""What the inbox benchmark times, and how: full pages through the test client, or the selectors.

Pages are the real thing (middleware, session, view, template, SQL), minus the
network. Until the desk views exist the same scenarios run against the
selectors the views call; ``Runner.mode_for`` decides per scenario, so the
benchmark switches to pages by itself once they answer.
"""

from __future__ import annotations

import gc
import os
import time
from collections.abc import Callable
from dataclasses import dataclass, field
from urllib.parse import urlencode

from django.conf import settings
from django.contrib.auth import get_user_model
from django.db import connection
from django.http import QueryDict
from django.test import Client
from django.urls import NoReverseMatch, reverse

from helpdesk import presenters, selectors
from tests.benchmarks.report import Timing

DEEP_PAGES = 40


@dataclass
class Scenario:
    key: str
    label: str
    kind: str  # "inbox" or "ticket"
    params: dict[str, str] = field(default_factory=dict)  # inbox query string
    reference: str = ""  # ticket page
    # For a deep page: a reference that must be on it (proves the view honours ?cursor=).
    expect: str = ""


def deep_cursor(user, params: dict[str, str], pages: int = DEEP_PAGES) -> tuple[str, str]:
    """Follow ``next`` cursors ``pages`` pages deep; returns the cursor and the first reference there."""
    filters = selectors.parse_filters(QueryDict(urlencode(params)), default_view=selectors.DEFAULT_VIEW)
    cursor = None
    for _ in range(pages):
        page = selectors.ticket_list(user=user, filters=filters, cursor=cursor, page_size=settings.HELPDESK_PAGE_SIZE)
        if page.next_cursor is None:
            break
        cursor = page.next_cursor
    page = selectors.ticket_list(user=user, filters=filters, cursor=cursor, page_size=settings.HELPDESK_PAGE_SIZE)
    return cursor or "", page.items[0].reference if page.items else ""


class QueryCounter:
    """Counts SQL statements (unlike the debug query log, this works with DEBUG off and never fills up)."""

    def __init__(self) -> None:
        self.count = 0

    def __call__(self, execute, sql, params, many, context):
        self.count += 1
        return execute(sql, params, many, context)


class Runner:
    """Times scenarios for one signed-in desk user."""

    def __init__(self, *, user, mode: str = "auto", requests: int = 200, warmup: int = 20, budget: float = 120.0):
        self.user = user
        self.preferred = mode
        self.requests = requests
        self.warmup = warmup
        self.budget = budget
        self.client = Client()
        self.client.force_login(user)
        self._checked: dict[str, tuple[bool, str]] = {}

    # --- which way to measure ------------------------------------------------------------

    def _url(self, scenario: Scenario) -> str | None:
        try:
            if scenario.kind == "inbox":
                return reverse("helpdesk:inbox") + "?" + urlencode(scenario.params)
            return reverse("helpdesk:ticket_detail", args=[scenario.reference])
        except NoReverseMatch:
            return None

    def page_works(self, scenario: Scenario) -> tuple[bool, str]:
        """Whether the desk page for this scenario exists and shows what the selectors would."""
        url = self._url(scenario)
        if url is None:
            return False, "URL does not resolve yet"
        response = self.client.get(url)
        if response.status_code != 200:
            return False, f"page answered {response.status_code}"
        body = response.content.decode(errors="replace")
        if scenario.kind == "inbox":
            if "ticket-link" not in body:
                return False, "inbox page has no ticket rows (a.ticket-link) yet"
            if scenario.expect and scenario.expect not in body:
                return False, f"page ignores ?cursor= (expected {scenario.expect} on it)"
        elif scenario.reference not in body or "timeline" not in body:
            return False, "ticket page does not show the ticket's timeline yet"
        return True, ""

    def mode_for(self, scenario: Scenario) -> tuple[str, str]:
        if self.preferred == "selectors":
            return "selectors", ""
        works, reason = self.page_works(scenario)
        if works:
            return "page", ""
        if self.preferred == "pages":
            raise SystemExit(f"{scenario.label}: cannot time the page: {reason}")
        return "selectors", f"timed through the selectors: {reason}"

    # --- the calls -------------------------------------------------------------------------------

    def _page_call(self, scenario: Scenario) -> Callable[[], None]:
        url = self._url(scenario)
        client = self.client

        def call() -> None:
            response = client.get(url)
            if response.status_code != 200:
                raise RuntimeError(f"{url} answered {response.status_code}")

        return call

    def _selector_call(self, scenario: Scenario) -> Callable[[], None]:
        User = get_user_model()
        user_id = self.user.pk
        size = settings.HELPDESK_PAGE_SIZE
        if scenario.kind == "inbox":
            query = QueryDict(urlencode(scenario.params))

            def call() -> None:
                # A fresh user per call, as the auth middleware loads one per request.
                user = User.objects.get(pk=user_id)
                filters = selectors.parse_filters(query, default_view=selectors.DEFAULT_VIEW)
                page = selectors.ticket_list(user=user, filters=filters, cursor=query.get("cursor"), page_size=size)
                for ticket in page.items:  # what the row template reads
                    (ticket.requester.name, ticket.assignee and ticket.assignee.get_username(), ticket.team,
                     [tag.name for tag in ticket.tags.all()])  # fmt: skip

            return call

        def call() -> None:
            user = User.objects.get(pk=user_id)
            ticket = selectors.ticket_get(user=user, reference=scenario.reference)
            events = selectors.ticket_timeline(user=user, ticket=ticket)
            for event in events:
                presenters.author_display(event, viewer_is_desk=True, viewer_customer_id=None)
            selectors.requester_recent_tickets(user=user, ticket=ticket)
            selectors.requester_ticket_count(user=user, ticket=ticket)
            selectors.popular_tags(user=user)

        return call

    def measure(self, scenario: Scenario) -> Timing:
        mode, note = self.mode_for(scenario)
        call = self._page_call(scenario) if mode == "page" else self._selector_call(scenario)
        for _ in range(self.warmup):
            call()
        queries = QueryCounter()
        with connection.execute_wrapper(queries):
            call()
        samples: list[float] = []
        started = time.perf_counter()
        gc.collect()
        for _ in range(self.requests):
            before = time.perf_counter()
            call()
            samples.append(time.perf_counter() - before)
            if time.perf_counter() - started > self.budget and len(samples) >= 20:
                note = (note + "; " if note else "") + f"stopped after {len(samples)} requests ({self.budget:.0f} s budget)"
                break
        return Timing.from_samples(
            scenario=scenario.key,
            label=scenario.label,
            mode=mode,
            seconds=samples,
            queries=queries.count,
            load1=os.getloadavg()[0],
            note=note,
        )
