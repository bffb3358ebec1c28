"""Every write of live chat. Import from here."""

from livelisten.services.coaching import coaching_mark_add, coaching_marks_mark_seen
from livelisten.services.listening import (
    listen_start,
    listen_stop,
    listen_touch,
    listeners_sweep,
    session_barge,
    session_leave,
)
from livelisten.services.messages import MAX_BODY_BYTES, message_post, whisper_post
from livelisten.services.sessions import (
    agent_chat_settings_save,
    session_accept,
    session_end,
    session_start,
    session_transcript_email,
    session_transfer,
)
from livelisten.services.socket_tickets import socket_ticket_issue, socket_ticket_redeem
from livelisten.services.upkeep import offers_pass_on, sessions_end_idle

__all__ = [
    "MAX_BODY_BYTES",
    "agent_chat_settings_save",
    "coaching_mark_add",
    "coaching_marks_mark_seen",
    "listen_start",
    "listen_stop",
    "listen_touch",
    "listeners_sweep",
    "message_post",
    "offers_pass_on",
    "session_accept",
    "session_barge",
    "session_end",
    "session_leave",
    "session_start",
    "session_transcript_email",
    "session_transfer",
    "sessions_end_idle",
    "socket_ticket_issue",
    "socket_ticket_redeem",
    "whisper_post",
]
