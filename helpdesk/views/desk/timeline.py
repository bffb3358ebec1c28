"""The ticket timeline as the desk shows it: messages as cards, changes as compact audit lines.

One service call writes several change rows with the same actor and time (an
agent saving status and priority together); they read best as one line, so
consecutive changes by one actor at one moment are grouped.
"""

from __future__ import annotations

from dataclasses import dataclass, field
from datetime import datetime
from typing import Any

from helpdesk import presenters
from helpdesk.models import TicketChannel, TicketEvent, TicketPriority, TicketStatus
from helpdesk.selectors import TimelineEntry

Kind = TicketEvent.Kind

# A phrase is a list of (text, is_value) pieces; templates bold the values and escape everything.
Phrase = list[tuple[str, bool]]


@dataclass
class TimelineItem:
    kind: str  # "message" or "audit"
    events: list[TicketEvent] | list[TimelineEntry]
    actor_label: str
    created_at: datetime
    phrases: list[Phrase] = field(default_factory=list)
    remarks: list[str] = field(default_factory=list)
    # Who typed a customer's words for them (a call logged by an agent); "" when they wrote them.
    written_by: str = ""
    # How the message travelled by email (selectors_mail.MailMark), and the link to a received one's original.
    mail: Any = None
    mail_url: str = ""
    # The message's files (helpdesk.Attachment) the viewer may see.
    attachments: list = field(default_factory=list)

    @property
    def event(self) -> TicketEvent:
        return self.events[0]

    @property
    def anchor(self) -> str:
        return f"e{self.events[-1].pk}"

    @property
    def is_note(self) -> bool:
        return self.event.kind == Kind.NOTE

    @property
    def is_customer(self) -> bool:
        return self.event.customer_id is not None


# Looked up for every change line of a long timeline; building the enum member each time
# cost more than the rest of the line.
_STATUS_LABELS = dict(TicketStatus.choices)
_CHANNEL_LABELS = dict(TicketChannel.choices)


def _status_label(value: str) -> str:
    return _STATUS_LABELS.get(value, value)


def _priority_label(value: str) -> str:
    try:
        return TicketPriority.from_name(value).label
    except KeyError:
        return value


def _channel_label(value: str) -> str:
    return _CHANNEL_LABELS.get(value, value)


def _from_to(name: str, old: str, new: str, *, set_verb: str, clear_verb: str) -> Phrase:
    if not old:
        return [(f"{set_verb} ", False), (new, True)]
    if not new:
        return [(f"{clear_verb} ", False), (old, True)]
    return [(f"changed {name} from ", False), (old, True), (" to ", False), (new, True)]


def phrase_for(event: TicketEvent, *, user_labels: dict[str, str]) -> Phrase:
    old, new = event.old_value, event.new_value
    if event.kind == Kind.CREATED:
        return (
            [("created the ticket via ", False), (_channel_label(new), True)]
            if new
            else [("created the ticket", False)]
        )
    if event.kind == Kind.STATUS:
        return [
            ("changed status from ", False),
            (_status_label(old), True),
            (" to ", False),
            (_status_label(new), True),
        ]
    if event.kind == Kind.PRIORITY:
        return [
            ("changed priority from ", False),
            (_priority_label(old), True),
            (" to ", False),
            (_priority_label(new), True),
        ]
    if event.kind == Kind.ASSIGNEE:
        return _from_to(
            "assignee",
            user_labels.get(old, old),
            user_labels.get(new, new),
            set_verb="assigned to",
            clear_verb="unassigned",
        )
    if event.kind == Kind.TEAM:
        return _from_to("team", old, new, set_verb="set team", clear_verb="removed team")
    if event.kind == Kind.FEATURE:
        return _from_to("feature", old, new, set_verb="linked feature", clear_verb="unlinked feature")
    if event.kind == Kind.REQUESTER:
        return [("changed requester from ", False), (old, True), (" to ", False), (new, True)]
    if event.kind == Kind.CC:
        return [("copied ", False), (new, True)] if new else [("stopped copying ", False), (old, True)]
    if event.kind == Kind.SUBJECT:
        return [("changed subject from ", False), (old, True), (" to ", False), (new, True)]
    if event.kind == Kind.MERGED:
        if old:
            return [("merged ", False), (old, True), (" into this ticket", False)]
        return [("merged this ticket into ", False), (new, True)]
    if event.kind == Kind.REMOVED:
        return _removal_phrase(old, new)
    if event.kind == Kind.LINKED_WORK:
        return [(f"{old} ", False), (new, True)]
    if event.kind == Kind.TAGS:
        before, after = set(old.split()), set(new.split())
        phrase: Phrase = []
        added, removed = sorted(after - before), sorted(before - after)
        if added:
            phrase += [("added tag" + ("s " if len(added) > 1 else " "), False), (", ".join(added), True)]
        if removed:
            if phrase:
                phrase.append((" and ", False))
            phrase += [("removed tag" + ("s " if len(removed) > 1 else " "), False), (", ".join(removed), True)]
        return phrase or [("changed tags", False)]
    return [(event.get_kind_display().lower(), False)]


