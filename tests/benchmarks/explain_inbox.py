"""EXPLAIN ANALYZE every query behind the inbox benchmark's scenarios, on the data as it is.

    DATABASE_URL=postgres://…/helpdesk_bench python -m tests.benchmarks.explain_inbox [--plans] [--only KEY]

Run it after ``run_inbox`` (which leaves the large data set in place). It
changes nothing. For each scenario it prints each SQL statement's planning and
execution time and flags sequential scans, sorts and big row counts; with
``--plans`` the full plans too.
"""

from __future__ import annotations

import argparse
import re
import statistics
import sys


def main(argv: list[str] | None = None) -> int:
    parser = argparse.ArgumentParser(prog="python -m tests.benchmarks.explain_inbox")
    parser.add_argument("--plans", action="store_true", help="print the full plans")
    parser.add_argument("--only", help="just this scenario key (e.g. search_rare)")
    parser.add_argument(
        "--combo",
        action="append",
        metavar="VIEW|SORT|FILTER",
        help="explain swept combinations instead (keys as in the sweep file, e.g. 'open|created_asc|team'); repeatable",
    )
    parser.add_argument("--repeat", type=int, default=5, help="EXPLAIN ANALYZE runs per query (median shown)")
    parser.add_argument(
        "--sweep-sql",
        type=float,
        metavar="MS",
        help="explain every swept combination and list those with a statement slower than MS (planning + execution)",
    )
    args = parser.parse_args(argv)
    if args.sweep_sql is not None:
        return sweep_sql(threshold_ms=args.sweep_sql, repeat=args.repeat)

    from tests.benchmarks.run_inbox import build_scenarios, configure_django

    configure_django()
    from django.contrib.auth import get_user_model
    from django.db import connection
    from django.test.utils import CaptureQueriesContext

    from helpdesk.models import Ticket
    from tests.benchmarks.scenarios import Runner

    agent = get_user_model().objects.get(username="agent")
    long_ticket = Ticket.objects.filter(subject__endswith="(long-running)").order_by("number").first()
    rare_ticket = Ticket.objects.filter(subject__contains=" #").order_by("number").first()
    if long_ticket is None or rare_ticket is None:
        raise SystemExit("No benchmark data here; run `python -m tests.benchmarks.run_inbox` first.")
    rare_token = rare_ticket.subject.rsplit("#", 1)[1].split()[0]
    scenarios = build_scenarios(agent=agent, long_reference=long_ticket.reference, rare_token=rare_token)
    if args.combo:
        scenarios = _combo_scenarios(args.combo, rare_token=rare_token)
    runner = Runner(user=agent, mode="selectors")
    print(f"{Ticket.objects.count():,} tickets")
    for scenario in scenarios:
        if args.only and scenario.key != args.only:
            continue
        user = getattr(scenario, "user", agent)
        call = Runner(user=user, mode="selectors")._selector_call(scenario) if user != agent else runner._selector_call(scenario)
        call()
        with CaptureQueriesContext(connection) as captured:
            call()
        print(f"\n=== {scenario.label} ({scenario.key})")
        for query in captured.captured_queries:
            sql = query["sql"]
            if not sql.lstrip().upper().startswith("SELECT"):
                continue
            plans = []
            with connection.cursor() as cursor:
                for _ in range(args.repeat):
                    cursor.execute("EXPLAIN (ANALYZE, BUFFERS) " + sql)
                    plans.append([row[0] for row in cursor.fetchall()])
            planning = statistics.median(_ms(p, "Planning Time") for p in plans)
            execution = statistics.median(_ms(p, "Execution Time") for p in plans)
            text = "\n".join(plans[-1])
            flags = []
            if "Seq Scan" in text:
                flags.append("SEQ SCAN on " + ", ".join(sorted(set(re.findall(r"Seq Scan on (\w+)", text)))))
            if re.search(r"Sort Method: (external|quicksort|top-N)", text):
                flags.append("sort: " + ", ".join(sorted(set(re.findall(r"Sort Method: ([\w-]+)", text)))))
            rows = max((int(n) for n in re.findall(r"actual time=[\d.]+\.\.[\d.]+ rows=(\d+)", text)), default=0)
            if rows > 10_000:
                flags.append(f"a node returns {rows:,} rows")
            print(
                f"  plan {planning:7.2f} ms  exec {execution:8.2f} ms  {' | '.join(flags) or 'ok'}\n"
                f"    {_short(sql)}"
            )
            if args.plans:
                print("    " + text.replace("\n", "\n    "))
    return 0


