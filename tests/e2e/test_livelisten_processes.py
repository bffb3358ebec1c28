"""Live chat across real Daphne processes on PostgreSQL and Redis: nothing lost, nothing twice.

Two Daphne processes share a Redis of the test's own (started here, so restarting it
touches nothing else): the customer and the agent on one, a listener on the other.
Then the customer's process is killed mid-session and started again, and then Redis
is; the clients reconnect with ``?after=<last seq>`` and resend what was never
echoed, as the pages do. Every client must end with every line it may see exactly
once and in order, and the database with gapless numbers and each client_id once.
Last, listeners that stop reading must not hold up the customer and the agent.
"""

from __future__ import annotations

import json
import os
import signal
import subprocess
import sys
import time
from pathlib import Path

import pytest
from django.conf import settings
from django.db import connection

from livelisten.models import ChatMessage
from tests.e2e.conftest import ROOT, _database_env, _free_port, _wait_until_up
from tests.e2e.wsclient import Closed, RawWebSocket
from tests.helpdesk.test_consumers import session_cookie
from tests.livelisten.conftest import active_session, chat_customer, listener, start_chat, waiting_session  # noqa: F401

pytestmark = [pytest.mark.e2e, pytest.mark.django_db(transaction=True)]


def _needs_postgresql_and_redis() -> None:
    if connection.vendor != "postgresql":
        pytest.skip("needs PostgreSQL (DATABASE_URL): several server processes write one session's lines")
    if not settings.CHANNEL_LAYERS["default"]["BACKEND"].startswith("channels_redis"):
        pytest.skip("needs REDIS_URL: only the Redis channel layer crosses processes")


class Redis:
    """A redis-server of this test's own, on a free port, keeping nothing on disk."""

    def __init__(self, tmp: Path) -> None:
        self.port = _free_port()
        self.tmp = tmp
        self.process: subprocess.Popen | None = None

    @property
    def url(self) -> str:
        return f"redis://127.0.0.1:{self.port}/0"

    def start(self) -> None:
        self.process = subprocess.Popen(
            ["redis-server", "--port", str(self.port), "--bind", "127.0.0.1", "--save", "", "--appendonly", "no"],
            cwd=self.tmp,
            stdout=subprocess.DEVNULL,
            stderr=subprocess.DEVNULL,
        )
        deadline = time.monotonic() + 10
        while time.monotonic() < deadline:
            ping = subprocess.run(["redis-cli", "-p", str(self.port), "ping"], capture_output=True, text=True)
            if ping.stdout.strip() == "PONG":
                return
            time.sleep(0.1)
        raise RuntimeError("redis-server did not start")

    def stop(self) -> None:
        if self.process is not None:
            self.process.kill()
            self.process.wait(timeout=10)
            self.process = None


class Daphne:
    def __init__(self, tmp: Path, redis: Redis, name: str) -> None:
        self.port = _free_port()
        self.log_path = tmp / f"daphne-{name}.log"
        self.redis = redis
        self.process: subprocess.Popen | None = None

    @property
    def url(self) -> str:
        return f"http://127.0.0.1:{self.port}"

    def start(self) -> None:
        env = dict(os.environ)
        for key, value in _database_env(connection.settings_dict).items():
            if value is None:
                env.pop(key, None)
            else:
                env[key] = value
        env.update(
            DJANGO_SETTINGS_MODULE="helpdesk.settings",
            PYTHONUNBUFFERED="1",
            REDIS_URL=self.redis.url,
            CHANNEL_PREFIX="e2e-live",
            CACHE_PREFIX="e2e-live",
        )
        log = open(self.log_path, "ab")  # noqa: SIM115 (the process keeps writing to it)
        self.process = subprocess.Popen(
            [sys.executable, "-m", "daphne", "-b", "127.0.0.1", "-p", str(self.port), "helpdesk.asgi:application"],
            cwd=ROOT,
            env=env,
            stdout=log,
            stderr=subprocess.STDOUT,
        )
        _wait_until_up(self.url + "/accounts/login/", self.process, self.log_path)

    def kill(self) -> None:
        if self.process is not None:
            self.process.send_signal(signal.SIGKILL)
            self.process.wait(timeout=10)
            self.process = None

    def stop(self) -> None:
        if self.process is not None:
            self.process.terminate()
            try:
                self.process.wait(timeout=10)
            except subprocess.TimeoutExpired:
                self.process.kill()
            self.process = None


