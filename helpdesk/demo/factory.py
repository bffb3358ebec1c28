"""Generated tickets for bulk loads (``seed_demo --tickets N``, benchmarks).

Shapes are modelled on a help desk a few years old: ~80% of tickets closed or
solved, a working queue of recent unsolved ones, priorities mostly normal,
requesters with a long tail, and message text drawn from the same product
areas as the hand-played demo conversations, including rare tokens (order
numbers, error codes, request ids) so full-text search sees realistic
selectivity.

Rows come out as plain tuples in ``helpdesk.demo.bulk_load`` column order, with
times as UNIX seconds; the loader turns them into COPY lines or model rows.
"""

from __future__ import annotations

import bisect
import itertools
import random
import time
from collections.abc import Iterator, Sequence
from dataclasses import dataclass

from django.contrib.auth import get_user_model

from helpdesk import permissions
from helpdesk.demo.corpus import (
    AGENT_FOLLOWUPS,
    AGENT_SIGNOFFS,
    ANDROID,
    AREA_WEIGHTS,
    AREAS,
    GREETINGS,
    IOS,
    PLATFORM_WORDS,
    SIGNOFFS,
    TAG_POOL,
    Area,
    Slots,
    Topic,
)
from helpdesk.models import Customer, Team, Ticket, TicketChannel, TicketEvent, TicketStatus

DAY = 86_400
HOUR = 3_600

CREATED, REPLY, NOTE, STATUS = (
    TicketEvent.Kind.CREATED.value,
    TicketEvent.Kind.REPLY.value,
    TicketEvent.Kind.NOTE.value,
    TicketEvent.Kind.STATUS.value,
)
NEW, OPEN, PENDING, ON_HOLD, SOLVED, CLOSED = (s.value for s in TicketStatus)

# Status shares of a desk that has been running for years.
STATUS_SHARES = ((CLOSED, 76), (SOLVED, 4), (OPEN, 8), (NEW, 4), (PENDING, 5), (ON_HOLD, 3))
PRIORITY_SHARES = ((2, 62), (1, 15), (3, 17), (4, 6))
CHANNEL_SHARES = (("email", 38), ("web", 37), ("chat", 10), ("phone", 9), ("api", 6))
TAG_COUNT_SHARES = ((0, 20), (1, 35), (2, 30), (3, 15))
# How long ago unsolved tickets were opened: the queue is recent.
UNSOLVED_AGE_DAYS = {NEW: 3, OPEN: 30, PENDING: 45, ON_HOLD: 90}
HISTORY_DAYS = 3 * 365
AUTO_CLOSE = 4 * DAY


class _Weighted:
    """Weighted choice by bisecting cumulative weights (``random.choices`` recomputes them each call)."""

    def __init__(self, shares: Sequence[tuple[object, float]]) -> None:
        self.values = [value for value, _ in shares]
        self.cumulative = list(itertools.accumulate(weight for _, weight in shares))
        self.total = self.cumulative[-1]

    def pick(self, rng: random.Random):
        return self.values[bisect.bisect_right(self.cumulative, rng.random() * self.total)]


@dataclass
class Requester:
    id: int
    organization_id: int | None
    first_name: str


