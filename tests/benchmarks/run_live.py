"""Live chat under load (``make bench-live``): N sessions, each with a customer, an agent and 2 listeners.

    DATABASE_URL=postgres://postgres@127.0.0.1:5432/helpdesk_live_bench REDIS_URL=redis://127.0.0.1:6379/5 \\
        make bench-live

Two Daphne processes share Redis: the customers and agents connect to the first, the
listeners to the second, so every line crosses processes before the last listener
has it. One load generator (this process, asyncio) holds all the sockets and sends
lines at a fixed total rate, alternating customer and agent, round-robin over the
sessions. For each rate it reports, from send to receipt by the *last* of the two
listeners, p50 and p99; the lines lost (a socket that never got a line it should
have: sender's echo, the other side, both listeners) and duplicated (a line a socket
got twice); and the memory each connection costs the servers (their RSS before and
after connecting, divided by the sockets). In the same run, as the baseline, the same
sockets and load on a bare Channels group broadcast with no persistence
(``tests/benchmarks/bare_asgi.py``).

Results are printed and written to bench-results/live-<time>.{json,md} and
latest-live.md. Goals (the issue's): 1,000 sessions (4,000 sockets); at 100 lines/s the
last-listener p99 at most 2x the baseline's; at 200 lines/s nothing lost or duplicated.
The database is the benchmark's own: earlier benchmark chats in it are deleted first.
"""

from __future__ import annotations

import argparse
import asyncio
import json
import os
import resource
import socket
import statistics
import subprocess
import sys
import time
from dataclasses import dataclass, field
from datetime import datetime
from pathlib import Path

ROOT = Path(__file__).resolve().parents[2]
P99_RATIO_GOAL = 2.0
PREFIX = "lb-"
CONNECT_CONCURRENCY = 32
# The pages ping every 25 s; the load generator pings while it waits for the last lines.
PING_SECONDS = 10.0


def parse_args(argv: list[str] | None) -> argparse.Namespace:
    parser = argparse.ArgumentParser(prog="python -m tests.benchmarks.run_live", description=__doc__.split("\n")[0])
    parser.add_argument("--sessions", type=int, default=1000, help="concurrent sessions (default 1,000: 4,000 sockets)")
    parser.add_argument("--rates", type=int, nargs="+", default=[100, 200], help="lines per second, in turn")
    parser.add_argument("--seconds", type=float, default=40.0, help="seconds of load per rate (default 40)")
    parser.add_argument("--drain", type=float, default=60.0, help="seconds at most to wait for the last lines (default 60)")
    parser.add_argument(
        "--warmup", type=float, default=10.0, help="unmeasured seconds at the first rate before measuring (default 10)"
    )
    parser.add_argument("--small", action="store_true", help="quick run: 100 sessions, 10 s per rate")
    parser.add_argument(
        "--tuned-baseline", action="store_true", help="the bare broadcast with the chat servers' collector settings"
    )
    parser.add_argument("--no-baseline", dest="baseline", action="store_false", help="skip the bare Channels run")
    parser.add_argument("--out", type=Path, default=ROOT / "bench-results")
    parser.add_argument("--strict", action="store_true", help="exit 1 when a goal is not met")
    args = parser.parse_args(argv)
    if args.small:
        args.sessions, args.seconds, args.warmup = 100, 10.0, 3.0
    return args


def configure_django() -> None:
    url = os.environ.get("DATABASE_URL", "")
    if not url.startswith(("postgres://", "postgresql://")) or not os.environ.get("REDIS_URL"):
        raise SystemExit(
            "The live benchmark needs PostgreSQL and Redis: set DATABASE_URL and REDIS_URL, e.g.\n"
            "  createdb -h 127.0.0.1 -U postgres helpdesk_live_bench\n"
            "  DATABASE_URL=postgres://postgres@127.0.0.1:5432/helpdesk_live_bench REDIS_URL=redis://127.0.0.1:6379/5 "
            "make bench-live"
        )
    os.environ.setdefault("DJANGO_SETTINGS_MODULE", "helpdesk.settings")
    os.environ.setdefault("DEBUG", "0")
    os.environ.setdefault("SECRET_KEY", "benchmark-only-secret-key-not-for-any-real-deployment-0123456789")
    os.environ.setdefault("ALLOWED_HOSTS", "testserver,localhost,127.0.0.1")
    os.environ.setdefault("SECURE_SSL_REDIRECT", "0")
    os.environ.setdefault("CHANNEL_PREFIX", "livebench")
    os.environ.setdefault("CACHE_PREFIX", "livebench")
    import django

    django.setup()


