"""HTTP benchmark: the desk's pages over real servers beside their in-process cost, and throughput under load.

    DATABASE_URL=postgres://postgres@127.0.0.1:5432/helpdesk_bench REDIS_URL=redis://127.0.0.1:6379/0 make bench-http

It uses the data a previous ``make bench`` left in that database (1,000,000 tickets)
and changes none of it but sessions; ``--load 10000`` first wipes the database and
loads that many tickets instead. Servers are started as the README says:

- ``recipe``: the production recipe, nginx (TLS) → gunicorn ``-c deploy/gunicorn.conf.py``
  for HTTP and Daphne for ``/ws/`` (tests/recipe.py);
- ``gunicorn2``: gunicorn with 2 sync workers on the same code, no proxy;
- ``daphne1``: one Daphne process alone (the embedded default's server);
- ``daphne2``: two Daphne processes behind the same nginx (the recipe before this one);
- ``daphne1-nopool`` (on request): one Daphne with ``DB_POOL=0``, a new session per request.

Pages (the inbox's headline scenarios, the ticket page, the long timeline whole) are
timed one request after another over one keep-alive connection, beside the same
pages in-process (Django's test client: no network, no server). Throughput is wrk with
8 and 16 connections on the inbox, every configuration in each round (the order
reversed every other round, so a drift of the machine hits all alike). Results are
printed and written to bench-results/http-<time>.{json,md} and latest-http.md.
"""

from __future__ import annotations

import argparse
import json
import os
import shutil
import sys
import time
from dataclasses import dataclass, field
from datetime import datetime
from pathlib import Path
from urllib.parse import urlencode

ROOT = Path(__file__).resolve().parents[2]
CONFIGS = ("recipe", "gunicorn2", "daphne1", "daphne2", "daphne1-nopool")
DEFAULT_CONFIGS = ("recipe", "gunicorn2", "daphne1", "daphne2")
LATENCY_CONFIGS = ("recipe", "daphne1")
THROUGHPUT_PATH = "/inbox/?view=all"
PAGE_RATIO_GOAL = 1.5
THROUGHPUT_GOAL = 0.9


def parse_args(argv: list[str] | None) -> argparse.Namespace:
    parser = argparse.ArgumentParser(prog="python -m tests.benchmarks.run_http", description=__doc__.split("\n")[0])
    parser.add_argument("--configs", nargs="+", choices=CONFIGS, default=list(DEFAULT_CONFIGS))
    parser.add_argument("--clients", type=int, nargs="+", default=[8, 16], help="wrk connections (default 8 16)")
    parser.add_argument("--seconds", type=float, default=15, help="seconds per throughput run (default 15)")
    parser.add_argument("--rounds", type=int, default=3, help="throughput rounds over every configuration (default 3)")
    parser.add_argument("--requests", type=int, default=100, help="timed requests per page (default 100)")
    parser.add_argument("--warmup", type=int, default=10, help="untimed requests per page first")
    parser.add_argument("--no-pages", action="store_true", help="skip the page timings")
    parser.add_argument("--load", type=int, metavar="N", help="wipe the database and load N tickets first")
    parser.add_argument("--out", type=Path, default=ROOT / "bench-results")
    parser.add_argument("--strict", action="store_true", help="exit 1 when a goal is not met")
    parser.add_argument("--yes", action="store_true", help="do not ask before wiping the database (--load)")
    return parser.parse_args(argv)


def check_tools() -> None:
    from tests import recipe
    from tests.benchmarks import http_load

    missing = []
    if http_load.wrk_binary() is None:
        missing.append(http_load.WRK_INSTALL_HINT)
    if recipe.nginx_binary() is None:
        missing.append(recipe.NGINX_INSTALL_HINT)
    if shutil.which("openssl") is None:
        missing.append("install openssl: apt-get install -y openssl")
    if not os.environ.get("REDIS_URL", "").startswith("redis"):
        missing.append("set REDIS_URL (the recipe's channel layer and cache), e.g. REDIS_URL=redis://127.0.0.1:6379/0")
    if missing:
        raise SystemExit("The HTTP benchmark needs:\n  " + "\n  ".join(missing))


# --- data ----------------------------------------------------------------------------------------


