"""Every role of `converge serve` is SIGKILLed in turn while a client writes; the others keep running
(no role exits because another died), the killed one comes back, and writes succeed again. Prints the
time from each kill to the next successful mutation (measured, not asserted: see bench chaos).
Run as: python recovery.py URL ADMIN_KEY"""
import os
import signal
import subprocess
import sys
import time

from convex.http_client import ConvexHttpClient

url = sys.argv[1]
http = ConvexHttpClient(url)


def expired(*_):
    raise TimeoutError("recovery.py took over 120 s")


signal.signal(signal.SIGALRM, expired)
signal.alarm(120)

coordinator_line = subprocess.run(["pgrep", "-af", f"converge coordinator .*--port {url.rsplit(':', 1)[1]}"],
                                  capture_output=True, text=True).stdout.split("\n")[0]
assert coordinator_line, "no coordinator process found"
data = coordinator_line.split("--storage unix://")[1].split()[0].rsplit("/", 1)[0]
patterns = {
    "storage": f"converge storage --data-dir {data} ",
    "coordinator": f"converge coordinator .*--port {url.rsplit(':', 1)[1]} ",
    "db runner": f"converge runner --coordinator unix://{data}/runners.sock --pool db ",
    "action runner": f"converge runner --coordinator unix://{data}/runners.sock --pool action ",
}


def pid(role):
    found = subprocess.run(["pgrep", "-f", patterns[role]], capture_output=True, text=True).stdout.split()
    return int(found[0]) if len(found) == 1 else None


failures = []


def check(condition, what):
    print(("ok: " if condition else "FAILED: ") + what)
    if not condition:
        failures.append(what)


def write_until_it_works(body):
    start = time.time()
    while True:
        try:
            http.mutation("messages:send", {"body": body})
            return time.time() - start
        except Exception:
            if time.time() - start > 30:
                raise
            time.sleep(0.02)


write_until_it_works("before")
for victim in ["storage", "coordinator", "db runner", "action runner"]:
    before = {role: pid(role) for role in patterns}
    check(all(before.values()), f"one process per role before killing the {victim}: {before}")
    killed_at = time.time()
    os.kill(before[victim], signal.SIGKILL)
    took = write_until_it_works(f"after the {victim}")
    if victim == "action runner":
        took = None
        start = time.time()
        while True:
            try:
                http.action("actions:doit", {})
                took = time.time() - start
                break
            except Exception:
                if time.time() - start > 30:
                    break
                time.sleep(0.02)
        check(took is not None, "actions run again after the action runner was killed")
    print(f"{victim}: killed, serving again after {took:.2f} s")
    time.sleep(0.5)
    after = {role: pid(role) for role in patterns}
    survivors = [role for role in patterns if role != victim]
    check(all(after[r] == before[r] for r in survivors), f"no other role was restarted: {before} -> {after}")
    check(after[victim] is not None and after[victim] != before[victim], f"the {victim} was restarted")

listed = http.query("messages:list", {})
bodies = [m["body"] for m in listed]
for victim in ["storage", "coordinator", "db runner", "action runner"]:
    check(bodies.count(f"after the {victim}") == 1, f"the write after the {victim} exists once")

if failures:
    print(f"{len(failures)} checks failed")
    sys.exit(1)
print("all checks passed")