class TicketFactory:
    """Makes ticket rows from the people, teams, tags and features already in the database."""

    def __init__(
        self,
        *,
        requesters: Sequence[Requester],
        agents: Sequence[tuple[int, str]],
        teams: dict[str, int],
        tags: dict[str, int],
        features: dict[str, int],
        now: float | None = None,
        seed: int = 1,
    ) -> None:
        if not requesters:
            raise ValueError("Bulk tickets need customers to be their requesters; run seed_demo first.")
        if not agents:
            raise ValueError("Bulk tickets need agents to answer them; run seed_demo first.")
        self.rng = random.Random(seed)
        self.now = int(now if now is not None else time.time())
        self.requesters = list(requesters)
        # A long tail: a few customers write a lot, most write rarely.
        self.requester_weights = _Weighted([(r, 1.0 / (rank + 10) ** 0.8) for rank, r in enumerate(self.requesters)])
        self.agents = list(agents)
        self.teams = teams
        # Platform tags go only on tickets about that platform (below), never at random.
        self.tag_ids = [tags[name] for name in TAG_POOL if name in tags and name not in PLATFORM_WORDS]
        self.tags = tags
        self.features = features
        self.areas = _Weighted(list(zip(AREAS, AREA_WEIGHTS)))
        self.statuses = _Weighted(STATUS_SHARES)
        self.priorities = _Weighted(PRIORITY_SHARES)
        self.channels = _Weighted(CHANNEL_SHARES)
        self.tag_counts = _Weighted(TAG_COUNT_SHARES)

    @classmethod
    def from_database(cls, *, seed: int = 1, now: float | None = None) -> TicketFactory:
        """Requesters are customers without a portal sign-in, so the demo portal accounts stay readable."""
        requesters = [
            Requester(pk, org, name.split()[0] if name else "there")
            for pk, org, name in Customer.objects.filter(user__isnull=True)
            .order_by("id")
            .values_list("id", "organization_id", "name")
        ]
        User = get_user_model()
        agents = [
            (user.pk, user.first_name or user.get_username())
            for user in User.objects.filter(is_active=True, groups__name="Agents").order_by("id").distinct()
            if permissions.can_work_tickets(user)
        ]
        feature_model = Ticket._meta.get_field("feature").related_model
        from helpdesk.demo.bulk_load import tags_ensure

        return cls(
            requesters=requesters,
            agents=agents,
            teams=dict(Team.objects.values_list("name", "id")),
            tags=tags_ensure(actor=None, names=TAG_POOL),
            features=dict(feature_model.objects.values_list("key", "id")),
            now=now,
            seed=seed,
        )

    # --- text ------------------------------------------------------------------------------

    def _customer_body(self, area: Area, topic: Topic, slots: Slots, first_name: str) -> str:
        rng = self.rng
        parts = [rng.choice(GREETINGS) + ",", topic.opening.format_map(slots)]
        if rng.random() < 0.55:
            parts.append(rng.choice(area.details).format_map(slots))
        if rng.random() < 0.15:
            # Pasted diagnostics: the rare tokens search has to find.
            parts.append(f"Reference: order #{slots['order']}, error {slots['error']}, request {slots['request_id']}.")
        parts.append(f"{rng.choice(SIGNOFFS)},\n{first_name}")
        return "\n\n".join(parts)

    def _agent_body(self, text: str, slots: Slots, first_name: str, agent_name: str) -> str:
        return f"Hi {first_name},\n\n{text.format_map(slots)}\n\n{self.rng.choice(AGENT_SIGNOFFS)},\n{agent_name}"

    # --- rows --------------------------------------------------------------------------------

    def generate(self, count: int) -> Iterator[tuple]:
        for _ in range(count):
            yield self.ticket()

    def ticket(self) -> tuple:
        rng, now = self.rng, self.now
        area: Area = self.areas.pick(rng)
        topic: Topic = rng.choice(area.topics)
        status = self.statuses.pick(rng)
        requester: Requester = self.requester_weights.pick(rng)
        slots = Slots(rng, platform=topic.platform)
        agent_id, agent_name = rng.choice(self.agents)
        assignee = None if (status == NEW and rng.random() < 0.75) or rng.random() < 0.04 else agent_id
        team_id = self.teams.get(area.team) if rng.random() < 0.9 else None
        feature_id = self.features.get(area.feature) if area.feature and rng.random() < 0.42 else None
        channel = self.channels.pick(rng)

        # Times, in UNIX seconds, all in the past and in timeline order.
        response_after = int(rng.uniform(300, 20 * HOUR))
        if status in UNSOLVED_AGE_DAYS:
            created = now - int(UNSOLVED_AGE_DAYS[status] * DAY * rng.random()) - 120
            # A ticket opened minutes ago was answered within those minutes.
            response_after = min(response_after, int((now - created) * rng.uniform(0.1, 0.9)))
        elif status == SOLVED:
            created = now - int(rng.uniform(1, 10) * DAY)
        else:
            # Closed: anywhere in three years, more of them recently (the desk grew),
            # and early enough for the answer, the fix and the auto-close to have happened.
            solve_after = int(rng.uniform(HOUR, 10 * DAY))
            close_after = AUTO_CLOSE + int(rng.uniform(60, HOUR))
            created = min(
                now - int(HISTORY_DAYS * DAY * (1 - rng.random() ** 0.5)),
                now - response_after - solve_after - close_after - int(rng.uniform(60, 2 * DAY)),
            )
        first_response = None if status == NEW else created + response_after
        solved = closed = None
        events = [
            (CREATED, None, None, "", "", channel, created),
            (REPLY, None, requester.id, self._customer_body(area, topic, slots, requester.first_name), "", "", created),
        ]
        if first_response is not None:
            events.append((REPLY, agent_id, None, self._agent_body(topic.reply, slots, requester.first_name, agent_name),
                           "", "", first_response))  # fmt: skip
        if status == NEW:
            updated = created
        elif status == CLOSED:
            solved = first_response + solve_after
            closed = solved + close_after
            updated = closed
            events.append((STATUS, None, None, "Closed automatically 4 days after it was solved.", SOLVED, CLOSED,
                           closed))  # fmt: skip
        elif status == SOLVED:
            solved = max(first_response + HOUR, now - int(rng.uniform(HOUR, 3.5 * DAY)))
            updated = solved
            events.append((STATUS, agent_id, None, "", OPEN, SOLVED, solved))
        else:
            # The last change happened some time between the answer and now.
            updated = first_response + int((now - first_response) * rng.random())
            if status != OPEN:
                events.append((STATUS, agent_id, None, "", OPEN, status, updated))
            elif rng.random() < 0.3:
                events.append((NOTE, agent_id, None, rng.choice(area.notes).format_map(slots), "", "", updated))
            else:
                updated = first_response

        tag_count = self.tag_counts.pick(rng)
        tag_ids: list[int] = []
        if tag_count:
            candidates = [self.tags[t] for t in area.tags if t in self.tags][:1] + rng.sample(self.tag_ids, 3)
            tag_ids = list(dict.fromkeys(candidates))[:tag_count]
            if slots.platform in self.tags:
                tag_ids[-1:] = [self.tags[slots.platform]]
        ticket = (
            topic.subject.format_map(slots),
            requester.id,
            requester.organization_id,
            assignee,
            team_id,
            status,
            self.priorities.pick(rng),
            channel,
            feature_id,
            len(events) - 1,
            created,
            updated,
            first_response,
            solved,
            closed,
        )
        return ticket, events, tag_ids

    def long_conversation(self, *, events: int, requester: Requester | None = None) -> tuple:
        """One open ticket with a timeline of ``events`` rows: a long-running problem thread."""
        rng, now = self.rng, self.now
        area = next(a for a in AREAS if a.key == "sync")
        requester = requester or self.requesters[0]
        # One platform for the whole thread: every message talks about the same phones.
        slots = Slots(rng, platform=rng.choice((IOS, ANDROID)))
        topic = area.topics[0]
        agent_id, agent_name = self.agents[0]
        created = now - 120 * DAY
        step = (now - HOUR - created) // max(events, 1)
        rows = [
            (CREATED, None, None, "", "", TicketChannel.EMAIL.value, created),
            (REPLY, None, requester.id, self._customer_body(area, topic, slots, requester.first_name), "", "", created),
        ]
        status = NEW
        at = created
        first_response = None
        while len(rows) < events - 1:
            at += step
            turn = len(rows) % 7
            if turn in (0, 3):
                text = rng.choice(AGENT_FOLLOWUPS + tuple(t.reply for t in area.topics))
                body = self._agent_body(text, Slots(rng, platform=slots.platform), requester.first_name, agent_name)
                rows.append((REPLY, agent_id, None, body, "", "", at))
                first_response = first_response or at
                if status == NEW:
                    rows.append((STATUS, agent_id, None, "", NEW, OPEN, at))
                    status = OPEN
            elif turn in (1, 4, 6):
                followup = rng.choice(area.followups).format_map(Slots(rng, platform=slots.platform))
                body = f"{followup}\n\n{requester.first_name}"
                rows.append((REPLY, None, requester.id, body, "", "", at))
            elif turn == 2:
                note = rng.choice(area.notes).format_map(Slots(rng, platform=slots.platform))
                rows.append((NOTE, agent_id, None, note, "", "", at))
            elif status != NEW:
                new_status = PENDING if status == OPEN else OPEN
                rows.append((STATUS, agent_id, None, "", status, new_status, at))
                status = new_status
        at += step
        if status == OPEN:
            body = self._agent_body(rng.choice(AGENT_FOLLOWUPS), Slots(rng, platform=slots.platform),
                                    requester.first_name, agent_name)
            rows.append((REPLY, agent_id, None, body, "", "", at))
        else:
            rows.append((STATUS, agent_id, None, "", status, OPEN, at))
            status = OPEN
        ticket = (
            "Offline sync keeps dropping field reports (long-running)",
            requester.id,
            requester.organization_id,
            agent_id,
            self.teams.get(area.team),
            status,
            3,
            TicketChannel.EMAIL.value,
            self.features.get(area.feature),
            len(rows) - 1,
            created,
            rows[-1][-1],
            first_response,
            None,
            None,
        )
        return ticket, rows, [self.tags[t] for t in area.tags if t in self.tags]


class LongConversation:
    """A row source of exactly one ticket with a long timeline (for the ticket-page benchmark)."""

    def __init__(self, factory: TicketFactory, *, events: int) -> None:
        self.factory = factory
        self.events = events

    def generate(self, count: int) -> Iterator[tuple]:
        for _ in range(count):
            yield self.factory.long_conversation(events=self.events)
