"""A minimal hand-written WebSocket client (RFC 6455, text frames only) for raw sync-protocol checks.

Used by the sync_*.py scripts and other raw protocol checks. Standard library only.
"""
import base64
import json
import os
import socket
import struct
import time
import urllib.parse
import uuid


class Closed(Exception):
    pass


class WS:
    def __init__(self, url, path="/api/sync", headers=None):
        parsed = urllib.parse.urlparse(url)
        self.sock = socket.create_connection((parsed.hostname, parsed.port), timeout=10)
        key = base64.b64encode(os.urandom(16)).decode()
        lines = [f"GET {path} HTTP/1.1", f"Host: {parsed.hostname}:{parsed.port}", "Connection: Upgrade",
                 "Upgrade: websocket", "Sec-WebSocket-Version: 13", f"Sec-WebSocket-Key: {key}"]
        for name, value in (headers or {}).items():
            lines.append(f"{name}: {value}")
        self.sock.sendall(("\r\n".join(lines) + "\r\n\r\n").encode())
        response = b""
        while b"\r\n\r\n" not in response:
            chunk = self.sock.recv(4096)
            if not chunk:
                raise Closed("closed during handshake")
            response += chunk
        head, self.buffer = response.split(b"\r\n\r\n", 1)
        self.status = int(head.split(b" ")[1])
        if self.status != 101:
            raise Closed(f"upgrade refused: {head!r}")
        self.close_code = None
        self.pings = 0
        self.sent_texts = []

    def send_frame(self, opcode, payload):
        header = bytes([0x80 | opcode])
        n = len(payload)
        if n < 126:
            header += bytes([0x80 | n])
        elif n < 65536:
            header += bytes([0x80 | 126]) + struct.pack(">H", n)
        else:
            header += bytes([0x80 | 127]) + struct.pack(">Q", n)
        mask = os.urandom(4)
        masked = bytes(b ^ mask[i % 4] for i, b in enumerate(payload))
        self.sock.sendall(header + mask + masked)

    def send(self, message):
        text = message if isinstance(message, str) else json.dumps(message)
        self.sent_texts.append(text)
        self.send_frame(0x1, text.encode())

    def _read(self, n, deadline):
        while len(self.buffer) < n:
            remaining = deadline - time.time()
            if remaining <= 0:
                raise TimeoutError("no frame in time")
            self.sock.settimeout(remaining)
            try:
                chunk = self.sock.recv(65536)
            except socket.timeout:
                raise TimeoutError("no frame in time")
            if not chunk:
                raise Closed("connection closed")
            self.buffer += chunk
        data, self.buffer = self.buffer[:n], self.buffer[n:]
        return data

    def recv_text(self, timeout=10.0):
        """The next text frame's text; answers Pings; raises Closed on a Close frame."""
        deadline = time.time() + timeout
        while True:
            b0, b1 = self._read(2, deadline)
            opcode = b0 & 0x0F
            n = b1 & 0x7F
            if n == 126:
                n = struct.unpack(">H", self._read(2, deadline))[0]
            elif n == 127:
                n = struct.unpack(">Q", self._read(8, deadline))[0]
            payload = self._read(n, deadline)
            if opcode == 0x1:
                return payload.decode()
            if opcode == 0x9:
                self.pings += 1
                self.send_frame(0xA, payload)
            elif opcode == 0x8:
                self.close_code = struct.unpack(">H", payload[:2])[0] if len(payload) >= 2 else None
                raise Closed(f"close frame {self.close_code} {payload[2:]!r}")

    def recv(self, timeout=10.0):
        return json.loads(self.recv_text(timeout))

    def recv_until(self, predicate, timeout=10.0, skip_pings=True):
        """Messages up to and including the first matching one."""
        deadline = time.time() + timeout
        seen = []
        while True:
            message = self.recv(max(0.01, deadline - time.time()))
            if skip_pings and message.get("type") == "Ping":
                continue
            seen.append(message)
            if predicate(message):
                return seen

    def close(self):
        try:
            self.send_frame(0x8, struct.pack(">H", 1000))
        except OSError:
            pass
        self.sock.close()


def connect(url, **kwargs):
    """A socket of a new client: its own sessionId (mutations are keyed by sessionId and requestId)."""
    ws = WS(url, **kwargs)
    ws.send({"type": "Connect", "sessionId": str(uuid.uuid4()), "connectionCount": 0,
             "lastCloseReason": "InitialConnect", "clientTs": 0})
    return ws


def ts(text):
    raw = base64.b64decode(text)
    assert len(raw) == 8 and len(text) == 12, text
    return struct.unpack("<Q", raw)[0]


class Tracker:
    """Checks every Transition's chaining the way the Rust client does (spec 1.5)."""

    def __init__(self):
        self.version = {"querySet": 0, "identity": 0, "ts": "AAAAAAAAAAA="}
        self.errors = []

    def feed(self, message):
        if message.get("type") != "Transition":
            return
        if message["startVersion"] != self.version:
            self.errors.append(f"start {message['startVersion']} != last end {self.version}")
        if ts(message["endVersion"]["ts"]) < ts(self.version["ts"]):
            self.errors.append(f"ts went backwards {message}")
        self.version = message["endVersion"]


def metric(url, name):
    """One unlabelled metric of the deployment's /metrics."""
    import re
    import urllib.request
    with urllib.request.urlopen(url + "/metrics", timeout=10) as response:
        text = response.read().decode()
    return float(re.search(rf"^{name} ([0-9.e+]+)$", text, re.MULTILINE).group(1))


def query_executions(url):
    """How many query executions the deployment's shared result cache has started (from /metrics)."""
    return metric(url, "converge_query_cache_executions_total")
