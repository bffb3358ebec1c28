"""Demo conversations agree with their subjects: one platform per ticket, the subject's product, team and tags.

Before, every ``{device}`` and ``{os}`` slot was drawn on its own, so an iOS ticket
could go on about "OnePlus 12 phones" and a billing ticket could be tagged "ios".
"""

from __future__ import annotations

import random
import re
from io import StringIO

import pytest
from django.core.management import call_command

from helpdesk.demo.corpus import AREAS, PLATFORM_WORDS, TAG_POOL, Area, Slots
from helpdesk.demo.factory import Requester, TicketFactory
from helpdesk.models import Ticket

_PATTERNS = {
    platform: re.compile(r"\b(" + "|".join(re.escape(word) for word in words) + r")\b")
    for platform, words in PLATFORM_WORDS.items()
}


def platforms_named(text: str) -> set[str]:
    return {platform for platform, pattern in _PATTERNS.items() if pattern.search(text)}


def _subject_pattern(template: str) -> re.Pattern:
    parts = re.split(r"\{\w+\}", template)
    return re.compile("^" + ".+".join(re.escape(part) for part in parts) + "$")


SUBJECTS = [(_subject_pattern(topic.subject), area, topic) for area in AREAS for topic in area.topics]


def area_of(subject: str) -> Area:
    matches = {area.key: area for pattern, area, _ in SUBJECTS if pattern.match(subject)}
    assert len(matches) == 1, f"subject {subject!r} matches areas {sorted(matches)}"
    return next(iter(matches.values()))


@pytest.mark.parametrize("area", AREAS, ids=[a.key for a in AREAS])
def test_every_text_of_a_conversation_names_one_platform(area):
    """Each topic with every line its conversation may use, over many draws of the slots."""
    for seed in range(60):
        rng = random.Random(seed)
        for topic in area.topics:
            slots = Slots(rng, platform=topic.platform)
            texts = [topic.subject, topic.opening, topic.reply, *area.details, *area.followups, *area.notes,
                     *area.resolutions]
            rendered = " ".join(text.format_map(slots) for text in texts)
            named = platforms_named(rendered)
            assert len(named) <= 1, f"{area.key}: {named} in {rendered!r}"
            if topic.platform is not None:
                assert named <= {topic.platform}, (topic.subject, rendered)
            if slots.platform is not None:
                assert named <= {slots.platform}


@pytest.mark.django_db
def test_seeded_demo_tickets_agree_with_their_subjects(settings):
    settings.DEBUG = True
    call_command("seed_demo", "--demo-tickets", "160", stdout=StringIO())
    from livelisten.models import ChatSession

    # The live chat demo's three chats have subjects of their own (livelisten/demo.py).
    chats = ChatSession.objects.values_list("ticket_id", flat=True)
    tickets = Ticket.objects.exclude(pk__in=chats).select_related("team", "feature").prefetch_related("tags", "events")
    checked = 0
    for ticket in tickets:
        area = area_of(ticket.subject)
        text = " ".join([ticket.subject, *(event.body for event in ticket.events.all())])
        tag_names = {tag.name for tag in ticket.tags.all()}
        named = platforms_named(text)
        assert len(named) <= 1, f"{ticket.reference} names {named}: {text!r}"
        assert tag_names & set(PLATFORM_WORDS) <= named, f"{ticket.reference} tagged {tag_names} but names {named}"
        if ticket.feature_id is not None:
            assert ticket.feature.key == area.feature, (ticket.reference, ticket.subject, ticket.feature.key)
        if ticket.team_id is not None:
            assert ticket.team.name == area.team, (ticket.reference, ticket.subject, ticket.team.name)
            assert set(area.tags) <= tag_names, (ticket.reference, tag_names)
        checked += 1
    assert checked == 160


def test_bulk_generated_tickets_agree_with_their_subjects():
    tags = {name: index for index, name in enumerate(TAG_POOL, start=1)}
    names = {index: name for name, index in tags.items()}
    factory = TicketFactory(
        requesters=[Requester(1, None, "Ann"), Requester(2, None, "Bo")],
        agents=[(1, "Jordan"), (2, "Priya")],
        teams={"Billing": 1, "Technical support": 2, "Mobile": 3},
        tags=tags,
        features={},
        now=1_750_000_000,
        seed=5,
    )
    mobile = 0
    for ticket, events, tag_ids in factory.generate(3000):
        text = " ".join([ticket[0], *(event[3] for event in events)])
        named = platforms_named(text)
        assert len(named) <= 1, text
        assert {names[i] for i in tag_ids} & set(PLATFORM_WORDS) <= named, (ticket[0], [names[i] for i in tag_ids])
        mobile += bool(named)
    assert mobile > 100, "the check saw mobile tickets"
    long_ticket, rows, _ = factory.long_conversation(events=400)
    assert len(platforms_named(" ".join(row[3] for row in rows))) <= 1
