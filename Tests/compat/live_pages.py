"""Live paginated queries keep their page's end (Convex's query journal): a subscribed page shrinks
when a document in it is deleted instead of pulling in the next page's first, the last page grows
as documents are inserted, and each page's continueCursor still joins onto the next. A client that
re-subscribes with the journal it was sent gets the same page; a journal it did not get fails.

Run as: python live_pages.py URL ADMIN_KEY   (against examples/chat, on an empty deployment)
"""
import signal
import sys

from convex import ConvexClient
from raw_ws import connect

url, admin_key = sys.argv[1], sys.argv[2]


def expired(*_):
    raise TimeoutError("no answer in time")


signal.signal(signal.SIGALRM, expired)
signal.alarm(60)

writer, reader = ConvexClient(url), ConvexClient(url)
for body in ["m1", "m2", "m3", "m4"]:
    writer.mutation("messages:post", {"body": body})


def bodies(result):
    return [m["body"] for m in result["page"]]


def changed(subscription, last):
    """The subscription's next value that differs from `last` (the client may repeat one)."""
    value = next(subscription)
    while value == last:
        value = next(subscription)
    return value


def page_args(cursor, n=2):
    return {"paginationOpts": {"numItems": n, "cursor": cursor}}


first_sub = iter(reader.subscribe("messages:page", page_args(None)))
first = next(first_sub)
assert bodies(first) == ["m1", "m2"] and not first["isDone"], first
second_sub = iter(reader.subscribe("messages:page", page_args(first["continueCursor"])))
second = next(second_sub)
assert bodies(second) == ["m3", "m4"], second
third_sub = iter(reader.subscribe("messages:page", page_args(second["continueCursor"])))
third = next(third_sub)
assert bodies(third) == [] and third["isDone"], third

# A delete inside the first page shrinks it; the second page is untouched.
writer.mutation("messages:remove", {"id": first["page"][0]["id"]})
shrunk = changed(first_sub, first)
assert bodies(shrunk) == ["m2"], f"the first page keeps its end: {shrunk}"
assert shrunk["continueCursor"] == first["continueCursor"], "and still joins onto the second"

# Inserts land after the last document: the last page (it reached the end) takes them all.
writer.mutation("messages:post", {"body": "m5"})
grown = changed(third_sub, third)
assert bodies(grown) == ["m5"] and grown["isDone"], grown
writer.mutation("messages:post", {"body": "m6"})
writer.mutation("messages:post", {"body": "m7"})
while bodies(grown) != ["m5", "m6", "m7"]:
    grown = changed(third_sub, grown)
assert grown["isDone"], grown

# The raw protocol: the Transition carries the journal; a re-subscription with it keeps the end.
ws = connect(url)
ws.send({"type": "ModifyQuerySet", "baseVersion": 0, "newVersion": 1, "modifications": [
    {"type": "Add", "queryId": 0, "udfPath": "messages:page", "args": [page_args(None)]}]})
[added] = ws.recv_until(lambda m: m["type"] == "Transition")[-1]["modifications"]
assert added["type"] == "QueryUpdated" and [m["body"] for m in added["value"]["page"]] == ["m2", "m3"], added
journal = added["journal"]
assert isinstance(journal, str) and journal, f"a paginated query's update carries its journal: {added}"
ws.close()

writer.mutation("messages:remove", {"id": added["value"]["page"][0]["id"]})

ws = connect(url)
ws.send({"type": "ModifyQuerySet", "baseVersion": 0, "newVersion": 1, "modifications": [
    {"type": "Add", "queryId": 0, "udfPath": "messages:page", "args": [page_args(None)], "journal": journal},
    {"type": "Add", "queryId": 1, "udfPath": "messages:page", "args": [page_args(None)]},
    {"type": "Add", "queryId": 2, "udfPath": "messages:page", "args": [page_args(None, 3)], "journal": journal},
    {"type": "Add", "queryId": 3, "udfPath": "messages:page", "args": [page_args(None)], "journal": "made up"}]})
modifications = {m["queryId"]: m for m in ws.recv_until(lambda m: m["type"] == "Transition")[-1]["modifications"]}
assert [m["body"] for m in modifications[0]["value"]["page"]] == ["m3"], f"re-subscribed with its journal: {modifications[0]}"
assert modifications[0]["journal"] == journal
assert [m["body"] for m in modifications[1]["value"]["page"]] == ["m3", "m4"], f"without one, a fresh page: {modifications[1]}"
assert [m["body"] for m in modifications[2]["value"]["page"]] == ["m3"], "the journal decides the end, not numItems"
assert modifications[3]["type"] == "QueryFailed" and "InvalidCursor" in modifications[3]["errorMessage"], modifications[3]
ws.close()

# A journal is no cursor: as one it fails like a cursor that was never issued (no ConvexError data).
ws = connect(url)
ws.send({"type": "ModifyQuerySet", "baseVersion": 0, "newVersion": 1, "modifications": [
    {"type": "Add", "queryId": 0, "udfPath": "messages:page", "args": [page_args(journal)]}]})
[failed] = ws.recv_until(lambda m: m["type"] == "Transition")[-1]["modifications"]
assert failed["type"] == "QueryFailed" and "InvalidCursor" in failed["errorMessage"], failed
assert "errorData" not in failed, failed
ws.close()
print("all checks passed")