def prepare(count: int) -> None:
    """An empty database filled as ``make bench`` fills its small size (the demo desk, a long ticket, N more)."""
    from django.core.management import call_command

    from helpdesk.demo import bulk_load, seed
    from helpdesk.demo.factory import LongConversation, TicketFactory
    from tests.benchmarks import run_inbox

    call_command("migrate", verbosity=0, interactive=False)
    call_command("flush", verbosity=0, interactive=False)
    out = run_inbox._Out()
    seed.seed_directory(stdout=out)
    seed.run_app_hooks(stdout=out)
    seed.prepare_bulk_pool(total=count, stdout=out)
    bulk_load.ticket_bulk_load(
        actor=None,
        count=1,
        source=LongConversation(TicketFactory.from_database(seed=7), events=run_inbox.LONG_TICKET_EVENTS),
        analyze=False,
    )
    run_inbox.load(max(count - 1, 1), seed=1)


def find_data() -> dict:
    from django.contrib.auth import get_user_model
    from django.db.models import Count

    from helpdesk.models import Ticket, TicketEvent
    from tests.benchmarks import run_inbox

    agent = get_user_model().objects.filter(username="agent").first()
    long_ticket = (
        TicketEvent.objects.values("ticket_id").annotate(n=Count("id"))
        .filter(n__gte=run_inbox.LONG_TICKET_EVENTS).order_by("ticket_id")[:1]
    )  # fmt: skip
    long_ticket = next(iter(long_ticket), None)
    if agent is None or long_ticket is None:
        raise SystemExit(
            "No benchmark data here: run `make bench` on this database first (it leaves 1,000,000 tickets), "
            "or pass --load 10000 (BENCH_ARGS) to load a small set."
        )
    rare = Ticket.objects.filter(subject__contains=" #").order_by("number").only("subject").first()
    return {
        "agent": agent,
        "long_reference": Ticket.objects.only("number").get(pk=long_ticket["ticket_id"]).reference,
        "rare_token": rare.subject.rsplit("#", 1)[1].split()[0] if rare else "0x80070005",
        "tickets": Ticket.objects.count(),
        "events": TicketEvent.objects.count(),
    }


@dataclass
class Page:
    key: str
    label: str
    path: str
    marker: bytes  # in the HTML of a page that shows what it should

    def check(self, html: bytes) -> None:
        if self.marker not in html:
            raise RuntimeError(f"{self.label}: {self.path} does not show {self.marker!r}")


def build_pages(data: dict) -> list[Page]:
    from django.urls import reverse

    from tests.benchmarks import run_inbox

    pages = []
    for scenario in run_inbox.build_scenarios(
        agent=data["agent"], long_reference=data["long_reference"], rare_token=data["rare_token"]
    ):
        if scenario.kind == "inbox":
            path = reverse("helpdesk:inbox") + "?" + urlencode(scenario.params)
            marker = scenario.expect.encode() if scenario.expect else b"ticket-link"
        else:
            path = reverse("helpdesk:ticket_detail", args=[scenario.reference])
            marker = scenario.reference.encode()
        pages.append(Page(scenario.key, scenario.label, path, marker))
    whole = reverse("helpdesk:ticket_detail", args=[data["long_reference"]]) + "?timeline=all"
    pages.append(Page("ticket_timeline_all", "Ticket page, 1,000 events, whole timeline", whole, b"event-audit"))
    return pages


