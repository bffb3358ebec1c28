"""Escalations benchmark: the triage board, an escalation with 1,000 linked tickets, and the release gate.

    DATABASE_URL=postgres://postgres@127.0.0.1:5432/helpdesk_bench REDIS_URL=redis://127.0.0.1:6379/0 \\
        make bench-escalations

It runs on the tickets a previous ``make bench`` (or ``run_inbox --load-only``) left in
the database (1,000,000 by default; ``--small`` makes its own 20,000), deletes every
escalation there, loads 10,000 escalations with 100,000 links, measures, grows to
100,000 escalations with 1,000,000 links, and measures again:

- in-process (Django's test client: no network) every headline scenario, with its SQL
  query count, and a sweep of every board combination (status × severity × product ×
  "my features"), at both sizes;
- over real HTTP through Daphne (the embedded default) and the production recipe
  (nginx → gunicorn), one request after another on a keep-alive connection;
- the gate's throughput with ``wrk`` and 16 concurrent clients through both.

Results are printed and written to bench-results/escalations-<time>.{json,md} and
latest-escalations.md. Goals (the issue's): board p95 under 100 ms and at most 2× its
p95 at 10,000; gate p95 under 10 ms in-process and 20 ms over HTTP; the gate holds 500
requests/s with 16 clients; query counts the same at both sizes.
"""

from __future__ import annotations

import argparse
import itertools
import json
import os
import shutil
import sys
import time
from dataclasses import dataclass
from datetime import datetime
from pathlib import Path

ROOT = Path(__file__).resolve().parents[2]
BIG_LINKS = 1_000
DEEP_PAGES = 40
BOARD_P95_GOAL_MS = 100.0
BOARD_RATIO_GOAL = 2.0
GATE_P95_GOAL_MS = 10.0
GATE_HTTP_P95_GOAL_MS = 20.0
GATE_RPS_GOAL = 500.0
HTTP_CONFIGS = ("daphne1", "recipe")


def parse_args(argv: list[str] | None) -> argparse.Namespace:
    parser = argparse.ArgumentParser(prog="python -m tests.benchmarks.run_escalations", description=__doc__.split("\n")[0])
    parser.add_argument("--small", action="store_true", help="quick run: 20,000 tickets, 1,000 then 10,000 escalations")
    parser.add_argument("--requests", type=int, default=100, help="timed requests per scenario (default 100)")
    parser.add_argument("--warmup", type=int, default=10, help="untimed requests per scenario first (default 10)")
    parser.add_argument("--sweep-requests", type=int, default=10, help="timed requests per board combination (10)")
    parser.add_argument("--no-sweep", dest="sweep", action="store_false", help="skip the sweep of board combinations")
    parser.add_argument("--no-http", dest="http", action="store_false", help="in-process only")
    parser.add_argument("--seconds", type=float, default=10, help="seconds per wrk run on the gate (default 10)")
    parser.add_argument("--clients", type=int, default=16, help="wrk connections on the gate (default 16)")
    parser.add_argument("--out", type=Path, default=ROOT / "bench-results")
    parser.add_argument("--strict", action="store_true", help="exit 1 when a goal is not met")
    return parser.parse_args(argv)


# --- data --------------------------------------------------------------------------------------------


def ensure_tickets(small: bool) -> int:
    """The ticket data set: the one in the database, or (``--small``) 20,000 loaded now."""
    from django.core.management import call_command

    from helpdesk.demo import seed
    from helpdesk.models import Ticket
    from tests.benchmarks import run_inbox

    call_command("migrate", verbosity=0, interactive=False)
    count = Ticket.objects.count()
    wanted = 20_000 if small else 1_000_000
    if count >= wanted * 0.95 and (not small or count <= wanted * 1.05):
        return count
    if not small:
        raise SystemExit(
            f"The database holds {count:,} tickets; load the 1,000,000-ticket data set first:\n"
            "  DATABASE_URL=... python -m tests.benchmarks.run_inbox --load-only --yes\n"
            "(or run with --small for a quick run on 20,000 tickets of its own)."
        )
    print(f"== loading {wanted:,} tickets (--small)", flush=True)
    call_command("flush", verbosity=0, interactive=False)
    out = _Out()
    seed.seed_directory(stdout=out)
    seed.run_app_hooks(stdout=out)
    seed.prepare_bulk_pool(total=wanted, stdout=out)
    run_inbox.load(wanted, seed=1)
    return Ticket.objects.count()


