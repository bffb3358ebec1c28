"""Statistics, goal checks and the report files of the inbox benchmark."""

from __future__ import annotations

import json
import statistics
from dataclasses import asdict, dataclass, field
from datetime import datetime
from pathlib import Path

INBOX_P95_GOAL_MS = 50.0
RATIO_GOAL = 1.5


@dataclass
class Timing:
    """Server time of one scenario at one data size, in milliseconds."""

    scenario: str
    label: str
    mode: str  # "page" (full request through the test client) or "selectors"
    samples: int
    p50: float
    p95: float
    p99: float
    mean: float
    max: float
    queries: int | None = None  # SQL statements per request
    rows: int | None = None  # tickets on the page (the sweep records it: an empty page is a different question)
    load1: float | None = None  # the machine's 1-minute load average when the scenario finished
    note: str = ""

    @classmethod
    def from_samples(cls, *, scenario: str, label: str, mode: str, seconds: list[float], **extra) -> Timing:
        ms = sorted(s * 1000 for s in seconds)
        cuts = statistics.quantiles(ms, n=100, method="inclusive") if len(ms) > 1 else ms * 99
        return cls(
            scenario=scenario,
            label=label,
            mode=mode,
            samples=len(ms),
            p50=cuts[49],
            p95=cuts[94],
            p99=cuts[98],
            mean=statistics.fmean(ms),
            max=ms[-1],
            **extra,
        )


@dataclass
class SizeResult:
    tickets: int
    events: int
    timings: dict[str, Timing] = field(default_factory=dict)
    load: dict = field(default_factory=dict)  # how the data got there (rate, phases)
    facts: dict = field(default_factory=dict)  # e.g. how many tickets a search term matches
    sweep: dict[str, Timing] = field(default_factory=dict)  # every view × sort × filter (tests/benchmarks/sweep.py)


def is_inbox(scenario: str) -> bool:
    return scenario.startswith("inbox")


def verdicts(small: SizeResult, large: SizeResult) -> list[dict]:
    rows = []
    for key, big in large.timings.items():
        base = small.timings.get(key)
        ratio = big.p95 / base.p95 if base and base.p95 else None
        goals = []
        ok = True
        if ratio is not None:
            passed = ratio <= RATIO_GOAL
            ok &= passed
            goals.append(f"{'✅' if passed else '❌'} ratio {'≤' if passed else '>'} {RATIO_GOAL}")
        if is_inbox(key):
            passed = big.p95 < INBOX_P95_GOAL_MS and (base is None or base.p95 < INBOX_P95_GOAL_MS)
            ok &= passed
            # Both sizes count: the goal is a fast inbox, not only a fast large one.
            goals.append(f"{'✅' if passed else '❌'} p95 {'<' if passed else '≥'} {INBOX_P95_GOAL_MS:.0f} ms")
        rows.append({"scenario": key, "ratio": ratio, "ok": ok, "goals": ", ".join(goals)})
    return rows


def _fmt(value: float | None) -> str:
    return "—" if value is None else f"{value:,.1f}"


def table(small: SizeResult, large: SizeResult) -> list[str]:
    """Markdown table: one row per scenario, both sizes side by side."""
    s_label, l_label = f"{small.tickets:,}", f"{large.tickets:,}"
    lines = [
        f"| scenario | mode | p50 {s_label} | p95 {s_label} | p50 {l_label} | p95 {l_label} | p99 {l_label} "
        f"| mean {l_label} | queries | p95 ratio | goals |",
        "|---|---|--:|--:|--:|--:|--:|--:|--:|--:|---|",
    ]
    checks = {row["scenario"]: row for row in verdicts(small, large)}
    for key, big in large.timings.items():
        base = small.timings.get(key)
        check = checks[key]
        lines.append(
            f"| {big.label} | {big.mode} | {_fmt(base and base.p50)} | {_fmt(base and base.p95)} | {_fmt(big.p50)} "
            f"| {_fmt(big.p95)} | {_fmt(big.p99)} | {_fmt(big.mean)} | {big.queries if big.queries is not None else '—'} "
            f"| {_fmt(check['ratio']) if check['ratio'] is not None else '—'} | {check['goals']} |"
        )
    return lines


# --- the sweep -----------------------------------------------------------------------------


