"""Display helpers of the desk templates."""

from __future__ import annotations

from datetime import UTC, datetime, timedelta

import pytest

from helpdesk.templatetags.desk import initials, priority_badge, relative_age, status_badge

NOW = datetime(2025, 3, 14, 12, 0, tzinfo=UTC)


@pytest.mark.parametrize(
    "ago, full, compact",
    [
        (timedelta(seconds=20), "just now", "now"),
        (timedelta(minutes=5), "5 min ago", "5 min"),
        (timedelta(hours=3, minutes=59), "3 h ago", "3 h"),
        (timedelta(days=2), "2 d ago", "2 d"),
        (timedelta(days=30), "12 Feb", "12 Feb"),
        (timedelta(days=400), "8 Feb 2024", "8 Feb 2024"),
        (-timedelta(minutes=3), "just now", "now"),  # clocks a little apart
    ],
)
def test_relative_age(ago, full, compact, settings):
    settings.TIME_ZONE = "UTC"
    assert relative_age(NOW - ago, now=NOW) == full
    assert relative_age(NOW - ago, now=NOW, compact=True) == compact


def test_badges_escape_unknown_values():
    assert status_badge("<x>") == '<span class="badge status status-&lt;x&gt;">&lt;x&gt;</span>'
    assert priority_badge("<x>") == '<span class="badge priority">&lt;x&gt;</span>'
    assert priority_badge(4) == '<span class="badge priority priority-urgent">Urgent</span>'
    assert priority_badge("high") == '<span class="badge priority priority-high">High</span>'


@pytest.mark.parametrize(
    "name, expected", [("Casey Customer", "CC"), ("agent", "A"), ("casey@acme.test", "CA"), ("", "?"), ("<b>", "?")]
)
def test_initials(name, expected):
    assert initials(name) == expected
