"""examples/chat, deployed with `converge deploy`, driven through the official Python client.

Run as: python examples_chat.py URL ADMIN_KEY   (exits non-zero on the first failed check)
"""
import json
import signal
import sys
import urllib.error
import urllib.request

from convex import ConvexClient, ConvexError, ConvexInt64

url, admin_key = sys.argv[1], sys.argv[2]


def expired(*_):
    raise TimeoutError("no answer in time")


signal.signal(signal.SIGALRM, expired)
signal.alarm(60)

alice, bob = ConvexClient(url), ConvexClient(url)
watching = iter(bob.subscribe("messages:list", {}))
assert next(watching) == []
assert alice.mutation("messages:send", {"body": "hi", "author": "alice"}) == {"ok": True, "count": 1}
assert next(watching) == [{"body": "hi", "author": "alice"}], "bob sees alice's message"
alice.mutation("messages:post", {"body": "posted"})
assert next(watching)[-1] == {"body": "posted", "author": "anonymous"}

# Likes: a mutation with a returns validator, an ID argument, and a ConvexError for a missing document.
first = alice.query("messages:page", {"paginationOpts": {"numItems": 1, "cursor": None}})
message_id = first["page"][0]["id"]
assert alice.mutation("messages:like", {"id": message_id}) == 1
assert bob.mutation("messages:like", {"id": message_id}) == 2
try:
    alice.mutation("messages:like", {"id": "not an id"})
    raise AssertionError("a malformed ID was accepted")
except Exception as error:
    assert "ArgumentValidationError" in str(error), str(error)

# Pagination: walk every page of two.
for i in range(5):
    alice.mutation("messages:post", {"body": f"p{i}"})
bodies, cursor, done = [], None, False
while not done:
    page = alice.query("messages:page", {"paginationOpts": {"numItems": 2, "cursor": cursor}})
    assert len(page["page"]) <= 2, page
    bodies += [m["body"] for m in page["page"]]
    cursor, done = page["continueCursor"], page["isDone"]
assert bodies == ["hi", "posted", "p0", "p1", "p2", "p3", "p4"], bodies
assert first["isDone"] is False and first["page"][0]["likes"] == 0

assert alice.query("messages:byAuthor", {"author": "alice"}) == ["hi"]

# An action that writes through an internal mutation, which clients cannot call themselves.
result = alice.action("actions:sendFromAction", {"body": "via action"})
assert result["mine"] == ["via action"], result
try:
    alice.mutation("messages:insertInternal", {"body": "x", "author": "y"})
    raise AssertionError("a client called an internal function")
except Exception as error:
    assert "Could not find public function" in str(error), str(error)

try:
    alice.mutation("errors:convex", {})
    raise AssertionError("expected a ConvexError")
except ConvexError as error:
    assert error.data == {"code": 42.0}, error.data

assert alice.action("actions:doit") == ConvexInt64(len(alice.query("messages:list")) + 7)
echoed = alice.query("messages:echo", {"value": {"i": ConvexInt64(-3), "b": b"\x01", "n": None, "l": [1.5, "x"]}})
assert echoed == {"i": ConvexInt64(-3), "b": b"\x01", "n": None, "l": [1.5, "x"]}, echoed

# What the deployment's analysis says, through the admin endpoint.
request = urllib.request.Request(url + "/api/converge/functions", headers={"Authorization": f"Convex {admin_key}"})
described = json.loads(urllib.request.urlopen(request, timeout=10).read())
functions = {f"{f['module'][:-3]}:{f['name']}": f for f in described["functions"]}
like = functions["messages:like"]
assert like["kind"] == "mutation" and like["visibility"] == "public", like
assert like["args"] == {"type": "object", "value": {"id": {"fieldType": {"type": "id", "tableName": "messages"}, "optional": False}}}, like
assert like["returns"] == {"type": "number"}, like
assert functions["messages:insertInternal"]["visibility"] == "internal"
assert functions["actions:sendFromAction"]["kind"] == "action"
assert {"method": "POST", "path": "/messages", "pathPrefix": None} in described["httpRoutes"], described["httpRoutes"]
tables = {t["name"]: t for t in described["schema"]["tables"]}
assert tables["messages"]["indexes"] == [{"name": "by_author", "fields": ["author"]}], tables
try:
    urllib.request.urlopen(url + "/api/converge/functions", timeout=10)
    raise AssertionError("the function list is for admins")
except urllib.error.HTTPError as error:
    assert error.code == 403, error.code

signal.alarm(0)
print("examples chat: all checks passed")
