"""Inbox benchmark: does the desk stay fast from 10,000 to 1,000,000 tickets?

    DATABASE_URL=postgres://postgres@127.0.0.1:5432/helpdesk_bench make bench
    DATABASE_URL=... python -m tests.benchmarks.run_inbox --small     # 2,000 vs 20,000, a quick smoke run

It takes over the database DATABASE_URL names: migrates it, deletes all its
data, seeds the demo people, bulk-loads the small size, measures, grows to the
large size and measures again. Results go to bench-results/ (git-ignored).
See docs/benchmarks.md.
"""

from __future__ import annotations

import argparse
import os
import platform
import re
import sys
import time
from datetime import datetime
from pathlib import Path

ROOT = Path(__file__).resolve().parents[2]
LONG_TICKET_EVENTS = 1_000
COMMON_TERM = "signature"  # webhook signature questions: a few percent of tickets
RARE_TAG = "legacy-sso"  # on a handful of old tickets: the tag filter must not walk the whole desk
RARE_TAG_TICKETS = 5


def parse_args(argv: list[str] | None) -> argparse.Namespace:
    parser = argparse.ArgumentParser(prog="python -m tests.benchmarks.run_inbox", description=__doc__.split("\n")[0])
    parser.add_argument("--small", action="store_true", help="quick run: 2,000 vs 20,000 tickets")
    parser.add_argument("--sizes", type=int, nargs=2, metavar=("SMALL", "LARGE"), help="ticket counts to compare")
    parser.add_argument("--requests", type=int, default=200, help="timed requests per scenario (default 200)")
    parser.add_argument("--warmup", type=int, default=20, help="untimed requests first (default 20)")
    parser.add_argument("--budget", type=float, default=120.0, help="seconds at most per scenario (default 120)")
    parser.add_argument(
        "--mode",
        choices=("auto", "pages", "selectors"),
        default="auto",
        help="time full pages, the selectors, or pages where they work (default)",
    )
    parser.add_argument(
        "--no-sweep", dest="sweep", action="store_false", help="skip the sweep of every view × sort × filter"
    )
    parser.add_argument("--sweep-requests", type=int, default=30, help="timed requests per swept combination (30)")
    parser.add_argument("--sweep-warmup", type=int, default=3, help="untimed requests per swept combination (3)")
    parser.add_argument("--sweep-budget", type=float, default=8.0, help="seconds at most per swept combination (8)")
    parser.add_argument("--sweep-only", action="store_true", help="time the sweep, not the headline scenarios")
    parser.add_argument(
        "--sweep-match",
        metavar="REGEX",
        help="sweep only the combinations whose key (view|sort|filter) matches REGEX, e.g. 'created_asc' or '_asc\\|team'",
    )
    parser.add_argument(
        "--measure-only",
        action="store_true",
        help="load nothing: measure the data a previous run left in the database, at its one size (no ratios)",
    )
    parser.add_argument(
        "--load-only",
        action="store_true",
        help="load the data set (both sizes, as a run would) and measure nothing; then --measure-only times it",
    )
    parser.add_argument("--out", type=Path, default=ROOT / "bench-results", help="where to write the results")
    parser.add_argument("--strict", action="store_true", help="exit 1 when a goal is not met")
    parser.add_argument("--yes", action="store_true", help="do not ask before wiping the database")
    return parser.parse_args(argv)