class _Out:
    def write(self, text: str) -> None:
        print(text, flush=True)


STATUS_MIX = (
    # status, share of escalations (most are long resolved, as on a desk that has been running)
    ("open", 3),
    ("acknowledged", 3),
    ("in_progress", 3),
    ("needs_info", 1),
    ("fixed", 20),
    ("rejected", 20),
    ("closed", 50),
)
SEVERITY_MIX = (("blocking", 3, 10), ("major", 2, 40), ("minor", 1, 50))
BLOCKED_FEATURES = 3  # of the demo's 10: at most these carry unresolved blocking escalations


def _mix_case(column: str, mix, value_of=lambda row: row[0]) -> str:
    """A CASE over ``column`` (0–99) spreading rows by the shares in ``mix``."""
    parts, start = [], 0
    for row in mix:
        share = row[-1]
        parts.append(f"WHEN {column} < {start + share} THEN '{value_of(row)}'")
        start += share
    return "CASE " + " ".join(parts) + " END"


def clear_escalations() -> None:
    from django.db import connection

    with connection.cursor() as cursor:
        cursor.execute(
            "TRUNCATE escalations_fixnotice, escalations_escalationlink, escalations_escalationevent, "
            "escalations_webhookdelivery, escalations_escalation RESTART IDENTITY CASCADE"
        )
        cursor.execute("UPDATE escalations_feature SET blocked = false")


