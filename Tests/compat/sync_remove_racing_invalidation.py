"""Adds and Removes queries while other connections commit, so invalidation-driven Transitions race the
Removes: a query removed while a Transition that covers it is suspended must leave that Transition, and the
connection must stay up. Run as: python sync_remove_racing_invalidation.py URL ADMIN_KEY"""
import sys
import threading
import time

from raw_ws import connect

url = sys.argv[1]
stop = False
failures = []


def writer(name):
    w = connect(url)
    r = 0
    while not stop:
        w.send({"type": "Mutation", "requestId": r, "udfPath": "items:add", "args": [{"tag": "w", "n": r}]})
        try:
            w.recv_until(lambda m: m["type"] == "MutationResponse")
        except Exception as error:
            failures.append(f"writer {name}: {error!r}")
            return
        r += 1


threads = [threading.Thread(target=writer, args=(i,), daemon=True) for i in range(2)]
for t in threads:
    t.start()
ws = connect(url)
version, k, started = 0, 0, time.time()
while time.time() - started < 10 and not failures:
    try:
        ws.send({"type": "ModifyQuerySet", "baseVersion": version, "newVersion": version + 1,
                 "modifications": [{"type": "Add", "queryId": k, "udfPath": "items:byTag", "args": [{"tag": "w"}]}]})
        ws.send({"type": "ModifyQuerySet", "baseVersion": version + 1, "newVersion": version + 2,
                 "modifications": [{"type": "Remove", "queryId": k}]})
        version, k = version + 2, k + 1
        if k % 20 == 0:
            target = version
            ws.recv_until(lambda m: m["type"] == "Transition" and m["endVersion"]["querySet"] == target, timeout=60)
    except Exception as error:
        failures.append(f"subscriber after {time.time() - started:.1f} s: {error!r}")
stop = True
if failures:
    print("FAILED: the connection dropped (coordinator crash?):", failures)
    sys.exit(1)
print(f"remove race ({k} add/remove pairs): all checks passed")