def time_pages_paired(pages: list[Page], *, agent, servers: dict, warmup: int, requests: int, batch: int = 10):
    """Each page in-process and over every running server, in alternating batches of ``batch`` requests.

    The machine's speed drifts (and other work shares it); alternating small batches puts
    the same drift on every column, so their ratios hold even when the levels move.
    """
    from django.test import Client

    from tests.benchmarks.http_load import BROWSER_HEADERS, KeepAliveClient, decoded, percentiles

    in_process = Client()
    in_process.force_login(agent)
    clients = {key: KeepAliveClient(r.base_url, {**BROWSER_HEADERS, **r.headers}) for key, r in servers.items()}

    def over_http(key: str, path: str) -> tuple[int, dict, bytes]:
        status, headers, body = clients[key].get(path)
        if status != 200:
            raise RuntimeError(f"{key}: {path} answered {status}")
        return status, headers, body

    results: dict[str, dict] = {"in_process": {}, **{key: {} for key in servers}}
    try:
        for page in pages:
            first = in_process.get(page.path)
            if first.status_code != 200:
                raise RuntimeError(f"{page.path} answered {first.status_code} in-process")
            page.check(first.content)
            sizes = {}
            for key in clients:
                _, headers, body = over_http(key, page.path)
                page.check(decoded(headers, body))
                sizes[key] = {"bytes_on_wire": len(body), "bytes_html": len(decoded(headers, body)),
                              "encoding": headers.get("content-encoding", "identity")}  # fmt: skip
            for _ in range(warmup):
                in_process.get(page.path)
                for key in clients:
                    over_http(key, page.path)
            samples: dict[str, list[float]] = {name: [] for name in results}
            while len(samples["in_process"]) < requests:
                n = min(batch, requests - len(samples["in_process"]))
                for _ in range(n):
                    started = time.perf_counter()
                    in_process.get(page.path)
                    samples["in_process"].append((time.perf_counter() - started) * 1000)
                for key in clients:
                    for _ in range(n):
                        started = time.perf_counter()
                        over_http(key, page.path)
                        samples[key].append((time.perf_counter() - started) * 1000)
            results["in_process"][page.key] = {**percentiles(samples["in_process"]), "samples": requests,
                                               "bytes_html": len(first.content)}  # fmt: skip
            for key in clients:
                results[key][page.key] = {**percentiles(samples[key]), "samples": requests, **sizes[key]}
            print(f"  {page.label:<44} p50 in-process {results['in_process'][page.key]['p50']:6.1f}"
                  + "".join(f"  {key} {results[key][page.key]['p50']:6.1f}" for key in clients)
                  + f" ms   {sizes[next(iter(clients))]['bytes_on_wire'] / 1024:5.1f} KB on the wire, "
                  f"{len(first.content) / 1024:5.1f} KB HTML  (load {os.getloadavg()[0]:.1f})", flush=True)  # fmt: skip
    finally:
        for client in clients.values():
            client.close()
    return results


# --- servers -------------------------------------------------------------------------------------------


@dataclass
class Running:
    key: str
    base_url: str
    headers: dict[str, str]
    processes: list = field(default_factory=list)

    @property
    def pids(self) -> list[int]:
        return [p.popen.pid for p in self.processes]

    def stop(self) -> None:
        for process in reversed(self.processes):
            process.stop()


def start(key: str, *, env: dict[str, str], workdir: Path) -> Running:
    from tests import recipe
    from tests.benchmarks.http_load import FORWARDED_HTTPS

    workdir = workdir / key
    shutil.rmtree(workdir, ignore_errors=True)
    workdir.mkdir(parents=True)
    if key == "recipe":
        started = recipe.start_recipe(env=env, workdir=workdir)
        return Running(key, started.base_url, {}, started.processes)
    if key == "gunicorn2":
        port = recipe.free_port()
        process, extra = recipe.gunicorn(port=port, workers=2, log=workdir / "gunicorn.log")
        running = Running(key, f"http://127.0.0.1:{port}", dict(FORWARDED_HTTPS), [process.start({**env, **extra})])
    elif key in ("daphne1", "daphne1-nopool"):
        port = recipe.free_port()
        server_env = {**env, "DB_POOL": "0"} if key == "daphne1-nopool" else env
        process = recipe.daphne(port=port, log=workdir / "daphne.log", proxy_headers=False).start(server_env)
        running = Running(key, f"http://127.0.0.1:{port}", dict(FORWARDED_HTTPS), [process])
    elif key == "daphne2":
        ports = [recipe.free_port(), recipe.free_port()]
        running = Running(key, "", {})
        try:
            for port in ports:
                running.processes.append(recipe.daphne(port=port, log=workdir / f"daphne-{port}.log").start(env))
            cert, cert_key = recipe.make_certificate(workdir)
            listen = recipe.free_port()
            site = recipe.render_nginx_site(
                listen=listen, redirect=recipe.free_port(), http_ports=ports, ws_ports=ports, cert=cert, key=cert_key
            )
            front = recipe.nginx(prefix=workdir / "nginx", site_text=site)
            running.processes.append(front.start(env))
            running.base_url = f"https://127.0.0.1:{listen}"
        except BaseException:
            running.stop()
            raise
    else:
        raise ValueError(key)
    try:
        for process in running.processes:
            if process.name.startswith("daphne") and process is not running.processes[-1]:  # behind nginx
                process.wait_until_answering(f"http://127.0.0.1:{process.command[process.command.index('-p') + 1]}/")
        running.processes[-1].wait_until_answering(running.base_url + "/accounts/login/")
    except BaseException:
        running.stop()
        raise
    return running


