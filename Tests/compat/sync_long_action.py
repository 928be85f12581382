"""A long action over the sync socket: the session answers other messages while it runs, and a socket
whose client answers every Ping stays open however long the action takes.
Run as: python sync_long_action.py URL ADMIN_KEY"""
import sys
import time

from raw_ws import connect

url = sys.argv[1]
failures = []

# 1. While a 3 s action runs, a ModifyQuerySet is answered (actions run concurrently, spec 1.6).
ws = connect(url)
ws.send({"type": "Action", "requestId": 0, "udfPath": "items:nap", "args": [{"ms": 3000}]})
time.sleep(0.3)
ws.send({"type": "ModifyQuerySet", "baseVersion": 0, "newVersion": 1,
         "modifications": [{"type": "Add", "queryId": 0, "udfPath": "items:count", "args": [{}]}]})
seen = ws.recv_until(lambda m: m["type"] == "ActionResponse" or (m["type"] == "Transition" and m["endVersion"]["querySet"] == 1), timeout=15)
if seen[-1]["type"] == "ActionResponse":
    failures.append("the query set change waited for the action to finish (the session handles one message at a time)")
ws.close()

# 2. A 12 s action: the client answers every WebSocket Ping, so the server must not drop the socket.
ws = connect(url)
started = time.time()
ws.send({"type": "Action", "requestId": 0, "udfPath": "items:nap", "args": [{"ms": 12000}]})
try:
    answer = ws.recv_until(lambda m: m["type"] == "ActionResponse", timeout=40)[-1]
    assert answer["success"] and answer["result"] == 12000.0, answer
except Exception as error:
    failures.append(f"12 s action: {error!r} after {time.time() - started:.1f} s, {ws.pings} pings answered")

if failures:
    print("FAILED:", failures)
    sys.exit(1)
print("slow action: all checks passed")
