"""The benchmark's verdicts: each goal marked on its own, both sizes held to the inbox budget."""

from __future__ import annotations

from tests.benchmarks.report import SizeResult, Timing, table, verdicts


def timing(key: str, p95: float) -> Timing:
    return Timing(scenario=key, label=key, mode="page", samples=200, p50=p95 / 2, p95=p95, p99=p95, mean=p95, max=p95)


def sizes(**p95s: tuple[float, float]) -> tuple[SizeResult, SizeResult]:
    small, large = SizeResult(tickets=10, events=40), SizeResult(tickets=1000, events=4000)
    for key, (before, after) in p95s.items():
        small.timings[key] = timing(key, before)
        large.timings[key] = timing(key, after)
    return small, large


def test_each_goal_is_marked_on_its_own():
    small, large = sizes(inbox_all=(40.0, 44.0), inbox_mine=(55.0, 45.0), ticket_page=(100.0, 160.0))
    found = {row["scenario"]: row for row in verdicts(small, large)}

    assert found["inbox_all"]["ok"] and found["inbox_all"]["goals"] == "✅ ratio ≤ 1.5, ✅ p95 < 50 ms"
    # A slow small size fails the inbox budget even when the large one is fast.
    assert not found["inbox_mine"]["ok"]
    assert found["inbox_mine"]["goals"] == "✅ ratio ≤ 1.5, ❌ p95 ≥ 50 ms"
    # Pages other than the inbox are held to the ratio only.
    assert not found["ticket_page"]["ok"] and found["ticket_page"]["goals"] == "❌ ratio > 1.5"


def test_table_has_one_row_per_scenario_with_its_marks():
    small, large = sizes(inbox_all=(40.0, 44.0), search_rare=(10.0, 30.0))
    lines = table(small, large)

    assert len(lines) == 4
    assert lines[2].endswith("| 1.1 | ✅ ratio ≤ 1.5, ✅ p95 < 50 ms |")
    assert lines[3].endswith("| 3.0 | ❌ ratio > 1.5 |")
