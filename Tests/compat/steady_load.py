"""Mutations one after another for a while, over HTTP: every one must succeed and apply exactly once.

Run as: python steady_load.py URL ADMIN_KEY SECONDS   (against examples/chat; prints progress lines)
"""
import sys
import time

from convex.http_client import ConvexHttpClient

url, admin_key, seconds = sys.argv[1], sys.argv[2], float(sys.argv[3])
client = ConvexHttpClient(url)


def count():
    total, cursor, done = 0, None, False
    while not done:
        page = client.query("messages:page", {"paginationOpts": {"numItems": 1000, "cursor": cursor}})
        total += len(page["page"])
        cursor, done = page["continueCursor"], page["isDone"]
    return total


before = count()
sent, failures, deadline = 0, [], time.time() + seconds
while time.time() < deadline:
    try:
        client.mutation("messages:post", {"body": f"load {sent}"})
    except Exception as error:
        failures.append(str(error))
    sent += 1
    if sent % 50 == 0:
        print(f"sent {sent}", flush=True)
assert not failures, f"{len(failures)} of {sent} mutations failed: {failures[:3]}"
after = count()
assert after - before == sent, f"{sent} mutations acknowledged, {after - before} messages stored"
print(f"steady load: all checks passed ({sent} mutations)")
