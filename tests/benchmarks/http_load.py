"""Clients and meters of the HTTP benchmark: a sequential keep-alive client, wrk, PostgreSQL sessions, CPU time.

Nothing here starts servers (tests/recipe.py does) or decides what to measure
(tests/benchmarks/run_http.py does).
"""

from __future__ import annotations

import gzip
import http.client
import json
import os
import re
import shutil
import ssl
import statistics
import subprocess
import threading
import time
from pathlib import Path
from urllib.parse import urlsplit

WRK_INSTALL_HINT = "install Debian's wrk: apt-get install -y wrk"
# Clients of a proxy in front of TLS send this; direct servers get it too, so that every
# configuration runs the same production settings (secure cookies, no HTTPS redirect).
FORWARDED_HTTPS = {"X-Forwarded-Proto": "https"}
BROWSER_HEADERS = {"Accept": "text/html", "Accept-Encoding": "gzip"}


def percentiles(samples_ms: list[float]) -> dict[str, float]:
    ordered = sorted(samples_ms)
    cuts = statistics.quantiles(ordered, n=100, method="inclusive") if len(ordered) > 1 else ordered * 99
    return {"p50": cuts[49], "p95": cuts[94], "p99": cuts[98], "mean": statistics.fmean(ordered), "max": ordered[-1]}


class KeepAliveClient:
    """One HTTP/1.1 connection reused while the server keeps it open (a browser tab, roughly)."""

    def __init__(self, base_url: str, headers: dict[str, str]) -> None:
        self.target = urlsplit(base_url)
        self.headers = headers
        self.connection: http.client.HTTPConnection | None = None

    def _connect(self) -> http.client.HTTPConnection:
        if self.target.scheme == "https":
            context = ssl._create_unverified_context()  # the benchmark's self-signed certificate
            return http.client.HTTPSConnection(self.target.hostname, self.target.port, timeout=30, context=context)
        return http.client.HTTPConnection(self.target.hostname, self.target.port, timeout=30)

    def get(self, path: str, headers: dict[str, str] | None = None) -> tuple[int, dict[str, str], bytes]:
        for attempt in (1, 2):
            if self.connection is None:
                self.connection = self._connect()
            try:
                self.connection.request("GET", path, headers={**self.headers, **(headers or {})})
                response = self.connection.getresponse()
                body = response.read()
            except (http.client.HTTPException, ConnectionError, OSError):
                self.close()
                if attempt == 2:
                    raise
                continue
            answer_headers = {k.lower(): v for k, v in response.getheaders()}
            if answer_headers.get("connection", "").lower() == "close":
                self.close()
            return response.status, answer_headers, body
        raise AssertionError("unreachable")

    def close(self) -> None:
        if self.connection is not None:
            self.connection.close()
            self.connection = None


def decoded(headers: dict[str, str], body: bytes) -> bytes:
    return gzip.decompress(body) if headers.get("content-encoding") == "gzip" else body


def sign_in(base_url: str, *, username: str, password: str, extra_headers: dict[str, str]) -> str:
    """A real session: the sign-in page's CSRF cookie and form, then the POST. Returns the Cookie header."""
    client = KeepAliveClient(base_url, extra_headers)
    status, headers, body = client.get("/accounts/login/")
    if status != 200:
        raise RuntimeError(f"the sign-in page answered {status}")
    csrf_cookie = re.search(r"csrftoken=([^;]+)", headers.get("set-cookie", ""))
    form_token = re.search(rb'name="csrfmiddlewaretoken" value="([^"]+)"', decoded(headers, body))
    if not csrf_cookie or not form_token:
        raise RuntimeError("the sign-in page carried no CSRF token")
    origin = "https://" + client.target.netloc
    fields = f"csrfmiddlewaretoken={form_token.group(1).decode()}&username={username}&password={password}"
    connection = client._connect()
    connection.request(
        "POST",
        "/accounts/login/",
        body=fields,
        headers={
            **extra_headers,
            "Content-Type": "application/x-www-form-urlencoded",
            "Cookie": f"csrftoken={csrf_cookie.group(1)}",
            "Origin": origin,
            "Referer": origin + "/accounts/login/",
        },
    )
    response = connection.getresponse()
    response.read()
    session = re.search(r"sessionid=([^;]+)", response.getheader("Set-Cookie", "") or "")
    connection.close()
    client.close()
    if response.status != 302 or not session:
        raise RuntimeError(f"signing in as {username} failed (answer {response.status})")
    return f"sessionid={session.group(1)}; csrftoken={csrf_cookie.group(1)}"


# --- wrk ----------------------------------------------------------------------------------------