# --- the run ------------------------------------------------------------------------------------------------


def main(argv: list[str] | None = None) -> int:
    args = parse_args(argv)
    check_tools()
    os.environ.setdefault("ALLOWED_HOSTS", "testserver,localhost,127.0.0.1")
    from tests.benchmarks import run_inbox

    run_inbox.configure_django()

    from django.conf import settings
    from django.db import connection, connections

    from tests import recipe
    from tests.benchmarks import http_load

    database = connection.settings_dict["NAME"]
    if args.load:
        if not args.yes and sys.stdin.isatty():
            answer = input(f"--load deletes everything in the database {database!r}. Continue? [y/N] ")
            if answer.strip().lower() not in {"y", "yes"}:
                return 1
        prepare(args.load)
    started_at = datetime.now().isoformat(timespec="seconds")
    data = find_data()
    pages = build_pages(data)
    print(f"HTTP benchmark on {database!r}: {data['tickets']:,} tickets, {data['events']:,} events", flush=True)

    results: dict = {"started": started_at, "database": database, "tickets": data["tickets"], "events": data["events"],
                     "pages": {}, "in_process": {}, "throughput": [], "load": []}  # fmt: skip

    workdir = args.out / ".http-work"
    env = recipe.production_env(STATIC_ROOT=str(workdir / "static"))
    for name in ("DATABASE_URL", "REDIS_URL", "CACHE_PREFIX", "CHANNEL_PREFIX"):
        if os.environ.get(name):
            env[name] = os.environ[name]
    print("\n== collectstatic for the servers (DEBUG=0)", flush=True)
    recipe.collect_static(env, workdir / "static")

    cookie = None

    def signed_in(running: Running) -> Running:
        nonlocal cookie
        if cookie is None:
            cookie = http_load.sign_in(running.base_url, username="agent", password="demo",
                                       extra_headers=running.headers)  # fmt: skip
        running.headers = {**running.headers, "Cookie": cookie}
        return running

    if not args.no_pages:
        print(f"\n== pages: in-process, then over {', '.join(LATENCY_CONFIGS)}, in alternating batches", flush=True)
        servers = {}
        try:
            for key in LATENCY_CONFIGS:
                servers[key] = signed_in(start(key, env=env, workdir=workdir))
            paired = time_pages_paired(pages, agent=data["agent"], servers=servers, warmup=args.warmup,
                                       requests=args.requests)  # fmt: skip
        finally:
            for running in servers.values():
                running.stop()
        results["in_process"] = paired.pop("in_process")
        results["pages"] = paired
    connections.close_all()

    dsn = os.environ["DATABASE_URL"]
    meter = http_load.SessionMeter(dsn, database)
    print("\n== throughput", flush=True)
    try:
        for round_number in range(1, args.rounds + 1):
            order = list(args.configs) if round_number % 2 else list(reversed(args.configs))
            for key in order:
                running = signed_in(start(key, env=env, workdir=workdir))
                try:
                    for clients in args.clients:
                        results["throughput"].append(
                            throughput(running, key, clients, running.headers, args, meter, round_number, workdir)
                        )
                finally:
                    running.stop()
    finally:
        meter.close()

    results["machine"] = run_inbox.machine_facts()
    results["settings"] = {
        "gunicorn_workers_in_recipe": os.environ.get("GUNICORN_WORKERS") or f"{os.cpu_count()} cores + 1",
        "db_pool_max_size": settings.DATABASES["default"].get("OPTIONS", {}).get("pool", {}).get("max_size"),
        "requests": args.requests, "seconds": args.seconds, "clients": args.clients, "rounds": args.rounds,
        "throughput_path": THROUGHPUT_PATH,
    }  # fmt: skip
    lines = report_lines(results, pages)
    print("\n" + "\n".join(lines))
    paths = write(args.out, results, lines)
    print("\nWritten: " + ", ".join(str(p.relative_to(ROOT)) if p.is_relative_to(ROOT) else str(p) for p in paths))
    failed = goals_failed(results)
    print("Goals met." if not failed else "Goals NOT met: " + "; ".join(failed))
    return 1 if failed and args.strict else 0


