"""Demo chats for `manage.py seed_demo`: one waiting, one going on (with a whisper), one ended (with a coaching mark).

Run again, it leaves the demo chats alone when they exist (it looks for their subjects).
"""

from __future__ import annotations

from django.contrib.auth import get_user_model

from livelisten import services
from livelisten.models import ChatSession

WAITING = "Can I change the billing e-mail address?"
ACTIVE = "The CSV export stops at 10,000 rows"
ENDED = "Push notifications stopped on my iPhone"


def seed_chats(*, stdout) -> None:
    people = {user.username: user for user in get_user_model().objects.filter(
        username__in=["agent", "agent2", "manager", "pm", "customer", "customer2"]
    )}  # fmt: skip
    if len(people) < 6 or ChatSession.objects.filter(subject__in=[WAITING, ACTIVE, ENDED]).exists():
        stdout.write("  live chats: left as they are")
        return
    customer, customer2 = people["customer"], people["customer2"]
    agent, agent2, manager = people["agent"], people["agent2"], people["manager"]

    services.session_start(
        actor=customer2, subject=WAITING, body="Our finance team moved; invoices should go to ap@bluefin.example."
    )

    going_on = services.session_start(
        actor=customer, subject=ACTIVE, body="Every export of the monthly report stops at 10,000 rows."
    )
    services.session_accept(actor=agent, session_id=going_on.pk)
    services.message_post(actor=agent, session_id=going_on.pk, body="Thanks Emma, I'm looking at it. Which report is it?")
    services.message_post(actor=customer, session_id=going_on.pk, body="Monthly shipments, all depots.")
    services.whisper_post(actor=manager, session_id=going_on.pk, body="That's the known export limit: offer the nightly export.")

    ended = services.session_start(actor=customer, subject=ENDED, body="Since yesterday I get no push notifications at all.")
    services.session_accept(actor=agent2, session_id=ended.pk)
    reply, _ = services.message_post(actor=agent2, session_id=ended.pk, body="Reinstall the app.")
    services.message_post(actor=customer, session_id=ended.pk, body="Done, they work again. Thanks!")
    services.coaching_mark_add(
        actor=manager,
        session_id=ended.pk,
        seq=reply.seq,
        comment="Ask which iOS version first, and explain why; a reinstall loses offline data.",
    )
    services.session_end(actor=customer, session_id=ended.pk)
    stdout.write("  live chats: 1 waiting, 1 active (with a whisper), 1 ended (transcript on its ticket, a coaching mark)")