def load_escalations(*, first: int, last: int, links: int) -> dict:
    """Escalations ``first``..``last`` (ids) and ``links`` random links among them, by SQL; then recount and analyze.

    Every row is what the services would write (statuses, severities, ranks, timestamps);
    the impact counters and the features' blocked flags are recounted from the links
    with the same SQL aggregates the services use, so the board ranks real data.
    """
    from django.contrib.auth import get_user_model
    from django.db import connection

    from escalations.models import Feature

    started = time.perf_counter()
    raiser = get_user_model().objects.get(username="agent").pk
    feature_ids = list(Feature.objects.order_by("id").values_list("id", flat=True))
    with connection.cursor() as cursor:
        cursor.execute("SELECT min(id), max(id) FROM helpdesk_ticket")
        low, high = cursor.fetchone()
        status_case = _mix_case("((g * 37) %% 100)", STATUS_MIX)
        severity_case = _mix_case("((g * 53) %% 100)", SEVERITY_MIX)
        rank_case = _mix_case("((g * 53) %% 100)", SEVERITY_MIX, value_of=lambda row: row[1])
        cursor.execute(
            f"""
            INSERT INTO escalations_escalation (
                id, feature_id, severity, severity_rank, status, title, customer_impact, steps, raised_by_id,
                created_at, updated_at, acknowledged_at, resolved_at, acknowledge_by, overdue_notified_at,
                fix_update, version, ticket_count, customer_count, organization_count, key_account_count,
                affected_value, impact)
            SELECT g, (%s::bigint[])[1 + (g %% %s)], {severity_case}, ({rank_case})::smallint, {status_case},
                   'Escalation ' || g || ': ' || (ARRAY['invoices blank','sign-in loops','export drops rows',
                       'sync stuck','push missing','refund wrong'])[1 + g %% 6],
                   'Customers report a problem (benchmark row ' || g || ').', '', %s,
                   now() - (g %% 700) * interval '1 hour', now() - (g %% 700) * interval '1 hour', NULL, NULL,
                   NULL, NULL, '', 1, 0, 0, 0, 0, 0, 0
            FROM generate_series(%s, %s) g
            """,
            [feature_ids, len(feature_ids), raiser, first, last],
        )
        cursor.execute(
            "UPDATE escalations_escalation SET acknowledged_at = created_at + interval '20 minutes' "
            "WHERE id BETWEEN %s AND %s AND status <> 'open'",
            [first, last],
        )
        cursor.execute(
            "UPDATE escalations_escalation SET resolved_at = created_at + interval '2 days' "
            "WHERE id BETWEEN %s AND %s AND status IN ('fixed', 'rejected', 'closed')",
            [first, last],
        )
        # Unresolved blocking escalations only on a few features, so most features stay shippable.
        cursor.execute(
            "UPDATE escalations_escalation SET status = 'fixed', resolved_at = created_at + interval '1 day' "
            "WHERE id BETWEEN %s AND %s AND severity = 'blocking' "
            "AND status IN ('open', 'acknowledged', 'in_progress', 'needs_info') AND NOT (feature_id = ANY(%s))",
            [first, last, feature_ids[:BLOCKED_FEATURES]],
        )
        cursor.execute(
            "UPDATE escalations_escalation SET acknowledge_by = created_at + interval '1 hour' "
            "WHERE id BETWEEN %s AND %s AND severity = 'blocking'",
            [first, last],
        )
        if first == 1:  # the escalation with exactly BIG_LINKS linked tickets
            cursor.execute(
                "INSERT INTO escalations_escalationlink (escalation_id, ticket_id, linked_at, linked_by_id) "
                "SELECT 1, t.id, now(), %s FROM (SELECT id FROM helpdesk_ticket ORDER BY id DESC LIMIT %s) t",
                [raiser, BIG_LINKS],
            )
        # Random links over the new escalations (escalation 1 keeps exactly BIG_LINKS); a pair drawn twice is one link.
        spread_from = max(first, 2)
        cursor.execute(
            """
            INSERT INTO escalations_escalationlink (escalation_id, ticket_id, linked_at, linked_by_id)
            SELECT s.escalation_id, t.id, now() - (s.g %% 500) * interval '1 hour', %s
            FROM (SELECT g, %s + (h %% %s) AS escalation_id, %s + ((h / 7) %% %s) AS ticket_id
                  FROM (SELECT g, abs(hashint8(g::bigint + %s)) AS h FROM generate_series(1, %s) g) r) s
            JOIN helpdesk_ticket t ON t.id = s.ticket_id
            ON CONFLICT DO NOTHING
            """,
            [raiser, spread_from, last - spread_from + 1, low, high - low + 1, first * 1_000_003, links],
        )
        recount(cursor, first, last)
        cursor.execute(
            "UPDATE escalations_feature f SET blocked = EXISTS (SELECT 1 FROM escalations_escalation e "
            "WHERE e.feature_id = f.id AND e.severity = 'blocking' "
            "AND e.status IN ('open', 'acknowledged', 'in_progress', 'needs_info'))"
        )
        cursor.execute("SELECT setval(pg_get_serial_sequence('escalations_escalation', 'id'), %s)", [last])
        cursor.execute("VACUUM (ANALYZE) escalations_escalation")
        cursor.execute("VACUUM (ANALYZE) escalations_escalationlink")
        cursor.execute("VACUUM (ANALYZE) escalations_feature")
        cursor.execute("SELECT count(*) FROM escalations_escalation")
        (escalations,) = cursor.fetchone()
        cursor.execute("SELECT count(*) FROM escalations_escalationlink")
        (total_links,) = cursor.fetchone()
    seconds = time.perf_counter() - started
    print(f"    {escalations:,} escalations, {total_links:,} links in the database ({seconds:.1f} s)", flush=True)
    return {"escalations": escalations, "links": total_links, "seconds": seconds}