# --- data ----------------------------------------------------------------------------------------


@dataclass
class Chat:
    session_id: int
    customer_cookie: str
    agent_cookie: str
    listener_cookies: tuple[str, str]


def _cookie_for(user) -> str:
    from django.conf import settings
    from django.contrib.auth import BACKEND_SESSION_KEY, HASH_SESSION_KEY, SESSION_KEY
    from django.contrib.sessions.backends.db import SessionStore

    store = SessionStore()
    store[SESSION_KEY] = str(user.pk)
    store[BACKEND_SESSION_KEY] = settings.AUTHENTICATION_BACKENDS[0]
    store[HASH_SESSION_KEY] = user.get_session_auth_hash()
    store.create()
    return f"sessionid={store.session_key}"


def _people(kind: str, count: int, role: str) -> list:
    """Bench accounts, created in bulk (no password hashing); reused by later runs."""
    from django.contrib.auth import get_user_model
    from django.contrib.auth.models import Group

    User = get_user_model()
    names = [f"{PREFIX}{kind}-{number:05d}" for number in range(count)]
    existing = set(User.objects.filter(username__in=names).values_list("username", flat=True))
    User.objects.bulk_create(
        [
            User(username=name, password="!", first_name=kind.title(), last_name=name[-5:])
            for name in names
            if name not in existing
        ]
    )
    users = list(User.objects.filter(username__in=names).order_by("username"))
    Group.objects.get(name=role).user_set.add(*users)
    return users


