"""The official `convex` Python package's HTTP client against `converge serve` with examples/chat.

Run as: python http_client.py URL ADMIN_KEY   (exits non-zero on the first failed check)
"""
import math
import sys

from convex import ConvexError, ConvexInt64
from convex.http_client import ConvexExecutionError, ConvexHttpClient

url, admin_key = sys.argv[1], sys.argv[2]

client = ConvexHttpClient(url)
assert client.query("messages:list") == [], "a fresh deployment has no messages"

result = client.mutation("messages:send", {"body": "via http"})
assert result == {"ok": True, "count": 1.0}, result
assert client.query("messages:list") == [{"body": "via http", "author": "anonymous"}]

assert client.action("actions:doit") == ConvexInt64(8), "the action ran a query through the coordinator"

echoed = client.query("messages:echo", {"value": {"i": ConvexInt64(-2), "b": b"\x01\x02", "f": 1.5, "nan": float("nan"), "z": -0.0}})
assert echoed["i"] == ConvexInt64(-2), echoed
assert echoed["b"] == b"\x01\x02", echoed
assert echoed["f"] == 1.5
assert math.isnan(echoed["nan"])
assert math.copysign(1, echoed["z"]) == -1

try:
    client.mutation("errors:convex")
    raise AssertionError("expected ConvexError")
except ConvexError as error:
    assert error.data == {"code": 42.0}, error.data

try:
    client.query("errors:plain")
    raise AssertionError("expected an execution error")
except ConvexExecutionError as error:
    assert "Server Error" in str(error), str(error)

try:
    client.query("messages:nope")
    raise AssertionError("expected an execution error for an unknown function")
except ConvexExecutionError as error:
    assert "Could not find public function for 'messages:nope'" in str(error), str(error)

admin = ConvexHttpClient(url)
admin.set_admin_auth(admin_key)
assert len(admin.query("messages:list")) == 1

bad = ConvexHttpClient(url)
bad.set_admin_auth("carnitas|0123")
try:
    bad.query("messages:list")
    raise AssertionError("a bad admin key was accepted")
except Exception as error:
    assert "401" in str(error) and "BadAdminKey" in str(error), str(error)

print("http client: all checks passed")