def recount(cursor, first: int, last: int) -> None:
    """The services' impact aggregates, for escalations first..last at once."""
    cursor.execute(
        """
        WITH per AS (
            SELECT l.escalation_id, count(*) AS tickets, count(DISTINCT t.requester_id) AS customers
            FROM escalations_escalationlink l JOIN helpdesk_ticket t ON t.id = l.ticket_id
            WHERE l.escalation_id BETWEEN %s AND %s GROUP BY 1),
        orgs AS (
            SELECT d.escalation_id, count(*) AS organizations, count(*) FILTER (WHERE o.is_key_account) AS key_accounts,
                   coalesce(sum(o.annual_value), 0) AS value
            FROM (SELECT DISTINCT l.escalation_id, c.organization_id
                  FROM escalations_escalationlink l JOIN helpdesk_ticket t ON t.id = l.ticket_id
                  JOIN helpdesk_customer c ON c.id = t.requester_id
                  WHERE l.escalation_id BETWEEN %s AND %s AND c.organization_id IS NOT NULL) d
            JOIN helpdesk_organization o ON o.id = d.organization_id GROUP BY 1)
        UPDATE escalations_escalation e
        SET ticket_count = per.tickets, customer_count = per.customers,
            organization_count = coalesce(orgs.organizations, 0), key_account_count = coalesce(orgs.key_accounts, 0),
            affected_value = coalesce(orgs.value, 0),
            impact = per.tickets + 10 * per.customers + 100 * coalesce(orgs.key_accounts, 0)
                     + floor(coalesce(orgs.value, 0) / 1000)::bigint
        FROM per LEFT JOIN orgs ON orgs.escalation_id = per.escalation_id
        WHERE e.id = per.escalation_id
        """,
        [first, last, first, last],
    )


# --- measuring ---------------------------------------------------------------------------------------


@dataclass
class Scenario:
    key: str
    label: str
    path: str
    token: bool = False  # the API with a token (the gate's callers), else a signed-in browser
    expect: int = 200


class QueryCounter:
    def __init__(self) -> None:
        self.count = 0

    def __call__(self, execute, sql, params, many, context):
        self.count += 1
        return execute(sql, params, many, context)


def percentiles(samples: list[float]) -> dict:
    from tests.benchmarks.http_load import percentiles as cut

    return cut(samples)


def deep_board_cursor(user) -> str:
    from escalations import selectors

    filters = selectors.BoardFilters(status="all")
    cursor = None
    for _ in range(DEEP_PAGES):
        page = selectors.escalation_board(user=user, filters=filters, cursor=cursor)
        cursor = page.next_cursor
    return cursor or ""


def scenarios(*, pm) -> list[Scenario]:
    from escalations.models import Feature, Product

    blocked = Feature.objects.filter(blocked=True).order_by("id").first()
    free = Feature.objects.filter(blocked=False).order_by("id").first()
    product = Product.objects.order_by("id").first()
    deep = deep_board_cursor(pm)
    return [
        Scenario("board_first", "Board, unresolved, first page", "/escalations/"),
        Scenario("board_all", "Board, every status, first page", "/escalations/?status=all"),
        Scenario("board_filtered", "Board, blocking + one product", f"/escalations/?severity=blocking&product={product.key}"),
        Scenario("board_mine", "Board, my features", "/escalations/?mine=1"),
        Scenario("board_deep", f"Board, all, {DEEP_PAGES + 1}st page by cursor", f"/escalations/?status=all&cursor={deep}"),
        Scenario("board_api", "API board, unresolved", "/api/v1/escalations/", token=True),
        Scenario("escalation_page", f"Escalation page, {BIG_LINKS:,} linked tickets", "/escalations/ESC-1/"),
        Scenario("escalation_api", f"API escalation, {BIG_LINKS:,} ticket references", "/api/v1/escalations/ESC-1/", token=True),
        Scenario("gate_free", "Gate, a shippable feature", f"/api/v1/features/{free.key}/gate/", token=True),
        Scenario(
            "gate_blocked", "Gate, a blocked feature (423)", f"/api/v1/features/{blocked.key}/gate/", token=True, expect=423
        ),
    ]


