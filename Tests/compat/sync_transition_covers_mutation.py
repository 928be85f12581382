"""Every Transition sent after a MutationResponse must end at ts >= the mutation's ts (the Python client
settles the mutation on the next Transition, spec 1.6). Background writers keep invalidation Transitions
in flight. Run as: python sync_transition_covers_mutation.py URL ADMIN_KEY"""
import sys
import threading
import time

from raw_ws import Tracker, connect, ts

url = sys.argv[1]
stop = False


def writer():
    w = connect(url)
    r = 0
    while not stop:
        w.send({"type": "Mutation", "requestId": r, "udfPath": "items:add", "args": [{"tag": "bg", "n": r}]})
        try:
            w.recv_until(lambda m: m["type"] == "MutationResponse")
        except Exception:
            return
        r += 1
        time.sleep(0.01)


threading.Thread(target=writer, daemon=True).start()
ws = connect(url)
tracker = Tracker()
ws.send({"type": "ModifyQuerySet", "baseVersion": 0, "newVersion": 1,
         "modifications": [{"type": "Add", "queryId": 0, "udfPath": "items:byTag", "args": [{"tag": "mine"}]}]})
for m in ws.recv_until(lambda m: m["type"] == "Transition" and m["endVersion"]["querySet"] == 1):
    tracker.feed(m)
stale, checked = [], 0
for r in range(40):
    ws.send({"type": "Mutation", "requestId": r, "udfPath": "items:add", "args": [{"tag": "mine", "n": r}]})
    messages = ws.recv_until(lambda m: m["type"] == "MutationResponse")
    for m in messages:
        tracker.feed(m)
    response = messages[-1]
    if not response["success"]:
        continue  # OCC exhaustion under contention; not what this checks
    checked += 1
    following = ws.recv_until(lambda m: m["type"] == "Transition")[-1]
    tracker.feed(following)
    if ts(following["endVersion"]["ts"]) < ts(response["ts"]):
        stale.append(r)
stop = True
problems = []
if stale:
    problems.append(f"{len(stale)}/{checked} mutations were followed by a Transition older than their commit ts: requests {stale[:10]}")
if tracker.errors:
    problems.append(f"version chaining: {tracker.errors[:3]}")
if problems:
    print("FAILED:", problems)
    sys.exit(1)
print(f"mutation transitions ({checked} mutations): all checks passed")