class ChatClient:
    """A page's behaviour: resume with ?after, resend what was not echoed, drop what it has seen."""

    def __init__(self, name: str, cookie: str, path: str, *, session_id: int, sees_whispers: bool) -> None:
        self.name, self.cookie, self.path = name, cookie, path
        self.session_id, self.sees_whispers = session_id, sees_whispers
        self.ws: RawWebSocket | None = None
        self.last_seq = 0
        self.lines: list[dict] = []
        self.pending: dict[str, dict] = {}
        self.resent: set[str] = set()
        # Lines the server sent again though this client had them (a resend's echo does not count).
        self.duplicates = 0

    def connect(self, server: Daphne) -> None:
        self.ws = RawWebSocket(server.url, f"{self.path}?after={self.last_seq}", cookie=self.cookie)
        assert self.ws.open, f"{self.name}: handshake answered {self.ws.status}"
        self.resent = set(self.pending)
        for frame in list(self.pending.values()):
            self.ws.send_json(frame)

    def send(self, kind: str, body: str, client_id: str) -> None:
        frame = {"type": kind, "body": body, "client_id": client_id}
        self.pending[client_id] = frame
        try:
            self.ws.send_json(frame)
        except OSError:
            pass  # the process is gone: resent on reconnect

    def take(self, frame: dict) -> None:
        if frame.get("type") != "message":
            return
        if frame["seq"] <= self.last_seq:
            if frame.get("client_id") not in self.resent:
                self.duplicates += 1
            self.pending.pop(frame.get("client_id") or "", None)
            return
        self.last_seq = frame["seq"]
        self.lines.append(frame)
        self.pending.pop(frame.get("client_id") or "", None)

    def pump(self, *, until_seq: int, timeout: float = 20.0) -> None:
        """Read until this client has the last line numbered ``until_seq`` or below that it may see."""
        kinds = dict(ChatMessage.objects.filter(session_id=self.session_id, seq__lte=until_seq).values_list("seq", "kind"))
        visible = [seq for seq, kind in kinds.items() if self.sees_whispers or kind != "whisper"]
        until_seq = max(visible) if visible else 0
        deadline = time.monotonic() + timeout
        while self.last_seq < until_seq or self.pending:
            remaining = deadline - time.monotonic()
            if remaining <= 0:
                raise AssertionError(f"{self.name} stopped at seq {self.last_seq}, waiting for {until_seq}")
            try:
                self.take(json.loads(self.ws.receive(timeout=min(remaining, 3))))
            except TimeoutError:
                self.ws.send_json({"type": "ping"})  # a ping reads any gap from the database

    def drop(self) -> None:
        if self.ws is not None:
            try:
                self.ws.close()
            except OSError:
                pass


def settle(clients: list[ChatClient], until_seq: int) -> None:
    """Twice round: the first pass drains every sender's own lines (so all are stored), the second reads them all."""
    for _ in range(2):
        for client in clients:
            client.pump(until_seq=until_seq)


def _seqs(session) -> list[int]:
    return list(ChatMessage.objects.filter(session=session).order_by("seq").values_list("seq", flat=True))