def throughput(running: Running, key: str, clients: int, headers, args, meter, round_number: int, workdir) -> dict:
    from tests.benchmarks.http_load import BROWSER_HEADERS, run_wrk, tree_cpu_seconds

    url = running.base_url + THROUGHPUT_PATH
    wrk_headers = {**BROWSER_HEADERS, **headers}
    run_wrk(url, clients=clients, seconds=3, headers=wrk_headers, workdir=workdir)  # warm-up, not recorded
    cpu_before = tree_cpu_seconds(running.pids)
    load_before = os.getloadavg()[0]
    with meter:
        result = run_wrk(url, clients=clients, seconds=args.seconds, headers=wrk_headers, workdir=workdir)
    cpu = tree_cpu_seconds(running.pids) - cpu_before
    result.update(
        config=key, clients=clients, round=round_number, load1_before=load_before, load1_after=os.getloadavg()[0],
        server_cpu_seconds=cpu, cpu_ms_per_request=cpu * 1000 / result["requests"] if result["requests"] else None,
        pg_sessions_opened=meter.opened, pg_sessions_most_open=meter.most_open,
    )  # fmt: skip
    too_many = sum(p.tail().count("too many clients") for p in running.processes)
    result["too_many_clients_in_logs"] = too_many
    print(f"  round {round_number} {key:<15} {clients:>3} clients  {result['rps']:7.1f} req/s  "
          f"p50 {result['p50']:6.1f}  p95 {result['p95']:6.1f}  p99 {result['p99']:6.1f} ms  errors {result['errors']}  "
          f"CPU {result['cpu_ms_per_request'] or 0:5.1f} ms/req  PG sessions opened {meter.opened}, "
          f"most open {meter.most_open}  load {result['load1_after']:.1f}", flush=True)  # fmt: skip
    return result


# --- report -----------------------------------------------------------------------------------------------------


def _throughput_ratios(results: dict) -> list[dict]:
    """Recipe ÷ gunicorn2 per round and client count (the pair measured back to back)."""
    by = {(r["round"], r["clients"], r["config"]): r for r in results["throughput"]}
    out = []
    for (round_number, clients, config), run in sorted(by.items()):
        base = by.get((round_number, clients, "gunicorn2"))
        if config == "recipe" and base and base["rps"]:
            out.append({"round": round_number, "clients": clients, "ratio": run["rps"] / base["rps"]})
    return out


def _median_ratios(results: dict) -> dict[int, float]:
    import statistics

    per_clients: dict[int, list[float]] = {}
    for ratio in _throughput_ratios(results):
        per_clients.setdefault(ratio["clients"], []).append(ratio["ratio"])
    return {clients: statistics.median(values) for clients, values in sorted(per_clients.items())}


def goals_failed(results: dict) -> list[str]:
    failed = []
    inproc, recipe_pages = results.get("in_process", {}), results.get("pages", {}).get("recipe", {})
    for key, timing in recipe_pages.items():
        if key in inproc and key != "ticket_timeline_all" and timing["p50"] > PAGE_RATIO_GOAL * inproc[key]["p50"]:
            failed.append(f"{key}: HTTP p50 {timing['p50']:.1f} ms > {PAGE_RATIO_GOAL}× in-process {inproc[key]['p50']:.1f}")
    whole = recipe_pages.get("ticket_timeline_all")
    if whole and whole["p50"] >= 60:
        failed.append(f"whole long timeline over HTTP p50 {whole['p50']:.1f} ms ≥ 60 ms")
    for clients, ratio in _median_ratios(results).items():
        if ratio < THROUGHPUT_GOAL:
            failed.append(f"{clients} clients: recipe {ratio:.2f}× gunicorn2 (median of the rounds)")
    for run in results["throughput"]:
        if run["errors"] or run["non_2xx_3xx"] or run["too_many_clients_in_logs"]:
            failed.append(f"{run['config']} at {run['clients']} clients (round {run['round']}) had errors")
    return failed