def sweep_verdicts(small: SizeResult, large: SizeResult) -> list[dict]:
    """Each swept combination against both goals: p95 under budget at the large size, ratio at most 1.5."""
    rows = []
    for key, big in large.sweep.items():
        base = small.sweep.get(key)
        ratio = big.p95 / base.p95 if base and base.p95 else None
        fast = big.p95 < INBOX_P95_GOAL_MS
        steady = ratio is None or ratio <= RATIO_GOAL
        rows.append({"combo": key, "small": base, "large": big, "ratio": ratio, "fast": fast, "steady": steady,
                     "ok": fast and steady})  # fmt: skip
    return rows


def _marks(row: dict) -> str:
    marks = "✅" if row["fast"] else f"❌ p95 ≥ {INBOX_P95_GOAL_MS:.0f}"
    if row["ratio"] is not None and not row["steady"]:
        marks += f" ❌ ratio > {RATIO_GOAL}"
    return marks


def sweep_summary(small: SizeResult, large: SizeResult) -> list[str]:
    """One line per view × sort: the slowest filter at each size, the largest ratio, how many miss a goal."""
    groups: dict[tuple[str, str], list[dict]] = {}
    for row in sweep_verdicts(small, large):
        view, sort, _ = row["combo"].split("|", 2)
        groups.setdefault((view, sort), []).append(row)
    s_label, l_label = f"{small.tickets:,}", f"{large.tickets:,}"
    lines = [
        f"| view | sort | slowest p95 {s_label} | slowest p95 {l_label} (filter) | largest ratio (filter) | missed |",
        "|---|---|--:|--:|--:|--:|",
    ]
    for (view, sort), rows in groups.items():
        slow_small = max((r["small"].p95 for r in rows if r["small"]), default=None)
        slowest = max(rows, key=lambda r: r["large"].p95)
        ratios = [r for r in rows if r["ratio"] is not None]
        worst_ratio = max(ratios, key=lambda r: r["ratio"]) if ratios else None
        ratio_text = (
            f"{worst_ratio['ratio']:.1f} ({worst_ratio['combo'].split('|', 2)[2]})" if worst_ratio else "—"
        )
        missed = sum(1 for r in rows if not r["ok"])
        lines.append(
            f"| {view} | {sort} | {_fmt(slow_small)} | {_fmt(slowest['large'].p95)} "
            f"({slowest['combo'].split('|', 2)[2]}) | {ratio_text} | {missed}/{len(rows)} |"
        )
    return lines


def sweep_table(small: SizeResult, large: SizeResult, *, only_missed: bool = False) -> list[str]:
    s_label, l_label = f"{small.tickets:,}", f"{large.tickets:,}"
    lines = [
        f"| view | sort | filter | rows | queries | p50 {s_label} | p95 {s_label} | p50 {l_label} | p95 {l_label} "
        "| p95 ratio | goals | note |",
        "|---|---|---|--:|--:|--:|--:|--:|--:|--:|---|---|",
    ]
    for row in sweep_verdicts(small, large):
        if only_missed and row["ok"]:
            continue
        view, sort, name = row["combo"].split("|", 2)
        base, big = row["small"], row["large"]
        rows = f"{base.rows if base else '—'} / {big.rows}" if base else f"{big.rows}"
        lines.append(
            f"| {view} | {sort} | {name} | {rows} | {big.queries} | {_fmt(base and base.p50)} | {_fmt(base and base.p95)} "
            f"| {_fmt(big.p50)} | {_fmt(big.p95)} | {_fmt(row['ratio'])} | {_marks(row)} | {big.note} |"
        )
    return lines


def sweep_markdown(*, small: SizeResult, large: SizeResult, settings: dict) -> str:
    rows = sweep_verdicts(small, large)
    slow = sum(1 for r in rows if not r["fast"])
    unsteady = sum(1 for r in rows if not r["steady"])
    parts = [
        f"# Inbox sweep — {settings['started']}",
        "",
        f"Every view × sort × filter of the inbox as a full page, {settings.get('sweep_requests', '?')} timed requests "
        f"each (after {settings.get('sweep_warmup', '?')} warm-up), milliseconds of server time. "
        f"{len(rows)} combinations; p95 ≥ {INBOX_P95_GOAL_MS:.0f} ms at {large.tickets:,}: {slow}; "
        f"p95 ratio > {RATIO_GOAL}: {unsteady}. Rows: tickets on the first page at each size.",
        "",
        *sweep_table(small, large),
    ]
    return "\n".join(parts) + "\n"


