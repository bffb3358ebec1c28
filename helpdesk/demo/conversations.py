"""Demo tickets told as conversations through the real services, then moved into the past.

Each ticket is a short script (create, triage, replies, notes, status changes)
played through ``services.ticket_create`` / ``ticket_update`` /
``ticket_message_post`` so its timeline and audit are exactly what the desk
would have written. Services stamp ``now()``; afterwards
``bulk_load.ticket_backdate_demo`` spreads the events over the past weeks in
the order they were written.
"""

from __future__ import annotations

import random
from collections.abc import Callable
from dataclasses import dataclass, field
from datetime import datetime, timedelta
from typing import Any

from django.db import transaction
from django.utils import timezone

from helpdesk import services
from helpdesk.demo import bulk_load
from helpdesk.demo.corpus import (
    AGENT_FOLLOWUPS,
    AGENT_SIGNOFFS,
    AREA_WEIGHTS,
    AREAS,
    GREETINGS,
    SIGNOFFS,
    TRIAGE_TAGS,
    Area,
    Slots,
    Topic,
)
from helpdesk.models import Customer, Team, Ticket, TicketChannel, TicketEvent, TicketStatus

DEMO_MARKER = "demo-seeded"

# What a 90-day-old help desk looks like: most of it done, a working queue on top.
STATUS_WEIGHTS = {
    TicketStatus.NEW: 9,
    TicketStatus.OPEN: 20,
    TicketStatus.PENDING: 11,
    TicketStatus.ON_HOLD: 6,
    TicketStatus.SOLVED: 12,
    TicketStatus.CLOSED: 42,
}
# The demo customer sees one of everything, several times over.
PORTAL_STATUS_CYCLE = (
    TicketStatus.OPEN, TicketStatus.PENDING, TicketStatus.SOLVED, TicketStatus.CLOSED, TicketStatus.NEW,
    TicketStatus.ON_HOLD, TicketStatus.OPEN, TicketStatus.SOLVED, TicketStatus.CLOSED, TicketStatus.PENDING,
    TicketStatus.CLOSED, TicketStatus.OPEN, TicketStatus.CLOSED, TicketStatus.SOLVED,
)
PRIORITY_WEIGHTS = {"low": 18, "normal": 56, "high": 19, "urgent": 7}
# How long ago a ticket with this status was opened (days, min-max).
AGE_DAYS = {
    TicketStatus.NEW: (0.02, 2),
    TicketStatus.OPEN: (0.1, 12),
    TicketStatus.PENDING: (1, 20),
    TicketStatus.ON_HOLD: (3, 40),
    TicketStatus.SOLVED: (1, 8),
    TicketStatus.CLOSED: (6, 90),
}


@dataclass
class Cast:
    """Who takes part in the demo conversations."""

    agents: list  # users who work tickets; the first is the demo "agent"
    manager: Any
    customers: list[Customer]
    portal_users: dict[int, Any]  # customer id -> their sign-in
    teams: dict[str, Team]
    features: dict[str, Any]  # feature key -> Feature


@dataclass
class Step:
    gap: timedelta  # after the previous step
    run: Callable[[], None]
    at: datetime | None = None
    event_ids: list[int] = field(default_factory=list)


def _pick(rng: random.Random, weights: dict) -> Any:
    return rng.choices(list(weights), weights=list(weights.values()))[0]


def _minutes(rng: random.Random, low: float, high: float) -> timedelta:
    return timedelta(minutes=rng.uniform(low, high))


def _customer_message(rng: random.Random, area: Area, topic: Topic, slots: Slots, first_name: str) -> str:
    parts = [f"{rng.choice(GREETINGS)},", topic.opening.format_map(slots)]
    if rng.random() < 0.6:
        parts.append(rng.choice(area.details).format_map(slots))
    parts.append(f"{rng.choice(SIGNOFFS)},\n{first_name}")
    return "\n\n".join(parts)


def _agent_message(rng: random.Random, text: str, slots: Slots, customer_first: str, agent) -> str:
    return (
        f"Hi {customer_first},\n\n{text.format_map(slots)}\n\n"
        f"{rng.choice(AGENT_SIGNOFFS)},\n{agent.first_name or agent.get_username()}"
    )


