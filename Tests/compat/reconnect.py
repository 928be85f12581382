"""The Python client's subscription survives a crash of the coordinator or of the storage node:
`converge serve` restarts what died (a coordinator that loses its storage node exits and is restarted
too, on the same port), the client reconnects and re-subscribes, and later changes reach it.
Run as: python reconnect.py URL ADMIN_KEY coordinator|storage"""
import os
import signal
import subprocess
import sys
import time

from convex import ConvexClient
from convex.http_client import ConvexHttpClient

url, role = sys.argv[1], sys.argv[3]


def deadline(seconds):
    def expired(*_):
        raise TimeoutError(f"no answer within {seconds} s")
    signal.signal(signal.SIGALRM, expired)
    signal.alarm(seconds)


deadline(60)
client = ConvexClient(url)
subscription = iter(client.subscribe("messages:list", {}))
before = next(subscription)

# SIGKILL a child of this `converge serve`, found by its command line: the coordinator by its port, the
# storage node by the data directory the coordinator's --storage socket is in.
coordinator = subprocess.run(["pgrep", "-af", f"converge coordinator .*--port {url.rsplit(':', 1)[1]}"],
                             capture_output=True, text=True).stdout.split("\n")[0]
assert coordinator, "no coordinator process found"
if role == "coordinator":
    pids = [coordinator.split()[0]]
else:
    data = coordinator.split("--storage unix://")[1].split()[0].rsplit("/", 1)[0]
    pids = subprocess.run(["pgrep", "-f", f"converge storage --data-dir {data} "], capture_output=True, text=True).stdout.split()
assert pids, f"no {role} process found"
for pid in pids:
    os.kill(int(pid), signal.SIGKILL)

# Once the supervisor has restarted it, write through HTTP; the socket client must see it.
http = ConvexHttpClient(url)
for _ in range(100):
    try:
        http.mutation("messages:send", {"body": "after the restart"})
        break
    except Exception:
        time.sleep(0.2)
else:
    raise AssertionError("the coordinator did not come back")

value = next(subscription)
while not any(m["body"] == "after the restart" for m in value):
    value = next(subscription)
signal.alarm(0)
print("reconnect: all checks passed")