def test_lines_cross_processes_and_survive_a_killed_process_and_a_redis_restart(
    tmp_path, active_session, chat_customer, agent, listener
):
    _needs_postgresql_and_redis()
    cookies = {who: session_cookie(user).decode() for who, user in (("c", chat_customer), ("a", agent), ("l", listener))}
    redis = Redis(tmp_path)
    redis.start()
    first, second = Daphne(tmp_path, redis, "one"), Daphne(tmp_path, redis, "two")
    clients: list[ChatClient] = []
    try:
        first.start()
        second.start()
        path = f"/ws/sessions/{active_session.pk}/"
        sid = active_session.pk
        customer = ChatClient("customer", cookies["c"], path, session_id=sid, sees_whispers=False)
        agent_client = ChatClient("agent", cookies["a"], path, session_id=sid, sees_whispers=True)
        listener_client = ChatClient("listener", cookies["l"], path + "listen/", session_id=sid, sees_whispers=True)
        clients = [customer, agent_client, listener_client]
        customer.connect(first)
        agent_client.connect(first)
        listener_client.connect(second)
        settle(clients, 2)

        # 1. Across processes: the customer and agent talk on one process, the listener hears on the other.
        for number in range(10):
            customer.send("message", f"customer {number}", f"c-{number}")
            agent_client.send("message", f"agent {number}", f"a-{number}")
        listener_client.send("whisper", "a whisper from the other process", "w-1")
        settle(clients, 23)
        assert "a whisper from the other process" in [f["body"] for f in agent_client.lines]
        assert all(f["kind"] != "whisper" for f in customer.lines)

        # 2. The customer's and agent's process is killed mid-session, while lines are on their way.
        for number in range(10, 15):
            customer.send("message", f"customer {number}", f"c-{number}")
        first.kill()
        first.start()
        customer.connect(first)
        agent_client.connect(first)
        for number in range(15, 20):
            customer.send("message", f"customer {number}", f"c-{number}")
        stored = 23 + 10
        settle(clients, stored)

        # 3. Redis restarts (it forgets every group); the clients reconnect and go on.
        redis.stop()
        redis.start()
        for client in clients:
            client.drop()
            client.connect(first if client is not listener_client else second)
        for number in range(20, 25):
            agent_client.send("message", f"agent {number}", f"a-{number}")
        stored += 5
        settle(clients, stored)
    finally:
        for client in clients:
            client.drop()
        first.stop()
        second.stop()
        redis.stop()

    assert _seqs(active_session) == list(range(1, stored + 1))  # gapless, from the database
    bodies = list(ChatMessage.objects.filter(session=active_session).values_list("client_id", flat=True))
    client_ids = [value for value in bodies if value]
    assert len(client_ids) == len(set(client_ids)) == 20 + 10 + 1 + 5  # each resend stored once
    visible_to_customer = [
        seq for seq, kind in ChatMessage.objects.filter(session=active_session).values_list("seq", "kind") if kind != "whisper"
    ]
    for client in clients:
        assert client.duplicates == 0, client.name
        seqs = [frame["seq"] for frame in client.lines]
        assert seqs == sorted(set(seqs)), client.name
        expected = visible_to_customer if client is customer else list(range(1, stored + 1))
        assert seqs == expected, client.name
        assert not client.pending, f"{client.name} never saw its own lines echoed: {list(client.pending)}"


def test_listeners_that_stop_reading_never_hold_up_the_customer_or_the_agent(
    tmp_path, active_session, chat_customer, agent, listener
):
    """Two listeners on the participants' own process stop reading (their TCP windows fill); the chat goes on."""
    import socket

    _needs_postgresql_and_redis()
    cookies = {who: session_cookie(user).decode() for who, user in (("c", chat_customer), ("a", agent), ("l", listener))}
    redis = Redis(tmp_path)
    redis.start()
    server = Daphne(tmp_path, redis, "only")
    clients: list[ChatClient] = []
    try:
        server.start()
        sid = active_session.pk
        path = f"/ws/sessions/{sid}/"
        customer = ChatClient("customer", cookies["c"], path, session_id=sid, sees_whispers=False)
        agent_client = ChatClient("agent", cookies["a"], path, session_id=sid, sees_whispers=True)
        stuck = [
            ChatClient(f"stuck listener {n}", cookies["l"], path + "listen/", session_id=sid, sees_whispers=True) for n in (1, 2)
        ]
        clients = [customer, agent_client, *stuck]
        for client in clients:
            client.connect(server)
        for client in stuck:
            client.ws.sock.setsockopt(socket.SOL_SOCKET, socket.SO_RCVBUF, 4096)
        settle([customer, agent_client], 2)

        # 1 MB to each listener, who reads none of it: past what the kernel buffers for them. A connection
        # may send 20 lines in 10 s, so the customer writes from 10 windows at once.
        windows = [ChatClient(f"customer window {n}", cookies["c"], path, session_id=sid, sees_whispers=False) for n in range(10)]
        clients += windows
        for window in windows:
            window.connect(server)
        padding = "x" * 7000
        for number in range(150):
            windows[number % 10].send("message", f"customer {number} {padding}", f"c-{number}")
        stored = 2 + 150
        for reader in (*windows, customer, agent_client):
            reader.pump(until_seq=stored, timeout=60)
        assert [f["seq"] for f in agent_client.lines] == list(range(1, stored + 1))

        for client in stuck:  # they read at last: everything, once, in order
            client.ws.sock.setsockopt(socket.SOL_SOCKET, socket.SO_RCVBUF, 1 << 20)  # a 4 KB window reads slowly
            try:
                client.pump(until_seq=stored, timeout=60)
            except (ConnectionError, Closed):
                # Daphne drops a socket that answers no ping for 30 s; the page reconnects with ?after=.
                client.connect(server)
                client.pump(until_seq=stored, timeout=60)
            assert [f["seq"] for f in client.lines] == list(range(1, stored + 1)) and client.duplicates == 0
    finally:
        for client in clients:
            client.drop()
        server.stop()
        redis.stop()