def configure_django() -> None:
    url = os.environ.get("DATABASE_URL", "")
    if not url.startswith(("postgres://", "postgresql://", "pgsql://")):
        raise SystemExit(
            "The inbox benchmark needs PostgreSQL: set DATABASE_URL, e.g.\n"
            "  createdb -h 127.0.0.1 -U postgres helpdesk_bench\n"
            "  DATABASE_URL=postgres://postgres@127.0.0.1:5432/helpdesk_bench make bench\n"
            "The database is wiped and refilled, so give it one of its own."
        )
    # Measure what production runs: DEBUG off (no query log, no template debug
    # data). Settings taken from the environment when set.
    os.environ.setdefault("DJANGO_SETTINGS_MODULE", "helpdesk.settings")
    os.environ.setdefault("DEBUG", "0")
    os.environ.setdefault("SECRET_KEY", "benchmark-only-secret-key-not-for-any-real-deployment-0123456789")
    os.environ.setdefault("ALLOWED_HOSTS", "testserver,localhost")
    os.environ.setdefault("SECURE_SSL_REDIRECT", "0")
    import warnings

    import django

    # WhiteNoise warns that STATIC_ROOT was never collected; pages are timed, not static files.
    warnings.filterwarnings("ignore", message="No directory at", category=UserWarning)
    django.setup()
    from django.test.utils import override_settings

    # The manifest needs collectstatic; a manifest lookup costs nothing worth measuring.
    override_settings(
        STORAGES={
            "default": {"BACKEND": "django.core.files.storage.FileSystemStorage"},
            "staticfiles": {"BACKEND": "django.contrib.staticfiles.storage.StaticFilesStorage"},
        }
    ).enable()


def machine_facts() -> dict:
    from django.conf import settings
    from django.db import connection

    facts = {"cores": os.cpu_count(), "python": platform.python_version(), "debug": settings.DEBUG}
    try:
        with open("/proc/cpuinfo") as handle:
            facts["cpu"] = next(line.split(":", 1)[1].strip() for line in handle if line.startswith("model name"))
        with open("/proc/meminfo") as handle:
            facts["memory"] = f"{int(handle.readline().split()[1]) / 1024 / 1024:.0f} GB"
        facts["load average (1, 5, 15 min) at the end"] = " ".join(f"{x:.2f}" for x in os.getloadavg())
    except (OSError, StopIteration):
        pass
    with connection.cursor() as cursor:
        cursor.execute("SELECT version()")
        facts["postgresql"] = cursor.fetchone()[0].split(" on ")[0]
        for name in ("shared_buffers", "work_mem", "effective_cache_size", "random_page_cost", "jit"):
            cursor.execute(f"SHOW {name}")
            facts[name] = cursor.fetchone()[0]
    return facts


def vacuum_analyze() -> float:
    from django.db import connection

    started = time.perf_counter()
    with connection.cursor() as cursor:
        # Fresh rows: set hint bits and the visibility map now, so neither
        # autovacuum nor first readers do it during the measurements; and fresh
        # statistics everywhere (the customers made for the pool too: stale
        # counts there turned the search plans into 1,000,000-row loops).
        cursor.execute("VACUUM (ANALYZE)")
    return time.perf_counter() - started


def counts() -> tuple[int, int]:
    from helpdesk.models import Ticket, TicketEvent

    return Ticket.objects.count(), TicketEvent.objects.count()


def search_matches(term: str) -> str:
    from django.db import connection

    with connection.cursor() as cursor:
        cursor.execute(
            "SELECT count(*) FROM ("
            " SELECT id FROM helpdesk_ticket"
            "  WHERE to_tsvector('english'::regconfig, subject) @@ websearch_to_tsquery('english', %s)"
            " UNION SELECT ticket_id FROM helpdesk_ticketevent WHERE kind IN ('reply', 'note')"
            "  AND to_tsvector('english'::regconfig, body) @@ websearch_to_tsquery('english', %s)) s",
            [term, term],
        )
        (count,) = cursor.fetchone()
    return f"{count:,} ticket{'s' if count != 1 else ''}"


