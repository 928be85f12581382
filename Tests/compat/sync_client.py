"""The official `convex` Python package's WebSocket client against `converge serve` with examples/chat.

Run as: python sync_client.py URL ADMIN_KEY   (exits non-zero on the first failed check)
The 0.8.1 client blocks in Rust while holding the GIL, so every call runs under a SIGALRM deadline.
"""
import signal
import sys

from convex import ConvexClient, ConvexError, ConvexInt64

url, admin_key = sys.argv[1], sys.argv[2]


def deadline(seconds):
    def expired(*_):
        raise TimeoutError(f"no answer within {seconds} s")
    signal.signal(signal.SIGALRM, expired)
    signal.alarm(seconds)


deadline(20)
client = ConvexClient(url)
before = client.query("messages:list")
assert isinstance(before, list), before

subscription = iter(client.subscribe("messages:list", {}))
first = next(subscription)
assert first == before, (first, before)

result = client.mutation("messages:send", {"body": "over the socket"})
assert result["ok"] is True, result
second = next(subscription)
assert second != first, "the subscription did not observe the mutation"
assert second[-1] == {"body": "over the socket", "author": "anonymous"}, second

assert client.action("actions:doit") == ConvexInt64(len(second) + 7)

try:
    client.mutation("errors:convex", {})
    raise AssertionError("expected ConvexError")
except ConvexError as error:
    assert error.data == {"code": 42.0}, error.data

# A second client's mutation reaches the first client's subscription.
other = ConvexClient(url)
other.set_admin_auth(admin_key)
other.mutation("messages:send", {"body": "from another client"})
third = next(subscription)
while third[-1]["body"] != "from another client":
    third = next(subscription)
assert third[-1] == {"body": "from another client", "author": "anonymous"}, third

echoed = client.query("messages:echo", {"value": {"i": ConvexInt64(5), "b": b"\x00\xff"}})
assert echoed == {"i": ConvexInt64(5), "b": b"\x00\xff"}, echoed

# Results long enough for a frame's 16-bit and 64-bit length forms (RFC 6455 §5.2).
for size in (300, 70_000):
    assert client.query("messages:echo", {"value": "x" * size}) == "x" * size, size

signal.alarm(0)
print("sync client: all checks passed")