def in_process(items: list[Scenario], *, pm, token: str, requests: int, warmup: int) -> dict:
    from django.db import connection
    from django.test import Client

    browser, api = Client(), Client(HTTP_AUTHORIZATION=f"Token {token}")
    browser.force_login(pm)
    results = {}
    for scenario in items:
        client = api if scenario.token else browser
        for _ in range(warmup):
            answer = client.get(scenario.path)
            if answer.status_code != scenario.expect:
                raise RuntimeError(f"{scenario.path} answered {answer.status_code}, not {scenario.expect}")
        counter = QueryCounter()
        with connection.execute_wrapper(counter):
            client.get(scenario.path)
        samples = []
        for _ in range(requests):
            started = time.perf_counter()
            client.get(scenario.path)
            samples.append((time.perf_counter() - started) * 1000)
        results[scenario.key] = {**percentiles(samples), "queries": counter.count, "label": scenario.label}
        print(
            f"  {scenario.label:<46} p50 {results[scenario.key]['p50']:7.1f}  p95 {results[scenario.key]['p95']:7.1f} ms"
            f"  {counter.count:3d} queries",
            flush=True,
        )
    return results


def board_combos() -> list[str]:
    from escalations.models import EscalationStatus, Product, Severity

    statuses = ["", "all", *EscalationStatus.values]
    severities = ["", *Severity.values]
    products = ["", *Product.objects.order_by("key").values_list("key", flat=True)]
    combos = []
    for status, severity, product, mine in itertools.product(statuses, severities, products, ["", "1"]):
        params = {"status": status, "severity": severity, "product": product, "mine": mine}
        query = "&".join(f"{name}={value}" for name, value in params.items() if value)
        combos.append("/escalations/" + (f"?{query}" if query else ""))
    return combos


def sweep(*, pm, requests: int) -> dict:
    from django.db import connection
    from django.test import Client

    browser = Client()
    browser.force_login(pm)
    results = {}
    for path in board_combos():
        browser.get(path)
        counter = QueryCounter()
        with connection.execute_wrapper(counter):
            page = browser.get(path)
        # An empty page skips the two lookups that name its rows' features and people.
        rows = page.content.count(b'class="board-row ')
        samples = []
        for _ in range(requests):
            started = time.perf_counter()
            browser.get(path)
            samples.append((time.perf_counter() - started) * 1000)
        results[path] = {**percentiles(samples), "queries": counter.count, "rows": rows}
    worst = sorted(results.items(), key=lambda item: -item[1]["p95"])[:5]
    print(
        f"  swept {len(results)} board combinations: slowest p95 "
        + ", ".join(f"{path} {timing['p95']:.1f} ms" for path, timing in worst),
        flush=True,
    )
    return results


def over_http(items: list[Scenario], *, servers: dict, token: str, requests: int, warmup: int) -> dict:
    from tests.benchmarks.http_load import KeepAliveClient

    results: dict = {}
    for key, running in servers.items():
        results[key] = {}
        browser = KeepAliveClient(running.base_url, running.headers)
        api = KeepAliveClient(
            running.base_url, {k: v for k, v in running.headers.items() if k != "Cookie"} | {"Authorization": f"Token {token}"}
        )
        try:
            for scenario in items:
                client = api if scenario.token else browser
                for _ in range(warmup):
                    status, _, _ = client.get(scenario.path, {"Accept-Encoding": "gzip"})
                    if status != scenario.expect:
                        raise RuntimeError(f"{key} {scenario.path} answered {status}, not {scenario.expect}")
                samples = []
                for _ in range(requests):
                    started = time.perf_counter()
                    client.get(scenario.path, {"Accept-Encoding": "gzip"})
                    samples.append((time.perf_counter() - started) * 1000)
                results[key][scenario.key] = percentiles(samples)
                print(f"  {key:<8} {scenario.label:<46} p50 {results[key][scenario.key]['p50']:7.1f}  "
                      f"p95 {results[key][scenario.key]['p95']:7.1f} ms", flush=True)  # fmt: skip
        finally:
            browser.close()
            api.close()
    return results