_WRK_SCRIPT = r"""
done = function(summary, latency, requests)
  io.write(string.format(
    'WRKJSON {"requests":%d,"duration_us":%d,"p50":%.3f,"p95":%.3f,"p99":%.3f,"mean":%.3f,"max":%.3f,' ..
    '"connect":%d,"read":%d,"write":%d,"status":%d,"timeout":%d}\n',
    summary.requests, summary.duration,
    latency:percentile(50) / 1000, latency:percentile(95) / 1000, latency:percentile(99) / 1000,
    latency.mean / 1000, latency.max / 1000,
    summary.errors.connect, summary.errors.read, summary.errors.write, summary.errors.status, summary.errors.timeout))
end
"""


def wrk_binary() -> str | None:
    return shutil.which("wrk")


def run_wrk(url: str, *, clients: int, seconds: float, headers: dict[str, str], workdir: Path) -> dict:
    """``wrk`` with ``clients`` connections for ``seconds``; latency in ms, errors by kind (status: 4xx/5xx)."""
    script = workdir / "report.lua"
    script.write_text(_WRK_SCRIPT)
    command = [wrk_binary(), "-t", str(min(2, clients)), "-c", str(clients), "-d", f"{seconds:.0f}s",
               "--timeout", "10s", "-s", str(script)]  # fmt: skip
    for name, value in headers.items():
        command += ["-H", f"{name}: {value}"]
    finished = subprocess.run([*command, url], capture_output=True, text=True, timeout=seconds + 60)
    line = next((x for x in finished.stdout.splitlines() if x.startswith("WRKJSON ")), None)
    if line is None:
        raise RuntimeError(f"wrk gave no report:\n{finished.stdout}\n{finished.stderr}")
    result = json.loads(line.removeprefix("WRKJSON "))
    result["seconds"] = result.pop("duration_us") / 1e6
    result["rps"] = result["requests"] / result["seconds"] if result["seconds"] else 0.0
    result["errors"] = sum(result[k] for k in ("connect", "read", "write", "status", "timeout"))
    non_2xx = re.search(r"Non-2xx or 3xx responses: (\d+)", finished.stdout)
    result["non_2xx_3xx"] = int(non_2xx.group(1)) if non_2xx else 0
    return result


# --- PostgreSQL sessions ---------------------------------------------------------------------------


class SessionMeter:
    """Sessions opened on one database (pg_stat_database.sessions) and the most open at once while it runs."""

    def __init__(self, dsn: str, database: str, *, interval: float = 0.2) -> None:
        import psycopg

        self.connection = psycopg.connect(dsn, autocommit=True)
        self.database = database
        self.interval = interval
        self.baseline_open = self._open()
        self._stop = threading.Event()
        self._thread: threading.Thread | None = None
        self.most_open = 0
        self._sessions_before = 0

    def _open(self) -> int:
        return self.connection.execute(
            "SELECT count(*) FROM pg_stat_activity WHERE datname = %s AND pid <> pg_backend_pid()", [self.database]
        ).fetchone()[0]

    def _sessions(self) -> int:
        # The statistics collector is read at most once per transaction; ask for a fresh view.
        self.connection.execute("SELECT pg_stat_clear_snapshot()")
        return self.connection.execute(
            "SELECT sessions FROM pg_stat_database WHERE datname = %s", [self.database]
        ).fetchone()[0]

    def __enter__(self) -> SessionMeter:
        self._sessions_before = self._sessions()
        self.most_open = 0
        self._stop.clear()
        self._thread = threading.Thread(target=self._sample, daemon=True)
        self._thread.start()
        return self

    def _sample(self) -> None:
        while not self._stop.wait(self.interval):
            self.most_open = max(self.most_open, self._open() - self.baseline_open)

    def __exit__(self, *exc) -> None:
        self._stop.set()
        self._thread.join()
        time.sleep(0.6)  # sessions are counted when they start; the counters reach the view within ~0.5 s
        self.opened = self._sessions() - self._sessions_before

    def close(self) -> None:
        self.connection.close()


# --- CPU time of a process tree ----------------------------------------------------------------------

_TICKS = os.sysconf("SC_CLK_TCK")


def _stat(pid: int) -> list[str] | None:
    try:
        raw = Path(f"/proc/{pid}/stat").read_text()
    except OSError:
        return None
    return raw[raw.rindex(")") + 2 :].split()


def tree_cpu_seconds(root_pids: list[int]) -> float:
    """User + system CPU of these processes, their live descendants and the children they reaped."""
    parents: dict[int, int] = {}
    for entry in Path("/proc").iterdir():
        if entry.name.isdigit() and (fields := _stat(int(entry.name))):
            parents[int(entry.name)] = int(fields[1])
    members = set(root_pids)
    grew = True
    while grew:
        grew = False
        for pid, parent in parents.items():
            if parent in members and pid not in members:
                members.add(pid)
                grew = True
    total = 0
    for pid in members:
        fields = _stat(pid)
        if fields:
            # utime, stime, cutime, cstime (fields 14-17 of /proc/<pid>/stat)
            total += sum(int(x) for x in fields[11:15])
    return total / _TICKS
