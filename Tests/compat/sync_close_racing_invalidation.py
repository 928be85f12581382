"""Connections with live queries close abruptly while commits invalidate those queries: a session closed
while one of its Transitions is suspended must drop its queries without crashing the coordinator, which
keeps serving new connections. Run as: python sync_close_racing_invalidation.py URL ADMIN_KEY"""
import sys
import threading
import time

from raw_ws import connect

url = sys.argv[1]
stop = False
failures = []


def writer():
    w = connect(url)
    r = 0
    while not stop:
        w.send({"type": "Mutation", "requestId": r, "udfPath": "items:add", "args": [{"tag": "c", "n": r}]})
        try:
            w.recv_until(lambda m: m["type"] == "MutationResponse")
        except Exception as error:
            failures.append(f"writer: {error!r}")
            return
        r += 1


thread = threading.Thread(target=writer, daemon=True)
thread.start()
started, rounds = time.time(), 0
while time.time() - started < 10 and not failures:
    try:
        ws = connect(url)
        ws.send({"type": "ModifyQuerySet", "baseVersion": 0, "newVersion": 1,
                 "modifications": [{"type": "Add", "queryId": i, "udfPath": "items:byTag", "args": [{"tag": f"t{i}"}]} for i in range(8)]})
        ws.recv_until(lambda m: m["type"] == "Transition" and m["endVersion"]["querySet"] == 1)
        time.sleep(0.002 * (rounds % 10))
        ws.sock.close()  # abrupt: no close frame
        rounds += 1
    except Exception as error:
        failures.append(f"subscriber round {rounds}: {error!r}")
stop = True
time.sleep(0.5)
try:
    probe = connect(url)
    probe.send({"type": "ModifyQuerySet", "baseVersion": 0, "newVersion": 1,
                "modifications": [{"type": "Add", "queryId": 0, "udfPath": "items:count", "args": [{}]}]})
    probe.recv_until(lambda m: m["type"] == "Transition", timeout=10)
except Exception as error:
    failures.append(f"server unreachable afterwards: {error!r}")
if failures:
    print("FAILED:", failures)
    sys.exit(1)
print(f"close race ({rounds} rounds): all checks passed")