def gate_throughput(*, servers: dict, token: str, path: str, clients: int, seconds: float, workdir: Path) -> dict:
    from tests.benchmarks.http_load import run_wrk

    results = {}
    for key, running in servers.items():
        headers = {k: v for k, v in running.headers.items() if k != "Cookie"} | {"Authorization": f"Token {token}"}
        run_wrk(running.base_url + path, clients=clients, seconds=2, headers=headers, workdir=workdir)  # warm up
        result = run_wrk(running.base_url + path, clients=clients, seconds=seconds, headers=headers, workdir=workdir)
        results[key] = result
        print(f"  {key:<8} gate with {clients} clients: {result['rps']:7.1f} requests/s, p95 {result['p95']:.1f} ms, "
              f"{result['errors']} errors, {result['non_2xx_3xx']} non-2xx (423 counts as such)", flush=True)  # fmt: skip
    return results


# --- the run -----------------------------------------------------------------------------------------


def main(argv: list[str] | None = None) -> int:
    args = parse_args(argv)
    os.environ.setdefault("ALLOWED_HOSTS", "testserver,localhost,127.0.0.1")
    from tests.benchmarks import run_inbox

    run_inbox.configure_django()
    from django.contrib.auth import get_user_model
    from django.db import connection, connections

    from helpdesk import services as desk_services

    database = connection.settings_dict["NAME"]
    tickets = ensure_tickets(args.small)
    sizes = ((1_000, 10_000), (10_000, 100_000)) if args.small else ((10_000, 100_000), (100_000, 1_000_000))
    print(f"Escalations benchmark on {database!r}: {tickets:,} tickets; "
          f"{sizes[0][0]:,} then {sizes[1][0]:,} escalations", flush=True)  # fmt: skip
    User = get_user_model()
    pm, agent = User.objects.get(username="pm"), User.objects.get(username="agent")
    _, token = desk_services.api_token_create(actor=agent, name=f"bench {datetime.now():%H%M%S}")
    results: dict = {"started": datetime.now().isoformat(timespec="seconds"), "database": database,
                     "tickets": tickets, "sizes": {}, "facts": run_inbox.machine_facts()}  # fmt: skip
    clear_escalations()
    loaded_to = 0
    for index, (escalations, links) in enumerate(sizes):
        print(f"\n== loading to {escalations:,} escalations and {links:,} links", flush=True)
        previous_links = sizes[index - 1][1] if index else 0
        load = load_escalations(
            first=loaded_to + 1, last=escalations, links=links - previous_links - (BIG_LINKS if not index else 0)
        )
        loaded_to = escalations
        items = scenarios(pm=pm)
        print(f"\n== in-process at {escalations:,} escalations", flush=True)
        size = {"load": load, "in_process": in_process(items, pm=pm, token=token, requests=args.requests, warmup=args.warmup)}
        if args.sweep:
            size["sweep"] = sweep(pm=pm, requests=args.sweep_requests)
        if args.http and index == len(sizes) - 1:
            size.update(http_part(args, items, token))
        results["sizes"][str(escalations)] = size
        connections.close_all()
    return report(args, results, sizes)