def _statement_ms(cursor, sql: str, repeat: int) -> float:
    times = []
    for _ in range(repeat):
        cursor.execute("EXPLAIN (ANALYZE) " + sql)
        plan = [row[0] for row in cursor.fetchall()]
        times.append(_ms(plan, "Planning Time") + _ms(plan, "Execution Time"))
    return statistics.median(times)


def sweep_sql(*, threshold_ms: float, repeat: int) -> int:
    """The SQL of every swept combination, timed in the database alone: finds plan cliffs despite a busy machine."""
    from tests.benchmarks.run_inbox import configure_django

    configure_django()
    from django.db import connection
    from django.test.utils import CaptureQueriesContext

    from tests.benchmarks.run_inbox import rare_token_of_data

    scenarios = _combo_scenarios(None, rare_token=rare_token_of_data())
    slow = []
    for index, scenario in enumerate(scenarios, 1):
        from tests.benchmarks.scenarios import Runner

        call = Runner(user=scenario.user, mode="selectors")._selector_call(scenario)
        call()
        with CaptureQueriesContext(connection) as captured:
            call()
        with connection.cursor() as cursor:
            timed = [
                (_statement_ms(cursor, q["sql"], repeat), q["sql"])
                for q in captured.captured_queries
                if q["sql"].lstrip().upper().startswith(("SELECT", "(SELECT"))
            ]
        worst = max(timed, default=(0.0, ""))
        if worst[0] >= threshold_ms:
            slow.append((worst[0], scenario.key, _short(worst[1], 160)))
        if index % 100 == 0:
            print(f"  {index}/{len(scenarios)}", flush=True)
    print(f"\n{len(slow)} of {len(scenarios)} combinations have a statement of {threshold_ms} ms or more:")
    for ms, key, sql in sorted(slow, reverse=True):
        print(f"  {ms:8.1f} ms  {key}\n             {sql}")
    return 0


def _combo_scenarios(keys: list[str], *, rare_token: str):
    """Swept combinations as selector scenarios, signed in as the sweep signs in for their view."""
    from django.contrib.auth import get_user_model

    from tests.benchmarks.run_inbox import RARE_TAG
    from tests.benchmarks.scenarios import Scenario
    from tests.benchmarks.sweep import SweepData, combos

    found = {combo.key: combo for combo in combos(SweepData.pick(rare_tag=RARE_TAG, rare_token=rare_token))}
    scenarios = []
    for key in found if keys is None else keys:
        if key not in found:
            raise SystemExit(f"No swept combination {key!r}; keys look like 'open|created_asc|team'.")
        combo = found[key]
        scenario = Scenario(combo.key, combo.label, "inbox", dict(combo.params))
        scenario.user = get_user_model().objects.get(username=combo.username)
        scenarios.append(scenario)
    return scenarios


def _ms(plan: list[str], label: str) -> float:
    line = next(line for line in plan if line.startswith(label))
    return float(line.split(":")[1].split()[0])


def _short(sql: str, width: int = 220) -> str:
    text = re.sub(r"SELECT .*? FROM", "SELECT … FROM", " ".join(sql.split()), count=1)
    return text if len(text) <= width else text[: width - 1] + "…"


if __name__ == "__main__":
    sys.exit(main())
