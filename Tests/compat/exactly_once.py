"""Sync mutations run exactly once through crashes, for a client that keeps its sessionId across
reconnects and re-sends every unsettled mutation with its requestId (what the JS client does, docs/exactly-once.md).

Each scenario arms one crash point (a file in $CONVERGE_FAULTS, which `converge serve` and its children
were started with), sends a mutation, re-sends it on a new socket if the socket broke, and checks that
the answer is the first run's (the `entries` functions answer differently if run again after any other
write) and that the write exists once.
Run as: python exactly_once.py URL ADMIN_KEY"""
import os
import re
import signal
import sys
import time
import urllib.request
import uuid

from convex.http_client import ConvexHttpClient
from raw_ws import WS, Closed

url = sys.argv[1]
faults = os.environ["CONVERGE_FAULTS"]
http = ConvexHttpClient(url)


def expired(*_):
    raise TimeoutError("exactly_once.py took over 150 s")


signal.signal(signal.SIGALRM, expired)
signal.alarm(150)


def retrying(call, seconds=30):
    """`call()`, retried while the deployment is coming back."""
    deadline = time.time() + seconds
    while True:
        try:
            return call()
        except Exception:
            if time.time() > deadline:
                raise
            time.sleep(0.1)


def keys():
    return retrying(lambda: http.query("entries:keys", {}))


def arm(point):
    open(os.path.join(faults, point), "w").close()


def fired(point):
    return not os.path.exists(os.path.join(faults, point))


class Session:
    """One client, across sockets: one sessionId, connectionCount counting up."""

    def __init__(self):
        self.id = str(uuid.uuid4())
        self.connections = 0
        self.ws = None
        self.connect()

    def connect(self):
        deadline = time.time() + 30
        while True:
            try:
                ws = WS(url)
                break
            except (OSError, Closed):
                if time.time() > deadline:
                    raise
                time.sleep(0.05)
        ws.send({"type": "Connect", "sessionId": self.id, "connectionCount": self.connections,
                 "lastCloseReason": "InitialConnect" if self.connections == 0 else "ServerWentAway", "clientTs": 0})
        self.connections += 1
        self.ws = ws

    def mutate(self, request_id, path, args, before_resend=lambda: None, timeout=60):
        """The MutationResponse, and how many times the mutation was re-sent to get it."""
        deadline = time.time() + timeout
        resends = 0
        while True:
            try:
                self.ws.send({"type": "Mutation", "requestId": request_id, "udfPath": path, "args": [args]})
                seen = self.ws.recv_until(lambda m: m.get("type") == "MutationResponse" and m["requestId"] == request_id,
                                          timeout=max(0.1, deadline - time.time()))
                return seen[-1], resends
            except (Closed, OSError):
                if time.time() > deadline:
                    raise
                self.connect()
                before_resend()
                resends += 1


def calls(function, outcome="success"):
    with urllib.request.urlopen(url + "/metrics", timeout=10) as response:
        text = response.read().decode()
    found = re.search(rf'^converge_function_calls_total\{{function="{re.escape(function)}",kind="mutation",outcome="{outcome}"\}} ([0-9.e+]+)$',
                      text, re.MULTILINE)
    return float(found.group(1)) if found else 0.0


failures = []


def check(condition, what):
    print(("ok: " if condition else "FAILED: ") + what)
    if not condition:
        failures.append(what)


def interloper(tag):
    """A write by another client, for between a crash and the re-send: a re-run would see it."""
    def write():
        retrying(lambda: http.mutation("entries:add", {"key": f"interloper-{tag}"}))
    return write


session = Session()
retrying(lambda: http.mutation("entries:add", {"key": "first"}))

def add_through_a_crash(point, request_id, key, expect_resend):
    """Arms `point`, adds `key` and checks the answer is the one committed run's and the row exists once."""
    before = len(keys())
    arm(point)
    # Another client's write between the crash and the re-send: a re-run would count it.
    response, resends = session.mutate(request_id, "entries:add", {"key": key}, before_resend=interloper(key))
    check(fired(point), f"{point}: the process died there")
    check(resends >= 1 if expect_resend else resends == 0, f"{point}: the mutation was re-sent {resends} times")
    check(response["success"] and response["result"] == float(before), f"{point}: the answer is the committed run's ({before}): {response}")
    check(response.get("ts") is not None, f"{point}: the answer has the commit timestamp")
    check(keys().count(key) == 1, f"{point}: the write exists once: {keys()}")


# 1. The coordinator dies after the mutation committed, before its response went out: the client
# re-sends on a new socket.
add_through_a_crash("coordinator.after-mutation", 0, "coordinator", expect_resend=True)
# 2. The storage node dies after the commit is durable, before it is acknowledged: the runner learns
# the outcome from the restarted node, and the client, whose socket stayed up, just gets its answer.
add_through_a_crash("storage.after-durable-write", 1, "storage", expect_resend=False)
# 3. The runner dies after the commit, before it answered: the coordinator asks the restarted runner.
add_through_a_crash("runner.after-commit", 2, "runner", expect_resend=False)

# 4. A mutation that throws keeps its error: the re-send gets it rather than running again.
count = len(keys())
arm("coordinator.after-mutation")
response, resends = session.mutate(3, "entries:refuse", {}, before_resend=interloper("refuse"))
check(resends >= 1, "the coordinator died before answering the refusal")
check(not response["success"] and response.get("errorData") == {"count": float(count)},
      f"the re-send gets the first run's error (count {count}), not a new run's: {response}")
check(response.get("logLines") == [f"[LOG] 'refusing at {count}'"] or any(f"refusing at {count}" in line for line in response.get("logLines", [])),
      f"and its log lines: {response.get('logLines')}")

# 5. A re-send while the first run is still running on this coordinator waits for that run.
runs_before = calls("entries:slowAdd")
before = len(keys())
session.ws.send({"type": "Mutation", "requestId": 4, "udfPath": "entries:slowAdd", "args": [{"key": "slow", "spins": 30_000_000}]})
time.sleep(0.05)
session.ws.sock.close()
session.connect()
response, _ = session.mutate(4, "entries:slowAdd", {"key": "slow", "spins": 30_000_000})
check(response["success"] and response["result"] == float(before), f"the re-send gets the first run's answer: {response}")
check(keys().count("slow") == 1, f"the write exists once: {keys()}")
check(calls("entries:slowAdd") - runs_before == 1, f"the mutation ran once ({calls('entries:slowAdd') - runs_before} runs)")

# 6. A re-send long after, on yet another socket, still gets the recorded answer.
session.ws.close()
session.connect()
response, _ = session.mutate(0, "entries:add", {"key": "coordinator"})
check(response["success"] and keys().count("coordinator") == 1, f"a late re-send is answered from the record: {response}")

if failures:
    print(f"{len(failures)} checks failed")
    sys.exit(1)
print("all checks passed")