class DemoConversation:
    """One ticket's script: built up front, played through the services, then backdated."""

    def __init__(self, *, rng: random.Random, cast: Cast, requester: Customer, status: str, now: datetime) -> None:
        self.rng = rng
        self.cast = cast
        self.requester = requester
        self.status = status
        self.now = now
        self.area: Area = rng.choices(AREAS, weights=AREA_WEIGHTS)[0]
        self.topic: Topic = rng.choice(self.area.topics)
        self.replies = 0
        self.slots = Slots(rng, platform=self.topic.platform)
        self.portal_user = cast.portal_users.get(requester.pk)
        self.first_name = requester.name.split()[0]
        self.ticket: Ticket | None = None
        self.steps: list[Step] = []
        # Agents share the work; the demo agent gets the biggest share so "mine" is full.
        self.agent = rng.choices(cast.agents, weights=[5] + [4] * (len(cast.agents) - 1))[0]
        self._plan()

    # --- the script -------------------------------------------------------------------

    def _plan(self) -> None:
        rng, status = self.rng, self.status
        self.steps.append(Step(timedelta(0), self._create))
        triaged = status != TicketStatus.NEW or rng.random() < 0.5
        if triaged:
            self.steps.append(Step(_minutes(rng, 2, 90), self._triage))
        if status == TicketStatus.NEW:
            return
        if rng.random() < 0.3:
            self.steps.append(Step(_minutes(rng, 5, 120), self._note))
        if status == TicketStatus.PENDING:
            self.steps.append(Step(_minutes(rng, 10, 360), lambda: self._reply(status=TicketStatus.PENDING)))
            return
        self.steps.append(Step(_minutes(rng, 10, 360), self._reply))
        if self.portal_user is not None and rng.random() < 0.7:
            self.steps.append(Step(_minutes(rng, 60, 1800), self._followup))
            if rng.random() < 0.5:
                self.steps.append(Step(_minutes(rng, 15, 240), self._reply))
        if status == TicketStatus.OPEN:
            if rng.random() < 0.4:
                self.steps.append(Step(_minutes(rng, 5, 240), self._note))
            return
        if status == TicketStatus.ON_HOLD:
            self.steps.append(Step(_minutes(rng, 5, 240), self._note))
            self.steps.append(Step(_minutes(rng, 1, 30), lambda: self._set_status(TicketStatus.ON_HOLD)))
            return
        # Solved or closed: the desk wraps it up, sometimes the customer does.
        if self.portal_user is not None and rng.random() < 0.3:
            self.steps.append(Step(_minutes(rng, 60, 2000), self._customer_marks_solved))
        else:
            self.steps.append(Step(_minutes(rng, 60, 2000), self._resolve))
        if status == TicketStatus.CLOSED:
            # What the hourly auto-close does four days after "solved".
            self.steps.append(Step(timedelta(days=4, minutes=rng.uniform(1, 59)), self._auto_close))

    def _create(self) -> None:
        rng = self.rng
        subject = self.topic.subject.format_map(self.slots)
        body = _customer_message(rng, self.area, self.topic, self.slots, self.first_name)
        priority = _pick(rng, PRIORITY_WEIGHTS)
        if self.portal_user is not None and rng.random() < 0.8:
            actor, channel = self.portal_user, TicketChannel.WEB
        elif rng.random() < 0.8:
            actor, channel = None, TicketChannel.EMAIL  # the mail intake, in the customer's words
        else:
            actor, channel = self.agent, rng.choice((TicketChannel.PHONE, TicketChannel.CHAT))
            body = f"Logged from a {channel} conversation with {self.requester.name}:\n\n" + body
        self.ticket = services.ticket_create(
            actor=actor, requester=self.requester, subject=subject, body=body, priority=priority, channel=channel,
            imported=True,  # history, written all at once: not the customer opening ten requests a minute
        )

    def _triage(self) -> None:
        rng, area = self.rng, self.area
        tags = list(area.tags)
        if rng.random() < 0.45:
            tags.append(rng.choice(TRIAGE_TAGS))
        if self.slots.platform is not None and rng.random() < 0.7:
            tags.append(self.slots.platform)  # the platform the conversation is about: "ios" or "android"
        if self.requester.organization_id and self.requester.organization.is_key_account and rng.random() < 0.5:
            tags.append("vip")
        changes: dict[str, Any] = {"team": self.cast.teams[area.team], "tags": tags}
        if self.status != TicketStatus.NEW or rng.random() < 0.3:
            changes["assignee"] = self.agent
        if area.feature and area.feature in self.cast.features and rng.random() < 0.75:
            changes["feature"] = self.cast.features[area.feature]
        if rng.random() < 0.12:
            changes["priority"] = rng.choice(("high", "urgent"))
        services.ticket_update(actor=self.agent, ticket=self.ticket, **changes)

    def _reply(self, *, status: str | None = None) -> None:
        # The first answer addresses the request; later ones carry the conversation on.
        text = self.topic.reply if self.replies == 0 else self.rng.choice(AGENT_FOLLOWUPS)
        self.replies += 1
        if status == TicketStatus.PENDING:
            text += "\n\nI'll set this ticket to pending until I hear back from you."
        body = _agent_message(self.rng, text, self.slots, self.first_name, self.agent)
        services.ticket_message_post(actor=self.agent, ticket=self.ticket, body=body, status=status)

    def _note(self) -> None:
        body = self.rng.choice(self.area.notes).format_map(self.slots)
        services.ticket_message_post(actor=self.agent, ticket=self.ticket, body=body, internal=True)

    def _followup(self) -> None:
        body = f"{self.rng.choice(self.area.followups).format_map(self.slots)}\n\n{self.first_name}"
        services.ticket_message_post(actor=self.portal_user, ticket=self.ticket, body=body)

    def _resolve(self) -> None:
        body = _agent_message(self.rng, self.rng.choice(self.area.resolutions), self.slots, self.first_name, self.agent)
        services.ticket_message_post(actor=self.agent, ticket=self.ticket, body=body, status=TicketStatus.SOLVED)

    def _customer_marks_solved(self) -> None:
        services.ticket_update(actor=self.portal_user, ticket=self.ticket, status=TicketStatus.SOLVED)

    def _set_status(self, status: str) -> None:
        services.ticket_update(actor=self.agent, ticket=self.ticket, status=status)

    def _auto_close(self) -> None:
        services.ticket_update(actor=None, ticket=self.ticket, status=TicketStatus.CLOSED)

    # --- timing -------------------------------------------------------------------------

    def schedule(self) -> None:
        """Give every step a moment in the past, in order, ending before now."""
        low, high = AGE_DAYS[self.status]
        start = self.now - timedelta(days=self.rng.uniform(low, high))
        total = sum((s.gap for s in self.steps), timedelta(0))
        latest = self.now - timedelta(minutes=self.rng.uniform(3, 60))
        if self.status == TicketStatus.SOLVED:
            # Solved (the last step) in the last few days, so the auto-close has
            # not taken it yet.
            latest = self.now - timedelta(hours=self.rng.uniform(1, 80))
            start = latest - total
        if latest - start < timedelta(minutes=5):
            start = latest - timedelta(minutes=5)
        scale = 1.0
        if start + total > latest:
            scale = max((latest - start) / total, 0.0) if total else 1.0
        moment = start
        for step in self.steps:
            moment = moment + step.gap * scale
            step.at = moment

    def play(self) -> Ticket:
        seen = 0
        for step in self.steps:
            step.run()
            new = list(
                TicketEvent.objects.filter(ticket_id=self.ticket.pk, id__gt=seen).order_by("id").values_list("id", flat=True)
            )
            step.event_ids = new
            seen = new[-1] if new else seen
        self.schedule()
        times: dict[int, datetime] = {}
        previous = None
        for step in self.steps:
            for event_id in step.event_ids:
                # Strictly increasing: rows written by one step stay a second apart.
                moment = step.at if previous is None else max(step.at, previous + timedelta(seconds=1))
                times[event_id] = previous = moment
        return bulk_load.ticket_backdate_demo(actor=None, ticket=self.ticket, event_times=times)


