"""Server API gaps closed, through the official Python client and the HTTP API (Tests/ClusterTests/
Fixtures/serverapi): nested ctx.runQuery / ctx.runMutation in one transaction, the integral clock,
the 16 MiB result cap, the public URLs in process.env, and /api/query GET, /api/query_batch and a
public /api/function.

Run as: python server_api.py URL ADMIN_KEY   (serve started with --site-origin https://site.example.test)
"""
import json
import signal
import sys
import urllib.parse
import urllib.request

from convex import ConvexClient, ConvexError, ConvexInt64
from convex.http_client import ConvexHttpClient

url, admin_key = sys.argv[1], sys.argv[2]


def expired(*_):
    raise TimeoutError("no answer in time")


signal.signal(signal.SIGALRM, expired)
signal.alarm(60)

client = ConvexClient(url)
watching = iter(client.subscribe("notes:count", {"tag": "t"}))
assert next(watching) == 0

composed = client.mutation("notes:compose", {"tag": "t"})
assert composed == {"seen": 3, "refused": {"refused": "t"}}, composed
assert client.query("notes:count", {"tag": "t"}) == 3, "the refused nested mutation's insert was undone"
seen = next(watching)
while seen != 3:
    seen = next(watching)

clock = client.mutation("notes:clock", {})
assert clock["integral"] is True and clock["sameAsDate"] is True and isinstance(clock["asBigInt"], ConvexInt64), clock

urls = client.query("notes:urls", {})
assert urls == {"cloud": url, "site": "https://site.example.test"}, urls

try:
    client.query("notes:big", {"mib": 17})
    raise AssertionError("a 17 MiB result was returned")
except Exception as error:
    assert "return value is too large (actual: 17 MiB, limit: 16 MiB)" in str(error), str(error)[:300]
assert len(ConvexHttpClient(url).query("notes:big", {"mib": 1})) == 1 << 20
try:
    ConvexHttpClient(url).query("notes:big", {"mib": 17})
    raise AssertionError("a 17 MiB result was returned over HTTP")
except Exception as error:
    assert "return value is too large" in str(error), str(error)[:300]
from_action = client.action("notes:bigFromAction", {})
assert "return value is too large (actual: 17 MiB, limit: 16 MiB)" in from_action, from_action[:300]

# Field names follow convex-backend's rule: nested keys may be empty or start with "_"; "$" is reserved.
extra = {"_private": {"": 1, "_deeper": True}}
assert client.mutation("notes:store", {"extra": extra}) == extra
try:
    client.mutation("notes:store", {"extra": {"ok": {"$bad": 1}}})
    raise AssertionError("a field name starting with $ was stored")
except Exception as error:
    assert "$bad" in str(error), str(error)

try:
    client.mutation("notes:refuseWithBigint", {})
    raise AssertionError("expected a ConvexError")
except ConvexError as error:
    assert error.data == {"count": ConvexInt64(2)}, error.data
    assert '{"count":"2n"}' in str(error), str(error)


def http(method, path, body=None):
    data = None if body is None else json.dumps(body).encode()
    request = urllib.request.Request(url + path, data=data, method=method, headers={"Content-Type": "application/json"})
    with urllib.request.urlopen(request, timeout=10) as response:
        return response.status, json.loads(response.read())


query = urllib.parse.urlencode({"path": "notes:count", "args": json.dumps({"tag": "t"}), "format": "json"})
assert http("GET", f"/api/query?{query}") == (200, {"status": "success", "value": 3}), "GET /api/query"
status, batch = http("POST", "/api/query_batch", {"queries": [
    {"path": "notes:count", "args": {"tag": "t"}}, {"path": "notes:count", "args": {"tag": "none"}}, {"path": "notes:countInternal", "args": {"tag": "t"}}]})
assert status == 200 and [r["status"] for r in batch["results"]] == ["success", "success", "error"], batch
assert [r.get("value") for r in batch["results"][:2]] == [3, 0], batch
assert "Could not find public function" in batch["results"][2]["errorMessage"], batch
assert http("POST", "/api/function", {"path": "notes:count", "args": {"tag": "t"}}) == (200, {"status": "success", "value": 3}), "public /api/function"
status, body = http("POST", "/api/function", {"path": "notes:countInternal", "args": {"tag": "t"}})
assert body["status"] == "error" and "Could not find public function" in body["errorMessage"], body
print("all checks passed")