def report_lines(results: dict, pages: list[Page]) -> list[str]:
    lines = [f"# HTTP benchmark — {results['started']}", "",
             f"{results['tickets']:,} tickets, {results['events']:,} timeline events in `{results['database']}`.", ""]  # fmt: skip
    inproc, over = results.get("in_process", {}), results.get("pages", {})
    if inproc:
        lines += [
            "## Pages: over HTTP beside in-process (ms, one client, keep-alive, gzip accepted)", "",
            "| page | in-process p50 / p95 | recipe p50 / p95 | recipe ÷ in-process (p50) | Daphne alone p50 / p95 "
            "| Daphne ÷ in-process | on the wire / HTML |",
            "|---|--:|--:|--:|--:|--:|--:|",
        ]  # fmt: skip
        for page in pages:
            base = inproc.get(page.key)
            cells = [page.label, f"{base['p50']:.1f} / {base['p95']:.1f}" if base else "—"]
            for config in LATENCY_CONFIGS:
                timing = over.get(config, {}).get(page.key)
                cells.append(f"{timing['p50']:.1f} / {timing['p95']:.1f}" if timing else "—")
                cells.append(f"{timing['p50'] / base['p50']:.2f}" if timing and base else "—")
            sizes = over.get("recipe", {}).get(page.key)
            cells.append(f"{sizes['bytes_on_wire'] / 1024:.0f} KB / {sizes['bytes_html'] / 1024:.0f} KB" if sizes else "—")
            lines.append("| " + " | ".join(cells) + " |")
        lines.append("")
    lines += [
        f"## Throughput: `GET {THROUGHPUT_PATH}` with wrk, signed in (gzip accepted)", "",
        "| round | configuration | clients | req/s | p50 | p95 | p99 | errors | server CPU ms/request "
        "| PG sessions opened | most PG sessions open | load (1 min) |",
        "|--:|---|--:|--:|--:|--:|--:|--:|--:|--:|--:|--:|",
    ]  # fmt: skip
    for run in results["throughput"]:
        errors = run["errors"] + run["non_2xx_3xx"]
        lines.append(
            f"| {run['round']} | {run['config']} | {run['clients']} | {run['rps']:.1f} | {run['p50']:.1f} | "
            f"{run['p95']:.1f} | {run['p99']:.1f} | {errors} | {run['cpu_ms_per_request'] or 0:.1f} | "
            f"{run['pg_sessions_opened']} | {run['pg_sessions_most_open']} | {run['load1_after']:.1f} |"
        )
    ratios = _throughput_ratios(results)
    if ratios:
        medians = _median_ratios(results)
        lines += ["", "Recipe ÷ gunicorn with 2 sync workers, same round and clients: "
                  + ", ".join(f"round {r['round']} at {r['clients']}: {r['ratio']:.2f}×" for r in ratios)
                  + "; median " + ", ".join(f"{ratio:.2f}× at {clients}" for clients, ratio in medians.items())
                  + f" (goal ≥ {THROUGHPUT_GOAL}×, no errors)."]  # fmt: skip
    failed = goals_failed(results)
    lines += ["", "**Goals met.**" if not failed else "**Goals not met:** " + "; ".join(failed), "", "## Machine", ""]
    lines += [f"- {k}: {v}" for k, v in results.get("machine", {}).items()]
    lines += [f"- {k}: {v}" for k, v in results.get("settings", {}).items()]
    return lines


def write(directory: Path, results: dict, lines: list[str]) -> list[Path]:
    directory.mkdir(parents=True, exist_ok=True)
    stamp = datetime.now().strftime("%Y%m%d-%H%M%S")
    paths = [directory / f"http-{stamp}.json", directory / f"http-{stamp}.md", directory / "latest-http.md"]
    paths[0].write_text(json.dumps(results, indent=2, default=str))
    for path in paths[1:]:
        path.write_text("\n".join(lines) + "\n")
    return paths


if __name__ == "__main__":
    sys.exit(main())