_REMOVAL_WORDS = {"spam": "marked the ticket as spam", "deleted": "deleted the ticket"}


def _removal_phrase(old: str, new: str) -> Phrase:
    if new:
        return [(_REMOVAL_WORDS.get(new, "removed the ticket"), False)]
    was = "spam" if old == "spam" else "deleted"
    return [("restored the ticket (it was ", False), (was, True), (")", False)]


def _actor_label(event: TicketEvent, requester: Any) -> str:
    return presenters.author_display(event, viewer_is_desk=True, viewer_customer_id=None, requester=requester)


def _written_by(event, requester: Any) -> str:
    """The desk name of whoever typed a customer's words for them, or ""."""
    if event.customer_id is None or event.actor_id is None or event.actor is None:
        return ""
    if requester is not None and requester.user_id is not None and event.actor_id == requester.user_id:
        return ""
    if getattr(event.customer, "user_id", None) == event.actor_id:
        return ""
    return event.actor.get_full_name() or event.actor.get_username()


def build_timeline(
    events: list[TicketEvent] | list[TimelineEntry],
    *,
    user_labels: dict[str, str],
    requester: Any = None,
    mail_marks: dict[int, Any] | None = None,
    original_url: Any = None,
    attachments: dict[int, list] | None = None,
) -> list[TimelineItem]:
    """``mail_marks``: event id → ``MailMark``; ``original_url(inbound_id)`` links a received email's original;
    ``attachments``: event id → its files."""
    items: list[TimelineItem] = []
    # A desk name depends only on who acted and for which customer: worked out once per pair.
    labels: dict[tuple[int | None, int | None], str] = {}

    def label_of(event) -> str:
        key = (event.actor_id, event.customer_id)
        label = labels.get(key)
        if label is None:
            label = labels[key] = _actor_label(event, requester)
        return label

    marks = mail_marks or {}
    files = attachments or {}
    for event in events:
        if event.is_message:
            mark = marks.get(event.pk)
            items.append(
                TimelineItem(
                    kind="message",
                    events=[event],
                    actor_label=label_of(event),
                    created_at=event.created_at,
                    written_by=_written_by(event, requester),
                    mail=mark,
                    mail_url=original_url(mark.inbound_id) if mark and mark.inbound_id and original_url else "",
                    attachments=files.get(event.pk, []),
                )
            )
            continue
        last = items[-1] if items else None
        if (
            last is not None
            and last.kind == "audit"
            and last.event.actor_id == event.actor_id
            and last.created_at == event.created_at
        ):
            item = last
            item.events.append(event)
        else:
            item = TimelineItem(kind="audit", events=[event], actor_label=label_of(event), created_at=event.created_at)
            items.append(item)
        item.phrases.append(phrase_for(event, user_labels=user_labels))
        if event.body:
            # System changes explain themselves ("Closed automatically 4 days after…").
            item.remarks.append(event.body)
    return items


def describe_changes(
    events: list[TicketEvent], *, me: Any, requester: Any = None
) -> tuple[list[str], list[str]]:
    """Who changed the ticket and what kinds of change, for the conflict banner."""
    actors: list[str] = []
    kinds: list[str] = []
    for event in events:
        mine = event.actor_id is not None and event.actor_id == me.pk
        label = "you (in another tab)" if mine else _actor_label(event, requester)
        if label not in actors:
            actors.append(label)
        kind = "message" if event.kind == Kind.REPLY else "internal note" if event.kind == Kind.NOTE else event.kind
        if kind not in kinds:
            kinds.append(kind)
    return actors, kinds