def markdown(*, small: SizeResult, large: SizeResult, machine: dict, settings: dict) -> str:
    checks = verdicts(small, large)
    failed = [c["scenario"] for c in checks if not c["ok"]]
    parts = [
        f"# Inbox benchmark — {settings['started']}",
        "",
        "Server time per request in milliseconds, measured in-process (middleware, view, template, SQL; no network). "
        f"{settings['requests']} timed requests per scenario after {settings['warmup']} warm-up requests.",
        "",
        *table(small, large),
        "",
        f"Goals: p95({large.tickets:,}) / p95({small.tickets:,}) ≤ {RATIO_GOAL} for every scenario; "
        f"inbox p95 < {INBOX_P95_GOAL_MS:.0f} ms. "
        + ("**All met.**" if not failed else f"**Not met: {', '.join(failed)}.**"),
        "",
        "## Data",
        "",
    ]
    for size in (small, large):
        parts.append(f"- {size.tickets:,} tickets, {size.events:,} timeline events")
        if size.load:
            load = size.load
            phases = ", ".join(f"{k} {v:,.1f} s" for k, v in load.get("phases", {}).items())
            parts.append(
                f"  - loaded {load['tickets']:,} tickets + {load['events']:,} events in {load['seconds']:,.1f} s "
                f"({load['rate']:,.0f} tickets/s, {load['method']}{'; ' + phases if phases else ''})"
            )
        for name, value in size.facts.items():
            parts.append(f"  - {name}: {value}")
    if large.sweep:
        rows = sweep_verdicts(small, large)
        missed = [r for r in rows if not r["ok"]]
        parts += [
            "",
            "## Sweep: every view × sort × filter",
            "",
            f"{len(rows)} combinations, {settings.get('sweep_requests', '?')} timed requests each. "
            f"Missing a goal (p95 < {INBOX_P95_GOAL_MS:.0f} ms at {large.tickets:,}, ratio ≤ {RATIO_GOAL}): "
            f"**{len(missed)}** (p95: {sum(1 for r in rows if not r['fast'])}, "
            f"ratio: {sum(1 for r in rows if not r['steady'])}). Every combination is in the sweep file beside this one.",
            "",
            *sweep_summary(small, large),
        ]
        if missed:
            parts += ["", "Combinations that missed a goal:", "", *sweep_table(small, large, only_missed=True)]
    parts += ["", "## Machine", ""]
    parts += [f"- {name}: {value}" for name, value in machine.items()]
    notes = [t for t in large.timings.values() if t.note]
    if notes:
        parts += ["", "## Notes", ""] + [f"- {t.label}: {t.note}" for t in notes]
    return "\n".join(parts) + "\n"


def write(*, directory: Path, small: SizeResult, large: SizeResult, machine: dict, settings: dict) -> list[Path]:
    directory.mkdir(parents=True, exist_ok=True)
    stamp = datetime.now().strftime("%Y%m%d-%H%M%S")
    payload = {
        "settings": settings,
        "machine": machine,
        "sizes": [asdict(small), asdict(large)],
        "verdicts": verdicts(small, large),
    }
    if large.sweep:
        payload["sweep_verdicts"] = [
            {"combo": r["combo"], "ratio": r["ratio"], "ok": r["ok"], "fast": r["fast"], "steady": r["steady"]}
            for r in sweep_verdicts(small, large)
        ]
    text = markdown(small=small, large=large, machine=machine, settings=settings)
    json_path = directory / f"inbox-{stamp}.json"
    md_path = directory / f"inbox-{stamp}.md"
    json_path.write_text(json.dumps(payload, indent=2, default=str))
    md_path.write_text(text)
    (directory / "latest.md").write_text(text)
    paths = [json_path, md_path, directory / "latest.md"]
    if large.sweep:
        sweep_path = directory / f"inbox-sweep-{stamp}.md"
        sweep_path.write_text(sweep_markdown(small=small, large=large, settings=settings))
        paths.append(sweep_path)
    return paths