def demo_statuses(rng: random.Random, count: int) -> list[str]:
    return rng.choices(list(STATUS_WEIGHTS), weights=list(STATUS_WEIGHTS.values()), k=count)


def seed_conversations(*, cast: Cast, count: int, stdout, seed: int = 7) -> int:
    """Create ``count`` demo tickets once; returns how many were made (0 when already seeded).

    One transaction: either every demo ticket and the marker exist, or none do,
    so an interrupted run is simply repeated.
    """
    rng = random.Random(seed)
    now = timezone.now()
    with transaction.atomic():
        if not bulk_load.seed_marker_claim(actor=None, name=DEMO_MARKER, value=count):
            stdout.write("  demo tickets: already seeded, left as they are")
            return 0
        portal_customers = [c for c in cast.customers if c.pk in cast.portal_users]
        others = [c for c in cast.customers if c.pk not in cast.portal_users]
        plan: list[tuple[Customer, str]] = []
        # The first portal customer ("customer") gets the full cycle, the second half of it.
        for index, customer in enumerate(portal_customers):
            cycle = PORTAL_STATUS_CYCLE if index == 0 else PORTAL_STATUS_CYCLE[::2]
            plan.extend((customer, status) for status in cycle)
        plan = plan[:count]
        # Larger accounts write more tickets.
        weights = [3 if (c.organization and c.organization.is_key_account) else 1 for c in others]
        for status in demo_statuses(rng, count - len(plan)):
            plan.append((rng.choices(others, weights=weights)[0] if others else portal_customers[0], status))
        for done, (requester, status) in enumerate(plan, start=1):
            DemoConversation(rng=rng, cast=cast, requester=requester, status=status, now=now).play()
            if done % 50 == 0 or done == len(plan):
                stdout.write(f"  demo tickets: {done}/{len(plan)}")
    return len(plan)
