"""The sweep covers every view × sort × filter the inbox offers, and its report marks both goals per combination."""

from __future__ import annotations

from helpdesk import selectors
from helpdesk.views.desk.inbox import FILTER_PARAMS
from tests.benchmarks.report import SizeResult, Timing, sweep_summary, sweep_table, sweep_verdicts
from tests.benchmarks.sweep import SweepData, combos


def data() -> SweepData:
    return SweepData(
        agent_username="agent", other_agent="agent2", team_id=3, common_tag="billing", rare_tag="legacy-sso",
        feature_key="billing.invoices", requester_id=9, requester_email="ann@example.test", requester_name="Ann Lee",
        organization_name="Initech", reference="HD-5042", rare_token="78466607",
        statuses=["new", "open", "pending", "on_hold", "solved", "closed"],
    )


def test_every_view_sort_and_filter_is_swept():
    found = combos(data())
    filters = data().filters()
    assert len(found) == len(selectors.VIEWS) * len(selectors.SORTS) * len(filters)
    assert {(c.view, c.sort) for c in found} == {(v, s) for v in selectors.VIEWS for s in selectors.SORTS}
    # Each parameter of the inbox's filter form is swept, alone.
    swept = {name for params in filters.values() for name in params}
    assert set(FILTER_PARAMS) <= swept
    assert all(len(params) <= 1 for params in filters.values())
    # Every kind of search.
    assert {k for k in filters if k.startswith("q=")} == {
        "q=word", "q=rare-token", "q=reference", "q=number", "q=email", "q=customer-name", "q=organization",
        "q=misspelled",
    }
    # "My features" is timed as the person it is for.
    assert {c.username for c in found if c.view == "features"} == {"pm"}
    assert dict(next(c for c in found if c.filter == "q=number").params)["q"] == "5042"


def timing(key: str, p95: float) -> Timing:
    return Timing(scenario=key, label=key, mode="page", samples=30, p50=p95 / 2, p95=p95, p99=p95, mean=p95, max=p95,
                  queries=6, rows=25)  # fmt: skip


def test_sweep_verdicts_mark_budget_and_ratio_apart():
    small, large = SizeResult(tickets=10, events=40), SizeResult(tickets=1000, events=4000)
    for key, (before, after) in {
        "open|created_asc|none": (10.0, 2400.0),
        "open|updated|none": (10.0, 14.0),
        "all|updated|q=word": (10.0, 20.0),
    }.items():
        small.sweep[key], large.sweep[key] = timing(key, before), timing(key, after)

    found = {row["combo"]: row for row in sweep_verdicts(small, large)}

    assert not found["open|created_asc|none"]["fast"] and not found["open|created_asc|none"]["steady"]
    assert found["open|updated|none"]["ok"]
    assert found["all|updated|q=word"]["fast"] and not found["all|updated|q=word"]["steady"]
    summary = sweep_summary(small, large)
    assert any(line.startswith("| open | created_asc | 10.0 | 2,400.0 (none) | 240.0 (none) | 1/1 |") for line in summary)
    missed = sweep_table(small, large, only_missed=True)
    assert len(missed) == 2 + 2 and "❌ p95 ≥ 50 ❌ ratio > 1.5" in missed[2]
