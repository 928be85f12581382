"""A socket's live queries run again only when a commit touched what they read: a mutation that
touches none of them is settled by a Transition that carries nothing, and one that touches one query
re-runs that query alone. A write by another client reaches only the query it touched.

Run as: python session_queries.py URL ADMIN_KEY   (against examples/chat)
"""
import sys

from convex.http_client import ConvexHttpClient
from raw_ws import Tracker, connect, query_executions, ts

url, admin_key = sys.argv[1], sys.argv[2]
QUERIES, MUTATIONS = 50, 20

http = ConvexHttpClient(url)
http.mutation("messages:send", {"body": "creates the table", "author": "nobody"})

ws = connect(url)
tracker = Tracker()


seen = []


def recv(predicate):
    messages = ws.recv_until(predicate)
    for message in messages:
        tracker.feed(message)
    seen.extend(messages)
    return messages[-1]


def mutate(request_id, path, args):
    """Sends a mutation and waits for the Transition that settles it; returns every query
    modification it received meanwhile (a commit's invalidation may re-run a query, and send it,
    before the mutation's response goes out)."""
    seen.clear()
    ws.send({"type": "Mutation", "requestId": request_id, "udfPath": path, "args": [args]})
    response = recv(lambda m: m["type"] == "MutationResponse")
    assert response["success"], response
    transition = recv(lambda m: m["type"] == "Transition")
    assert ts(transition["endVersion"]["ts"]) >= ts(response["ts"]), f"the Transition covers the mutation: {transition}"
    return [(m["queryId"], m.get("value")) for t in seen if t["type"] == "Transition" for m in t["modifications"]]


ws.send({"type": "ModifyQuerySet", "baseVersion": 0, "newVersion": 1, "modifications": [
    {"type": "Add", "queryId": i, "udfPath": "messages:byAuthor", "args": [{"author": f"author{i}"}]} for i in range(QUERIES)]})
first = recv(lambda m: m["type"] == "Transition" and m["modifications"])
assert len(first["modifications"]) == QUERIES, first

before = query_executions(url)
for r in range(MUTATIONS):
    modified = mutate(r, "messages:post", {"body": f"post {r}"})
    assert modified == [], f"a mutation that touched no query changes none: {modified}"
ran = query_executions(url) - before
assert ran == 0, f"{MUTATIONS} mutations touching none of {QUERIES} live queries ran {ran} queries"

modified = mutate(MUTATIONS, "messages:send", {"body": "for 7", "author": "author7"})
assert modified == [(7, ["for 7"])], modified
ran = query_executions(url) - before
assert ran == 1, f"a mutation touching one query ran {ran} queries"

http.mutation("messages:send", {"body": "for 9", "author": "author9"})
update = recv(lambda m: m["type"] == "Transition" and m["modifications"])
assert [(m["queryId"], m["value"]) for m in update["modifications"]] == [(9, ["for 9"])], update
ran = query_executions(url) - before
assert ran == 2, f"another client's write touching one query ran {ran - 1} queries"

# Another client's write that touches nothing sends nothing.
http.mutation("messages:post", {"body": "unread"})
try:
    stray = ws.recv(timeout=0.5)
    assert stray["type"] == "Ping", f"a write no query read sent {stray}"
except TimeoutError:
    pass
assert not tracker.errors, tracker.errors
print(f"session_queries: all checks passed ({QUERIES} queries, {MUTATIONS} mutations)")