def http_part(args, items: list[Scenario], token: str) -> dict:
    from tests import recipe
    from tests.benchmarks import http_load
    from tests.benchmarks.run_http import start

    missing = [hint for ok, hint in ((http_load.wrk_binary(), http_load.WRK_INSTALL_HINT),
                                      (recipe.nginx_binary(), recipe.NGINX_INSTALL_HINT)) if not ok]  # fmt: skip
    if missing:
        print("  (over HTTP skipped: " + "; ".join(missing) + ")", flush=True)
        return {}
    workdir = args.out / ".escalations-work"
    shutil.rmtree(workdir, ignore_errors=True)
    workdir.mkdir(parents=True)
    env = recipe.production_env(STATIC_ROOT=str(workdir / "static"))
    for name in ("DATABASE_URL", "REDIS_URL", "CACHE_PREFIX", "CHANNEL_PREFIX"):
        if os.environ.get(name):
            env[name] = os.environ[name]
    recipe.collect_static(env, workdir / "static")
    servers = {}
    try:
        for key in HTTP_CONFIGS:
            running = start(key, env=env, workdir=workdir)
            cookie = http_load.sign_in(running.base_url, username="pm", password="demo", extra_headers=running.headers)
            running.headers = {**running.headers, "Cookie": cookie}
            servers[key] = running
        print("\n== over HTTP (keep-alive, one request after another)", flush=True)
        pages = over_http(items, servers=servers, token=token, requests=args.requests, warmup=args.warmup)
        print(f"\n== gate throughput, {args.clients} clients", flush=True)
        gate = next(s for s in items if s.key == "gate_free")
        throughput = gate_throughput(servers=servers, token=token, path=gate.path, clients=args.clients,
                                     seconds=args.seconds, workdir=workdir)  # fmt: skip
    finally:
        for running in servers.values():
            running.stop()
    return {"http": pages, "gate_throughput": throughput}


def report(args, results: dict, sizes) -> int:
    small_key, large_key = str(sizes[0][0]), str(sizes[1][0])
    small, large = results["sizes"][small_key], results["sizes"][large_key]
    verdicts = []

    def verdict(name: str, ok: bool, detail: str) -> None:
        verdicts.append({"goal": name, "met": ok, "detail": detail})

    for key, timing in large["in_process"].items():
        base = small["in_process"][key]
        if key.startswith("board"):
            ratio = timing["p95"] / base["p95"] if base["p95"] else 0
            verdict(f"{key}: p95 < {BOARD_P95_GOAL_MS:.0f} ms", timing["p95"] < BOARD_P95_GOAL_MS, f"{timing['p95']:.1f} ms")
            verdict(f"{key}: p95 ≤ {BOARD_RATIO_GOAL:.0f}× at {small_key}", ratio <= BOARD_RATIO_GOAL, f"{ratio:.2f}×")
        if key.startswith("gate"):
            verdict(
                f"{key}: p95 < {GATE_P95_GOAL_MS:.0f} ms in-process", timing["p95"] < GATE_P95_GOAL_MS, f"{timing['p95']:.1f} ms"
            )
        verdict(f"{key}: same queries at both sizes", timing["queries"] == base["queries"],
                f"{base['queries']} → {timing['queries']}")  # fmt: skip
    if "sweep" in large:
        worst = max(large["sweep"].values(), key=lambda t: t["p95"])["p95"]
        verdict(
            f"every board combination: p95 < {BOARD_P95_GOAL_MS:.0f} ms", worst < BOARD_P95_GOAL_MS, f"slowest {worst:.1f} ms"
        )
        ratios = [t["p95"] / small["sweep"][path]["p95"] for path, t in large["sweep"].items() if small["sweep"][path]["p95"]]
        verdict(
            "every board combination: p95 ≤ 2× at the small size", max(ratios) <= BOARD_RATIO_GOAL, f"worst {max(ratios):.2f}×"
        )
        # Compared where both sizes show rows: an empty page makes two queries fewer, whatever the size.
        both = [p for p, t in large["sweep"].items() if t.get("rows", 1) and small["sweep"][p].get("rows", 1)]
        changed = [p for p in both if large["sweep"][p]["queries"] != small["sweep"][p]["queries"]]
        verdict(
            "every board combination: same queries at both sizes (pages with rows)",
            not changed,
            f"{len(changed)} of {len(both)} differ" + (f": {', '.join(changed[:3])}" if changed else ""),
        )
    for server, pages in large.get("http", {}).items():
        for key in ("gate_free", "gate_blocked"):
            p95 = pages[key]["p95"]
            verdict(f"{key} over {server}: p95 < {GATE_HTTP_P95_GOAL_MS:.0f} ms", p95 < GATE_HTTP_P95_GOAL_MS, f"{p95:.1f} ms")
    for server, run in large.get("gate_throughput", {}).items():
        ok = run["rps"] >= GATE_RPS_GOAL and run["errors"] == 0 and run["non_2xx_3xx"] == 0
        verdict(f"gate over {server}: ≥ {GATE_RPS_GOAL:.0f} requests/s with {args.clients} clients", ok,
                f"{run['rps']:.0f}/s, {run['errors']} errors")  # fmt: skip
    results["verdicts"] = verdicts
    args.out.mkdir(parents=True, exist_ok=True)
    stamp = datetime.now().strftime("%Y%m%d-%H%M%S")
    (args.out / f"escalations-{stamp}.json").write_text(json.dumps(results, indent=2, default=str))
    markdown = render_markdown(results, small_key, large_key)
    (args.out / f"escalations-{stamp}.md").write_text(markdown)
    (args.out / "latest-escalations.md").write_text(markdown)
    print("\n" + markdown, flush=True)
    failed = [v for v in verdicts if not v["met"]]
    return 1 if (failed and args.strict) else 0


