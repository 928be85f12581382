"""Queries that could not run because the deployment was overloaded run again by themselves.

Against `converge serve --max-queued-calls 2 --runners 1 --runner-workers 1` with the fixture
app Tests/ClusterTests/Fixtures/sync:
40 queries added at once overflow the queue, so some first come back as QueryFailed ("overloaded");
without any further message from the client, every one of them must then arrive with its value.
Run as: python overload_retry.py URL ADMIN_KEY
"""
import sys
import time

from raw_ws import connect

url = sys.argv[1]
count = 40
ws = connect(url)
ws.send({"type": "ModifyQuerySet", "baseVersion": 0, "newVersion": 1, "modifications": [
    {"type": "Add", "queryId": i, "udfPath": "items:echo", "args": [{"value": f"q{i}"}]} for i in range(count)]})

values, failed = {}, set()
deadline = time.time() + 30
while len(values) < count and time.time() < deadline:
    message = ws.recv(max(0.1, deadline - time.time()))
    if message.get("type") != "Transition":
        continue
    for modification in message["modifications"]:
        if modification["type"] == "QueryFailed":
            assert "overloaded" in modification["errorMessage"], modification
            failed.add(modification["queryId"])
        elif modification["type"] == "QueryUpdated":
            assert modification["value"] == f"q{modification['queryId']}", modification
            values[modification["queryId"]] = modification["value"]

assert failed, "no query failed as overloaded: the test did not overflow the queue"
missing = sorted(set(range(count)) - set(values))
assert not missing, f"queries {missing} never ran after failing as overloaded ({len(failed)} failed at first)"
print(f"{len(failed)} queries failed as overloaded and then ran by themselves; all checks passed")
