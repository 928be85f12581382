"""Subscriptions to disjoint data: one write re-executes exactly the subscription it touches, and
only that socket hears of it.

Run as: python disjoint.py URL ADMIN_KEY   (against examples/chat)
"""
import sys
import time

from convex.http_client import ConvexHttpClient
from raw_ws import connect, query_executions

url, admin_key = sys.argv[1], sys.argv[2]
SOCKETS = 100


http = ConvexHttpClient(url)
http.mutation("messages:send", {"body": "creates the table", "author": "nobody"})

sockets = []
for i in range(SOCKETS):
    ws = connect(url)
    ws.send({"type": "ModifyQuerySet", "baseVersion": 0, "newVersion": 1, "modifications": [
        {"type": "Add", "queryId": 0, "udfPath": "messages:byAuthor", "args": [{"author": f"author{i}"}]}]})
    sockets.append(ws)
for ws in sockets:
    first = ws.recv_until(lambda m: m["type"] == "Transition" and m["modifications"])[-1]
    assert first["modifications"][0]["value"] == [], first

before = query_executions(url)
http.mutation("messages:send", {"body": "only for 7", "author": "author7"})
update = sockets[7].recv_until(lambda m: m["type"] == "Transition" and m["modifications"])[-1]
assert update["modifications"][0]["value"] == ["only for 7"], update
time.sleep(1)
assert query_executions(url) - before == 1, f"one write re-ran {query_executions(url) - before} queries"
for i, ws in enumerate(sockets):
    if i == 7:
        continue
    try:
        stray = ws.recv(timeout=0.01)
        assert stray["type"] == "Ping", f"socket {i} heard of a write it did not read: {stray}"
    except Exception as error:
        if isinstance(error, AssertionError):
            raise
print(f"disjoint: all checks passed ({SOCKETS} sockets)")