def load(count: int, *, seed: int) -> dict:
    from helpdesk.demo.bulk_load import ticket_bulk_load
    from helpdesk.demo.factory import TicketFactory

    marks = {"next": 0}
    step = max(count // 10, 1)

    def progress(done: int, total: int, elapsed: float) -> None:
        if done >= marks["next"] or done == total:
            marks["next"] = done + step
            print(f"    {done:,}/{total:,} tickets ({done / elapsed:,.0f}/s)", flush=True)

    result = ticket_bulk_load(
        actor=None, count=count, source=TicketFactory.from_database(seed=seed), analyze=False, progress=progress
    )
    phases = dict(result.phases)
    phases["vacuum_analyze"] = vacuum_analyze()
    print(
        f"    loaded {result.tickets:,} tickets, {result.events:,} events in {result.seconds:,.1f} s "
        f"({result.rate:,.0f} tickets/s, {result.method}); "
        + ", ".join(f"{k} {v:,.1f} s" for k, v in phases.items()),
        flush=True,
    )
    return {
        "tickets": result.tickets,
        "events": result.events,
        "seconds": result.seconds,
        "rate": result.rate,
        "method": result.method,
        "phases": phases,
    }


def build_scenarios(*, agent, long_reference: str, rare_token: str):
    from helpdesk.models import Team
    from tests.benchmarks.scenarios import Scenario, deep_cursor

    team_id = Team.objects.get(name="Technical support").pk
    cursor, first_there = deep_cursor(agent, {"view": "all"})
    return [
        Scenario("inbox_all", "Inbox, all tickets, first page", "inbox", {"view": "all"}),
        Scenario("inbox_mine", "Inbox, my unsolved tickets", "inbox", {"view": "mine"}),
        Scenario(
            "inbox_deep", "Inbox, all, 41st page by cursor", "inbox", {"view": "all", "cursor": cursor}, expect=first_there
        ),
        Scenario(
            "inbox_filtered",
            "Inbox, open + urgent + team",
            "inbox",
            {"view": "all", "status": "open", "priority": "urgent", "team": str(team_id)},
        ),
        Scenario(
            "inbox_rare_tag",
            f"Inbox, tag on {RARE_TAG_TICKETS} old tickets",
            "inbox",
            {"view": "all", "tag": RARE_TAG},
        ),
        Scenario("search_common", f"Search “{COMMON_TERM}”", "inbox", {"view": "all", "q": COMMON_TERM}),
        Scenario("search_rare", f"Search rare token “{rare_token}”", "inbox", {"view": "all", "q": rare_token}),
        Scenario("ticket_page", f"Ticket page, {LONG_TICKET_EVENTS:,} events", "ticket", reference=long_reference),
    ]


def measure(runner, scenarios, *, label: str):
    from tests.benchmarks.report import SizeResult

    tickets, events = counts()
    result = SizeResult(tickets=tickets, events=events)
    print(f"\n== measuring at {tickets:,} tickets ({label})", flush=True)
    for scenario in scenarios:
        timing = runner.measure(scenario)
        result.timings[scenario.key] = timing
        print(
            f"  {timing.label:<42} {timing.mode:<9} p50 {timing.p50:8.1f}  p95 {timing.p95:8.1f}  "
            f"p99 {timing.p99:8.1f}  mean {timing.mean:8.1f} ms  ({timing.samples} req, {timing.queries} queries, "
            f"load {timing.load1:.1f})"
            + (f"  [{timing.note}]" if timing.note else ""),
            flush=True,
        )
    return result


def rare_token_of_data() -> str:
    from helpdesk.models import Ticket

    rare_ticket = Ticket.objects.filter(subject__contains=" #").order_by("number").first()
    return rare_ticket.subject.rsplit("#", 1)[1].split()[0] if rare_ticket else "0x80070005"


def sweep_combos(args, data):
    from tests.benchmarks.sweep import combos

    found = combos(data)
    if args.sweep_match:
        pattern = re.compile(args.sweep_match)
        found = [combo for combo in found if pattern.search(combo.key)]
    return found


def main(argv: list[str] | None = None) -> int:
    args = parse_args(argv)
    small, large = args.sizes or ((2_000, 20_000) if args.small else (10_000, 1_000_000))
    if not RARE_TAG_TICKETS + 1 < small < large:
        raise SystemExit(f"--sizes: the first size must be over {RARE_TAG_TICKETS + 1} and smaller than the second.")
    configure_django()
    if args.measure_only:
        return measure_only(args)

    from django.conf import settings
    from django.contrib.auth import get_user_model
    from django.core.management import call_command
    from django.db import connection

    from helpdesk.demo import bulk_load, seed
    from helpdesk.demo.factory import LongConversation, TicketFactory
    from helpdesk.models import Ticket
    from tests.benchmarks.scenarios import Runner
    from tests.benchmarks.sweep import SweepData, SweepRunner

    database = connection.settings_dict["NAME"]
    if not args.yes and sys.stdin.isatty():
        answer = input(f"This deletes everything in the database {database!r}. Continue? [y/N] ")
        if answer.strip().lower() not in {"y", "yes"}:
            return 1
    started = datetime.now().isoformat(timespec="seconds")
    print(f"Inbox benchmark on {database!r}: {small:,} vs {large:,} tickets", flush=True)
    call_command("migrate", verbosity=0, interactive=False)
    call_command("flush", verbosity=0, interactive=False)
    out = _Out()
    seeded = seed.seed_directory(stdout=out)
    seed.run_app_hooks(stdout=out)
    seed.prepare_bulk_pool(total=large, stdout=out)
    agent = seeded.users["agent"]

    print(f"\n== loading {small:,} tickets", flush=True)
    long_result = bulk_load.ticket_bulk_load(
        actor=None,
        count=1,
        source=LongConversation(TicketFactory.from_database(seed=7), events=LONG_TICKET_EVENTS),
        analyze=False,
    )
    long_reference = Ticket(number=long_result.first_number).reference
    bulk_load.ticket_bulk_load(
        actor=None,
        count=RARE_TAG_TICKETS,
        source=_Tagged(TicketFactory.from_database(seed=11), bulk_load.tags_ensure(actor=None, names=[RARE_TAG])),
        analyze=False,
    )
    small_load = load(small - 1 - RARE_TAG_TICKETS, seed=1)
    rare_token = rare_token_of_data()
    if args.load_only:
        print(f"\n== growing to {large:,} tickets", flush=True)
        load(large - small, seed=2)
        print(f"Loaded {counts()[0]:,} tickets into {database!r}; time them with --measure-only.", flush=True)
        return 0

    runner = Runner(user=agent, mode=args.mode, requests=args.requests, warmup=args.warmup, budget=args.budget)
    sweeper = SweepRunner(requests=args.sweep_requests, warmup=args.sweep_warmup, budget=args.sweep_budget)
    sweep_data = SweepData.pick(rare_tag=RARE_TAG, rare_token=rare_token)
    found = sweep_combos(args, sweep_data) if args.sweep else []
    scenarios = build_scenarios(agent=agent, long_reference=long_reference, rare_token=rare_token)
    small_result = measure(runner, [] if args.sweep_only else scenarios, label="small")
    small_result.load = small_load
    small_result.facts = {
        f"“{COMMON_TERM}” matches": search_matches(COMMON_TERM),
        f"“{rare_token}” matches": search_matches(rare_token),
    }
    if found:
        small_result.sweep = run_sweep(sweeper, found, label=f"{small:,} tickets")

    print(f"\n== growing to {large:,} tickets", flush=True)
    large_load = load(large - small, seed=2)
    # The deep page and the rare token are looked up again at the new size.
    scenarios = build_scenarios(agent=agent, long_reference=long_reference, rare_token=rare_token)
    large_result = measure(runner, [] if args.sweep_only else scenarios, label="large")
    large_result.load = large_load
    large_result.facts = {
        f"“{COMMON_TERM}” matches": search_matches(COMMON_TERM),
        f"“{rare_token}” matches": search_matches(rare_token),
    }
    if found:
        large_result.sweep = run_sweep(sweeper, found, label=f"{large:,} tickets", baseline=small_result.sweep)
        large_result.facts.update({f"sweep {name}": value for name, value in sweep_data.describe().items()})

    run_settings = {
        "started": started,
        "sizes": [small, large],
        "requests": args.requests,
        "warmup": args.warmup,
        "sweep_requests": args.sweep_requests,
        "sweep_warmup": args.sweep_warmup,
        "mode": args.mode,
        "page_size": settings.HELPDESK_PAGE_SIZE,
        "database": database,
        "agent": get_user_model().objects.get(pk=agent.pk).get_username(),
    }
    return finish(args, small_result, large_result, run_settings)


def run_sweep(sweeper, found, *, label: str, baseline=None):
    from tests.benchmarks.report import INBOX_P95_GOAL_MS
    from tests.benchmarks.sweep import run

    return run(sweeper, found, label=label, goal_ms=INBOX_P95_GOAL_MS, baseline=baseline)


def finish(args, small_result, large_result, run_settings: dict) -> int:
    from tests.benchmarks import report

    machine = machine_facts()
    print()
    if large_result.timings:
        print("\n".join(report.table(small_result, large_result)))
    if large_result.sweep:
        print("\n".join(report.sweep_summary(small_result, large_result)))
    paths = report.write(directory=args.out, small=small_result, large=large_result, machine=machine, settings=run_settings)
    print("\nWritten: " + ", ".join(str(p.relative_to(ROOT)) if p.is_relative_to(ROOT) else str(p) for p in paths))
    failed = [v["scenario"] for v in report.verdicts(small_result, large_result) if not v["ok"]]
    failed += [v["combo"] for v in report.sweep_verdicts(small_result, large_result) if not v["ok"]]
    print("Goals met." if not failed else f"Goals NOT met ({len(failed)}): {', '.join(failed[:40])}")
    return 1 if failed and args.strict else 0


def measure_only(args) -> int:
    """Measure the data a previous run left (its large size), without loading: for trying an index or a plan."""
    from django.conf import settings
    from django.contrib.auth import get_user_model
    from django.db import connection

    from helpdesk.models import Ticket
    from tests.benchmarks.report import SizeResult
    from tests.benchmarks.scenarios import Runner
    from tests.benchmarks.sweep import SweepData, SweepRunner

    agent = get_user_model().objects.filter(username="agent").first()
    long_ticket = Ticket.objects.filter(subject__endswith="(long-running)").order_by("number").first()
    if agent is None or long_ticket is None:
        raise SystemExit("No benchmark data here; run `python -m tests.benchmarks.run_inbox` first.")
    started = datetime.now().isoformat(timespec="seconds")
    rare_token = rare_token_of_data()
    tickets, events = counts()
    print(f"Measuring the data in {connection.settings_dict['NAME']!r} as it is: {tickets:,} tickets", flush=True)
    large_result = SizeResult(tickets=tickets, events=events)
    if not args.sweep_only:
        runner = Runner(user=agent, mode=args.mode, requests=args.requests, warmup=args.warmup, budget=args.budget)
        scenarios = build_scenarios(agent=agent, long_reference=long_ticket.reference, rare_token=rare_token)
        large_result = measure(runner, scenarios, label="as loaded")
    if args.sweep:
        sweeper = SweepRunner(requests=args.sweep_requests, warmup=args.sweep_warmup, budget=args.sweep_budget)
        data = SweepData.pick(rare_tag=RARE_TAG, rare_token=rare_token)
        large_result.sweep = run_sweep(sweeper, sweep_combos(args, data), label=f"{tickets:,} tickets")
        large_result.facts.update({f"sweep {name}": value for name, value in data.describe().items()})
    run_settings = {
        "started": started,
        "sizes": [tickets],
        "requests": args.requests,
        "warmup": args.warmup,
        "sweep_requests": args.sweep_requests,
        "sweep_warmup": args.sweep_warmup,
        "mode": "measure-only",
        "page_size": settings.HELPDESK_PAGE_SIZE,
        "database": connection.settings_dict["NAME"],
        "agent": "agent",
    }
    return finish(args, SizeResult(tickets=0, events=0), large_result, run_settings)


class _Tagged:
    """Generated tickets (mostly closed, spread over years of history) that all carry the given tags."""

    def __init__(self, factory, tag_ids: dict[str, int]) -> None:
        self.factory = factory
        self.tag_ids = list(tag_ids.values())

    def generate(self, count: int):
        for ticket, events, _ in self.factory.generate(count):
            yield ticket, events, self.tag_ids


class _Out:
    """Progress lines from the seeding helpers, printed as they come."""

    def write(self, text: str) -> None:
        print(text, flush=True)


if __name__ == "__main__":
    sys.exit(main())
