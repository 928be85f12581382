"""Many sockets subscribed to one query cost one execution and one storage subscription per change.

Run as: python shared_subscriptions.py URL ADMIN_KEY   (against examples/chat)
"""
import sys
import time

from convex.http_client import ConvexHttpClient
from raw_ws import connect, metric, query_executions

url, admin_key = sys.argv[1], sys.argv[2]
SOCKETS = 200


def first_result(ws):
    transition = ws.recv_until(lambda m: m["type"] == "Transition" and m["modifications"])[-1]
    return transition["modifications"][0]["value"]


# The first insert also creates the table, a commit of its own; make it before anyone subscribes.
http = ConvexHttpClient(url)
http.mutation("messages:post", {"body": "first"})
first = [{"body": "first", "author": "anonymous"}]

sockets = []
for _ in range(SOCKETS):
    ws = connect(url)
    ws.send({"type": "ModifyQuerySet", "baseVersion": 0, "newVersion": 1, "modifications": [
        {"type": "Add", "queryId": 0, "udfPath": "messages:list", "args": [{}]}]})
    sockets.append(ws)
for ws in sockets:
    assert first_result(ws) == first, "every subscriber starts with the first message"

before = query_executions(url)
http.mutation("messages:post", {"body": "fan out"})
for ws in sockets:
    assert first_result(ws) == first + [{"body": "fan out", "author": "anonymous"}], "every subscriber sees the new message"
after = query_executions(url)
assert after - before == 1, f"{SOCKETS} subscribers re-ran the query {after - before} times for one change"

# They re-ran it at the same snapshot and read the same data: one subscription at the storage node serves them all.
deadline = time.time() + 10
while (watched := metric(url, "converge_storage_subscriptions")) != 1 and time.time() < deadline:
    time.sleep(0.05)
assert watched == 1, f"{SOCKETS} subscribers of one result hold {watched} subscriptions at the storage node"

print(f"shared subscriptions: all checks passed ({SOCKETS} sockets, one execution)")