def prepare(sessions: int) -> list[Chat]:
    from helpdesk import roles
    from helpdesk import services as desk_services
    from helpdesk.models import Customer
    from livelisten import services
    from livelisten.models import ChatSession

    print(f"\n== preparing {sessions:,} sessions", flush=True)
    started = time.perf_counter()
    desk_services.roles_ensure(actor=None)
    ChatSession.objects.filter(customer__username__startswith=PREFIX).delete()
    organization = desk_services.organization_ensure(actor=None, name="Live Bench Ltd", domain="livebench.test")
    customers = _people("customer", sessions, roles.CUSTOMERS)
    agents = _people("agent", max(1, sessions // 10), roles.AGENTS)
    listeners = _people("listener", 20, roles.SUPPORT_MANAGERS)
    have = set(Customer.objects.filter(user__in=customers).values_list("user_id", flat=True))
    Customer.objects.bulk_create(
        [
            Customer(user=user, name=user.username, email=f"{user.username}@livebench.test", organization=organization)
            for user in customers
            if user.pk not in have
        ]
    )
    agent_cookies = {agent.pk: _cookie_for(agent) for agent in agents}
    listener_cookies = [_cookie_for(person) for person in listeners]
    chats = []
    for number, customer in enumerate(customers):
        agent = agents[number % len(agents)]
        session = services.session_start(actor=customer, subject=f"Bench chat {number}", body="Hello, I need help.")
        services.session_accept(actor=agent, session_id=session.pk)
        chats.append(
            Chat(
                session_id=session.pk,
                customer_cookie=_cookie_for(customer),
                agent_cookie=agent_cookies[agent.pk],
                listener_cookies=(listener_cookies[(2 * number) % 20], listener_cookies[(2 * number + 1) % 20]),
            )
        )
        if (number + 1) % 250 == 0:
            print(f"    {number + 1:,} sessions started and accepted", flush=True)
    print(f"    ready in {time.perf_counter() - started:.0f} s", flush=True)
    return chats


# --- servers ---------------------------------------------------------------------------------------


def _free_port() -> int:
    with socket.socket(socket.AF_INET, socket.SOCK_STREAM) as sock:
        sock.bind(("127.0.0.1", 0))
        return sock.getsockname()[1]


@dataclass
class Server:
    name: str
    port: int
    process: subprocess.Popen
    log_path: Path

    def rss_kb(self) -> int:
        for line in Path(f"/proc/{self.process.pid}/status").read_text().splitlines():
            if line.startswith("VmRSS:"):
                return int(line.split()[1])
        return 0

    def cpu_seconds(self) -> float:
        """User and system CPU time the server has used so far (all its threads)."""
        fields = Path(f"/proc/{self.process.pid}/stat").read_text().rsplit(")", 1)[1].split()
        return (int(fields[11]) + int(fields[12])) / os.sysconf("SC_CLK_TCK")

    def stop(self) -> None:
        self.process.terminate()
        try:
            self.process.wait(timeout=15)
        except subprocess.TimeoutExpired:
            self.process.kill()
            self.process.wait(timeout=10)


def start_server(name: str, application: str, workdir: Path) -> Server:
    port = _free_port()
    log_path = workdir / f"daphne-{name}.log"
    env = dict(os.environ)
    env["PYTHONUNBUFFERED"] = "1"
    with open(log_path, "wb") as log:
        process = subprocess.Popen(
            [sys.executable, "-m", "daphne", "-v", "0", "-b", "127.0.0.1", "-p", str(port), application],
            cwd=ROOT,
            env=env,
            stdout=log,
            stderr=subprocess.STDOUT,
        )
    deadline = time.monotonic() + 60
    while time.monotonic() < deadline:
        if process.poll() is not None:
            raise SystemExit(f"Daphne {name} exited:\n{log_path.read_text()[-3000:]}")
        try:
            with socket.create_connection(("127.0.0.1", port), timeout=1):
                return Server(name=name, port=port, process=process, log_path=log_path)
        except OSError:
            time.sleep(0.2)
    raise SystemExit(f"Daphne {name} did not start")


# --- the load ------------------------------------------------------------------------------------------


@dataclass
class Sock:
    role: str  # customer, agent, listener
    chat: int
    ws: object = None
    got: dict = field(default_factory=dict)  # body -> receive time
    duplicates: int = 0


async def _reader(sock: Sock) -> None:
    try:
        async for raw in sock.ws:
            now = time.perf_counter()
            frame = json.loads(raw)
            if frame.get("type") != "message":
                continue
            body = frame.get("body") or ""
            if not body.startswith("lb:"):
                continue
            if body in sock.got:
                sock.duplicates += 1
            else:
                sock.got[body] = now
    except Exception:  # noqa: BLE001 - a closed socket shows up as lines lost
        return


async def _connect(url: str, cookie: str | None, origin: str, limit: asyncio.Semaphore):
    import websockets

    headers = [("Origin", origin)]
    if cookie:
        headers.append(("Cookie", cookie))
    async with limit:
        for attempt in range(10):
            try:
                return await websockets.connect(
                    url,
                    additional_headers=headers,
                    open_timeout=120,
                    ping_interval=None,
                    compression=None,
                    max_queue=None,
                    close_timeout=2,
                )
            except (OSError, TimeoutError, websockets.exceptions.InvalidHandshake):
                # A server taking thousands of sockets at once drops some handshakes (its listen
                # backlog); a browser would try again too.
                await asyncio.sleep(0.5 * (attempt + 1))
        raise RuntimeError(f"could not connect {url}")


def _percentile(values: list[float], q: float) -> float:
    if not values:
        return float("nan")
    if len(values) == 1:
        return values[0]
    return statistics.quantiles(values, n=100, method="inclusive")[int(q) - 1]


async def run_load(*, label: str, chats: list[Chat], participants: Server, listeners: Server, bare: bool,
                   rates: list[int], seconds: float, drain: float, warmup: float) -> dict:  # fmt: skip
    limit = asyncio.Semaphore(CONNECT_CONCURRENCY)
    socks: list[list[Sock]] = []
    base = "/ws/bare/{id}/" if bare else "/ws/sessions/{id}/"
    rss_before = {server.name: server.rss_kb() for server in (participants, listeners)}
    started = time.perf_counter()
    tasks = []
    for index, chat in enumerate(chats):
        path = base.format(id=chat.session_id)
        group = [Sock("customer", index), Sock("agent", index), Sock("listener", index), Sock("listener", index)]
        targets = [
            (participants, path, chat.customer_cookie),
            (participants, path, chat.agent_cookie),
            (listeners, path + "listen/", chat.listener_cookies[0]),
            (listeners, path + "listen/", chat.listener_cookies[1]),
        ]
        for sock, (server, target, cookie) in zip(group, targets):
            origin = f"http://127.0.0.1:{server.port}"
            tasks.append((sock, _connect(f"ws://127.0.0.1:{server.port}{target}", cookie, origin, limit)))
        socks.append(group)
    opened = await asyncio.gather(*(coroutine for _, coroutine in tasks))
    readers = []
    for (sock, _), ws in zip(tasks, opened):
        sock.ws = ws
        readers.append(asyncio.create_task(_reader(sock)))
    connected_in = time.perf_counter() - started
    await asyncio.sleep(3)  # replays and listener announcements settle
    rss_after = {server.name: server.rss_kb() for server in (participants, listeners)}
    count = sum(len(group) for group in socks)
    per_connection_kb = (sum(rss_after.values()) - sum(rss_before.values())) / count
    print(f"  {label}: {count:,} sockets open in {connected_in:.1f} s; {per_connection_kb:.0f} KB per connection "
          f"(RSS {', '.join(f'{k} {v // 1024} MB' for k, v in rss_after.items())})", flush=True)  # fmt: skip

    results = {"sockets": count, "connect_seconds": connected_in, "kb_per_connection": per_connection_kb,
               "rss_mb": {k: v / 1024 for k, v in rss_after.items()}, "rates": {}}  # fmt: skip

    async def send_lines(tag: str, rate: int, total: int) -> tuple[dict[str, tuple[float, int, int]], float]:
        """``total`` lines at ``rate`` a second; (body -> (sent at, chat, sender), how far the sender fell behind)."""
        sent: dict[str, tuple[float, int, int]] = {}
        begin = time.perf_counter()
        behind = 0.0
        for number in range(total):
            target = begin + number / rate
            delay = target - time.perf_counter()
            if delay > 0:
                await asyncio.sleep(delay)
            else:
                behind = max(behind, -delay)
            chat = number % len(chats)
            sender_index = 0 if (number // len(chats)) % 2 == 0 else 1
            sender = socks[chat][sender_index]
            body = f"lb:{label}:{tag}:{number}:" + "x" * 60
            sent[body] = (time.perf_counter(), chat, sender_index)
            try:
                await sender.ws.send(json.dumps({"type": "message", "body": body, "client_id": body[:64]}))
            except Exception:  # noqa: BLE001 - counted as lost
                pass
        return sent, behind

    async def drain_lines(sent: dict[str, tuple[float, int, int]]) -> None:
        """Wait (at most ``drain`` seconds) until every socket has every line it should."""
        deadline = time.perf_counter() + drain
        pinged = time.perf_counter()
        while time.perf_counter() < deadline:
            if all(body in sock.got for body, (_, chat, _) in sent.items() for sock in socks[chat]):
                break
            if not bare and time.perf_counter() - pinged > PING_SECONDS:
                # As the pages do (every 25 s): a ping makes the socket read any gap the layer left.
                pinged = time.perf_counter()
                for group in socks:
                    for sock in group:
                        try:
                            await sock.ws.send('{"type": "ping"}')
                        except Exception:  # noqa: BLE001 - a closed socket shows up as lines lost
                            pass
            await asyncio.sleep(0.25)

    if warmup > 0 and rates:
        # Unmeasured: the first lines of each chat fill the servers' caches and the collectors'
        # generations; without it the first measured rate carries start-up and the next does not.
        sent, _ = await send_lines("warmup", rates[0], int(rates[0] * warmup))
        await drain_lines(sent)
        await asyncio.sleep(2)
        for group in socks:
            for sock in group:
                sock.duplicates = 0
        print(f"  {label}: warmed up ({len(sent):,} lines at {rates[0]} lines/s, not measured)", flush=True)

    for rate in rates:
        total = int(rate * seconds)
        cpu_before = {server.name: server.cpu_seconds() for server in (participants, listeners)}
        sent, behind = await send_lines(str(rate), rate, total)
        await drain_lines(sent)
        # CPU per line in each server, from the load's start until the last line arrived (or the drain ended).
        cpu_ms_per_line = {
            server.name: (server.cpu_seconds() - cpu_before[server.name]) * 1000 / total for server in (participants, listeners)
        }
        last_listener, echo, other_side, lost = [], [], [], 0
        for body, (at, chat, sender_index) in sent.items():
            group = socks[chat]
            lost += sum(1 for sock in group if body not in sock.got)
            heard = [group[2].got.get(body), group[3].got.get(body)]
            if all(heard):
                last_listener.append((max(heard) - at) * 1000)
            if body in group[sender_index].got:
                echo.append((group[sender_index].got[body] - at) * 1000)
            if body in group[1 - sender_index].got:
                other_side.append((group[1 - sender_index].got[body] - at) * 1000)
        duplicates = sum(sock.duplicates for group in socks for sock in group)
        for group in socks:
            for sock in group:
                sock.duplicates = 0
        run = {
            "lines": total,
            "deliveries_expected": total * 4,
            "lost": lost,
            "duplicated": duplicates,
            "p50": _percentile(last_listener, 50),
            "p99": _percentile(last_listener, 99),
            "max": max(last_listener) if last_listener else float("nan"),
            # Where the time goes: the sender's echo (stored), the other side (same process), the listeners.
            "echo_p50": _percentile(echo, 50),
            "echo_p99": _percentile(echo, 99),
            "other_side_p99": _percentile(other_side, 99),
            "sender_behind_ms": behind * 1000,
            "cpu_ms_per_line": cpu_ms_per_line,
            "load1": os.getloadavg()[0],
        }
        results["rates"][str(rate)] = run
        print(f"  {label} at {rate} lines/s: last listener p50 {run['p50']:.0f} ms, p99 {run['p99']:.0f} ms, "
              f"lost {lost} of {total * 4:,} deliveries, duplicated {duplicates}; echo p50 {run['echo_p50']:.0f} ms, "
              f"p99 {run['echo_p99']:.0f} ms; other side p99 {run['other_side_p99']:.0f} ms; "
              f"sender behind {run['sender_behind_ms']:.0f} ms; CPU per line "
              f"{', '.join(f'{k} {v:.1f} ms' for k, v in cpu_ms_per_line.items())}", flush=True)  # fmt: skip
    for group in socks:
        for sock in group:
            await sock.ws.close()
    for reader in readers:
        reader.cancel()
    return results


# --- report ------------------------------------------------------------------------------------------


def report(results: dict, args) -> tuple[list[str], list[str]]:
    lines = [f"# Live chat benchmark, {results['started']}", ""]
    lines.append(f"{args.sessions:,} sessions: customer and agent on one Daphne process, 2 listeners on a second, "
                 f"over Redis; {args.seconds:.0f} s per rate after {args.warmup:.0f} s unmeasured at the first. Times from send to receipt by the last listener. "
                 f"The bare broadcast's collector: {results['baseline_gc']}.")  # fmt: skip
    lines += ["", "| run | rate (lines/s) | p50 ms | p99 ms | max ms | lost | duplicated | KB per connection |",
              "|---|--:|--:|--:|--:|--:|--:|--:|"]  # fmt: skip
    for label in ("chat", "baseline"):
        run = results.get(label)
        if not run:
            continue
        for rate, r in run["rates"].items():
            lines.append(f"| {label} | {rate} | {r['p50']:.0f} | {r['p99']:.0f} | {r['max']:.0f} | {r['lost']} of "
                         f"{r['deliveries_expected']:,} | {r['duplicated']} | {run['kb_per_connection']:.0f} |")  # fmt: skip
    failed: list[str] = []
    lines += ["", "| goal | met | |", "|---|---|---|"]

    def verdict(name: str, ok: bool, detail: str) -> None:
        lines.append(f"| {name} | {'yes' if ok else '**no**'} | {detail} |")
        if not ok:
            failed.append(name)

    chat = results["chat"]
    verdict(f"{args.sessions:,} sessions ({chat['sockets']:,} sockets) open", chat["sockets"] == 4 * args.sessions,
            f"{chat['connect_seconds']:.0f} s to connect")  # fmt: skip
    base = results.get("baseline")
    if base and "100" in chat["rates"] and "100" in base["rates"]:
        ratio = chat["rates"]["100"]["p99"] / base["rates"]["100"]["p99"]
        verdict("at 100 lines/s, last-listener p99 ≤ 2× the bare broadcast's", ratio <= P99_RATIO_GOAL,
                f"{chat['rates']['100']['p99']:.0f} ms vs {base['rates']['100']['p99']:.0f} ms ({ratio:.2f}×)")  # fmt: skip
    if "200" in chat["rates"]:
        r = chat["rates"]["200"]
        verdict("at 200 lines/s, nothing lost or duplicated", r["lost"] == 0 and r["duplicated"] == 0,
                f"lost {r['lost']}, duplicated {r['duplicated']}")  # fmt: skip
    if base and "200" in base["rates"]:
        b = base["rates"]["200"]
        lines.append(f"| (for comparison) the bare broadcast at 200 lines/s | | lost {b['lost']}, duplicated {b['duplicated']} |")
    lines += ["", f"Machine: {os.cpu_count()} cores, load average at the end {os.getloadavg()}"]
    return lines, failed


def main(argv: list[str] | None = None) -> int:
    args = parse_args(argv)
    configure_django()
    soft, hard = resource.getrlimit(resource.RLIMIT_NOFILE)
    resource.setrlimit(resource.RLIMIT_NOFILE, (max(soft, min(hard, 65536)), hard))
    from django.core.management import call_command
    from django.db import connections

    call_command("migrate", verbosity=0)
    chats = prepare(args.sessions)
    connections.close_all()
    workdir = args.out / "live-logs"
    workdir.mkdir(parents=True, exist_ok=True)
    results: dict = {"started": datetime.now().isoformat(timespec="seconds"), "sessions": args.sessions}
    if args.tuned_baseline:
        os.environ["BARE_GC_TUNED"] = "1"
        results["baseline_gc"] = "tuned (helpdesk.gctuning)"
    else:
        results["baseline_gc"] = "CPython's defaults"
    for label, application, bare in (
        ("chat", "helpdesk.asgi:application", False),
        *((("baseline", "tests.benchmarks.bare_asgi:application", True),) if args.baseline else ()),
    ):
        print(f"\n== {label}", flush=True)
        participants = start_server(f"{label}-participants", application, workdir)
        listeners = start_server(f"{label}-listeners", application, workdir)
        try:
            results[label] = asyncio.run(
                run_load(
                    label=label,
                    chats=chats,
                    participants=participants,
                    listeners=listeners,
                    bare=bare,
                    rates=args.rates,
                    seconds=args.seconds,
                    drain=args.drain,
                    warmup=args.warmup,
                )  # fmt: skip
            )
        finally:
            participants.stop()
            listeners.stop()
    lines, failed = report(results, args)
    print("\n" + "\n".join(lines))
    args.out.mkdir(parents=True, exist_ok=True)
    stamp = datetime.now().strftime("%Y%m%d-%H%M%S")
    (args.out / f"live-{stamp}.json").write_text(json.dumps(results, indent=2))
    (args.out / f"live-{stamp}.md").write_text("\n".join(lines) + "\n")
    (args.out / "latest-live.md").write_text("\n".join(lines) + "\n")
    print(f"\nwritten: {args.out / f'live-{stamp}.md'}")
    return 1 if (failed and args.strict) else 0


if __name__ == "__main__":
    sys.exit(main())