def render_markdown(results: dict, small_key: str, large_key: str) -> str:
    small, large = results["sizes"][small_key], results["sizes"][large_key]
    lines = [
        f"# Escalations benchmark, {results['started']}",
        "",
        f"{results['tickets']:,} tickets; {int(small_key):,} escalations ({small['load']['links']:,} links) and "
        f"{int(large_key):,} ({large['load']['links']:,} links). Server time in ms.",
        "",
        f"| scenario | p95 at {int(small_key):,} | p50 / p95 at {int(large_key):,} | p95 ratio | queries |",
        "|---|--:|--:|--:|--:|",
    ]
    for key, timing in large["in_process"].items():
        base = small["in_process"][key]
        ratio = timing["p95"] / base["p95"] if base["p95"] else 0
        lines.append(f"| {timing['label']} | {base['p95']:.1f} | {timing['p50']:.1f} / {timing['p95']:.1f} | "
                     f"{ratio:.2f} | {timing['queries']} |")  # fmt: skip
    if large.get("http"):
        servers = list(large["http"])
        lines += ["", f"Over HTTP at {int(large_key):,} escalations (p50 / p95, ms):", "",
                  "| scenario | in-process | " + " | ".join(servers) + " |", "|---|--:|" + "--:|" * len(servers)]  # fmt: skip
        for key, timing in large["in_process"].items():
            cells = " | ".join(f"{large['http'][s][key]['p50']:.1f} / {large['http'][s][key]['p95']:.1f}" for s in servers)
            lines.append(f"| {timing['label']} | {timing['p50']:.1f} / {timing['p95']:.1f} | {cells} |")
    if large.get("gate_throughput"):
        lines += ["", "Gate throughput (wrk):", ""]
        for server, run in large["gate_throughput"].items():
            lines.append(f"- {server}: {run['rps']:.0f} requests/s, p95 {run['p95']:.1f} ms, {run['errors']} errors")
    if "sweep" in large:
        worst = sorted(large["sweep"].items(), key=lambda item: -item[1]["p95"])[:5]
        lines += ["", f"Sweep: {len(large['sweep'])} board combinations at each size; slowest p95 at {int(large_key):,}: "
                  + ", ".join(f"`{path}` {t['p95']:.1f} ms" for path, t in worst)]  # fmt: skip
    lines += ["", "| goal | met | |", "|---|---|---|"]
    lines += [f"| {v['goal']} | {'yes' if v['met'] else '**no**'} | {v['detail']} |" for v in results["verdicts"]]
    facts = results.get("facts", {})
    lines += ["", "Machine: " + ", ".join(f"{k} {v}" for k, v in facts.items())]
    return "\n".join(lines) + "\n"


if __name__ == "__main__":
    sys.exit(main())
