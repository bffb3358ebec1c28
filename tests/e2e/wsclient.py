"""A minimal websocket client over a plain socket, for e2e tests that need no browser.

Enough of RFC 6455 for the desk's sockets: the handshake (with any Origin, Host and
cookie, so the server's refusals can be tested), masked text frames out, whole
frames in, close codes. The server's pings are answered.
"""

from __future__ import annotations

import base64
import json
import os
import socket
import struct
import time
from urllib.parse import urlparse

TEXT, CLOSE, PING, PONG = 0x1, 0x8, 0x9, 0xA


class Closed(Exception):
    def __init__(self, code: int | None) -> None:
        super().__init__(f"closed with {code}")
        self.code = code


class RawWebSocket:
    def __init__(self, base_url: str, path: str, *, origin: str | None = "", cookie: str | None = None,
                 host: str | None = None, timeout: float = 10.0) -> None:
        target = urlparse(base_url)
        self.sock = socket.create_connection((target.hostname, target.port), timeout=timeout)
        key = base64.b64encode(os.urandom(16)).decode()
        lines = [
            f"GET {path} HTTP/1.1",
            f"Host: {host or target.netloc}",
            "Upgrade: websocket",
            "Connection: Upgrade",
            f"Sec-WebSocket-Key: {key}",
            "Sec-WebSocket-Version: 13",
        ]
        if origin is not None:
            lines.append(f"Origin: {origin or base_url}")
        if cookie:
            lines.append(f"Cookie: {cookie}")
        self.sock.sendall(("\r\n".join(lines) + "\r\n\r\n").encode("latin-1"))
        self._buffer = b""
        head = self._read_until(b"\r\n\r\n").decode("latin-1")
        self.status = int(head.split(" ", 2)[1])
        self.open = self.status == 101

    # --- bytes ----------------------------------------------------------------------------

    def _fill(self, deadline: float) -> None:
        self.sock.settimeout(max(0.01, deadline - time.monotonic()))
        try:
            chunk = self.sock.recv(65536)
        except TimeoutError:
            raise TimeoutError("nothing received in time") from None
        if not chunk:
            raise Closed(None)
        self._buffer += chunk

    def _read_until(self, marker: bytes, timeout: float = 10.0) -> bytes:
        deadline = time.monotonic() + timeout
        while marker not in self._buffer:
            self._fill(deadline)
        head, self._buffer = self._buffer.split(marker, 1)
        return head

    def _read_exact(self, size: int, deadline: float) -> bytes:
        while len(self._buffer) < size:
            self._fill(deadline)
        data, self._buffer = self._buffer[:size], self._buffer[size:]
        return data

    # --- frames ---------------------------------------------------------------------------

    def _send_frame(self, opcode: int, payload: bytes) -> None:
        header = bytes([0x80 | opcode])
        size = len(payload)
        if size < 126:
            header += bytes([0x80 | size])
        elif size < 1 << 16:
            header += bytes([0x80 | 126]) + struct.pack("!H", size)
        else:
            header += bytes([0x80 | 127]) + struct.pack("!Q", size)
        mask = os.urandom(4)
        masked = bytes(b ^ mask[i % 4] for i, b in enumerate(payload))
        self.sock.sendall(header + mask + masked)

    def send_text(self, text: str) -> None:
        self._send_frame(TEXT, text.encode("utf-8"))

    def send_json(self, value) -> None:
        self.send_text(json.dumps(value))

    def receive(self, timeout: float = 10.0) -> str:
        """The next text frame; raises ``Closed`` with the code when the server closes."""
        deadline = time.monotonic() + timeout
        while True:
            first, second = self._read_exact(2, deadline)
            opcode, size = first & 0x0F, second & 0x7F
            if size == 126:
                (size,) = struct.unpack("!H", self._read_exact(2, deadline))
            elif size == 127:
                (size,) = struct.unpack("!Q", self._read_exact(8, deadline))
            payload = self._read_exact(size, deadline)
            if opcode == PING:
                self._send_frame(PONG, payload)
            elif opcode == CLOSE:
                code = struct.unpack("!H", payload[:2])[0] if len(payload) >= 2 else None
                self.open = False
                raise Closed(code)
            elif opcode == TEXT:
                return payload.decode("utf-8")

    def receive_json(self, timeout: float = 10.0):
        return json.loads(self.receive(timeout))

    def close_code(self, timeout: float = 10.0) -> int | None:
        """Wait for the server to close; fails if a text frame arrives first."""
        try:
            frame = self.receive(timeout)
        except Closed as closed:
            return closed.code
        raise AssertionError(f"expected the socket to close, got {frame}")

    def close(self) -> None:
        try:
            if self.open:
                self._send_frame(CLOSE, struct.pack("!H", 1000))
        except OSError:
            pass
        self.sock.close()
